// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Strided copy: y[sum idx_i * ys_i] = x[sum idx_i * xs_i] over an index space of up to 8 dims,
// elements of 1, 2, 4 or 8 bytes moved as unsigned integers of that size (so any dtype).
//
// The host first drops size-1 dims and merges neighbours that both sides walk as one, so a
// Concat input becomes [rows, row] and a contiguous copy [n]. Those two are handed to the copy
// engine (cudaMemcpyAsync, cudaMemcpy2DAsync); the rest runs one thread per element, the index
// decomposed in the caller's dim order (innermost fastest), so writes coalesce when y's last dim
// is contiguous. Indices are 32-bit where the element count allows (cheaper division).

#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "edgert/kernels/cuda_copy.h"
#include "kernel_util.cuh"

namespace edgert::cuda {
namespace {

using detail::kThreads;

struct CopyGeom {
  int rank = 0;
  std::int64_t dims[kMaxCopyRank] = {};
  std::int64_t xs[kMaxCopyRank] = {};
  std::int64_t ys[kMaxCopyRank] = {};
};

template <typename E, typename I>
__global__ void strided_copy_kernel(const E* __restrict__ x, E* __restrict__ y, I n,
                                    const __grid_constant__ CopyGeom g) {
  const I stride = static_cast<I>(gridDim.x) * blockDim.x;
  for (I i = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    I rem = i;
    std::int64_t xo = 0, yo = 0;
#pragma unroll
    for (int d = kMaxCopyRank - 1; d >= 0; --d) {
      if (d < g.rank) {
        const I extent = static_cast<I>(g.dims[d]);
        const I idx = rem % extent;
        rem /= extent;
        xo += static_cast<std::int64_t>(idx) * g.xs[d];
        yo += static_cast<std::int64_t>(idx) * g.ys[d];
      }
    }
    y[yo] = x[xo];
  }
}

/// Drops size-1 dims; merges dim d into the previous kept one when both x and y step over it as
/// one longer dim.
void simplify(CopyGeom& g) {
  int r = 0;
  for (int d = 0; d < g.rank; ++d) {
    if (g.dims[d] == 1) continue;
    if (r > 0 && g.xs[r - 1] == g.xs[d] * g.dims[d] && g.ys[r - 1] == g.ys[d] * g.dims[d]) {
      g.dims[r - 1] *= g.dims[d];
      g.xs[r - 1] = g.xs[d];
      g.ys[r - 1] = g.ys[d];
    } else {
      g.dims[r] = g.dims[d];
      g.xs[r] = g.xs[d];
      g.ys[r] = g.ys[d];
      ++r;
    }
  }
  g.rank = r;
}

template <typename E>
Status launch_copy(const void* x, void* y, std::int64_t n, const CopyGeom& g, cudaStream_t stream) {
  const E* xs = static_cast<const E*>(x);
  E* ys = static_cast<E*>(y);
  const unsigned blocks = detail::grid_stride_blocks(n);
  // uint32 when i + grid stride (< 2^21) cannot wrap.
  if (n < (std::int64_t{1} << 31)) {
    strided_copy_kernel<E, std::uint32_t>
        <<<blocks, kThreads, 0, stream>>>(xs, ys, static_cast<std::uint32_t>(n), g);
  } else {
    strided_copy_kernel<E, std::int64_t><<<blocks, kThreads, 0, stream>>>(xs, ys, n, g);
  }
  return detail::launch_status("strided_copy");
}

Status memcpy_status(cudaError_t err) {
  if (err == cudaSuccess) return {};
  return Status(StatusCode::kCudaError,
                std::string("strided_copy: copy failed: ") + cudaGetErrorString(err));
}

}  // namespace

Status strided_copy(const void* x, void* y, std::size_t elem_size, int rank,
                    const std::int64_t* dims, const std::int64_t* x_strides,
                    const std::int64_t* y_strides, cudaStream_t stream) {
  constexpr const char* kWhat = "strided_copy";
  if (elem_size != 1 && elem_size != 2 && elem_size != 4 && elem_size != 8)
    return detail::invalid_arg(kWhat,
                               "element size " + std::to_string(elem_size) + " (1, 2, 4 or 8)");
  if (rank < 0 || rank > kMaxCopyRank)
    return detail::invalid_arg(kWhat, "rank " + std::to_string(rank) + " outside [0, 8]");
  if (rank > 0 && (!dims || !x_strides || !y_strides))
    return detail::invalid_arg(kWhat, "null dims or strides");
  CopyGeom g;
  g.rank = rank;
  std::int64_t n = 1;
  for (int d = 0; d < rank; ++d) {
    if (dims[d] < 0) return detail::invalid_arg(kWhat, "negative dim");
    g.dims[d] = dims[d];
    g.xs[d] = x_strides[d];
    g.ys[d] = y_strides[d];
    n *= dims[d];
  }
  if (n == 0) return {};
  if (!x || !y) return detail::invalid_arg(kWhat, "null tensor");
  const auto ex = reinterpret_cast<std::uintptr_t>(x), ey = reinterpret_cast<std::uintptr_t>(y);
  if (ex % elem_size != 0 || ey % elem_size != 0)
    return detail::invalid_arg(kWhat, "x or y not aligned to the element size");

  simplify(g);
  const std::size_t es = elem_size;
  if (g.rank == 0 || (g.rank == 1 && g.xs[0] == 1 && g.ys[0] == 1))
    return memcpy_status(
        cudaMemcpyAsync(y, x, static_cast<std::size_t>(n) * es, cudaMemcpyDeviceToDevice, stream));
  // Rows of contiguous elements at fixed pitches (Concat, Slice along an outer axis).
  constexpr std::int64_t kMaxPitch = std::int64_t{1} << 30;  // well inside cudaMemcpy2D's limits
  if (g.rank == 2 && g.xs[1] == 1 && g.ys[1] == 1 && g.xs[0] >= g.dims[1] && g.ys[0] >= g.dims[1] &&
      g.xs[0] * static_cast<std::int64_t>(es) < kMaxPitch &&
      g.ys[0] * static_cast<std::int64_t>(es) < kMaxPitch)
    return memcpy_status(cudaMemcpy2DAsync(
        y, static_cast<std::size_t>(g.ys[0]) * es, x, static_cast<std::size_t>(g.xs[0]) * es,
        static_cast<std::size_t>(g.dims[1]) * es, static_cast<std::size_t>(g.dims[0]),
        cudaMemcpyDeviceToDevice, stream));
  switch (elem_size) {
    case 1: return launch_copy<std::uint8_t>(x, y, n, g, stream);
    case 2: return launch_copy<std::uint16_t>(x, y, n, g, stream);
    case 4: return launch_copy<std::uint32_t>(x, y, n, g, stream);
    default: return launch_copy<std::uint64_t>(x, y, n, g, stream);
  }
}

}  // namespace edgert::cuda
