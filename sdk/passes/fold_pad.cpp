// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Pass fold_pad: zero Pad over spatial dims folded into the following Conv's pads.

#include "passes/pass.h"

namespace edgert::passes {

Status fold_pad(ir::Graph& /*g*/, PassContext& /*ctx*/) {
  // Not written yet: the graph is left as it is.
  return Status::ok_status();
}

}  // namespace edgert::passes
