// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// 2-D max/average pooling and the global pools, NCHW or NHWC, float32/float16 (int8: max).
//
// pool2d: one thread per output element, the window scanned in the CPU op's order (rows, then
// columns) with its rules: the first valid value, then `v > best` (max), float32 sums and a
// divisor of the valid or, with count_include_pad, the padded positions (average). Consecutive
// threads own consecutive output columns (NCHW) or channels (NHWC), so their reads are close.
// global_pool: NCHW reduces each (n, c) plane with one warp (small planes) or one block (large
// ones); NHWC lets 32 consecutive channels share a block whose 8 thread rows split the pixels,
// so every read of a warp is one contiguous run of channels.

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

#include "edgert/kernels/cuda_pool.h"
#include "kernel_util.cuh"

namespace edgert::cuda {
namespace {

using detail::from_float;
using detail::kThreads;
using detail::lowest;
using detail::to_float;

// ---- pool2d -----------------------------------------------------------------------------------

struct PoolGeom {
  std::int64_t n, c, ih, iw, oh, ow;
  int kh, kw, sh, sw, pt, pl, dh, dw;
  /// Window rows >= h_end (columns >= w_end) are beyond the padded input: never counted.
  std::int64_t h_end, w_end;
  bool include_pad;
};

__device__ __forceinline__ bool greater(float a, float b) { return a > b; }
__device__ __forceinline__ bool greater(__half a, __half b) {
  return __half2float(a) > __half2float(b);
}
__device__ __forceinline__ bool greater(std::int8_t a, std::int8_t b) { return a > b; }

template <typename T, bool kMax, bool kChannelsLast>
__global__ void pool2d_kernel(const T* __restrict__ x, T* __restrict__ y, PoolGeom g,
                              std::int64_t total) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t o = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; o < total;
       o += stride) {
    const detail::Index4 e = detail::decode_index<kChannelsLast>(o, g.c, g.oh, g.ow);
    const std::int64_t n = e.n, c = e.c, oy = e.y, ox = e.x;
    // Element (iy, ix) of this (n, c) is src[(iy * iw + ix) * pixel].
    const T* src;
    std::int64_t pixel;
    if constexpr (kChannelsLast) {
      src = x + n * g.ih * g.iw * g.c + c;
      pixel = g.c;
    } else {
      src = x + (n * g.c + c) * g.ih * g.iw;
      pixel = 1;
    }
    const std::int64_t y0 = oy * g.sh - g.pt, x0 = ox * g.sw - g.pl;
    if constexpr (kMax) {
      T best = lowest<T>();
      bool found = false;
      for (int ky = 0; ky < g.kh; ++ky) {
        const std::int64_t iy = y0 + static_cast<std::int64_t>(ky) * g.dh;
        if (iy < 0 || iy >= g.ih) continue;
        for (int kx = 0; kx < g.kw; ++kx) {
          const std::int64_t ix = x0 + static_cast<std::int64_t>(kx) * g.dw;
          if (ix < 0 || ix >= g.iw) continue;
          const T v = src[(iy * g.iw + ix) * pixel];
          if (!found || greater(v, best)) {
            best = v;
            found = true;
          }
        }
      }
      y[o] = best;
    } else {
      float sum = 0.f;
      int valid = 0, padded = 0;
      for (int ky = 0; ky < g.kh; ++ky) {
        const std::int64_t iy = y0 + static_cast<std::int64_t>(ky) * g.dh;
        if (iy >= g.h_end) break;  // rows only grow
        const bool row_ok = iy >= 0 && iy < g.ih;
        for (int kx = 0; kx < g.kw; ++kx) {
          const std::int64_t ix = x0 + static_cast<std::int64_t>(kx) * g.dw;
          if (ix >= g.w_end) break;
          ++padded;
          if (!row_ok || ix < 0 || ix >= g.iw) continue;
          ++valid;
          sum += to_float(src[(iy * g.iw + ix) * pixel]);
        }
      }
      const int div = g.include_pad ? padded : valid;
      y[o] = from_float<T>(div > 0 ? sum / static_cast<float>(div) : 0.f);
    }
  }
}

// ---- global_pool ------------------------------------------------------------------------------

/// The reduction of a global pool: float32 accumulation (int for the int8 max).
template <typename T, bool kMax>
struct GlobalOp {
  using Acc = float;
  static __device__ float init() { return kMax ? to_float(lowest<T>()) : 0.f; }
  static __device__ float load(T v) { return to_float(v); }
  // fmaxf returns the other operand for a NaN: NaN never wins, as the CPU's std::max(m, v).
  static __device__ float combine(float a, float b) { return kMax ? fmaxf(a, b) : a + b; }
  static __device__ T finish(float a, std::int64_t count) {
    if (kMax) return from_float<T>(a);
    return from_float<T>(count > 0 ? a / static_cast<float>(count) : 0.f);
  }
};
template <>
struct GlobalOp<std::int8_t, true> {
  using Acc = int;
  static __device__ int init() { return -128; }
  static __device__ int load(std::int8_t v) { return v; }
  static __device__ int combine(int a, int b) { return a > b ? a : b; }
  static __device__ std::int8_t finish(int a, std::int64_t) { return static_cast<std::int8_t>(a); }
};

template <typename Op, typename Acc>
__device__ __forceinline__ Acc warp_reduce(Acc a) {
  for (int off = 16; off > 0; off >>= 1) a = Op::combine(a, __shfl_xor_sync(0xffffffffu, a, off));
  return a;
}

/// NCHW, small planes: one warp per (n, c) plane, lanes striding through it.
template <typename T, bool kMax>
__global__ void global_pool_warp_kernel(const T* __restrict__ x, T* __restrict__ y,
                                        std::int64_t planes, std::int64_t hw) {
  using Op = GlobalOp<T, kMax>;
  const int lane = threadIdx.x & 31;
  const std::int64_t warps = blockDim.x / 32;
  // p is the same for the whole warp, so the full-mask shuffles below see every lane.
  for (std::int64_t p = blockIdx.x * warps + threadIdx.x / 32; p < planes; p += gridDim.x * warps) {
    const T* src = x + p * hw;
    typename Op::Acc a = Op::init();
    for (std::int64_t j = lane; j < hw; j += 32) a = Op::combine(a, Op::load(src[j]));
    a = warp_reduce<Op>(a);
    if (lane == 0) y[p] = Op::finish(a, hw);
  }
}

/// NCHW, large planes: one block per plane; warps reduce, then the first warp reduces them.
template <typename T, bool kMax>
__global__ void global_pool_block_kernel(const T* __restrict__ x, T* __restrict__ y,
                                         std::int64_t planes, std::int64_t hw) {
  using Op = GlobalOp<T, kMax>;
  __shared__ typename Op::Acc partial[32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  for (std::int64_t p = blockIdx.x; p < planes; p += gridDim.x) {
    const T* src = x + p * hw;
    typename Op::Acc a = Op::init();
    for (std::int64_t j = threadIdx.x; j < hw; j += blockDim.x)
      a = Op::combine(a, Op::load(src[j]));
    a = warp_reduce<Op>(a);
    if (lane == 0) partial[warp] = a;
    __syncthreads();
    if (warp == 0) {
      a = lane < warps ? partial[lane] : Op::init();
      a = warp_reduce<Op>(a);
      if (lane == 0) y[p] = Op::finish(a, hw);
    }
    __syncthreads();  // partial is reused by the next plane
  }
}

constexpr int kNhwcChannels = 32;  // block x: one warp of consecutive channels
constexpr int kNhwcRows = 8;       // block y: pixel rows splitting the image

/// NHWC: block (32 channels, 8 pixel rows); grid.x over channel groups, grid.y over images.
template <typename T, bool kMax>
__global__ void global_pool_nhwc_kernel(const T* __restrict__ x, T* __restrict__ y, std::int64_t n,
                                        std::int64_t c, std::int64_t hw) {
  using Op = GlobalOp<T, kMax>;
  __shared__ typename Op::Acc partial[kNhwcRows][kNhwcChannels];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const std::int64_t ch = static_cast<std::int64_t>(blockIdx.x) * kNhwcChannels + tx;
  for (std::int64_t img = blockIdx.y; img < n; img += gridDim.y) {
    typename Op::Acc a = Op::init();
    if (ch < c) {
      const T* src = x + img * hw * c + ch;
      for (std::int64_t p = ty; p < hw; p += kNhwcRows) a = Op::combine(a, Op::load(src[p * c]));
    }
    partial[ty][tx] = a;
    __syncthreads();
    if (ty == 0 && ch < c) {
      for (int r = 1; r < kNhwcRows; ++r) a = Op::combine(a, partial[r][tx]);
      y[img * c + ch] = Op::finish(a, hw);
    }
    __syncthreads();
  }
}

// ---- dispatch ---------------------------------------------------------------------------------

template <typename T>
struct Tag {
  using type = T;
};

/// Calls f(Tag<T>{}) for a pool's element type; int8 only for max.
template <typename F>
Status with_pool_type(const char* what, DataType t, bool max, F&& f) {
  switch (t) {
    case DataType::kFloat32: return f(Tag<float>{});
    case DataType::kFloat16: return f(Tag<__half>{});
    case DataType::kInt8:
      if (max) return f(Tag<std::int8_t>{});
      break;
    default: break;
  }
  return Status(StatusCode::kUnsupported, std::string(what) + ": " + (max ? "max" : "average") +
                                              " pooling of " + dtype_name(t) +
                                              " (float32, float16; int8 for max)");
}

bool negative(const Dims4& d) { return d.n < 0 || d.c < 0 || d.h < 0 || d.w < 0; }

}  // namespace

Status pool2d(const void* x, void* y, DataType t, Layout l, const Dims4& in, const Dims4& out,
              const Pool2dParams& p, cudaStream_t stream) {
  constexpr const char* kWhat = "pool2d";
  if (l != Layout::kNCHW && l != Layout::kNHWC) return detail::invalid_arg(kWhat, "unknown layout");
  if (negative(in) || negative(out)) return detail::invalid_arg(kWhat, "negative dims");
  if (in.n != out.n || in.c != out.c)
    return detail::invalid_arg(kWhat, "input and output differ in N or C");
  if (p.kernel_h < 1 || p.kernel_w < 1 || p.stride_h < 1 || p.stride_w < 1 || p.dilation_h < 1 ||
      p.dilation_w < 1 || p.pad_top < 0 || p.pad_left < 0 || p.pad_bottom < -1 || p.pad_right < -1)
    return detail::invalid_arg(kWhat, "kernel, strides and dilations must be >= 1, pads >= 0");
  const std::int64_t total = out.numel();
  return with_pool_type(kWhat, t, p.max, [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    if (total == 0) return {};
    if (!x || !y) return detail::invalid_arg(kWhat, "null tensor");
    constexpr std::int64_t kNoEnd = std::numeric_limits<std::int64_t>::max();
    PoolGeom g{in.n,
               in.c,
               in.h,
               in.w,
               out.h,
               out.w,
               p.kernel_h,
               p.kernel_w,
               p.stride_h,
               p.stride_w,
               p.pad_top,
               p.pad_left,
               p.dilation_h,
               p.dilation_w,
               p.pad_bottom < 0 ? kNoEnd : in.h + p.pad_bottom,
               p.pad_right < 0 ? kNoEnd : in.w + p.pad_right,
               p.count_include_pad};
    const unsigned blocks = detail::grid_stride_blocks(total);
    const bool last = l == Layout::kNHWC;
    const T* xs = static_cast<const T*>(x);
    T* ys = static_cast<T*>(y);
    if (p.max) {
      if (last)
        pool2d_kernel<T, true, true><<<blocks, kThreads, 0, stream>>>(xs, ys, g, total);
      else
        pool2d_kernel<T, true, false><<<blocks, kThreads, 0, stream>>>(xs, ys, g, total);
    } else if constexpr (!std::is_same_v<T, std::int8_t>) {
      if (last)
        pool2d_kernel<T, false, true><<<blocks, kThreads, 0, stream>>>(xs, ys, g, total);
      else
        pool2d_kernel<T, false, false><<<blocks, kThreads, 0, stream>>>(xs, ys, g, total);
    }
    return detail::launch_status(kWhat);
  });
}

Status global_pool(const void* x, void* y, DataType t, Layout l, const Dims4& in, bool max,
                   cudaStream_t stream) {
  constexpr const char* kWhat = "global_pool";
  if (l != Layout::kNCHW && l != Layout::kNHWC) return detail::invalid_arg(kWhat, "unknown layout");
  if (negative(in)) return detail::invalid_arg(kWhat, "negative dims");
  const std::int64_t planes = in.n * in.c, hw = in.h * in.w;
  return with_pool_type(kWhat, t, max, [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    if (planes == 0) return {};
    if (!y || (hw > 0 && !x)) return detail::invalid_arg(kWhat, "null tensor");
    const T* xs = static_cast<const T*>(x);
    T* ys = static_cast<T*>(y);
    auto launch = [&](auto is_max) {
      constexpr bool kMax = decltype(is_max)::value;
      if (l == Layout::kNHWC && hw > 1) {
        const std::int64_t groups = (in.c + kNhwcChannels - 1) / kNhwcChannels;
        const dim3 grid(static_cast<unsigned>(groups),
                        static_cast<unsigned>(in.n < 65535 ? in.n : 65535));
        global_pool_nhwc_kernel<T, kMax>
            <<<grid, dim3(kNhwcChannels, kNhwcRows), 0, stream>>>(xs, ys, in.n, in.c, hw);
      } else if (hw > 2048) {
        // Large planes: a block each (planes beyond the grid are strided over).
        const unsigned blocks = static_cast<unsigned>(planes < 65535 ? planes : 65535);
        global_pool_block_kernel<T, kMax><<<blocks, kThreads, 0, stream>>>(xs, ys, planes, hw);
      } else {
        // With H * W == 1 the NHWC order is the NCHW one: the warp kernel covers it too.
        global_pool_warp_kernel<T, kMax>
            <<<detail::grid_stride_blocks(planes, kThreads / 32), kThreads, 0, stream>>>(
                xs, ys, planes, hw);
      }
    };
    if (max) {
      launch(std::true_type{});
    } else if constexpr (!std::is_same_v<T, std::int8_t>) {
      launch(std::false_type{});
    }
    return detail::launch_status(kWhat);
  });
}

}  // namespace edgert::cuda
