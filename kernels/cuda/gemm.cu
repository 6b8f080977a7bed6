// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// EdgeRT's own GEMM (cuda_conv.h): y[M, N] = act(A[M, K] * B' + bias[N] + z[M, N]), row-major,
// float32 or float16 storage, float32 accumulation, on the shared tiled core (conv_gemm.cuh).

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "conv_gemm.cuh"
#include "edgert/kernels/cuda_conv.h"

namespace edgert::cuda {
namespace {

template <typename T, bool kTransB>
struct GemmProblem {
  const T* a;  // [m, k]
  const T* b;  // [k, n], or [n, k] when kTransB
  T* y;        // [m, n]
  DevEpilogue<T> ep;
  std::int64_t m, n, k;

  struct Thread {
    int tid;
    std::int64_t m0, n0;
  };

  __device__ Thread thread_state(std::int64_t m0, std::int64_t n0, int /*z*/, int tid) const {
    return {tid, m0, n0};
  }

  __device__ void load_tile(const Thread& th, std::int64_t k0, SharedTiles& s) const {
    // A[row][kq]: consecutive threads along kq, the contiguous dim of row-major A.
    for (int e = th.tid; e < kTileM * kTileK; e += kTileThreads) {
      const int r = e / kTileK, kk = e % kTileK;
      const std::int64_t row = th.m0 + r, kq = k0 + kk;
      s.a[kk][r] = row < m && kq < k ? load_f(a + row * k + kq) : 0.f;
    }
    if constexpr (!kTransB) {
      // B[kq][col]: consecutive threads along col.
      for (int e = th.tid; e < kTileK * kTileN; e += kTileThreads) {
        const int kk = e / kTileN, c = e % kTileN;
        const std::int64_t kq = k0 + kk, col = th.n0 + c;
        s.b[kk][c] = kq < k && col < n ? load_f(b + kq * n + col) : 0.f;
      }
    } else {
      // B[col][kq]: consecutive threads along kq.
      for (int e = th.tid; e < kTileK * kTileN; e += kTileThreads) {
        const int c = e / kTileK, kk = e % kTileK;
        const std::int64_t kq = k0 + kk, col = th.n0 + c;
        s.b[kk][c] = kq < k && col < n ? load_f(b + col * k + kq) : 0.f;
      }
    }
  }

  __device__ void store(const Thread& /*th*/, std::int64_t row, std::int64_t col, float acc) const {
    finish(ep, acc, col, row * n + col, y);
  }
};

template <typename T, bool kTransB>
Status launch_gemm(const void* a, const void* b, void* y, std::int64_t m, std::int64_t n,
                   std::int64_t k, const ConvEpilogue& ep, cudaStream_t stream) {
  GemmProblem<T, kTransB> p{};
  p.a = static_cast<const T*>(a);
  p.b = static_cast<const T*>(b);
  p.y = static_cast<T*>(y);
  p.ep = dev_epilogue<T>(ep);
  p.m = m;
  p.n = n;
  p.k = k;
  dim3 grid;
  if (!tiled_grid(m, n, 1, grid))
    return invalid_arg("gemm [" + std::to_string(m) + "x" + std::to_string(k) + "] x [" +
                       std::to_string(k) + "x" + std::to_string(n) +
                       "]: N too large for one launch");
  tiled_product_kernel<<<grid, kTileThreads, 0, stream>>>(p);
  return launch_status("gemm");
}

}  // namespace

Status gemm(const void* a, const void* b, void* y, DataType t, std::int64_t m, std::int64_t n,
            std::int64_t k, bool trans_b, const ConvEpilogue& ep, cudaStream_t stream) {
  const std::string dims = "gemm [" + std::to_string(m) + "x" + std::to_string(k) + "] x [" +
                           std::to_string(k) + "x" + std::to_string(n) + "]";
  if (!is_kernel_float(t)) return invalid_arg(dims + ": type must be float32 or float16");
  if (m < 0 || n < 0 || k < 0) return invalid_arg(dims + ": dims must not be negative");
  if (m == 0 || n == 0) return {};  // an empty output: nothing to launch
  if (y == nullptr || (k > 0 && (a == nullptr || b == nullptr)))
    return invalid_arg(dims + ": a, b and y must be set");
  if (ep.z != nullptr && ep.z == y) return invalid_arg(dims + ": the residual z may not be y");
  // K = 0 is a valid empty sum: y = act(bias + z).
  if (t == DataType::kFloat32)
    return trans_b ? launch_gemm<float, true>(a, b, y, m, n, k, ep, stream)
                   : launch_gemm<float, false>(a, b, y, m, n, k, ep, stream);
  return trans_b ? launch_gemm<__half, true>(a, b, y, m, n, k, ep, stream)
                 : launch_gemm<__half, false>(a, b, y, m, n, k, ep, stream);
}

}  // namespace edgert::cuda
