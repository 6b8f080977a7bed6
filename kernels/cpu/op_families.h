// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// The op families. Each family .cpp defines its table and static_asserts the table's size against
// the count below; registry.cpp lists every family and static_asserts the total, so a table left
// out of the registry, or an op added without updating the counts (and docs/operators.md), fails
// to compile.

#include <cstddef>

#include "kernels/cpu/op_def.h"

namespace edgert::cpu {

struct OpTable {
  const OpDef* ops;
  std::size_t count;
};

// Keep in step with the tables (static_assert in each family file).
constexpr std::size_t kUnaryOpCount = 45;   // unary.cpp, activation.cpp, cast.cpp
constexpr std::size_t kBinaryOpCount = 21;  // binary.cpp, compare.cpp
constexpr std::size_t kNnOpCount = 15;      // nn_table.cpp: conv.cpp, pool.cpp, gemm.cpp, norm.cpp
constexpr std::size_t kTensorOpCount = 28;  // shape_ops, layout_ops, pad, gather_scatter.cpp
constexpr std::size_t kReduceOpCount = 16;  // reduce.cpp, softmax.cpp (reduce_ops.h)
constexpr std::size_t kMiscOpCount = 5;     // resize.cpp, quant.cpp (misc_ops.h)

// The builder's own layer ops (domain "edgert"): what fusion and int8 lowering produce.
// fused_conv.cpp: FusedConv, FusedGemm
constexpr std::size_t kFusedConvOpCount = 2;

// fused_pointwise.cpp: Pointwise, SoftmaxTopK, SiLU (Gelu is ONNX's, in the unary family)
constexpr std::size_t kFusedPointwiseOpCount = 4;

// int8.cpp: ConvInt8, GemmInt8
constexpr std::size_t kInt8OpCount = 2;

constexpr std::size_t kOpCount = kUnaryOpCount + kBinaryOpCount + kNnOpCount + kTensorOpCount +
                                 kReduceOpCount + kMiscOpCount + kFusedConvOpCount +
                                 kFusedPointwiseOpCount + kInt8OpCount;

OpTable unary_ops();
OpTable binary_ops();
OpTable nn_ops();
OpTable tensor_ops();
OpTable reduce_ops();
OpTable misc_ops();
OpTable fused_conv_ops();
OpTable fused_pointwise_ops();
OpTable int8_ops();

}  // namespace edgert::cpu
