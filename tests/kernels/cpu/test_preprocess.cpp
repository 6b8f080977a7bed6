// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Image preprocessing (kernels/cpu/preprocess) against a straightforward per-pixel reference and
// against OpenCV (cvtColor for the colour conversions, resize INTER_LINEAR for the resampling),
// for every pixel format, both layouts, both resize modes, sizes up, down and odd; and the
// edgert.preprocess spec format (sdk/core/preprocess.cpp).

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "edgert/preprocess.h"
#include "kernels/cpu/preprocess.h"

namespace edgert::test {
namespace {

using cpu::Frame;

constexpr PixelFormat kAllFormats[] = {PixelFormat::kRGB,  PixelFormat::kBGR,  PixelFormat::kRGBA,
                                       PixelFormat::kBGRx, PixelFormat::kGray, PixelFormat::kNV12,
                                       PixelFormat::kI420};

bool is_yuv(PixelFormat f) { return f == PixelFormat::kNV12 || f == PixelFormat::kI420; }

// A frame with random content. Packed formats get rows padded by 5 bytes (strides are honoured);
// `contiguous` YUV frames hold their planes back to back, as cv::cvtColor wants them.
struct TestFrame {
  std::vector<std::uint8_t> buf;
  Frame f;
};

TestFrame make_frame(PixelFormat fmt, int w, int h, std::mt19937& rng, bool contiguous = false) {
  TestFrame t;
  std::uniform_int_distribution<int> byte(0, 255);
  if (is_yuv(fmt) && contiguous) {
    t.buf.resize(static_cast<std::size_t>(cpu::planar_yuv_frame_bytes(w, h)));
    for (auto& b : t.buf) b = static_cast<std::uint8_t>(byte(rng));
    t.f = cpu::planar_yuv_frame(fmt, w, h, t.buf.data());
    return t;
  }
  const int cw = (w + 1) / 2, ch = (h + 1) / 2;
  std::int64_t row[3] = {static_cast<std::int64_t>(w) * cpu::pixel_format_bytes_per_pixel(fmt), 0,
                         0};
  int rows[3] = {h, ch, ch};
  if (fmt == PixelFormat::kNV12) row[1] = 2 * cw;
  if (fmt == PixelFormat::kI420) row[1] = row[2] = cw;
  const int planes = cpu::pixel_format_planes(fmt);
  std::size_t offs[3] = {0, 0, 0}, total = 0;
  for (int p = 0; p < planes; ++p) {
    offs[p] = total;
    total += static_cast<std::size_t>((row[p] + 5) * rows[p]);
  }
  t.buf.resize(total);
  for (auto& b : t.buf) b = static_cast<std::uint8_t>(byte(rng));
  t.f.format = fmt;
  t.f.width = w;
  t.f.height = h;
  for (int p = 0; p < planes; ++p) {
    t.f.planes[p] = t.buf.data() + offs[p];
    t.f.strides[p] = row[p] + 5;
  }
  return t;
}

// --- The reference: convert the whole frame to RGB, then resample each output pixel. -----------

int clamp255(std::int64_t v) {
  return static_cast<int>(std::min<std::int64_t>(255, std::max<std::int64_t>(0, v)));
}

// BT.601 limited range, the fixed-point definition the kernel documents (its agreement with
// cv::cvtColor is checked separately below).
void ref_yuv(int y, int u, int v, int* rgb) {
  const std::int64_t yy = std::max(0, y - 16) * std::int64_t{1220542};
  const std::int64_t half = 1 << 19;
  auto div = [](std::int64_t a) {
    return a >= 0 ? a / (1 << 20) : -((-a + (1 << 20) - 1) / (1 << 20));
  };
  rgb[0] = clamp255(div(yy + 1673527 * std::int64_t{v - 128} + half));
  rgb[1] =
      clamp255(div(yy - 852492 * std::int64_t{v - 128} - 409993 * std::int64_t{u - 128} + half));
  rgb[2] = clamp255(div(yy + 2116026 * std::int64_t{u - 128} + half));
}

std::vector<int> ref_rgb(const Frame& f) {
  std::vector<int> out(static_cast<std::size_t>(f.width) * f.height * 3);
  for (int y = 0; y < f.height; ++y) {
    for (int x = 0; x < f.width; ++x) {
      int* o = &out[(static_cast<std::size_t>(y) * f.width + x) * 3];
      const std::uint8_t* p0 = f.planes[0] + y * f.strides[0];
      switch (f.format) {
        case PixelFormat::kRGB: o[0] = p0[3 * x], o[1] = p0[3 * x + 1], o[2] = p0[3 * x + 2]; break;
        case PixelFormat::kBGR: o[2] = p0[3 * x], o[1] = p0[3 * x + 1], o[0] = p0[3 * x + 2]; break;
        case PixelFormat::kRGBA:
          o[0] = p0[4 * x], o[1] = p0[4 * x + 1], o[2] = p0[4 * x + 2];
          break;
        case PixelFormat::kBGRx:
          o[2] = p0[4 * x], o[1] = p0[4 * x + 1], o[0] = p0[4 * x + 2];
          break;
        case PixelFormat::kGray: o[0] = o[1] = o[2] = p0[x]; break;
        case PixelFormat::kNV12: {
          const std::uint8_t* uv = f.planes[1] + (y / 2) * f.strides[1] + (x / 2) * 2;
          ref_yuv(p0[x], uv[0], uv[1], o);
          break;
        }
        case PixelFormat::kI420:
          ref_yuv(p0[x], f.planes[1][(y / 2) * f.strides[1] + x / 2],
                  f.planes[2][(y / 2) * f.strides[2] + x / 2], o);
          break;
      }
    }
  }
  return out;
}

// 0.299 R + 0.587 G + 0.114 B, rounded: the textbook weights; equals OpenCV's 15-bit fixed point
// except next to a .5 tie, which the checks below tolerate (one level).
double ref_gray(const int* rgb) {
  return std::floor(0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] + 0.5);
}

std::vector<float> reference(const Frame& f, const PreprocessSpec& spec) {
  const std::vector<int> rgb = ref_rgb(f);
  const int C = color_order_channels(spec.color), W = spec.width, H = spec.height;
  std::vector<float> out(static_cast<std::size_t>(C) * W * H, spec.pad_value);
  // Letterbox rectangle, computed the obvious way.
  int rx = 0, ry = 0, rw = W, rh = H;
  if (spec.resize == ResizeMode::kLetterbox) {
    const double r = std::min(static_cast<double>(W) / f.width, static_cast<double>(H) / f.height);
    rw = std::min(W, std::max(1, static_cast<int>(std::lround(f.width * r))));
    rh = std::min(H, std::max(1, static_cast<int>(std::lround(f.height * r))));
    rx = (W - rw) / 2;
    ry = (H - rh) / 2;
  }
  auto src = [&](int x, int y, int c) -> double {
    const int* p = &rgb[(static_cast<std::size_t>(y) * f.width + x) * 3];
    if (spec.color == ColorOrder::kGray) {
      if (f.format == PixelFormat::kGray) return p[0];
      return ref_gray(p);
    }
    return p[spec.color == ColorOrder::kBGR ? 2 - c : c];
  };
  for (int oy = 0; oy < rh; ++oy) {
    double sy = (oy + 0.5) * f.height / rh - 0.5;
    sy = std::min(std::max(sy, 0.0), f.height - 1.0);
    const int y0 = static_cast<int>(std::floor(sy)), y1 = std::min(y0 + 1, f.height - 1);
    const double wy = sy - y0;
    for (int ox = 0; ox < rw; ++ox) {
      double sx = (ox + 0.5) * f.width / rw - 0.5;
      sx = std::min(std::max(sx, 0.0), f.width - 1.0);
      const int x0 = static_cast<int>(std::floor(sx)), x1 = std::min(x0 + 1, f.width - 1);
      const double wx = sx - x0;
      for (int c = 0; c < C; ++c) {
        const double v = (1 - wy) * ((1 - wx) * src(x0, y0, c) + wx * src(x1, y0, c)) +
                         wy * ((1 - wx) * src(x0, y1, c) + wx * src(x1, y1, c));
        const double n = (v - spec.mean[c]) * spec.scale[c];
        const int X = rx + ox, Y = ry + oy;
        const std::size_t at = spec.layout == TensorLayout::kNCHW
                                   ? (static_cast<std::size_t>(c) * H + Y) * W + X
                                   : (static_cast<std::size_t>(Y) * W + X) * C + c;
        out[at] = static_cast<float>(n);
      }
    }
  }
  return out;
}

PreprocessSpec make_spec(int w, int h, ColorOrder color, ResizeMode resize, TensorLayout layout) {
  PreprocessSpec s;
  s.enabled = true;
  s.width = w;
  s.height = h;
  s.color = color;
  s.resize = resize;
  s.layout = layout;
  const float mean[3] = {123.675f, 116.28f, 103.53f}, stdev[3] = {58.395f, 57.12f, 57.375f};
  for (int c = 0; c < 3; ++c) s.mean[c] = mean[c], s.scale[c] = 1.f / stdev[c];
  s.pad_value = -1.5f;
  return s;
}

double max_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    m = std::max(m, std::fabs(static_cast<double>(a[i]) - b[i]));
  return a.size() == b.size() ? m : 1e30;
}

// The frame converted by OpenCV to an 8-bit RGB image (cvtColor's own code).
cv::Mat opencv_rgb(const Frame& f) {
  auto* p0 = const_cast<std::uint8_t*>(f.planes[0]);
  const auto step = static_cast<std::size_t>(f.strides[0]);
  cv::Mat rgb;
  switch (f.format) {
    case PixelFormat::kRGB: rgb = cv::Mat(f.height, f.width, CV_8UC3, p0, step).clone(); break;
    case PixelFormat::kBGR:
      cv::cvtColor(cv::Mat(f.height, f.width, CV_8UC3, p0, step), rgb, cv::COLOR_BGR2RGB);
      break;
    case PixelFormat::kRGBA:
      cv::cvtColor(cv::Mat(f.height, f.width, CV_8UC4, p0, step), rgb, cv::COLOR_RGBA2RGB);
      break;
    case PixelFormat::kBGRx:
      cv::cvtColor(cv::Mat(f.height, f.width, CV_8UC4, p0, step), rgb, cv::COLOR_BGRA2RGB);
      break;
    case PixelFormat::kGray:
      cv::cvtColor(cv::Mat(f.height, f.width, CV_8UC1, p0, step), rgb, cv::COLOR_GRAY2RGB);
      break;
    case PixelFormat::kNV12:  // planes back to back: (h * 3/2) x w bytes
      cv::cvtColor(cv::Mat(f.height * 3 / 2, f.width, CV_8UC1, p0), rgb, cv::COLOR_YUV2RGB_NV12);
      break;
    case PixelFormat::kI420:
      cv::cvtColor(cv::Mat(f.height * 3 / 2, f.width, CV_8UC1, p0), rgb, cv::COLOR_YUV2RGB_I420);
      break;
  }
  return rgb;
}

std::string describe(const Frame& f, const PreprocessSpec& s) {
  return std::string(pixel_format_name(f.format)) + " " + std::to_string(f.width) + "x" +
         std::to_string(f.height) + " -> " + std::to_string(s.width) + "x" +
         std::to_string(s.height) + " " + s.to_string();
}

}  // namespace

TEST_CASE("preprocess matches the reference for every format, layout, mode and size",
          "[preprocess]") {
  std::mt19937 rng(1234);
  // (src w, src h, dst w, dst h): down, up, odd, same, degenerate, extreme aspect.
  const int sizes[][4] = {{64, 48, 32, 24}, {37, 23, 64, 64}, {17, 31, 5, 7},   {40, 30, 40, 30},
                          {1, 1, 3, 3},     {3, 1, 7, 2},     {200, 9, 33, 33}, {9, 200, 16, 12}};
  int cases = 0;
  for (PixelFormat fmt : kAllFormats) {
    for (const auto& sz : sizes) {
      const TestFrame tf = make_frame(fmt, sz[0], sz[1], rng);
      for (ColorOrder color : {ColorOrder::kRGB, ColorOrder::kBGR, ColorOrder::kGray}) {
        for (ResizeMode mode : {ResizeMode::kStretch, ResizeMode::kLetterbox}) {
          for (TensorLayout layout : {TensorLayout::kNCHW, TensorLayout::kNHWC}) {
            const PreprocessSpec spec = make_spec(sz[2], sz[3], color, mode, layout);
            INFO(describe(tf.f, spec));
            std::vector<float> out(static_cast<std::size_t>(color_order_channels(color)) * sz[2] *
                                   sz[3]);
            REQUIRE(cpu::preprocess_frame(tf.f, spec, out.data()).ok());
            // Float weights vs double; a gray tie (see ref_gray) may move one level (1/57.1).
            const double tol = color == ColorOrder::kGray ? 1.01 / 57.12 : 2e-4;
            CHECK(max_diff(out, reference(tf.f, spec)) <= tol);
            ++cases;
          }
        }
      }
    }
  }
  CHECK(cases == 7 * 8 * 12);
}

TEST_CASE("preprocess colour conversion is cv::cvtColor's, bit for bit", "[preprocess][opencv]") {
  std::mt19937 rng(99);
  for (PixelFormat fmt : kAllFormats) {
    for (const auto& wh :
         {std::pair<int, int>{64, 48}, std::pair<int, int>{2, 2}, std::pair<int, int>{30, 10}}) {
      const TestFrame tf = make_frame(fmt, wh.first, wh.second, rng, /*contiguous=*/true);
      const cv::Mat rgb = opencv_rgb(tf.f);
      cv::Mat gray;
      if (fmt == PixelFormat::kGray)
        gray = cv::Mat(tf.f.height, tf.f.width, CV_8UC1, const_cast<std::uint8_t*>(tf.f.planes[0]),
                       static_cast<std::size_t>(tf.f.strides[0]));
      else
        cv::cvtColor(rgb, gray, cv::COLOR_RGB2GRAY);
      // Same size, mean 0, scale 1: the output is the converted pixel values.
      PreprocessSpec spec = make_spec(wh.first, wh.second, ColorOrder::kRGB, ResizeMode::kStretch,
                                      TensorLayout::kNHWC);
      for (int c = 0; c < 3; ++c) spec.mean[c] = 0.f, spec.scale[c] = 1.f;
      INFO(describe(tf.f, spec));
      std::vector<float> out(static_cast<std::size_t>(3) * wh.first * wh.second);
      REQUIRE(cpu::preprocess_frame(tf.f, spec, out.data()).ok());
      double worst = 0;
      for (int y = 0; y < wh.second; ++y)
        for (int x = 0; x < wh.first; ++x)
          for (int c = 0; c < 3; ++c)
            worst = std::max<double>(
                worst, std::fabs(out[(static_cast<std::size_t>(y) * wh.first + x) * 3 + c] -
                                 rgb.at<cv::Vec3b>(y, x)[c]));
      CHECK(worst == 0);
      // The reference's conversion agrees with OpenCV too (so the reference test is anchored).
      const std::vector<int> ref = ref_rgb(tf.f);
      int ref_worst = 0;
      for (int y = 0; y < wh.second; ++y)
        for (int x = 0; x < wh.first; ++x)
          for (int c = 0; c < 3; ++c)
            ref_worst = std::max(
                ref_worst, std::abs(ref[(static_cast<std::size_t>(y) * wh.first + x) * 3 + c] -
                                    rgb.at<cv::Vec3b>(y, x)[c]));
      CHECK(ref_worst == 0);

      spec.color = ColorOrder::kGray;
      std::vector<float> g(static_cast<std::size_t>(wh.first) * wh.second);
      REQUIRE(cpu::preprocess_frame(tf.f, spec, g.data()).ok());
      worst = 0;
      for (int y = 0; y < wh.second; ++y)
        for (int x = 0; x < wh.first; ++x)
          worst = std::max<double>(worst, std::fabs(g[static_cast<std::size_t>(y) * wh.first + x] -
                                                    gray.at<std::uint8_t>(y, x)));
      CHECK(worst == 0);
    }
  }
}

TEST_CASE("preprocess resampling agrees with cv::resize INTER_LINEAR", "[preprocess][opencv]") {
  std::mt19937 rng(7);
  const int sizes[][4] = {
      {64, 48, 32, 24}, {38, 24, 64, 64}, {18, 32, 5, 7}, {640, 360, 224, 224}, {100, 100, 37, 61}};
  for (PixelFormat fmt : kAllFormats) {
    for (const auto& sz : sizes) {
      const TestFrame tf = make_frame(fmt, sz[0], sz[1], rng, /*contiguous=*/true);
      const cv::Mat rgb = opencv_rgb(tf.f);
      for (ResizeMode mode : {ResizeMode::kStretch, ResizeMode::kLetterbox}) {
        PreprocessSpec spec = make_spec(sz[2], sz[3], ColorOrder::kBGR, mode, TensorLayout::kNCHW);
        for (int c = 0; c < 3; ++c) spec.mean[c] = 0.f, spec.scale[c] = 1.f;
        spec.pad_value = 114.f;  // YOLO's grey
        INFO(describe(tf.f, spec));
        const cpu::ResizeGeometry g = cpu::preprocess_geometry(sz[0], sz[1], spec);
        cv::Mat resized, bgr, padded;
        cv::resize(rgb, resized, cv::Size(g.w, g.h), 0, 0, cv::INTER_LINEAR);
        cv::cvtColor(resized, bgr, cv::COLOR_RGB2BGR);
        cv::copyMakeBorder(bgr, padded, g.y, sz[3] - g.h - g.y, g.x, sz[2] - g.w - g.x,
                           cv::BORDER_CONSTANT, cv::Scalar(114, 114, 114));
        std::vector<float> out(static_cast<std::size_t>(3) * sz[2] * sz[3]);
        REQUIRE(cpu::preprocess_frame(tf.f, spec, out.data()).ok());
        double worst = 0;
        for (int c = 0; c < 3; ++c)
          for (int y = 0; y < sz[3]; ++y)
            for (int x = 0; x < sz[2]; ++x)
              worst = std::max<double>(
                  worst, std::fabs(out[(static_cast<std::size_t>(c) * sz[3] + y) * sz[2] + x] -
                                   padded.at<cv::Vec3b>(y, x)[c]));
        // OpenCV rounds its result to 8 bits (0.5) with 11-bit fixed-point weights (255 / 2048
        // per tap pair at worst, far less in practice); the kernel keeps the float value.
        CHECK(worst <= 1.0);
      }
    }
  }
}

TEST_CASE("preprocess letterbox geometry", "[preprocess]") {
  PreprocessSpec s =
      make_spec(640, 640, ColorOrder::kRGB, ResizeMode::kLetterbox, TensorLayout::kNCHW);
  cpu::ResizeGeometry g = cpu::preprocess_geometry(1920, 1080, s);
  CHECK((g.x == 0 && g.w == 640 && g.h == 360 && g.y == 140));
  g = cpu::preprocess_geometry(1080, 1920, s);
  CHECK((g.y == 0 && g.h == 640 && g.w == 360 && g.x == 140));
  g = cpu::preprocess_geometry(500, 500, s);
  CHECK((g.x == 0 && g.y == 0 && g.w == 640 && g.h == 640));
  s.resize = ResizeMode::kStretch;
  g = cpu::preprocess_geometry(1920, 1080, s);
  CHECK((g.x == 0 && g.y == 0 && g.w == 640 && g.h == 640));
}

TEST_CASE("preprocess reads only preprocess_source_rows", "[preprocess]") {
  std::mt19937 rng(11);
  for (PixelFormat fmt : kAllFormats)
    for (auto [w, h, mode] :
         {std::tuple{1920, 1080, ResizeMode::kStretch},
          std::tuple{641, 479, ResizeMode::kLetterbox}, std::tuple{33, 17, ResizeMode::kStretch}}) {
      INFO(pixel_format_name(fmt) << " " << w << "x" << h << " " << resize_mode_name(mode));
      const PreprocessSpec s = make_spec(64, 48, ColorOrder::kRGB, mode, TensorLayout::kNCHW);
      TestFrame t = make_frame(fmt, w, h, rng);
      const std::vector<int> rows = cpu::preprocess_source_rows(w, h, s);
      REQUIRE_FALSE(rows.empty());
      CHECK(std::is_sorted(rows.begin(), rows.end()));
      CHECK(std::adjacent_find(rows.begin(), rows.end()) == rows.end());
      if (h > 2 * 48) CHECK(static_cast<int>(rows.size()) <= 2 * 48);
      std::vector<float> want(64 * 48 * 3), got(want.size());
      REQUIRE(cpu::preprocess_frame(t.f, s, want.data()).ok());
      // Every other row (and chroma row) overwritten: the result must not change.
      std::vector<bool> keep(static_cast<std::size_t>(h)), keep_c(static_cast<std::size_t>(h));
      for (int r : rows)
        keep[static_cast<std::size_t>(r)] = keep_c[static_cast<std::size_t>(r / 2)] = true;
      for (int p = 0; p < cpu::pixel_format_planes(fmt); ++p) {
        const int plane_rows = p == 0 ? h : (h + 1) / 2;
        for (int r = 0; r < plane_rows; ++r)
          if (!(p == 0 ? keep : keep_c)[static_cast<std::size_t>(r)])
            std::fill_n(const_cast<std::uint8_t*>(t.f.planes[p]) + r * t.f.strides[p],
                        t.f.strides[p], std::uint8_t{0x5A});
      }
      REQUIRE(cpu::preprocess_frame(t.f, s, got.data()).ok());
      CHECK(want == got);
    }
}

TEST_CASE("preprocess rejects bad frames and specs with clear errors", "[preprocess]") {
  std::vector<std::uint8_t> buf(64 * 48 * 3, 7);
  const PreprocessSpec spec =
      make_spec(16, 16, ColorOrder::kRGB, ResizeMode::kStretch, TensorLayout::kNCHW);
  std::vector<float> out(3 * 16 * 16);
  auto err = [&](const Frame& f, const PreprocessSpec& s, float* dst) {
    const Status st = cpu::preprocess_frame(f, s, dst);
    CHECK(st.code() == StatusCode::kInvalidArgument);
    return st.message();
  };
  Frame f = cpu::packed_frame(PixelFormat::kRGB, 64, 48, buf.data());
  REQUIRE(cpu::preprocess_frame(f, spec, out.data()).ok());

  PreprocessSpec off = spec;
  off.enabled = false;
  CHECK(err(f, off, out.data()).find("disabled") != std::string::npos);
  PreprocessSpec zero = spec;
  zero.width = 0;
  CHECK(err(f, zero, out.data()).find("0x16 is not positive") != std::string::npos);
  CHECK(err(f, spec, nullptr).find("dst is null") != std::string::npos);

  Frame narrow = cpu::packed_frame(PixelFormat::kRGB, 64, 48, buf.data(), 100);
  CHECK(err(narrow, spec, out.data()).find("stride 100 of plane 0 is shorter than a row (192") !=
        std::string::npos);
  Frame empty = f;
  empty.height = 0;
  CHECK(err(empty, spec, out.data()).find("RGB frame 64x0: width and height") != std::string::npos);
  Frame nv12 = cpu::planar_yuv_frame(PixelFormat::kNV12, 32, 32, buf.data());
  nv12.planes[1] = nullptr;
  CHECK(err(nv12, spec, out.data()).find("NV12 frame 32x32: plane 1 is null") != std::string::npos);
  Frame i420 = cpu::planar_yuv_frame(PixelFormat::kI420, 31, 31, buf.data());
  REQUIRE(cpu::preprocess_frame(i420, spec, out.data()).ok());
  i420.strides[2] = 15;  // a chroma row of a 31-wide frame has 16 samples
  CHECK(err(i420, spec, out.data()).find("stride 15 of plane 2") != std::string::npos);
}

TEST_CASE("preprocess speed on 1080p frames", "[preprocess][perf]") {
  std::mt19937 rng(5);
  struct Case {
    PixelFormat fmt;
    int w, h;
    ResizeMode mode;
  };
  const Case cases[] = {{PixelFormat::kNV12, 640, 640, ResizeMode::kLetterbox},
                        {PixelFormat::kNV12, 224, 224, ResizeMode::kStretch},
                        {PixelFormat::kRGB, 224, 224, ResizeMode::kStretch},
                        {PixelFormat::kBGRx, 640, 640, ResizeMode::kLetterbox},
                        {PixelFormat::kI420, 1920, 1080, ResizeMode::kStretch}};
  for (const Case& c : cases) {
    const TestFrame tf = make_frame(c.fmt, 1920, 1080, rng, /*contiguous=*/true);
    const PreprocessSpec spec = make_spec(c.w, c.h, ColorOrder::kRGB, c.mode, TensorLayout::kNCHW);
    std::vector<float> out(static_cast<std::size_t>(3) * c.w * c.h);
    double best = 1e30;
    for (int rep = 0; rep < 5; ++rep) {
      const auto t0 = std::chrono::steady_clock::now();
      REQUIRE(cpu::preprocess_frame(tf.f, spec, out.data()).ok());
      best = std::min(
          best,
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::printf("preprocess %s 1920x1080 -> %dx%d %s: %.2f ms\n", pixel_format_name(c.fmt), c.w,
                c.h, resize_mode_name(c.mode), best);
    CHECK(best < 1000.0);  // a sanity bound only; the numbers are printed for the record
  }
}

// --- The edgert.preprocess spec format. --------------------------------------------------------

TEST_CASE("preprocess spec round trip through the metadata format", "[preprocess][spec]") {
  PreprocessSpec s;
  s.enabled = true;
  CHECK(s.to_string() ==
        "color=RGB;resize=stretch;layout=NCHW;mean=0,0,0;"
        "scale=0.003921569,0.003921569,0.003921569");
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> any(-300.f, 300.f);
  for (int i = 0; i < 200; ++i) {
    PreprocessSpec t;
    t.enabled = true;
    t.color = static_cast<ColorOrder>(i % 3);
    t.resize = static_cast<ResizeMode>(i % 2);
    t.layout = static_cast<TensorLayout>((i / 2) % 2);
    for (int c = 0; c < 3; ++c) {
      t.mean[c] = any(rng);
      t.scale[c] = 1.f / any(rng);
    }
    t.pad_value = i % 4 ? any(rng) : 0.f;
    if (i % 5 == 0) t.width = 1 + i, t.height = 2 + 2 * i;
    const std::string text = t.to_string();
    INFO(text);
    auto back = parse_preprocess_spec(text);
    REQUIRE(back.ok());
    CHECK(*back == t);
    CHECK(back->to_string() == text);
  }
  PreprocessSpec none;
  CHECK(none.to_string() == "none");
  REQUIRE(parse_preprocess_spec("none").ok());
  CHECK(!parse_preprocess_spec("none")->enabled);
}

TEST_CASE("preprocess spec parsing: defaults, spelling, errors", "[preprocess][spec]") {
  auto s = parse_preprocess_spec(" layout = nhwc ; color=bgr;mean=127.5; scale=+0.0078125 ;");
  REQUIRE(s.ok());
  CHECK(s->enabled);
  CHECK(s->layout == TensorLayout::kNHWC);
  CHECK(s->color == ColorOrder::kBGR);
  CHECK(s->resize == ResizeMode::kStretch);
  CHECK((s->mean[0] == 127.5f && s->mean[2] == 127.5f && s->scale[1] == 0.0078125f));
  auto g = parse_preprocess_spec("color=GRAY8;resize=letterbox;pad=-1;size=320x240");
  REQUIRE(g.ok());
  CHECK((g->color == ColorOrder::kGray && g->pad_value == -1.f && g->width == 320 &&
         g->height == 240));

  auto msg = [](const std::string& text) {
    auto r = parse_preprocess_spec(text);
    CHECK(!r.ok());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    return r.status().message();
  };
  CHECK(msg("color=RGB;colour=BGR").find("'colour=BGR': unknown key") != std::string::npos);
  CHECK(msg("color=RGB;color=BGR").find("'color=BGR': key given twice") != std::string::npos);
  CHECK(msg("color=YUV").find("unknown colour order 'YUV'") != std::string::npos);
  CHECK(msg("resize=crop").find("unknown resize mode 'crop'") != std::string::npos);
  CHECK(msg("layout=CHW").find("unknown tensor layout 'CHW'") != std::string::npos);
  CHECK(msg("mean=1,2").find("'mean=1,2': expected 3 comma-separated") != std::string::npos);
  CHECK(msg("mean=1,x,3").find("'x' is not a finite number") != std::string::npos);
  CHECK(msg("scale=nan").find("'nan' is not a finite number") != std::string::npos);
  CHECK(msg("scale=1,0,1").find("scale of 0") != std::string::npos);
  CHECK(msg("color").find("'color': expected key=value") != std::string::npos);
  CHECK(msg("size=320").find("expected WIDTHxHEIGHT") != std::string::npos);
  CHECK(msg("size=0x5").find("expected WIDTHxHEIGHT") != std::string::npos);

  CHECK(parse_pixel_format("nv12").value() == PixelFormat::kNV12);
  CHECK(parse_pixel_format("BGRx").value() == PixelFormat::kBGRx);
  CHECK(parse_pixel_format("GRAY8").value() == PixelFormat::kGray);
  for (PixelFormat f : kAllFormats) CHECK(parse_pixel_format(pixel_format_name(f)).value() == f);
  CHECK(parse_pixel_format("YUY2").status().message().find("unknown pixel format 'YUY2'") !=
        std::string::npos);
}

}  // namespace edgert::test
