// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Reformat and Cast: a type conversion (float32, float16, int8 with a per-tensor scale; uint8 as
// a cast source) fused with an NCHW <-> NHWC change. Same memory order: one flat, grid-stride
// element-wise pass. Different order: per image a [R, S] -> [S, R] matrix transpose through a
// 32 x 32 shared-memory tile, so that both the reads (along S) and the writes (along R) are
// coalesced.

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "edgert/kernels/cuda_reformat.h"
#include "kernel_util.cuh"

namespace edgert::cuda {

const char* layout_name(Layout l) noexcept {
  switch (l) {
    case Layout::kNCHW: return "NCHW";
    case Layout::kNHWC: return "NHWC";
  }
  return "?";
}

namespace {

using detail::kThreads;

// ---- element conversions ----------------------------------------------------------------------

/// An element as float32: int8/uint8 times the scale (one rounding, as the CPU's q * scale).
__device__ __forceinline__ float load_scaled(float v, float) { return v; }
__device__ __forceinline__ float load_scaled(__half v, float) { return __half2float(v); }
__device__ __forceinline__ float load_scaled(std::int8_t q, float s) {
  return __fmul_rn(static_cast<float>(q), s);
}
__device__ __forceinline__ float load_scaled(std::uint8_t q, float s) {
  return __fmul_rn(static_cast<float>(q), s);
}

template <typename T>
__device__ __forceinline__ T store_scaled(float v, float s);
template <>
__device__ __forceinline__ float store_scaled<float>(float v, float) {
  return v;
}
template <>
__device__ __forceinline__ __half store_scaled<__half>(float v, float) {
  return __float2half_rn(v);
}
template <>
__device__ __forceinline__ std::int8_t store_scaled<std::int8_t>(float v, float s) {
  return detail::quantize_int8(v, s);
}

// ---- kernels ----------------------------------------------------------------------------------

/// y[i] = convert(x[i]). No __restrict__: a same-size conversion may run in place (each element
/// is read and written by the same thread).
template <typename Tin, typename Tout>
__global__ void convert_kernel(const Tin* x, Tout* y, std::int64_t n, float x_scale,
                               float y_scale) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride)
    y[i] = store_scaled<Tout>(load_scaled(x[i], x_scale), y_scale);
}

constexpr int kTile = 32;     // tile edge: one warp reads (writes) one tile row
constexpr int kTileRows = 8;  // block = 32 x 8 threads; each thread moves 4 elements each way

/// Per batch b: y[b][s][r] = convert(x[b][r][s]) for r < rows, s < cols. Block (32, 8); grid.x
/// enumerates the tiles (row tile major), grid.y strides over the batch.
template <typename Tin, typename Tout>
__global__ void transpose_kernel(const Tin* __restrict__ x, Tout* __restrict__ y,
                                 std::int64_t batch, std::int64_t rows, std::int64_t cols,
                                 std::int64_t col_tiles, float x_scale, float y_scale) {
  // +1 column: the transposed reads of a warp hit 32 different banks.
  __shared__ float tile[kTile][kTile + 1];
  const std::int64_t tile_id = blockIdx.x;
  const std::int64_t r0 = (tile_id / col_tiles) * kTile;
  const std::int64_t c0 = (tile_id % col_tiles) * kTile;
  const int tx = threadIdx.x, ty = threadIdx.y;
  const std::int64_t plane = rows * cols;
  for (std::int64_t b = blockIdx.y; b < batch; b += gridDim.y) {
    const Tin* xb = x + b * plane;
    Tout* yb = y + b * plane;
    const std::int64_t c = c0 + tx;  // read along x's rows: consecutive threads, consecutive cols
    for (int k = ty; k < kTile; k += kTileRows) {
      const std::int64_t r = r0 + k;
      if (r < rows && c < cols) tile[k][tx] = load_scaled(xb[r * cols + c], x_scale);
    }
    __syncthreads();
    const std::int64_t r = r0 + tx;  // write along y's rows: consecutive threads, consecutive rows
    for (int k = ty; k < kTile; k += kTileRows) {
      const std::int64_t cc = c0 + k;
      if (cc < cols && r < rows) yb[cc * rows + r] = store_scaled<Tout>(tile[tx][k], y_scale);
    }
    __syncthreads();  // the next batch reuses the tile
  }
}

/// The same transpose one output element per thread, for images with at most kThinEdge rows or
/// columns (a 3-channel camera image): the tiled kernel would leave most of each tile idle and
/// launch a block per few bytes. I: uint32 when every index fits, else int64.
constexpr std::int64_t kThinEdge = 4;
template <typename Tin, typename Tout, typename I>
__global__ void thin_transpose_kernel(const Tin* __restrict__ x, Tout* __restrict__ y, I n, I rows,
                                      I cols, float x_scale, float y_scale) {
  const I stride = static_cast<I>(gridDim.x) * blockDim.x;
  for (I i = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    // y[b][s][r] = x[b][r][s]
    const I r = i % rows, t = i / rows;
    const I sc = t % cols, b = t / cols;
    y[i] = store_scaled<Tout>(load_scaled(x[(b * rows + r) * cols + sc], x_scale), y_scale);
  }
}

// ---- dispatch ---------------------------------------------------------------------------------

template <typename T>
struct Tag {
  using type = T;
};

/// Calls f(Tag<T>{}) for the C++ type of a conversion source.
template <typename F>
Status with_source_type(DataType t, F&& f) {
  switch (t) {
    case DataType::kFloat32: return f(Tag<float>{});
    case DataType::kFloat16: return f(Tag<__half>{});
    case DataType::kInt8: return f(Tag<std::int8_t>{});
    case DataType::kUInt8: return f(Tag<std::uint8_t>{});
    default: break;
  }
  return Status(StatusCode::kUnsupported,
                std::string("no conversion from ") + dtype_name(t) + " on CUDA");
}

/// Calls f(Tag<T>{}) for the C++ type of a conversion target.
template <typename F>
Status with_target_type(DataType t, F&& f) {
  switch (t) {
    case DataType::kFloat32: return f(Tag<float>{});
    case DataType::kFloat16: return f(Tag<__half>{});
    case DataType::kInt8: return f(Tag<std::int8_t>{});
    default: break;
  }
  return Status(StatusCode::kUnsupported,
                std::string("no conversion to ") + dtype_name(t) + " on CUDA");
}

bool valid_scale(float s) { return s > 0.f && std::isfinite(s); }

/// The scales an int8/uint8 source or an int8 target needs.
Status check_scales(const char* what, DataType xt, float x_scale, DataType yt, float y_scale) {
  if ((xt == DataType::kInt8 || xt == DataType::kUInt8) && !valid_scale(x_scale))
    return detail::invalid_arg(what, std::string(dtype_name(xt)) +
                                         " input needs a finite x_scale > 0, got " +
                                         std::to_string(x_scale));
  if (yt == DataType::kInt8 && !valid_scale(y_scale))
    return detail::invalid_arg(
        what, "int8 output needs a finite y_scale > 0, got " + std::to_string(y_scale));
  return {};
}

Status launch_convert(const char* what, const void* x, DataType xt, void* y, DataType yt,
                      std::int64_t n, float x_scale, float y_scale, cudaStream_t stream) {
  return with_source_type(xt, [&](auto in) {
    using Tin = typename decltype(in)::type;
    return with_target_type(yt, [&](auto out) {
      using Tout = typename decltype(out)::type;
      convert_kernel<Tin, Tout><<<detail::grid_stride_blocks(n), kThreads, 0, stream>>>(
          static_cast<const Tin*>(x), static_cast<Tout*>(y), n, x_scale, y_scale);
      return detail::launch_status(what);
    });
  });
}

Status copy_bytes(const char* what, const void* x, void* y, std::size_t bytes,
                  cudaStream_t stream) {
  if (x == y || bytes == 0) return {};
  const cudaError_t err = cudaMemcpyAsync(y, x, bytes, cudaMemcpyDeviceToDevice, stream);
  if (err != cudaSuccess)
    return Status(StatusCode::kCudaError,
                  std::string(what) + ": cudaMemcpyAsync failed: " + cudaGetErrorString(err));
  return {};
}

bool reformat_type(DataType t) {
  return t == DataType::kFloat32 || t == DataType::kFloat16 || t == DataType::kInt8;
}

bool valid_layout(Layout l) { return l == Layout::kNCHW || l == Layout::kNHWC; }

}  // namespace

Status reformat(const void* x, DataType xt, Layout xl, void* y, DataType yt, Layout yl,
                const Dims4& d, float x_scale, float y_scale, cudaStream_t stream) {
  constexpr const char* kWhat = "reformat";
  if (!reformat_type(xt) || !reformat_type(yt))
    return Status(StatusCode::kUnsupported, std::string("reformat: ") + dtype_name(xt) + " -> " +
                                                dtype_name(yt) +
                                                " (types: float32, float16, int8)");
  if (!valid_layout(xl) || !valid_layout(yl)) return detail::invalid_arg(kWhat, "unknown layout");
  if (d.n < 0 || d.c < 0 || d.h < 0 || d.w < 0) return detail::invalid_arg(kWhat, "negative dims");
  const std::int64_t n = d.numel();
  if (n == 0) return {};
  if (!x || !y) return detail::invalid_arg(kWhat, "null tensor");
  EDGERT_RETURN_IF_ERROR(check_scales(kWhat, xt, x_scale, yt, y_scale));

  // With one channel or one pixel per image both layouts are the same memory order.
  const std::int64_t hw = d.h * d.w;
  if (xl == yl || d.c == 1 || hw == 1) {
    if (xt == yt && (xt != DataType::kInt8 || x_scale == y_scale))
      return copy_bytes(kWhat, x, y, static_cast<std::size_t>(n) * dtype_size(xt), stream);
    if (x == y && dtype_size(xt) != dtype_size(yt))
      return detail::invalid_arg(kWhat, "in place needs types of one size");
    return launch_convert(kWhat, x, xt, y, yt, n, x_scale, y_scale, stream);
  }
  if (x == y) return detail::invalid_arg(kWhat, "a layout change cannot run in place");
  // NCHW -> NHWC transposes each image's [C, HW] to [HW, C]; NHWC -> NCHW the reverse.
  const std::int64_t rows = xl == Layout::kNCHW ? d.c : hw;
  const std::int64_t cols = xl == Layout::kNCHW ? hw : d.c;
  if (rows <= kThinEdge || cols <= kThinEdge) {
    return with_source_type(xt, [&](auto in) {
      using Tin = typename decltype(in)::type;
      return with_target_type(yt, [&](auto out) {
        using Tout = typename decltype(out)::type;
        const unsigned blocks = detail::grid_stride_blocks(n);
        if (n < (std::int64_t{1} << 31))
          thin_transpose_kernel<Tin, Tout, std::uint32_t><<<blocks, kThreads, 0, stream>>>(
              static_cast<const Tin*>(x), static_cast<Tout*>(y), static_cast<std::uint32_t>(n),
              static_cast<std::uint32_t>(rows), static_cast<std::uint32_t>(cols), x_scale, y_scale);
        else
          thin_transpose_kernel<Tin, Tout, std::int64_t><<<blocks, kThreads, 0, stream>>>(
              static_cast<const Tin*>(x), static_cast<Tout*>(y), n, rows, cols, x_scale, y_scale);
        return detail::launch_status(kWhat);
      });
    });
  }
  const std::int64_t row_tiles = (rows + kTile - 1) / kTile, col_tiles = (cols + kTile - 1) / kTile;
  const std::int64_t tiles = row_tiles * col_tiles;
  if (tiles > 0x7fffffff)
    return Status(StatusCode::kUnsupported, "reformat: image too large for one grid");
  const dim3 grid(static_cast<unsigned>(tiles), static_cast<unsigned>(d.n < 65535 ? d.n : 65535));
  const dim3 block(kTile, kTileRows);
  return with_source_type(xt, [&](auto in) {
    using Tin = typename decltype(in)::type;
    return with_target_type(yt, [&](auto out) {
      using Tout = typename decltype(out)::type;
      transpose_kernel<Tin, Tout><<<grid, block, 0, stream>>>(static_cast<const Tin*>(x),
                                                              static_cast<Tout*>(y), d.n, rows,
                                                              cols, col_tiles, x_scale, y_scale);
      return detail::launch_status(kWhat);
    });
  });
}

Status cast(const void* x, DataType xt, void* y, DataType yt, std::int64_t n, float x_scale,
            float y_scale, cudaStream_t stream) {
  constexpr const char* kWhat = "cast";
  if (n < 0) return detail::invalid_arg(kWhat, "negative element count");
  if (xt == yt) {
    if (dtype_size(xt) == 0) return detail::invalid_arg(kWhat, "undefined type");
    if (n > 0 && (!x || !y)) return detail::invalid_arg(kWhat, "null tensor");
    return copy_bytes(kWhat, x, y, static_cast<std::size_t>(n) * dtype_size(xt), stream);
  }
  const bool source_ok = reformat_type(xt) || xt == DataType::kUInt8;
  if (!source_ok || !reformat_type(yt))
    return Status(StatusCode::kUnsupported, std::string("cast: ") + dtype_name(xt) + " -> " +
                                                dtype_name(yt) +
                                                " (from float32, float16, int8, uint8 to "
                                                "float32, float16, int8)");
  if (n == 0) return {};
  if (!x || !y) return detail::invalid_arg(kWhat, "null tensor");
  EDGERT_RETURN_IF_ERROR(check_scales(kWhat, xt, x_scale, yt, y_scale));
  if (x == y && dtype_size(xt) != dtype_size(yt))
    return detail::invalid_arg(kWhat, "in place needs types of one size");
  return launch_convert(kWhat, x, xt, y, yt, n, x_scale, y_scale, stream);
}

}  // namespace edgert::cuda
