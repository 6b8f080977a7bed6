// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Helpers shared by the kernels of kernels/cuda (private: device syntax): element conversions
// to and from float32, the symmetric int8 rule of docs/precision.md, grid sizing and the launch
// check every launcher ends with.

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "edgert/status.h"

namespace edgert::cuda::detail {

constexpr int kThreads = 256;  ///< default block size of the element-wise kernels
/// Grid-stride kernels use at most this many blocks: a few waves of the largest GPU (132 SMs x
/// 2048 threads / 256 = 1056 resident blocks); more blocks only add scheduling overhead.
constexpr std::int64_t kMaxGridStrideBlocks = 4096;

/// Blocks for a grid-stride loop over n items, `per_block` items per block and iteration.
inline unsigned grid_stride_blocks(std::int64_t n, std::int64_t per_block = kThreads) {
  std::int64_t b = (n + per_block - 1) / per_block;
  if (b > kMaxGridStrideBlocks) b = kMaxGridStrideBlocks;
  return static_cast<unsigned>(b < 1 ? 1 : b);
}

/// The status of the launch just made (cudaGetLastError also clears a launch error).
inline Status launch_status(const char* what) {
  const cudaError_t err = cudaGetLastError();
  if (err == cudaSuccess) return {};
  return Status(StatusCode::kCudaError,
                std::string(what) + ": kernel launch failed: " + cudaGetErrorString(err));
}

inline Status invalid_arg(const char* what, const std::string& why) {
  return Status(StatusCode::kInvalidArgument, std::string(what) + ": " + why);
}

/// float32 loads of the element types.
__device__ __forceinline__ float to_float(float v) { return v; }
__device__ __forceinline__ float to_float(__half v) { return __half2float(v); }

/// Rounded stores (float16: round to nearest even, as edgert::float_to_half).
template <typename T>
__device__ __forceinline__ T from_float(float v);
template <>
__device__ __forceinline__ float from_float<float>(float v) {
  return v;
}
template <>
__device__ __forceinline__ __half from_float<__half>(float v) {
  return __float2half_rn(v);
}

/// float -> int8 with a per-tensor scale: clamp(round_half_even(v / scale), -127, 127), NaN ->
/// -127: the CPU's ConvInt8 quantize() (kernels/cpu/int8.cpp). __fdiv_rn: IEEE division whatever
/// the compiler flags, so that the quotient (and its rounding) equals the CPU's.
__device__ __forceinline__ std::int8_t quantize_int8(float v, float scale) {
  const float q = rintf(__fdiv_rn(v, scale));
  if (!(q >= -127.f)) return -127;
  if (q > 127.f) return 127;
  return static_cast<std::int8_t>(q);
}

/// Logical (n, c, y, x) of flat element i of an [N, C, H, W] tensor stored channels-last (NHWC)
/// or not (NCHW): the decoding of the one-thread-per-element kernels.
struct Index4 {
  std::int64_t n, c, y, x;
};
template <bool kChannelsLast>
__device__ __forceinline__ Index4 decode_index(std::int64_t i, std::int64_t c, std::int64_t h,
                                               std::int64_t w) {
  Index4 r;
  if constexpr (kChannelsLast) {
    r.c = i % c;
    i /= c;
    r.x = i % w;
    i /= w;
    r.y = i % h;
    r.n = i / h;
  } else {
    r.x = i % w;
    i /= w;
    r.y = i % h;
    i /= h;
    r.c = i % c;
    r.n = i / c;
  }
  return r;
}

/// Lowest finite value of a kernel type: what the CPU's max pool starts from.
template <typename T>
__device__ __forceinline__ T lowest();
template <>
__device__ __forceinline__ float lowest<float>() {
  return -3.402823466e+38f;
}
template <>
__device__ __forceinline__ __half lowest<__half>() {
  return __ushort_as_half(0xfbffu);  // -65504
}
template <>
__device__ __forceinline__ std::int8_t lowest<std::int8_t>() {
  return -128;
}

}  // namespace edgert::cuda::detail
