// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Pass fold_qdq: explicit quantization: Q/DQ pairs become per-tensor scales, DQ'd weights int8 + scales.

#include "passes/pass.h"

namespace edgert::passes {

Status fold_qdq(ir::Graph& /*g*/, PassContext& /*ctx*/) {
  // Not written yet: the graph is left as it is.
  return Status::ok_status();
}

}  // namespace edgert::passes
