// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// One pass over the output: per output pixel, the four source neighbours are colour-converted to
// 8-bit RGB (or gray) on the fly and blended with precomputed per-column/per-row taps. The work is
// proportional to the output size, whatever the frame size (a 1080p frame to 224x224 touches about
// 4 x 224 x 224 source pixels), and no intermediate image is allocated.

#include "kernels/cpu/preprocess.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace edgert::cpu {
namespace {

struct Rgb {
  int r, g, b;
};

// BT.601 limited range to RGB in OpenCV's fixed point (color_yuv.simd.hpp, ITUR_BT_601_*): 20
// fractional bits, 1.164 = 1220542 / 2^20 and so on, round half up, saturate to 0..255.
constexpr int kYuvShift = 20;
constexpr int kCY = 1220542, kCUB = 2116026, kCUG = -409993, kCVG = -852492, kCVR = 1673527;

inline int sat_u8(int v) { return v < 0 ? 0 : (v > 255 ? 255 : v); }

inline Rgb yuv_to_rgb(int y, int u, int v) {
  const int yy = std::max(0, y - 16) * kCY + (1 << (kYuvShift - 1));
  const int uu = u - 128, vv = v - 128;
  return {sat_u8((yy + kCVR * vv) >> kYuvShift), sat_u8((yy + kCVG * vv + kCUG * uu) >> kYuvShift),
          sat_u8((yy + kCUB * uu) >> kYuvShift)};
}

// ITU-R BT.601 luma weights in 15-bit fixed point, as OpenCV 4's RGB2Gray for 8-bit images
// (0.299 * 2^15 = 9798, 0.587 * 2^15 = 19235, 0.114 * 2^15 = 3735, summing to 2^15 so that white
// stays 255), round half up.
inline int rgb_to_gray(const Rgb& p) {
  return (p.r * 9798 + p.g * 19235 + p.b * 3735 + (1 << 14)) >> 15;
}

// Row pointers of the source rows a tap reads: plane 0 at the luma/packed row, planes 1 and 2 at
// the chroma row (y / 2).
struct Rows {
  const std::uint8_t* p[3];
};

template <PixelFormat F>
inline Rgb load_rgb(const Rows& rows, int x) {
  if constexpr (F == PixelFormat::kRGB) {
    const std::uint8_t* s = rows.p[0] + 3 * x;
    return {s[0], s[1], s[2]};
  } else if constexpr (F == PixelFormat::kBGR) {
    const std::uint8_t* s = rows.p[0] + 3 * x;
    return {s[2], s[1], s[0]};
  } else if constexpr (F == PixelFormat::kRGBA) {
    const std::uint8_t* s = rows.p[0] + 4 * x;
    return {s[0], s[1], s[2]};
  } else if constexpr (F == PixelFormat::kBGRx) {
    const std::uint8_t* s = rows.p[0] + 4 * x;
    return {s[2], s[1], s[0]};
  } else if constexpr (F == PixelFormat::kGray) {
    const int v = rows.p[0][x];
    return {v, v, v};
  } else if constexpr (F == PixelFormat::kNV12) {
    const std::uint8_t* uv = rows.p[1] + 2 * (x >> 1);
    return yuv_to_rgb(rows.p[0][x], uv[0], uv[1]);
  } else {
    static_assert(F == PixelFormat::kI420);
    return yuv_to_rgb(rows.p[0][x], rows.p[1][x >> 1], rows.p[2][x >> 1]);
  }
}

template <PixelFormat F>
inline int load_gray(const Rows& rows, int x) {
  if constexpr (F == PixelFormat::kGray) {
    return rows.p[0][x];
  } else {
    return rgb_to_gray(load_rgb<F>(rows, x));
  }
}

// A bilinear tap along one axis: the two source indices and the weight of the second.
struct Tap {
  int i0, i1;
  float w1;
};

// OpenCV INTER_LINEAR (resize.cpp, resizeGeneric): s = (d + 0.5) * scale - 0.5, i0 = floor(s),
// weight s - i0; left of the first pixel centre and right of the last, the edge pixel alone.
std::vector<Tap> make_taps(int src, int dst) {
  std::vector<Tap> taps(static_cast<std::size_t>(dst));
  const double scale = static_cast<double>(src) / dst;
  for (int d = 0; d < dst; ++d) {
    const double s = (d + 0.5) * scale - 0.5;
    int i0 = static_cast<int>(std::floor(s));
    float w = static_cast<float>(s - i0);
    if (i0 < 0) i0 = 0, w = 0.f;
    if (i0 >= src - 1) i0 = src - 1, w = 0.f;
    taps[static_cast<std::size_t>(d)] = {i0, std::min(i0 + 1, src - 1), w};
  }
  return taps;
}

inline Rows rows_at(const Frame& f, int y) {
  Rows r{{f.planes[0] + y * f.strides[0], nullptr, nullptr}};
  if (f.format == PixelFormat::kNV12 || f.format == PixelFormat::kI420)
    r.p[1] = f.planes[1] + (y >> 1) * f.strides[1];
  if (f.format == PixelFormat::kI420) r.p[2] = f.planes[2] + (y >> 1) * f.strides[2];
  return r;
}

// Output addressing for one image: element (c, y, x) at c * cs + (y * W + x) * ps.
struct OutLayout {
  float* dst;
  std::int64_t cs, ps, width;
  int channels;
  int perm[3];  // output channel -> RGB index
  float mean[3], scale[3];
};

inline void store(const OutLayout& o, std::int64_t pixel, int c, float v) {
  o.dst[c * o.cs + pixel * o.ps] = (v - o.mean[c]) * o.scale[c];
}

template <PixelFormat F, bool kGray>
void resize_row(const Frame& f, const Tap& ty, const Tap* tx, int n, const OutLayout& o,
                std::int64_t pixel0) {
  const Rows r0 = rows_at(f, ty.i0), r1 = rows_at(f, ty.i1);
  const float fy = ty.w1;
  for (int i = 0; i < n; ++i) {
    const Tap& t = tx[i];
    const float fx = t.w1;
    const std::int64_t pixel = pixel0 + i;
    if constexpr (kGray) {
      const float a = static_cast<float>(load_gray<F>(r0, t.i0));
      const float b = static_cast<float>(load_gray<F>(r0, t.i1));
      const float c = static_cast<float>(load_gray<F>(r1, t.i0));
      const float d = static_cast<float>(load_gray<F>(r1, t.i1));
      const float top = a + fx * (b - a), bottom = c + fx * (d - c);
      store(o, pixel, 0, top + fy * (bottom - top));
    } else {
      const Rgb a = load_rgb<F>(r0, t.i0), b = load_rgb<F>(r0, t.i1);
      const Rgb c = load_rgb<F>(r1, t.i0), d = load_rgb<F>(r1, t.i1);
      const int av[3] = {a.r, a.g, a.b}, bv[3] = {b.r, b.g, b.b};
      const int cv[3] = {c.r, c.g, c.b}, dv[3] = {d.r, d.g, d.b};
      for (int ch = 0; ch < 3; ++ch) {
        const int k = o.perm[ch];
        const float top = static_cast<float>(av[k]) + fx * static_cast<float>(bv[k] - av[k]);
        const float bottom = static_cast<float>(cv[k]) + fx * static_cast<float>(dv[k] - cv[k]);
        store(o, pixel, ch, top + fy * (bottom - top));
      }
    }
  }
}

using RowFn = void (*)(const Frame&, const Tap&, const Tap*, int, const OutLayout&, std::int64_t);

template <bool kGray>
RowFn row_fn(PixelFormat f) {
  switch (f) {
    case PixelFormat::kRGB: return &resize_row<PixelFormat::kRGB, kGray>;
    case PixelFormat::kBGR: return &resize_row<PixelFormat::kBGR, kGray>;
    case PixelFormat::kRGBA: return &resize_row<PixelFormat::kRGBA, kGray>;
    case PixelFormat::kBGRx: return &resize_row<PixelFormat::kBGRx, kGray>;
    case PixelFormat::kGray: return &resize_row<PixelFormat::kGray, kGray>;
    case PixelFormat::kNV12: return &resize_row<PixelFormat::kNV12, kGray>;
    case PixelFormat::kI420: return &resize_row<PixelFormat::kI420, kGray>;
  }
  return nullptr;
}

Status invalid_frame(const Frame& f, const std::string& what) {
  return make_error(StatusCode::kInvalidArgument,
                    std::string("preprocess: ") + pixel_format_name(f.format) + " frame " +
                        std::to_string(f.width) + "x" + std::to_string(f.height) + ": " + what);
}

}  // namespace

std::int64_t plane_row_bytes(const Frame& f, int plane) noexcept {
  const std::int64_t chroma_w = (f.width + 1) / 2;
  if (plane == 0) return std::int64_t{f.width} * pixel_format_bytes_per_pixel(f.format);
  return f.format == PixelFormat::kNV12 ? 2 * chroma_w : chroma_w;
}

Status check_frame(const Frame& f) {
  if (f.width <= 0 || f.height <= 0) return invalid_frame(f, "width and height must be positive");
  const int planes = pixel_format_planes(f.format);
  if (planes == 0) return invalid_frame(f, "unknown pixel format");
  for (int p = 0; p < planes; ++p) {
    if (f.planes[p] == nullptr) return invalid_frame(f, "plane " + std::to_string(p) + " is null");
    const std::int64_t row = plane_row_bytes(f, p);
    if (f.strides[p] < row)
      return invalid_frame(f, "stride " + std::to_string(f.strides[p]) + " of plane " +
                                  std::to_string(p) + " is shorter than a row (" +
                                  std::to_string(row) + " bytes)");
  }
  return Status::ok_status();
}

int pixel_format_planes(PixelFormat f) noexcept {
  switch (f) {
    case PixelFormat::kRGB:
    case PixelFormat::kBGR:
    case PixelFormat::kRGBA:
    case PixelFormat::kBGRx:
    case PixelFormat::kGray: return 1;
    case PixelFormat::kNV12: return 2;
    case PixelFormat::kI420: return 3;
  }
  return 0;
}

int pixel_format_bytes_per_pixel(PixelFormat f) noexcept {
  switch (f) {
    case PixelFormat::kRGB:
    case PixelFormat::kBGR: return 3;
    case PixelFormat::kRGBA:
    case PixelFormat::kBGRx: return 4;
    case PixelFormat::kGray:
    case PixelFormat::kNV12:
    case PixelFormat::kI420: return 1;
  }
  return 0;
}

Frame packed_frame(PixelFormat f, int width, int height, const std::uint8_t* data,
                   std::int64_t stride) noexcept {
  Frame fr;
  fr.format = f;
  fr.width = width;
  fr.height = height;
  fr.planes[0] = data;
  fr.strides[0] =
      stride > 0 ? stride : static_cast<std::int64_t>(width) * pixel_format_bytes_per_pixel(f);
  return fr;
}

std::int64_t planar_yuv_frame_bytes(int width, int height) noexcept {
  const std::int64_t cw = (width + 1) / 2, ch = (height + 1) / 2;
  return static_cast<std::int64_t>(width) * height + 2 * cw * ch;
}

Frame planar_yuv_frame(PixelFormat f, int width, int height, const std::uint8_t* data) noexcept {
  Frame fr;
  fr.format = f;
  fr.width = width;
  fr.height = height;
  const std::int64_t cw = (width + 1) / 2, ch = (height + 1) / 2;
  const std::int64_t luma = static_cast<std::int64_t>(width) * height;
  fr.planes[0] = data;
  fr.strides[0] = width;
  if (f == PixelFormat::kNV12) {
    fr.planes[1] = data + luma;
    fr.strides[1] = 2 * cw;
  } else {
    fr.planes[1] = data + luma;
    fr.planes[2] = data + luma + cw * ch;
    fr.strides[1] = fr.strides[2] = cw;
  }
  return fr;
}

ResizeGeometry preprocess_geometry(int src_width, int src_height, const PreprocessSpec& spec) {
  ResizeGeometry g{0, 0, spec.width, spec.height};
  if (spec.resize != ResizeMode::kLetterbox || src_width <= 0 || src_height <= 0) return g;
  const std::int64_t W = spec.width, H = spec.height, w = src_width, h = src_height;
  // Compare W/w with H/h in integers so that exact aspect matches do not depend on rounding.
  if (W * h <= H * w) {  // width-limited: full width, height scaled
    g.h = static_cast<int>(
        std::clamp<std::int64_t>(std::llround(static_cast<double>(h) * W / w), 1, H));
  } else {
    g.w = static_cast<int>(
        std::clamp<std::int64_t>(std::llround(static_cast<double>(w) * H / h), 1, W));
  }
  g.x = (spec.width - g.w) / 2;
  g.y = (spec.height - g.h) / 2;
  return g;
}

std::vector<int> preprocess_source_rows(int src_width, int src_height, const PreprocessSpec& spec) {
  std::vector<int> rows;
  if (src_width <= 0 || src_height <= 0) return rows;
  const ResizeGeometry g = preprocess_geometry(src_width, src_height, spec);
  for (const Tap& t : make_taps(src_height, g.h)) {
    for (int r : {t.i0, t.i1})
      if (rows.empty() || rows.back() < r) rows.push_back(r);
  }
  return rows;
}

Status preprocess_frame(const Frame& f, const PreprocessSpec& spec, float* dst) {
  if (!spec.enabled)
    return make_error(StatusCode::kInvalidArgument,
                      "preprocess: the spec is disabled (" + spec.to_string() + ")");
  if (spec.width <= 0 || spec.height <= 0)
    return make_error(StatusCode::kInvalidArgument,
                      "preprocess: network input size " + std::to_string(spec.width) + "x" +
                          std::to_string(spec.height) + " is not positive");
  if (dst == nullptr) return make_error(StatusCode::kInvalidArgument, "preprocess: dst is null");
  EDGERT_RETURN_IF_ERROR(check_frame(f));

  const int channels = color_order_channels(spec.color);
  const std::int64_t W = spec.width, H = spec.height;
  OutLayout o{};
  o.dst = dst;
  o.width = W;
  o.channels = channels;
  o.cs = spec.layout == TensorLayout::kNCHW ? W * H : 1;
  o.ps = spec.layout == TensorLayout::kNCHW ? 1 : channels;
  for (int c = 0; c < 3; ++c) {
    o.perm[c] = spec.color == ColorOrder::kBGR ? 2 - c : c;
    o.mean[c] = spec.mean[c];
    o.scale[c] = spec.scale[c];
  }

  const ResizeGeometry g = preprocess_geometry(f.width, f.height, spec);
  const std::vector<Tap> tx = make_taps(f.width, g.w);
  const std::vector<Tap> ty = make_taps(f.height, g.h);
  const RowFn fn = channels == 1 ? row_fn<true>(f.format) : row_fn<false>(f.format);
  const float pad = spec.pad_value;
  auto fill = [&](std::int64_t pixel, std::int64_t n) {
    for (int c = 0; c < channels; ++c)
      for (std::int64_t i = 0; i < n; ++i) dst[c * o.cs + (pixel + i) * o.ps] = pad;
  };

  // About 64k output values per thread before threading pays for its start-up.
  const bool parallel = W * H * channels >= (1 << 16);
#pragma omp parallel for schedule(static) if (parallel)
  for (std::int64_t y = 0; y < H; ++y) {
    const std::int64_t row = y * W;
    if (y < g.y || y >= g.y + g.h) {
      fill(row, W);
      continue;
    }
    fill(row, g.x);
    fn(f, ty[static_cast<std::size_t>(y - g.y)], tx.data(), g.w, o, row + g.x);
    fill(row + g.x + g.w, W - g.x - g.w);
  }
  return Status::ok_status();
}

}  // namespace edgert::cpu
