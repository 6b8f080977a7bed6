// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Pass collapse_reshapes: Reshape/Flatten/Squeeze/Unsqueeze chains into one Reshape; Transpose chains composed.

#include "passes/pass.h"

namespace edgert::passes {

Status collapse_reshapes(ir::Graph& /*g*/, PassContext& /*ctx*/) {
  // Not written yet: the graph is left as it is.
  return Status::ok_status();
}

}  // namespace edgert::passes
