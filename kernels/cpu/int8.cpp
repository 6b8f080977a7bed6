// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Builder layer ops: ConvInt8, GemmInt8 (int8 x int8 -> int32 with per-channel weight scales).

#include <iterator>

#include "kernels/cpu/op_families.h"

namespace edgert::cpu {

OpTable int8_ops() {
  // Filled as the layer ops land; the count lives in op_families.h.
  static constexpr std::size_t kCount = 0;
  static_assert(kCount == kInt8OpCount, "update kInt8OpCount in op_families.h");
  return {nullptr, kCount};
}

}  // namespace edgert::cpu
