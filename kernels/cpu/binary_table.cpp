// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Placeholder table of the binary family (to be replaced by the family's implementation).
#include "kernels/cpu/op_families.h"

namespace edgert::cpu {
OpTable binary_ops() { return {nullptr, 0}; }
}  // namespace edgert::cpu
