// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Pass fold_scale: per-channel Mul/Add after a Conv folded into its weights/bias.

#include "passes/pass.h"

namespace edgert::passes {

Status fold_scale(ir::Graph& /*g*/, PassContext& /*ctx*/) {
  // Not written yet: the graph is left as it is.
  return Status::ok_status();
}

}  // namespace edgert::passes
