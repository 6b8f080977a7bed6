// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The pointwise program kernel: per output element, acc = x, then each step (a unary op, or a
// binary op with an operand read through its broadcast strides), then y = acc, rounded once.
// The semantics are the CPU Pointwise op's (kernels/cpu/fused_pointwise.cpp).
//
// The host first simplifies the index space (drops size-1 dims, merges dims that every input
// walks contiguously), so most programs end up rank <= 1. Then:
//   - flat path: every input is contiguous (stride 1) or a single scalar (stride 0): a
//     grid-stride loop, 4 elements a thread and iteration with 16-byte (float32) or 8-byte
//     (float16) loads and stores where every pointer is aligned for them;
//   - general path: one output element a thread, the multi-index decomposed once and each
//     input's offset summed from its strides.

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "activation.cuh"
#include "edgert/kernels/cuda_pointwise.h"
#include "kernel_util.cuh"

namespace edgert::cuda {

// The activation steps map onto Act by position (kRelu..kTanh = Act::kRelu..Act::kTanh).
#define EDGERT_CHECK_ACT(name)                                                          \
  static_assert(static_cast<int>(PointwiseOp::name) + 1 == static_cast<int>(Act::name), \
                "PointwiseOp and Act disagree on " #name)
EDGERT_CHECK_ACT(kRelu);
EDGERT_CHECK_ACT(kClip);
EDGERT_CHECK_ACT(kLeakyRelu);
EDGERT_CHECK_ACT(kSigmoid);
EDGERT_CHECK_ACT(kHardSigmoid);
EDGERT_CHECK_ACT(kHardSwish);
EDGERT_CHECK_ACT(kSiLU);
EDGERT_CHECK_ACT(kGelu);
EDGERT_CHECK_ACT(kTanh);
#undef EDGERT_CHECK_ACT

bool pointwise_is_binary(PointwiseOp op) noexcept {
  return op >= PointwiseOp::kAdd && op <= PointwiseOp::kMin;
}

namespace {

using detail::from_float;
using detail::kThreads;
using detail::to_float;

constexpr int kVec = 4;  // elements a thread handles per iteration on the flat path

// ---- the ops ----------------------------------------------------------------------------------

__device__ __forceinline__ float unary_op(const PointwiseStep& s, float v) {
  switch (s.op) {
    case PointwiseOp::kRelu:
    case PointwiseOp::kClip:
    case PointwiseOp::kLeakyRelu:
    case PointwiseOp::kSigmoid:
    case PointwiseOp::kHardSigmoid:
    case PointwiseOp::kHardSwish:
    case PointwiseOp::kSiLU:
    case PointwiseOp::kGelu:
    case PointwiseOp::kTanh: {
      ActParams a;
      a.kind = static_cast<Act>(static_cast<int>(s.op) + 1);
      a.alpha = s.alpha;
      a.beta = s.beta;
      return apply_act(a, v);
    }
    case PointwiseOp::kExp: return expf(v);
    case PointwiseOp::kLog: return logf(v);
    case PointwiseOp::kSqrt: return sqrtf(v);
    case PointwiseOp::kAbs: return fabsf(v);
    case PointwiseOp::kNeg: return -v;
    case PointwiseOp::kReciprocal: return 1.f / v;
    case PointwiseOp::kErf: return erff(v);
    case PointwiseOp::kFloor: return floorf(v);
    case PointwiseOp::kCeil: return ceilf(v);
    default: return v;  // kIdentity (binary ops never get here)
  }
}

/// a OP b. Max/Min propagate NaN from either side, as the CPU ops.
__device__ __forceinline__ float binary_op(PointwiseOp op, float a, float b) {
  switch (op) {
    case PointwiseOp::kAdd: return a + b;
    case PointwiseOp::kSub: return a - b;
    case PointwiseOp::kMul: return a * b;
    case PointwiseOp::kDiv: return a / b;
    case PointwiseOp::kPow: return powf(a, b);
    case PointwiseOp::kMax:
      if (isnan(a)) return a;
      if (isnan(b)) return b;
      return a < b ? b : a;
    case PointwiseOp::kMin:
      if (isnan(a)) return a;
      if (isnan(b)) return b;
      return b < a ? b : a;
    default: return a;
  }
}

/// One step on acc; `operand` is the step's operand value (ignored by unary steps).
__device__ __forceinline__ float apply_step(const PointwiseStep& s, float acc, float operand) {
  if (s.op < PointwiseOp::kAdd) return unary_op(s, acc);
  return s.reversed ? binary_op(s.op, operand, acc) : binary_op(s.op, acc, operand);
}

// ---- flat path --------------------------------------------------------------------------------

struct alignas(8) Half4 {
  __half2 lo, hi;
};

__device__ __forceinline__ void load4(const float* p, std::int64_t g, float v[kVec]) {
  const float4 q = reinterpret_cast<const float4*>(p)[g];
  v[0] = q.x;
  v[1] = q.y;
  v[2] = q.z;
  v[3] = q.w;
}
__device__ __forceinline__ void load4(const __half* p, std::int64_t g, float v[kVec]) {
  const Half4 q = reinterpret_cast<const Half4*>(p)[g];
  const float2 a = __half22float2(q.lo), b = __half22float2(q.hi);
  v[0] = a.x;
  v[1] = a.y;
  v[2] = b.x;
  v[3] = b.y;
}
__device__ __forceinline__ void store4(float* p, std::int64_t g, const float v[kVec]) {
  reinterpret_cast<float4*>(p)[g] = make_float4(v[0], v[1], v[2], v[3]);
}
__device__ __forceinline__ void store4(__half* p, std::int64_t g, const float v[kVec]) {
  Half4 q;
  q.lo = __floats2half2_rn(v[0], v[1]);
  q.hi = __floats2half2_rn(v[2], v[3]);
  reinterpret_cast<Half4*>(p)[g] = q;
}

/// Inputs of the flat path: each one contiguous (stride 1) or a scalar (stride 0).
struct FlatShape {
  bool x_scalar = false;
  bool operand_scalar[kMaxPointwiseOperands] = {};
};

/// kVector: groups of kVec elements through aligned vector accesses, then the tail one by one.
/// No __restrict__: y may be x.
template <typename T, bool kVector>
__global__ void pointwise_flat_kernel(const T* x, T* y, std::int64_t n,
                                      const __grid_constant__ PointwiseProgram p,
                                      const __grid_constant__ FlatShape f) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  const std::int64_t tid = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  std::int64_t done = 0;
  if constexpr (kVector) {
    const std::int64_t groups = n / kVec;
    for (std::int64_t g = tid; g < groups; g += stride) {
      float acc[kVec];
      if (f.x_scalar) {
        for (int j = 0; j < kVec; ++j) acc[j] = to_float(x[0]);
      } else {
        load4(x, g, acc);
      }
      for (int s = 0; s < p.num_steps; ++s) {
        const PointwiseStep& st = p.steps[s];
        float b[kVec] = {0.f, 0.f, 0.f, 0.f};
        if (st.op >= PointwiseOp::kAdd) {
          const T* op = static_cast<const T*>(p.operands[st.operand]);
          if (f.operand_scalar[st.operand]) {
            for (int j = 0; j < kVec; ++j) b[j] = to_float(op[0]);
          } else {
            load4(op, g, b);
          }
        }
        for (int j = 0; j < kVec; ++j) acc[j] = apply_step(st, acc[j], b[j]);
      }
      store4(y, g, acc);
    }
    done = groups * kVec;
  }
  for (std::int64_t i = done + tid; i < n; i += stride) {
    float acc = to_float(x[f.x_scalar ? 0 : i]);
    for (int s = 0; s < p.num_steps; ++s) {
      const PointwiseStep& st = p.steps[s];
      float b = 0.f;
      if (st.op >= PointwiseOp::kAdd) {
        const T* op = static_cast<const T*>(p.operands[st.operand]);
        b = to_float(op[f.operand_scalar[st.operand] ? 0 : i]);
      }
      acc = apply_step(st, acc, b);
    }
    y[i] = from_float<T>(acc);
  }
}

// ---- general path -----------------------------------------------------------------------------

template <typename T>
__global__ void pointwise_strided_kernel(const T* x, T* y, std::int64_t n,
                                         const __grid_constant__ PointwiseProgram p) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    // Multi-index of output element i (row-major); unrolled so that idx stays in registers.
    std::int64_t idx[kMaxPointwiseRank];
    std::int64_t rem = i;
#pragma unroll
    for (int d = kMaxPointwiseRank - 1; d >= 0; --d) {
      idx[d] = 0;
      if (d < p.rank) {
        idx[d] = rem % p.dims[d];
        rem /= p.dims[d];
      }
    }
    std::int64_t xo = 0;
#pragma unroll
    for (int d = 0; d < kMaxPointwiseRank; ++d) xo += idx[d] * p.x_strides[d];
    float acc = to_float(x[xo]);
    for (int s = 0; s < p.num_steps; ++s) {
      const PointwiseStep& st = p.steps[s];
      float b = 0.f;
      if (st.op >= PointwiseOp::kAdd) {
        const std::int64_t* bs = p.operand_strides[st.operand];
        std::int64_t bo = 0;
#pragma unroll
        for (int d = 0; d < kMaxPointwiseRank; ++d) bo += idx[d] * bs[d];
        b = to_float(static_cast<const T*>(p.operands[st.operand])[bo]);
      }
      acc = apply_step(st, acc, b);
    }
    y[i] = from_float<T>(acc);
  }
}

// ---- host side --------------------------------------------------------------------------------

/// Drops size-1 dims and merges neighbours that every input walks as one (stride[d] ==
/// stride[d + 1] * dims[d + 1] for x and each operand). Strides beyond the new rank are zeroed.
void simplify(PointwiseProgram& p) {
  const int nin = 1 + p.num_operands;
  auto stride_of = [&](int input, int d) -> std::int64_t& {
    return input == 0 ? p.x_strides[d] : p.operand_strides[input - 1][d];
  };
  int r = 0;
  for (int d = 0; d < p.rank; ++d) {
    if (p.dims[d] == 1) continue;
    bool merge = r > 0;
    for (int k = 0; merge && k < nin; ++k)
      merge = stride_of(k, r - 1) == stride_of(k, d) * p.dims[d];
    if (merge) {
      p.dims[r - 1] *= p.dims[d];
      for (int k = 0; k < nin; ++k) stride_of(k, r - 1) = stride_of(k, d);
    } else {
      p.dims[r] = p.dims[d];
      for (int k = 0; k < nin; ++k) stride_of(k, r) = stride_of(k, d);
      ++r;
    }
  }
  for (int d = r; d < kMaxPointwiseRank; ++d) {
    p.dims[d] = 1;
    for (int k = 0; k < nin; ++k) stride_of(k, d) = 0;
  }
  p.rank = r;
}

bool aligned(const void* ptr, std::size_t bytes) {
  return reinterpret_cast<std::uintptr_t>(ptr) % bytes == 0;
}

template <typename T>
Status launch_pointwise(const void* x, void* y, std::int64_t n, const PointwiseProgram& p,
                        cudaStream_t stream) {
  // Flat path when, after simplify, every input is contiguous or a scalar.
  bool flat = p.rank <= 1;
  FlatShape f;
  auto classify = [&](std::int64_t s, bool& scalar) {
    scalar = p.rank == 0 || s == 0;
    if (!scalar && s != 1) flat = false;
  };
  classify(p.x_strides[0], f.x_scalar);
  for (int k = 0; k < p.num_operands; ++k) classify(p.operand_strides[k][0], f.operand_scalar[k]);
  const T* xs = static_cast<const T*>(x);
  T* ys = static_cast<T*>(y);
  if (!flat) {
    pointwise_strided_kernel<T>
        <<<detail::grid_stride_blocks(n), kThreads, 0, stream>>>(xs, ys, n, p);
    return detail::launch_status("pointwise");
  }
  constexpr std::size_t kVecBytes = kVec * sizeof(T);
  bool vector = n >= kVec && aligned(y, kVecBytes) && (f.x_scalar || aligned(x, kVecBytes));
  for (int k = 0; k < p.num_operands; ++k)
    vector = vector && (f.operand_scalar[k] || aligned(p.operands[k], kVecBytes));
  if (vector) {
    pointwise_flat_kernel<T, true>
        <<<detail::grid_stride_blocks(n / kVec), kThreads, 0, stream>>>(xs, ys, n, p, f);
  } else {
    pointwise_flat_kernel<T, false>
        <<<detail::grid_stride_blocks(n), kThreads, 0, stream>>>(xs, ys, n, p, f);
  }
  return detail::launch_status("pointwise");
}

}  // namespace

Status pointwise(const void* x, void* y, DataType t, const PointwiseProgram& program,
                 cudaStream_t stream) {
  constexpr const char* kWhat = "pointwise";
  if (!is_kernel_float(t))
    return Status(StatusCode::kUnsupported,
                  std::string("pointwise: type ") + dtype_name(t) + " (float32, float16)");
  const PointwiseProgram& p = program;
  if (p.rank < 0 || p.rank > kMaxPointwiseRank)
    return detail::invalid_arg(kWhat, "rank " + std::to_string(p.rank) + " outside [0, " +
                                          std::to_string(kMaxPointwiseRank) + "]");
  if (p.num_steps < 0 || p.num_steps > kMaxPointwiseSteps)
    return detail::invalid_arg(kWhat, std::to_string(p.num_steps) + " steps");
  if (p.num_operands < 0 || p.num_operands > kMaxPointwiseOperands)
    return detail::invalid_arg(kWhat, std::to_string(p.num_operands) + " operands");
  std::int64_t n = 1;
  for (int d = 0; d < p.rank; ++d) {
    if (p.dims[d] < 0) return detail::invalid_arg(kWhat, "negative dim");
    n *= p.dims[d];
  }
  for (int s = 0; s < p.num_steps; ++s) {
    const PointwiseStep& st = p.steps[s];
    if (st.op > PointwiseOp::kMin)
      return detail::invalid_arg(kWhat, "step " + std::to_string(s) + ": unknown op");
    if (pointwise_is_binary(st.op) &&
        (st.operand < 0 || st.operand >= p.num_operands || !p.operands[st.operand]))
      return detail::invalid_arg(kWhat, "step " + std::to_string(s) + " reads operand " +
                                            std::to_string(st.operand) + " of " +
                                            std::to_string(p.num_operands));
  }
  if (n == 0) return {};
  if (!x || !y) return detail::invalid_arg(kWhat, "null tensor");

  PointwiseProgram q = p;
  simplify(q);
  if (t == DataType::kFloat32) return launch_pointwise<float>(x, y, n, q, stream);
  return launch_pointwise<__half>(x, y, n, q, stream);
}

Status pointwise_f32(PointwiseOp op, const float* x, float* y, std::int64_t n, float alpha,
                     cudaStream_t stream) {
  if (n <= 0) return {};
  if (op > PointwiseOp::kMin)
    return Status(StatusCode::kInvalidArgument, "pointwise_f32: unknown pointwise op");
  if (pointwise_is_binary(op))
    return Status(StatusCode::kInvalidArgument,
                  "pointwise_f32: binary ops need an operand (use pointwise)");
  PointwiseProgram p;
  p.rank = 1;
  p.dims[0] = n;
  p.x_strides[0] = 1;
  p.num_steps = 1;
  p.steps[0].op = op;
  p.steps[0].alpha = alpha;
  return pointwise(x, y, DataType::kFloat32, p, stream);
}

}  // namespace edgert::cuda
