// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Pass fold_batchnorm: BatchNormalization folded into the preceding Conv/Gemm.

#include "passes/pass.h"

namespace edgert::passes {

Status fold_batchnorm(ir::Graph& /*g*/, PassContext& /*ctx*/) {
  // Not written yet: the graph is left as it is.
  return Status::ok_status();
}

}  // namespace edgert::passes
