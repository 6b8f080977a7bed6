// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Element-wise work as one program per element: the unary and binary ONNX ops (a one-step
// program) and the builder's Pointwise chains (kernels/cpu/fused_pointwise.cpp defines the
// semantics this kernel follows), with numpy broadcasting through per-input strides.

#include "edgert/kernels/cuda_common.h"

namespace edgert::cuda {

constexpr int kMaxPointwiseRank = 6;
constexpr int kMaxPointwiseSteps = 16;
constexpr int kMaxPointwiseOperands = 8;

enum class PointwiseOp : std::uint8_t {
  // unary
  kRelu = 0,
  kClip,  ///< alpha = min, beta = max
  kLeakyRelu,
  kSigmoid,
  kHardSigmoid,
  kHardSwish,
  kSiLU,
  kGelu,
  kTanh,
  kExp,
  kLog,
  kSqrt,
  kAbs,
  kNeg,
  kReciprocal,
  kErf,
  kFloor,
  kCeil,
  kIdentity,
  // binary: acc OP operand (or operand OP acc when reversed)
  kAdd,
  kSub,
  kMul,
  kDiv,
  kPow,
  kMax,
  kMin,
};
bool pointwise_is_binary(PointwiseOp op) noexcept;

struct PointwiseStep {
  PointwiseOp op = PointwiseOp::kIdentity;
  int operand = -1;  ///< binary: index into PointwiseProgram::operands
  bool reversed = false;
  float alpha = 0.f, beta = 0.f;
};

/// The output has `rank` dims `dims` (row-major, contiguous). Every input is read through element
/// strides over those dims (0 where it broadcasts), so the main input may broadcast as well.
struct PointwiseProgram {
  int rank = 0;
  std::int64_t dims[kMaxPointwiseRank] = {};
  std::int64_t x_strides[kMaxPointwiseRank] = {};
  int num_steps = 0;
  PointwiseStep steps[kMaxPointwiseSteps];
  int num_operands = 0;
  const void* operands[kMaxPointwiseOperands] = {};
  std::int64_t operand_strides[kMaxPointwiseOperands][kMaxPointwiseRank] = {};
};

/// y = program(x) for every output element; x, operands and y all of type t (kFloat32,
/// kFloat16); arithmetic in float32, y rounded once. y may equal x when x is not broadcast.
Status pointwise(const void* x, void* y, DataType t, const PointwiseProgram& p,
                 cudaStream_t stream);

/// The previous float32-only entry point, kept for its tests: y[i] = op(x[i]) over n elements.
Status pointwise_f32(PointwiseOp op, const float* x, float* y, std::int64_t n, float alpha,
                     cudaStream_t stream);

}  // namespace edgert::cuda
