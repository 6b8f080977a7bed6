// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Device helpers shared by conv.cu and gemm.cu (private to those two files): float16/float32
// loads and stores, the fused epilogue (bias, residual, activation.cuh's activation) and the
// shared-memory tiled matrix-product core that both the GEMM and the implicit-GEMM direct
// convolution run on. Everything is in an anonymous namespace: each .cu gets its own copy, as
// kernels must be static.

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "activation.cuh"
#include "edgert/kernels/cuda_conv.h"
#include "kernel_util.cuh"

namespace edgert::cuda {
namespace {

// ---- element access: arithmetic is float32 whatever the storage type ----

__device__ __forceinline__ float load_f(const float* p) { return *p; }
__device__ __forceinline__ float load_f(const __half* p) { return __half2float(*p); }
__device__ __forceinline__ void store_f(float* p, float v) { *p = v; }
// Rounded once, to nearest even (cuda_common.h).
__device__ __forceinline__ void store_f(__half* p, float v) { *p = __float2half_rn(v); }

// The epilogue as the kernels see it: z typed, everything else as in ConvEpilogue.
template <typename T>
struct DevEpilogue {
  const float* bias;  // [channels] or null
  const T* z;         // laid out like y, or null
  ActParams act;
};

template <typename T>
DevEpilogue<T> dev_epilogue(const ConvEpilogue& ep) {
  return {ep.bias, static_cast<const T*>(ep.z), ep.act};
}

// y = act((acc + bias[channel]) + z[offset]): the order of cpu::apply_epilogue_span.
template <typename T>
__device__ __forceinline__ void finish(const DevEpilogue<T>& e, float acc, std::int64_t channel,
                                       std::int64_t offset, T* y) {
  float v = acc;
  if (e.bias) v += e.bias[channel];
  if (e.z) v += load_f(e.z + offset);
  store_f(y + offset, apply_act(e.act, v));
}

// ---- the tiled core: C[M, N] = A[M, K] * B[K, N], A and B produced by a Problem ----
//
// A block of kTileThreads threads computes a kTileM x kTileN tile of C; each thread a 4 x 4
// micro-tile (rows tm*4.., columns tn*4..). Per step of kTileK the Problem fills the shared tiles
// a[k][m] and b[k][n] (zero outside the matrices), so the core never sees bounds. The +1 column
// keeps the loaders' column-wise stores free of bank conflicts.
constexpr int kTileM = 64;
constexpr int kTileN = 64;
constexpr int kTileK = 16;
constexpr int kTileThreads = 256;
constexpr int kMicro = 4;
static_assert(kTileM == 16 * kMicro && kTileN == 16 * kMicro && kTileThreads == 16 * 16,
              "the 16 x 16 thread grid covers the tile with 4 x 4 micro-tiles");

struct SharedTiles {
  float a[kTileK][kTileM + 1];
  float b[kTileK][kTileN + 1];
};

// P provides: m, n, k (std::int64_t); a type Thread and `Thread thread_state(m0, n0, z, tid)`
// (per-thread state computed once per block); `load_tile(const Thread&, k0, SharedTiles&)`
// (fills both tiles for k in [k0, k0 + kTileK), called by every thread of the block); and
// `store(const Thread&, row, col, acc)` (the epilogue of one in-range element).
template <class P>
__global__ void __launch_bounds__(kTileThreads) tiled_product_kernel(const P p) {
  __shared__ SharedTiles s;
  const int tid = static_cast<int>(threadIdx.x);
  const int tm = tid % 16, tn = tid / 16;
  const std::int64_t m0 = static_cast<std::int64_t>(blockIdx.x) * kTileM;
  const std::int64_t n0 = static_cast<std::int64_t>(blockIdx.y) * kTileN;
  const typename P::Thread th = p.thread_state(m0, n0, static_cast<int>(blockIdx.z), tid);

  float acc[kMicro][kMicro];
#pragma unroll
  for (int i = 0; i < kMicro; ++i)
#pragma unroll
    for (int j = 0; j < kMicro; ++j) acc[i][j] = 0.f;

  for (std::int64_t k0 = 0; k0 < p.k; k0 += kTileK) {
    p.load_tile(th, k0, s);
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kTileK; ++kk) {
      float a[kMicro], b[kMicro];
#pragma unroll
      for (int i = 0; i < kMicro; ++i) a[i] = s.a[kk][tm * kMicro + i];
#pragma unroll
      for (int j = 0; j < kMicro; ++j) b[j] = s.b[kk][tn * kMicro + j];
#pragma unroll
      for (int i = 0; i < kMicro; ++i)
#pragma unroll
        for (int j = 0; j < kMicro; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < kMicro; ++i) {
    const std::int64_t row = m0 + tm * kMicro + i;
    if (row >= p.m) continue;
#pragma unroll
    for (int j = 0; j < kMicro; ++j) {
      const std::int64_t col = n0 + tn * kMicro + j;
      if (col < p.n) p.store(th, row, col, acc[i][j]);
    }
  }
}

// Grid limits of the tiled launch (CUDA: x < 2^31, y and z <= 65535).
inline bool tiled_grid(std::int64_t m, std::int64_t n, std::int64_t z, dim3& grid) {
  const std::int64_t gx = (m + kTileM - 1) / kTileM, gy = (n + kTileN - 1) / kTileN;
  if (gx > 0x7fffffff || gy > 65535 || z > 65535) return false;
  grid = dim3(static_cast<unsigned>(gx), static_cast<unsigned>(gy), static_cast<unsigned>(z));
  return true;
}

inline Status invalid_arg(const std::string& what) {
  return Status(StatusCode::kInvalidArgument, what);
}

using detail::launch_status;  // kernel_util.cuh: the launch check every launcher ends with

}  // namespace
}  // namespace edgert::cuda
