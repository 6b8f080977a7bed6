// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Builder layer ops: Pointwise chains, SoftmaxTopK, Gelu.

#include <iterator>

#include "kernels/cpu/op_families.h"

namespace edgert::cpu {

OpTable fused_pointwise_ops() {
  // Filled as the layer ops land; the count lives in op_families.h.
  static constexpr std::size_t kCount = 0;
  static_assert(kCount == kFusedPointwiseOpCount, "update kFusedPointwiseOpCount in op_families.h");
  return {nullptr, kCount};
}

}  // namespace edgert::cpu
