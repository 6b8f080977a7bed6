// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Pass fuse_pointwise: chains of pointwise ops into one Pointwise layer.

#include "passes/pass.h"

namespace edgert::passes {

Status fuse_pointwise(ir::Graph& /*g*/, PassContext& /*ctx*/) {
  // Not written yet: the graph is left as it is.
  return Status::ok_status();
}

}  // namespace edgert::passes
