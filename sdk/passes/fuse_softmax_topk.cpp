// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Pass fuse_softmax_topk: Softmax + TopK/ArgMax.

#include "passes/pass.h"

namespace edgert::passes {

Status fuse_softmax_topk(ir::Graph& /*g*/, PassContext& /*ctx*/) {
  // Not written yet: the graph is left as it is.
  return Status::ok_status();
}

}  // namespace edgert::passes
