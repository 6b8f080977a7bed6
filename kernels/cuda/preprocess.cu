// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Camera-frame preprocessing on the GPU (cuda_preprocess.h): one thread per output pixel does
// what kernels/cpu/preprocess.cpp does for it, in the same arithmetic order: the bilinear taps in
// double, the four source neighbours colour-converted to 8-bit RGB (or gray) in OpenCV's fixed
// point, the float blend, then (v - mean) * scale. Border pixels of a letterbox get pad_value.

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "edgert/kernels/cuda_preprocess.h"
#include "kernels/cpu/preprocess.h"

namespace edgert::cuda {
namespace {

// BT.601 limited range to RGB in OpenCV's 20-bit fixed point: the constants of
// kernels/cpu/preprocess.cpp (color_yuv.simd.hpp ITUR_BT_601_*).
constexpr int kYuvShift = 20;
constexpr int kCY = 1220542, kCUB = 2116026, kCUG = -409993, kCVG = -852492, kCVR = 1673527;

struct Rgb {
  int r, g, b;
};

__device__ __forceinline__ int sat_u8(int v) { return v < 0 ? 0 : (v > 255 ? 255 : v); }

__device__ __forceinline__ Rgb yuv_to_rgb(int y, int u, int v) {
  const int yy = max(0, y - 16) * kCY + (1 << (kYuvShift - 1));
  const int uu = u - 128, vv = v - 128;
  return {sat_u8((yy + kCVR * vv) >> kYuvShift), sat_u8((yy + kCVG * vv + kCUG * uu) >> kYuvShift),
          sat_u8((yy + kCUB * uu) >> kYuvShift)};
}

// OpenCV 4's RGB2Gray for 8-bit images: 15-bit weights summing to 2^15, round half up.
__device__ __forceinline__ int rgb_to_gray(const Rgb& p) {
  return (p.r * 9798 + p.g * 19235 + p.b * 3735 + (1 << 14)) >> 15;
}

// Source rows one tap reads: plane 0 at the luma/packed row, planes 1 and 2 at the chroma row.
struct Rows {
  const std::uint8_t* p[3];
};

__device__ __forceinline__ Rows rows_at(const DeviceFrame& f, int y) {
  Rows r{{f.planes[0] + y * f.strides[0], nullptr, nullptr}};
  if (f.format == PixelFormat::kNV12 || f.format == PixelFormat::kI420)
    r.p[1] = f.planes[1] + (y >> 1) * f.strides[1];
  if (f.format == PixelFormat::kI420) r.p[2] = f.planes[2] + (y >> 1) * f.strides[2];
  return r;
}

// The format is the same for every thread of a launch: the switch does not diverge.
__device__ __forceinline__ Rgb load_rgb(PixelFormat format, const Rows& rows, int x) {
  switch (format) {
    case PixelFormat::kRGB: {
      const std::uint8_t* s = rows.p[0] + 3 * x;
      return {s[0], s[1], s[2]};
    }
    case PixelFormat::kBGR: {
      const std::uint8_t* s = rows.p[0] + 3 * x;
      return {s[2], s[1], s[0]};
    }
    case PixelFormat::kRGBA: {
      const std::uint8_t* s = rows.p[0] + 4 * x;
      return {s[0], s[1], s[2]};
    }
    case PixelFormat::kBGRx: {
      const std::uint8_t* s = rows.p[0] + 4 * x;
      return {s[2], s[1], s[0]};
    }
    case PixelFormat::kGray: {
      const int v = rows.p[0][x];
      return {v, v, v};
    }
    case PixelFormat::kNV12: {
      const std::uint8_t* uv = rows.p[1] + 2 * (x >> 1);
      return yuv_to_rgb(rows.p[0][x], uv[0], uv[1]);
    }
    case PixelFormat::kI420: return yuv_to_rgb(rows.p[0][x], rows.p[1][x >> 1], rows.p[2][x >> 1]);
  }
  return {0, 0, 0};
}

__device__ __forceinline__ int load_gray(PixelFormat format, const Rows& rows, int x) {
  return format == PixelFormat::kGray ? rows.p[0][x] : rgb_to_gray(load_rgb(format, rows, x));
}

// A bilinear tap along one axis: the two source indices and the weight of the second.
struct Tap {
  int i0, i1;
  float w1;
};

// cpu make_taps for one destination index: OpenCV INTER_LINEAR's s = (d + 0.5) * scale - 0.5
// with scale = src / dst in double, the edge pixel alone outside the first and last centres.
__device__ __forceinline__ Tap make_tap(int d, int src, double scale) {
  const double s = (d + 0.5) * scale - 0.5;
  int i0 = static_cast<int>(floor(s));
  float w = static_cast<float>(s - i0);
  if (i0 < 0) i0 = 0, w = 0.f;
  if (i0 >= src - 1) i0 = src - 1, w = 0.f;
  return {i0, min(i0 + 1, src - 1), w};
}

struct Params {
  DeviceFrame f;
  int out_w, out_h;
  int rx, ry, rw, rh;       // the resized image's rectangle in the output
  double scale_x, scale_y;  // f.width / rw, f.height / rh
  std::int64_t cs, ps;      // element (c, pixel) at c * cs + pixel * ps
  int perm[3];              // output channel -> RGB index
  float mean[3], scale[3];
  float pad;
};

__device__ __forceinline__ void put(float* dst, std::int64_t i, float v) { dst[i] = v; }
__device__ __forceinline__ void put(__half* dst, std::int64_t i, float v) {
  dst[i] = __float2half_rn(v);
}

template <typename T, bool kGray>
__global__ void preprocess_kernel(const Params p, T* __restrict__ dst) {
  const int x = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  const int y = static_cast<int>(blockIdx.y * blockDim.y + threadIdx.y);
  if (x >= p.out_w || y >= p.out_h) return;
  const std::int64_t pixel = static_cast<std::int64_t>(y) * p.out_w + x;
  constexpr int kChannels = kGray ? 1 : 3;
  if (x < p.rx || x >= p.rx + p.rw || y < p.ry || y >= p.ry + p.rh) {
    for (int c = 0; c < kChannels; ++c) put(dst, c * p.cs + pixel * p.ps, p.pad);
    return;
  }
  const Tap tx = make_tap(x - p.rx, p.f.width, p.scale_x);
  const Tap ty = make_tap(y - p.ry, p.f.height, p.scale_y);
  const Rows r0 = rows_at(p.f, ty.i0), r1 = rows_at(p.f, ty.i1);
  const float fx = tx.w1, fy = ty.w1;
  const PixelFormat fmt = p.f.format;
  if constexpr (kGray) {
    const float a = static_cast<float>(load_gray(fmt, r0, tx.i0));
    const float b = static_cast<float>(load_gray(fmt, r0, tx.i1));
    const float c = static_cast<float>(load_gray(fmt, r1, tx.i0));
    const float d = static_cast<float>(load_gray(fmt, r1, tx.i1));
    const float top = a + fx * (b - a), bottom = c + fx * (d - c);
    const float v = top + fy * (bottom - top);
    put(dst, pixel * p.ps, (v - p.mean[0]) * p.scale[0]);
  } else {
    const Rgb a = load_rgb(fmt, r0, tx.i0), b = load_rgb(fmt, r0, tx.i1);
    const Rgb c = load_rgb(fmt, r1, tx.i0), d = load_rgb(fmt, r1, tx.i1);
    const int av[3] = {a.r, a.g, a.b}, bv[3] = {b.r, b.g, b.b};
    const int cv[3] = {c.r, c.g, c.b}, dv[3] = {d.r, d.g, d.b};
#pragma unroll
    for (int ch = 0; ch < 3; ++ch) {
      const int k = p.perm[ch];
      const float top = static_cast<float>(av[k]) + fx * static_cast<float>(bv[k] - av[k]);
      const float bottom = static_cast<float>(cv[k]) + fx * static_cast<float>(dv[k] - cv[k]);
      const float v = top + fy * (bottom - top);
      put(dst, ch * p.cs + pixel * p.ps, (v - p.mean[ch]) * p.scale[ch]);
    }
  }
}

// ---- host side (frame checks, pixel format tables and geometry are the CPU kernel's) ----

Status invalid(const std::string& what) {
  return Status(StatusCode::kInvalidArgument, "cuda preprocess: " + what);
}

template <typename T>
Status launch(const Params& p, bool gray, void* dst, cudaStream_t stream) {
  const dim3 block(32, 8);
  const dim3 grid(static_cast<unsigned>((p.out_w + 31) / 32),
                  static_cast<unsigned>((p.out_h + 7) / 8));
  if (gray)
    preprocess_kernel<T, true><<<grid, block, 0, stream>>>(p, static_cast<T*>(dst));
  else
    preprocess_kernel<T, false><<<grid, block, 0, stream>>>(p, static_cast<T*>(dst));
  const cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess)
    return Status(StatusCode::kCudaError,
                  std::string("preprocess kernel launch failed: ") + cudaGetErrorString(err));
  return {};
}

}  // namespace

Status preprocess_frame(const DeviceFrame& f, const PreprocessSpec& spec, void* dst,
                        DataType dst_type, cudaStream_t stream) {
  if (!spec.enabled) return invalid("the spec is disabled (" + spec.to_string() + ")");
  if (spec.width <= 0 || spec.height <= 0)
    return invalid("network input size " + std::to_string(spec.width) + "x" +
                   std::to_string(spec.height) + " is not positive");
  // One grid row of 8 output rows per block in y (limit 65535 blocks).
  if (spec.height > 8 * 65535) return invalid("network input height too large");
  if (dst == nullptr) return invalid("dst is null");
  if (!is_kernel_float(dst_type)) return invalid("dst type must be float32 or float16");
  // The same checks and messages as the CPU kernel (a DeviceFrame is an ImageFrame).
  if (Status s = cpu::check_frame(f); !s.ok()) return s;

  Params p{};
  p.f = f;
  p.out_w = spec.width;
  p.out_h = spec.height;
  const cpu::ResizeGeometry r = cpu::preprocess_geometry(f.width, f.height, spec);
  p.rx = r.x;
  p.ry = r.y;
  p.rw = r.w;
  p.rh = r.h;
  // make_taps' scale = static_cast<double>(src) / dst, computed once here.
  p.scale_x = static_cast<double>(f.width) / p.rw;
  p.scale_y = static_cast<double>(f.height) / p.rh;
  const int channels = color_order_channels(spec.color);
  const std::int64_t plane = static_cast<std::int64_t>(spec.width) * spec.height;
  p.cs = spec.layout == TensorLayout::kNCHW ? plane : 1;
  p.ps = spec.layout == TensorLayout::kNCHW ? 1 : channels;
  for (int c = 0; c < 3; ++c) {
    p.perm[c] = spec.color == ColorOrder::kBGR ? 2 - c : c;
    p.mean[c] = spec.mean[c];
    p.scale[c] = spec.scale[c];
  }
  p.pad = spec.pad_value;
  const bool gray = channels == 1;
  return dst_type == DataType::kFloat32 ? launch<float>(p, gray, dst, stream)
                                        : launch<__half>(p, gray, dst, stream);
}

}  // namespace edgert::cuda
