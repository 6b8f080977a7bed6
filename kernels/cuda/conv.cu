// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// EdgeRT's own 2-D convolutions (cuda_conv.h): a depthwise kernel (one thread per output element)
// and a direct convolution for every geometry, run as an implicit GEMM on the shared tiled core
// (conv_gemm.cuh): rows are output pixels (n, oy, ox), columns the output channels of one group,
// and the reduction runs over (input channel, ky, kx) of that group, gathered from x on the fly
// with zero padding. Both take float32 or float16 storage with float32 accumulation and apply the
// fused epilogue before the single store.

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "conv_gemm.cuh"
#include "edgert/kernels/cuda_conv.h"

namespace edgert::cuda {
namespace {

// ---- depthwise ----

// The geometry as the depthwise kernel reads it (no member functions: device-copyable as is).
struct DwGeom {
  std::int64_t n, c, h, w, oh, ow;
  int kh, kw, sh, sw, pt, pl, dh, dw;
};

// One thread per output element, in the output's memory order: for NHWC consecutive threads take
// consecutive channels, so that every load of x and w and the store of y is coalesced.
template <typename T, Layout L>
__global__ void depthwise_kernel(const T* __restrict__ x, const T* __restrict__ w,
                                 T* __restrict__ y, const DevEpilogue<T> ep, const DwGeom g,
                                 std::int64_t total) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += stride) {
    const detail::Index4 o = detail::decode_index<L == Layout::kNHWC>(i, g.c, g.oh, g.ow);
    const std::int64_t n = o.n, c = o.c, oy = o.y, ox = o.x;
    // x of image n, channel c; pixel (iy, ix) at xc[(iy * w + ix) * pix].
    const std::int64_t pix = L == Layout::kNCHW ? 1 : g.c;
    const T* xc = L == Layout::kNCHW ? x + (n * g.c + c) * g.h * g.w : x + n * g.h * g.w * g.c + c;
    const T* wc = w + c * g.kh * g.kw;
    const std::int64_t iy0 = oy * g.sh - g.pt, ix0 = ox * g.sw - g.pl;
    float acc = 0.f;
    for (int ky = 0; ky < g.kh; ++ky) {
      const std::int64_t iy = iy0 + static_cast<std::int64_t>(ky) * g.dh;
      if (iy < 0 || iy >= g.h) continue;
      for (int kx = 0; kx < g.kw; ++kx) {
        const std::int64_t ix = ix0 + static_cast<std::int64_t>(kx) * g.dw;
        if (ix < 0 || ix >= g.w) continue;
        acc = fmaf(load_f(xc + (iy * g.w + ix) * pix), load_f(wc + ky * g.kw + kx), acc);
      }
    }
    finish(ep, acc, c, i, y);
  }
}

// NHWC with 16 bytes of channels per thread (8 float16 or 4 float32; c a multiple of that): the
// same sums in the same order per channel as depthwise_kernel, with one 16-byte load of x (and z)
// per tap and one store, instead of one thread and one 2- or 4-byte access per channel.
template <typename T, int N>
struct alignas(sizeof(T) * N) Packet {
  T e[N];
};

template <typename T>
__global__ void depthwise_nhwc_vec_kernel(const T* __restrict__ x, const T* __restrict__ w,
                                          T* __restrict__ y, const DevEpilogue<T> ep,
                                          const DwGeom g, std::int64_t total) {
  constexpr int kVec = 16 / static_cast<int>(sizeof(T));
  using P = Packet<T, kVec>;
  const std::int64_t groups = g.c / kVec;
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += stride) {
    const std::int64_t c0 = (i % groups) * kVec, p = i / groups;
    const std::int64_t ox = p % g.ow, t = p / g.ow;
    const std::int64_t oy = t % g.oh, n = t / g.oh;
    const T* xc = x + n * g.h * g.w * g.c + c0;
    const std::int64_t iy0 = oy * g.sh - g.pt, ix0 = ox * g.sw - g.pl;
    const int taps = g.kh * g.kw;
    float acc[kVec];
#pragma unroll
    for (int v = 0; v < kVec; ++v) acc[v] = 0.f;
    for (int ky = 0; ky < g.kh; ++ky) {
      const std::int64_t iy = iy0 + static_cast<std::int64_t>(ky) * g.dh;
      if (iy < 0 || iy >= g.h) continue;
      for (int kx = 0; kx < g.kw; ++kx) {
        const std::int64_t ix = ix0 + static_cast<std::int64_t>(kx) * g.dw;
        if (ix < 0 || ix >= g.w) continue;
        const P xv = *reinterpret_cast<const P*>(xc + (iy * g.w + ix) * g.c);
        const T* wt = w + c0 * taps + ky * g.kw + kx;
#pragma unroll
        for (int v = 0; v < kVec; ++v)
          acc[v] = fmaf(load_f(&xv.e[v]), load_f(wt + v * taps), acc[v]);
      }
    }
    const std::int64_t off = p * g.c + c0;
    P zv{};
    if (ep.z) zv = *reinterpret_cast<const P*>(ep.z + off);
    P out;
#pragma unroll
    for (int v = 0; v < kVec; ++v) {
      float r = acc[v];  // finish()'s order: bias, then z, then the activation
      if (ep.bias) r += ep.bias[c0 + v];
      if (ep.z) r += load_f(&zv.e[v]);
      store_f(&out.e[v], apply_act(ep.act, r));
    }
    *reinterpret_cast<P*>(y + off) = out;
  }
}

// ---- direct (implicit GEMM) ----

// M = n * oh * ow output pixels, N = k / groups output channels of group blockIdx.z, K = (c /
// groups) * kh * kw in the filter's own order (ci, ky, kx), so that a filter row is contiguous.
template <typename T, Layout L>
struct ConvProblem {
  const T* x;
  const T* w;
  T* y;
  DevEpilogue<T> ep;
  std::int64_t m, n, k;  // the product's dims (n: channels per group)
  std::int64_t in_c, in_h, in_w, out_k, out_h, out_w;
  std::int64_t cg;  // input channels per group
  int kh, kw, sh, sw, pt, pl, dh, dw;

  // The A row this thread gathers (row tid % kTileM of the tile), decoded once per block.
  struct Thread {
    int tid;
    int group;
    std::int64_t n0;
    const T* xg;  // x of this row's image at the group's first channel; null: row out of range
    std::int64_t iy0, ix0;
  };

  __device__ Thread thread_state(std::int64_t m0, std::int64_t n0, int group, int tid) const {
    Thread th{tid, group, n0, nullptr, 0, 0};
    const std::int64_t row = m0 + tid % kTileM;
    if (row < m) {
      const std::int64_t img = row / (out_h * out_w), rem = row % (out_h * out_w);
      const std::int64_t oy = rem / out_w, ox = rem % out_w;
      th.iy0 = oy * sh - pt;
      th.ix0 = ox * sw - pl;
      const std::int64_t c0 = static_cast<std::int64_t>(group) * cg;
      th.xg = L == Layout::kNCHW ? x + (img * in_c + c0) * in_h * in_w
                                 : x + img * in_h * in_w * in_c + c0;
    }
    return th;
  }

  __device__ void load_tile(const Thread& th, std::int64_t k0, SharedTiles& s) const {
    // A: the thread's own row (coalesced along ox for NCHW), k = tid / kTileM + 4j.
    const int r = th.tid % kTileM;
    const int khw = kh * kw;
    for (int kk = th.tid / kTileM; kk < kTileK; kk += kTileThreads / kTileM) {
      const std::int64_t kq = k0 + kk;
      float v = 0.f;
      if (th.xg != nullptr && kq < k) {
        const std::int64_t ci = kq / khw;
        const int rk = static_cast<int>(kq - ci * khw);
        const int ky = rk / kw, kx = rk - (rk / kw) * kw;
        const std::int64_t iy = th.iy0 + static_cast<std::int64_t>(ky) * dh;
        const std::int64_t ix = th.ix0 + static_cast<std::int64_t>(kx) * dw;
        if (iy >= 0 && iy < in_h && ix >= 0 && ix < in_w)
          v = load_f(th.xg + (L == Layout::kNCHW ? (ci * in_h + iy) * in_w + ix
                                                 : (iy * in_w + ix) * in_c + ci));
      }
      s.a[kk][r] = v;
    }
    // B[kq][col] = w[(group * n + col) * k + kq]: consecutive threads along kq (contiguous).
    for (int e = th.tid; e < kTileK * kTileN; e += kTileThreads) {
      const int col = e / kTileK, kk = e % kTileK;
      const std::int64_t oc = th.n0 + col, kq = k0 + kk;
      s.b[kk][col] = oc < n && kq < k
                         ? load_f(w + (static_cast<std::int64_t>(th.group) * n + oc) * k + kq)
                         : 0.f;
    }
  }

  __device__ void store(const Thread& th, std::int64_t row, std::int64_t col, float acc) const {
    const std::int64_t img = row / (out_h * out_w), rem = row % (out_h * out_w);
    const std::int64_t oy = rem / out_w, ox = rem % out_w;
    const std::int64_t oc = static_cast<std::int64_t>(th.group) * n + col;
    const std::int64_t off = L == Layout::kNCHW ? ((img * out_k + oc) * out_h + oy) * out_w + ox
                                                : ((img * out_h + oy) * out_w + ox) * out_k + oc;
    finish(ep, acc, oc, off, y);
  }
};

// ---- host side ----

std::string geom_text(const ConvGeom& g) {
  return "x [" + std::to_string(g.n) + "," + std::to_string(g.c) + "," + std::to_string(g.h) + "," +
         std::to_string(g.w) + "] -> y [" + std::to_string(g.n) + "," + std::to_string(g.k) + "," +
         std::to_string(g.oh) + "," + std::to_string(g.ow) + "], kernel " + std::to_string(g.kh) +
         "x" + std::to_string(g.kw) + ", stride " + std::to_string(g.stride_h) + "x" +
         std::to_string(g.stride_w) + ", pad " + std::to_string(g.pad_top) + "," +
         std::to_string(g.pad_left) + ", dilation " + std::to_string(g.dilation_h) + "x" +
         std::to_string(g.dilation_w) + ", groups " + std::to_string(g.groups);
}

Status check_conv(const char* what, const void* x, const void* w, void* y, DataType t, Layout l,
                  const ConvGeom& g, const ConvEpilogue& ep) {
  auto bad = [&](const std::string& why) {
    return invalid_arg(std::string(what) + " (" + geom_text(g) + "): " + why);
  };
  if (!is_kernel_float(t)) return bad("type must be float32 or float16");
  if (l != Layout::kNCHW && l != Layout::kNHWC) return bad("unknown layout");
  if (g.n < 1 || g.c < 1 || g.h < 1 || g.w < 1 || g.k < 1 || g.oh < 1 || g.ow < 1)
    return bad("dims must be positive");
  if (g.kh < 1 || g.kw < 1 || g.stride_h < 1 || g.stride_w < 1 || g.dilation_h < 1 ||
      g.dilation_w < 1)
    return bad("kernel, stride and dilation must be positive");
  if (g.pad_top < 0 || g.pad_left < 0) return bad("padding must not be negative");
  if (g.groups < 1 || g.c % g.groups != 0 || g.k % g.groups != 0)
    return bad("groups must divide the input and output channels");
  if (x == nullptr || w == nullptr || y == nullptr) return bad("x, w and y must be set");
  if (ep.z != nullptr && ep.z == y) return bad("the residual z may not be y");
  // Offsets inside the kernels are 64-bit; the per-row filter index (ci, ky, kx) is 32-bit.
  if (g.c / g.groups * g.kh * g.kw > 0x7fffffff) return bad("filter too large");
  return {};
}

template <typename T, Layout L>
Status launch_depthwise(const void* x, const void* w, void* y, const ConvGeom& g,
                        const ConvEpilogue& ep, cudaStream_t stream) {
  const DwGeom dg{g.n,  g.c,        g.h,        g.w,       g.oh,       g.ow,         g.kh,
                  g.kw, g.stride_h, g.stride_w, g.pad_top, g.pad_left, g.dilation_h, g.dilation_w};
  constexpr int kThreads = 256;
  constexpr int kVec = 16 / static_cast<int>(sizeof(T));
  auto aligned = [](const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 16 == 0; };
  if (L == Layout::kNHWC && g.c % kVec == 0 && aligned(x) && aligned(y) &&
      (!ep.z || aligned(ep.z))) {
    const std::int64_t total = g.n * (g.c / kVec) * g.oh * g.ow;
    std::int64_t blocks = (total + kThreads - 1) / kThreads;
    if (blocks > 8192) blocks = 8192;
    depthwise_nhwc_vec_kernel<T><<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(
        static_cast<const T*>(x), static_cast<const T*>(w), static_cast<T*>(y), dev_epilogue<T>(ep),
        dg, total);
    return launch_status("depthwise_conv");
  }
  const std::int64_t total = g.n * g.c * g.oh * g.ow;
  // Grid-stride loop: a few waves of a large GPU (132 SMs x 2048 threads) are enough.
  std::int64_t blocks = (total + kThreads - 1) / kThreads;
  if (blocks > 8192) blocks = 8192;
  depthwise_kernel<T, L><<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(
      static_cast<const T*>(x), static_cast<const T*>(w), static_cast<T*>(y), dev_epilogue<T>(ep),
      dg, total);
  return launch_status("depthwise_conv");
}

template <typename T, Layout L>
Status launch_direct(const void* x, const void* w, void* y, const ConvGeom& g,
                     const ConvEpilogue& ep, cudaStream_t stream) {
  ConvProblem<T, L> p{};
  p.x = static_cast<const T*>(x);
  p.w = static_cast<const T*>(w);
  p.y = static_cast<T*>(y);
  p.ep = dev_epilogue<T>(ep);
  p.m = g.n * g.oh * g.ow;
  p.n = g.k / g.groups;
  p.cg = g.c / g.groups;
  p.k = p.cg * g.kh * g.kw;
  p.in_c = g.c;
  p.in_h = g.h;
  p.in_w = g.w;
  p.out_k = g.k;
  p.out_h = g.oh;
  p.out_w = g.ow;
  p.kh = g.kh;
  p.kw = g.kw;
  p.sh = g.stride_h;
  p.sw = g.stride_w;
  p.pt = g.pad_top;
  p.pl = g.pad_left;
  p.dh = g.dilation_h;
  p.dw = g.dilation_w;
  dim3 grid;
  if (!tiled_grid(p.m, p.n, g.groups, grid))
    return invalid_arg("direct_conv (" + geom_text(g) + "): too many output pixels, channels " +
                       "per group or groups for one launch");
  tiled_product_kernel<<<grid, kTileThreads, 0, stream>>>(p);
  return launch_status("direct_conv");
}

}  // namespace

Status depthwise_conv(const void* x, const void* w, void* y, DataType t, Layout l,
                      const ConvGeom& g, const ConvEpilogue& ep, cudaStream_t stream) {
  if (Status s = check_conv("depthwise_conv", x, w, y, t, l, g, ep); !s.ok()) return s;
  if (g.groups != g.c || g.k != g.c)
    return invalid_arg("depthwise_conv (" + geom_text(g) + "): needs groups == c == k");
  if (t == DataType::kFloat32)
    return l == Layout::kNCHW ? launch_depthwise<float, Layout::kNCHW>(x, w, y, g, ep, stream)
                              : launch_depthwise<float, Layout::kNHWC>(x, w, y, g, ep, stream);
  return l == Layout::kNCHW ? launch_depthwise<__half, Layout::kNCHW>(x, w, y, g, ep, stream)
                            : launch_depthwise<__half, Layout::kNHWC>(x, w, y, g, ep, stream);
}

Status direct_conv(const void* x, const void* w, void* y, DataType t, Layout l, const ConvGeom& g,
                   const ConvEpilogue& ep, cudaStream_t stream) {
  if (Status s = check_conv("direct_conv", x, w, y, t, l, g, ep); !s.ok()) return s;
  if (t == DataType::kFloat32)
    return l == Layout::kNCHW ? launch_direct<float, Layout::kNCHW>(x, w, y, g, ep, stream)
                              : launch_direct<float, Layout::kNHWC>(x, w, y, g, ep, stream);
  return l == Layout::kNCHW ? launch_direct<__half, Layout::kNCHW>(x, w, y, g, ep, stream)
                            : launch_direct<__half, Layout::kNHWC>(x, w, y, g, ep, stream);
}

}  // namespace edgert::cuda
