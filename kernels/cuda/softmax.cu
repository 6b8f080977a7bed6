// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Softmax / LogSoftmax over one axis and the SoftmaxTopK layer, in the CPU ops' order of
// operations (kernels/cpu/softmax.cpp, fused_pointwise.cpp): m = max (NaN never wins; m = 0
// when it is not finite), e = exp(x - m), s = sum(e); softmax = e * (1 / s), log_softmax =
// x - (m + log(s)). Three passes over the row, all reading x, so y may be x.
//
// Contiguous rows (inner == 1): one warp per row up to 1024 elements, one block per row above.
// Strided rows (inner > 1): one thread per (outer, inner) column; neighbouring threads read
// neighbouring addresses at every step along the axis.
// SoftmaxTopK: one warp per row; k rounds, each a warp arg-best over the elements that rank
// after the previous pick (ties: lower index first, or last with select_last_index).

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>

#include "edgert/kernels/cuda_softmax.h"
#include "kernel_util.cuh"

namespace edgert::cuda {
namespace {

using detail::from_float;
using detail::kThreads;
using detail::to_float;

constexpr int kWarpRowMax = 1024;  // longest row a single warp handles (32 elements a lane)
constexpr int kTopKMax = 64;

struct MaxOp {
  static __device__ float identity() { return -INFINITY; }
  // `b > a`: a NaN never replaces the running max, as the CPU's `if (v > mx)`.
  static __device__ float combine(float a, float b) { return b > a ? b : a; }
};
struct SumOp {
  static __device__ float identity() { return 0.f; }
  static __device__ float combine(float a, float b) { return a + b; }
};

template <typename Op>
__device__ __forceinline__ float warp_reduce(float v) {
  for (int off = 16; off > 0; off >>= 1) v = Op::combine(v, __shfl_xor_sync(0xffffffffu, v, off));
  return v;
}

/// Every thread of the block gets the result. smem: 32 floats, free on entry and on exit.
template <typename Op>
__device__ float block_reduce(float v, float* smem) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  v = warp_reduce<Op>(v);
  if (lane == 0) smem[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < warps ? smem[lane] : Op::identity();
    v = warp_reduce<Op>(v);
    if (lane == 0) smem[0] = v;
  }
  __syncthreads();
  v = smem[0];
  __syncthreads();  // smem may be reused at once
  return v;
}

/// The CPU's guard: an all -inf (or +inf/NaN) row lets the arithmetic say so.
__device__ __forceinline__ float finite_or_zero(float m) { return isfinite(m) ? m : 0.f; }

/// Contiguous rows, one warp each.
template <typename T, bool kLog>
__global__ void softmax_warp_kernel(const T* x, T* y, std::int64_t rows, std::int64_t n) {
  const int lane = threadIdx.x & 31;
  const std::int64_t warps = blockDim.x / 32;
  for (std::int64_t r = blockIdx.x * warps + threadIdx.x / 32; r < rows; r += gridDim.x * warps) {
    const T* xr = x + r * n;
    T* yr = y + r * n;
    float m = MaxOp::identity();
    for (std::int64_t j = lane; j < n; j += 32) m = MaxOp::combine(m, to_float(xr[j]));
    m = finite_or_zero(warp_reduce<MaxOp>(m));
    float s = 0.f;
    for (std::int64_t j = lane; j < n; j += 32) s += expf(to_float(xr[j]) - m);
    s = warp_reduce<SumOp>(s);
    if (kLog) {
      const float shift = m + logf(s);
      for (std::int64_t j = lane; j < n; j += 32) yr[j] = from_float<T>(to_float(xr[j]) - shift);
    } else {
      const float inv = 1.f / s;
      for (std::int64_t j = lane; j < n; j += 32)
        yr[j] = from_float<T>(expf(to_float(xr[j]) - m) * inv);
    }
  }
}

/// Contiguous long rows, one block each.
template <typename T, bool kLog>
__global__ void softmax_block_kernel(const T* x, T* y, std::int64_t rows, std::int64_t n) {
  __shared__ float smem[32];
  for (std::int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* xr = x + r * n;
    T* yr = y + r * n;
    float m = MaxOp::identity();
    for (std::int64_t j = threadIdx.x; j < n; j += blockDim.x)
      m = MaxOp::combine(m, to_float(xr[j]));
    m = finite_or_zero(block_reduce<MaxOp>(m, smem));
    float s = 0.f;
    for (std::int64_t j = threadIdx.x; j < n; j += blockDim.x) s += expf(to_float(xr[j]) - m);
    s = block_reduce<SumOp>(s, smem);
    if (kLog) {
      const float shift = m + logf(s);
      for (std::int64_t j = threadIdx.x; j < n; j += blockDim.x)
        yr[j] = from_float<T>(to_float(xr[j]) - shift);
    } else {
      const float inv = 1.f / s;
      for (std::int64_t j = threadIdx.x; j < n; j += blockDim.x)
        yr[j] = from_float<T>(expf(to_float(xr[j]) - m) * inv);
    }
  }
}

/// Strided rows: thread per (o, i), walking x[o, :, i].
template <typename T, bool kLog>
__global__ void softmax_strided_kernel(const T* x, T* y, std::int64_t outer, std::int64_t n,
                                       std::int64_t inner) {
  const std::int64_t columns = outer * inner;
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t t = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       t < columns; t += stride) {
    const std::int64_t o = t / inner, i = t % inner;
    const T* xc = x + o * n * inner + i;
    T* yc = y + o * n * inner + i;
    float m = MaxOp::identity();
    for (std::int64_t j = 0; j < n; ++j) m = MaxOp::combine(m, to_float(xc[j * inner]));
    m = finite_or_zero(m);
    float s = 0.f;
    for (std::int64_t j = 0; j < n; ++j) s += expf(to_float(xc[j * inner]) - m);
    if (kLog) {
      const float shift = m + logf(s);
      for (std::int64_t j = 0; j < n; ++j)
        yc[j * inner] = from_float<T>(to_float(xc[j * inner]) - shift);
    } else {
      const float inv = 1.f / s;
      for (std::int64_t j = 0; j < n; ++j)
        yc[j * inner] = from_float<T>(expf(to_float(xc[j * inner]) - m) * inv);
    }
  }
}

// ---- SoftmaxTopK --------------------------------------------------------------------------------

struct Rank {
  bool largest;
  bool last_first;  ///< ties: the higher index ranks first (select_last_index)
  /// True when (a, ia) ranks before (b, ib): a strict total order on distinct indices.
  __device__ bool before(float a, std::int64_t ia, float b, std::int64_t ib) const {
    if (a != b) return largest ? a > b : a < b;
    return last_first ? ia > ib : ia < ib;
  }
};

template <typename T>
__global__ void softmax_topk_kernel(const T* __restrict__ x, std::int64_t rows, std::int64_t cols,
                                    int k, Rank rank, T* __restrict__ values,
                                    std::int64_t* __restrict__ indices) {
  const int lane = threadIdx.x & 31;
  const std::int64_t warps = blockDim.x / 32;
  for (std::int64_t r = blockIdx.x * warps + threadIdx.x / 32; r < rows; r += gridDim.x * warps) {
    const T* xr = x + r * cols;
    float m = MaxOp::identity();
    for (std::int64_t j = lane; j < cols; j += 32) m = MaxOp::combine(m, to_float(xr[j]));
    m = finite_or_zero(warp_reduce<MaxOp>(m));
    float s = 0.f;
    for (std::int64_t j = lane; j < cols; j += 32) s += expf(to_float(xr[j]) - m);
    const float inv = 1.f / warp_reduce<SumOp>(s);
    // The softmax value selection sees: a float16 Softmax output is rounded before TopK.
    auto prob = [&](std::int64_t j) {
      const float p = expf(to_float(xr[j]) - m) * inv;
      return std::is_same_v<T, __half> ? __half2float(__float2half_rn(p)) : p;
    };
    float prev_v = 0.f;
    std::int64_t prev_i = -1;
    for (int t = 0; t < k; ++t) {
      float best_v = 0.f;
      std::int64_t best_i = -1;
      for (std::int64_t j = lane; j < cols; j += 32) {
        const float v = prob(j);
        if (prev_i >= 0 && !rank.before(prev_v, prev_i, v, j)) continue;  // picked already
        if (best_i < 0 || rank.before(v, j, best_v, best_i)) {
          best_v = v;
          best_i = j;
        }
      }
      for (int off = 16; off > 0; off >>= 1) {
        const float ov = __shfl_xor_sync(0xffffffffu, best_v, off);
        const std::int64_t oi = __shfl_xor_sync(0xffffffffu, best_i, off);
        if (oi >= 0 && (best_i < 0 || rank.before(ov, oi, best_v, best_i))) {
          best_v = ov;
          best_i = oi;
        }
      }
      // Lane 0's pick for all (with NaN the order is not total and lanes could disagree).
      best_v = __shfl_sync(0xffffffffu, best_v, 0);
      best_i = __shfl_sync(0xffffffffu, best_i, 0);
      if (lane == 0) {
        if (values) values[r * k + t] = from_float<T>(best_v);
        if (indices) indices[r * k + t] = best_i;
      }
      prev_v = best_v;
      prev_i = best_i;
    }
  }
}

template <typename T, bool kLog>
void launch_softmax(const void* x, void* y, std::int64_t outer, std::int64_t axis,
                    std::int64_t inner, cudaStream_t stream) {
  const T* xs = static_cast<const T*>(x);
  T* ys = static_cast<T*>(y);
  if (inner > 1) {
    softmax_strided_kernel<T, kLog>
        <<<detail::grid_stride_blocks(outer * inner), kThreads, 0, stream>>>(xs, ys, outer, axis,
                                                                             inner);
  } else if (axis <= kWarpRowMax) {
    softmax_warp_kernel<T, kLog>
        <<<detail::grid_stride_blocks(outer, kThreads / 32), kThreads, 0, stream>>>(xs, ys, outer,
                                                                                    axis);
  } else {
    const unsigned blocks = static_cast<unsigned>(outer < 65535 ? outer : 65535);
    softmax_block_kernel<T, kLog><<<blocks, kThreads, 0, stream>>>(xs, ys, outer, axis);
  }
}

}  // namespace

Status softmax(const void* x, void* y, DataType t, std::int64_t outer, std::int64_t axis,
               std::int64_t inner, bool log, cudaStream_t stream) {
  constexpr const char* kWhat = "softmax";
  if (!is_kernel_float(t))
    return Status(StatusCode::kUnsupported,
                  std::string("softmax: type ") + dtype_name(t) + " (float32, float16)");
  if (outer < 0 || axis < 0 || inner < 0) return detail::invalid_arg(kWhat, "negative dims");
  if (outer == 0 || axis == 0 || inner == 0) return {};
  if (!x || !y) return detail::invalid_arg(kWhat, "null tensor");
  if (t == DataType::kFloat32) {
    if (log)
      launch_softmax<float, true>(x, y, outer, axis, inner, stream);
    else
      launch_softmax<float, false>(x, y, outer, axis, inner, stream);
  } else {
    if (log)
      launch_softmax<__half, true>(x, y, outer, axis, inner, stream);
    else
      launch_softmax<__half, false>(x, y, outer, axis, inner, stream);
  }
  return detail::launch_status(kWhat);
}

Status softmax_topk(const void* x, DataType t, std::int64_t rows, std::int64_t cols, int k,
                    bool largest, bool select_last_index, void* values, std::int64_t* indices,
                    cudaStream_t stream) {
  constexpr const char* kWhat = "softmax_topk";
  if (!is_kernel_float(t))
    return Status(StatusCode::kUnsupported,
                  std::string("softmax_topk: type ") + dtype_name(t) + " (float32, float16)");
  if (rows < 0 || cols < 0) return detail::invalid_arg(kWhat, "negative dims");
  if (k < 0 || k > kTopKMax || (rows > 0 && k > cols))
    return detail::invalid_arg(
        kWhat, "k = " + std::to_string(k) + " outside [0, min(64, " + std::to_string(cols) + ")]");
  if (rows == 0 || k == 0) return {};
  if (!x || (!values && !indices)) return detail::invalid_arg(kWhat, "null tensor");
  const Rank rank{largest, select_last_index};
  const unsigned blocks = detail::grid_stride_blocks(rows, kThreads / 32);
  if (t == DataType::kFloat32) {
    softmax_topk_kernel<float><<<blocks, kThreads, 0, stream>>>(
        static_cast<const float*>(x), rows, cols, k, rank, static_cast<float*>(values), indices);
  } else {
    softmax_topk_kernel<__half><<<blocks, kThreads, 0, stream>>>(
        static_cast<const __half*>(x), rows, cols, k, rank, static_cast<__half*>(values), indices);
  }
  return detail::launch_status(kWhat);
}

}  // namespace edgert::cuda
