// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The CUDA preprocessing kernel (cuda_preprocess.h) against cpu::preprocess_frame on the same
// random frames: every PixelFormat, rows padded beyond their width (strides honoured), odd sizes
// including a 1x1 frame, down- and upscaling, stretch and letterbox (both aspect directions),
// NCHW and NHWC, RGB/BGR/GRAY network inputs, float32 and float16 output.

#include <cuda_runtime_api.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "cuda_test_util.h"
#include "edgert/kernels/cuda_preprocess.h"
#include "kernels/cpu/preprocess.h"
#include "test_util.h"

namespace edgert {
namespace {

using test::gpu::DeviceMemory;

constexpr PixelFormat kAllFormats[] = {PixelFormat::kRGB,  PixelFormat::kBGR,  PixelFormat::kRGBA,
                                       PixelFormat::kBGRx, PixelFormat::kGray, PixelFormat::kNV12,
                                       PixelFormat::kI420};

// A random frame in one host buffer, each plane's rows padded by a few bytes (a different number
// per plane, so that a kernel mixing up the strides reads the wrong bytes); plane p starts at
// offs[p].
struct HostFrame {
  std::vector<std::uint8_t> buf;
  cpu::Frame f;
  std::size_t offs[3] = {0, 0, 0};
};

HostFrame make_frame(PixelFormat fmt, int w, int h, std::mt19937& rng) {
  HostFrame t;
  const int cw = (w + 1) / 2, ch = (h + 1) / 2;
  std::int64_t row[3] = {static_cast<std::int64_t>(w) * cpu::pixel_format_bytes_per_pixel(fmt), 0,
                         0};
  const int rows[3] = {h, ch, ch};
  if (fmt == PixelFormat::kNV12) row[1] = 2 * cw;
  if (fmt == PixelFormat::kI420) row[1] = row[2] = cw;
  const int planes = cpu::pixel_format_planes(fmt);
  std::size_t total = 0;
  for (int p = 0; p < planes; ++p) {
    t.offs[p] = total;
    total += static_cast<std::size_t>((row[p] + 3 + 2 * p) * rows[p]);
  }
  t.buf.resize(total);
  std::uniform_int_distribution<int> byte(0, 255);
  for (auto& b : t.buf) b = static_cast<std::uint8_t>(byte(rng));
  t.f.format = fmt;
  t.f.width = w;
  t.f.height = h;
  for (int p = 0; p < planes; ++p) {
    t.f.planes[p] = t.buf.data() + t.offs[p];
    t.f.strides[p] = row[p] + 3 + 2 * p;
  }
  return t;
}

cuda::DeviceFrame device_frame(const HostFrame& h, const DeviceMemory& d) {
  cuda::DeviceFrame f;
  f.format = h.f.format;
  f.width = h.f.width;
  f.height = h.f.height;
  for (int p = 0; p < 3; ++p) {
    f.planes[p] = h.f.planes[p] ? static_cast<const std::uint8_t*>(d.get()) + h.offs[p] : nullptr;
    f.strides[p] = h.f.strides[p];
  }
  return f;
}

struct Size {
  int w, h;
};

}  // namespace

TEST_CASE("CUDA preprocess_frame matches cpu::preprocess_frame", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  cudaStream_t stream = nullptr;
  REQUIRE(cudaStreamCreate(&stream) == cudaSuccess);
  std::mt19937 rng(777);
  // Sources: odd sizes wider and taller than the outputs, one smaller (upscaling), a 1x1 frame.
  const Size sources[] = {{97, 61}, {13, 21}, {1, 1}, {331, 187}};
  // Outputs: wide and tall, so that a letterbox pads left/right for some sources, top/bottom for
  // others.
  const Size outputs[] = {{31, 17}, {24, 40}};
  const ColorOrder colors[] = {ColorOrder::kRGB, ColorOrder::kBGR, ColorOrder::kGray};
  const ResizeMode modes[] = {ResizeMode::kStretch, ResizeMode::kLetterbox};
  const TensorLayout layouts[] = {TensorLayout::kNCHW, TensorLayout::kNHWC};
  const DataType types[] = {DataType::kFloat32, DataType::kFloat16};

  for (PixelFormat fmt : kAllFormats)
    for (const Size& src : sources) {
      const HostFrame hf = make_frame(fmt, src.w, src.h, rng);
      const DeviceMemory dframe = test::gpu::upload_bytes(hf.buf.data(), hf.buf.size());
      const cuda::DeviceFrame df = device_frame(hf, dframe);
      for (const Size& out : outputs)
        for (ColorOrder color : colors)
          for (ResizeMode mode : modes)
            for (TensorLayout layout : layouts)
              for (DataType type : types) {
                PreprocessSpec spec;
                spec.enabled = true;
                spec.width = out.w;
                spec.height = out.h;
                spec.color = color;
                spec.resize = mode;
                spec.layout = layout;
                // ImageNet-style normalisation: every channel different, so a channel mix-up
                // shows.
                spec.mean[0] = 123.675f;
                spec.mean[1] = 116.28f;
                spec.mean[2] = 103.53f;
                spec.scale[0] = 1.f / 58.395f;
                spec.scale[1] = 1.f / 57.12f;
                spec.scale[2] = 1.f / 57.375f;
                spec.pad_value = mode == ResizeMode::kLetterbox ? -0.75f : 0.f;
                INFO(pixel_format_name(fmt)
                     << " " << src.w << "x" << src.h << " -> " << spec.to_string() << " "
                     << (type == DataType::kFloat16 ? "float16" : "float32"));

                const int channels = color_order_channels(color);
                const std::int64_t n = static_cast<std::int64_t>(channels) * out.w * out.h;
                const Shape shape{n};
                Tensor want = Tensor::allocate(DataType::kFloat32, shape).value();
                const Status cpu_st = cpu::preprocess_frame(hf.f, spec, want.data<float>());
                INFO("CPU: " << cpu_st.to_string());
                REQUIRE(cpu_st.ok());

                DeviceMemory dy =
                    test::gpu::poisoned(static_cast<std::size_t>(n) * dtype_size(type));
                const Status st = cuda::preprocess_frame(df, spec, dy.get(), type, stream);
                INFO("launch: " << st.to_string());
                REQUIRE(st.ok());
                const cudaError_t done = cudaStreamSynchronize(stream);
                INFO("CUDA: " << cudaGetErrorString(done));
                REQUIRE(done == cudaSuccess);

                Tensor got = Tensor::allocate(DataType::kFloat32, shape).value();
                if (type == DataType::kFloat32) {
                  test::gpu::download_bytes(dy.get(), got.raw(), got.nbytes());
                } else {
                  std::vector<std::uint16_t> h(static_cast<std::size_t>(n));
                  test::gpu::download_bytes(dy.get(), h.data(), h.size() * sizeof(std::uint16_t));
                  const std::vector<float> v = test::gpu::from_half(h);
                  for (std::int64_t i = 0; i < n; ++i)
                    got.data<float>()[i] = v[static_cast<std::size_t>(i)];
                }
                const double err = test::rel_l2(got, want);
                INFO("rel L2 " << err << ", max abs " << test::max_abs_diff(got, want));
                CHECK(err < (type == DataType::kFloat32 ? 1e-5 : 2e-3));
              }
    }
  CHECK(cudaStreamDestroy(stream) == cudaSuccess);
}

// Argument checks happen before any CUDA call: this needs no GPU.
TEST_CASE("CUDA preprocess_frame rejects bad arguments without launching") {
  std::uint8_t pixels[64] = {1};
  float out[64];
  cuda::DeviceFrame f;
  f.format = PixelFormat::kRGB;
  f.width = 4;
  f.height = 2;
  f.planes[0] = pixels;
  f.strides[0] = 12;
  PreprocessSpec spec;
  spec.enabled = true;
  spec.width = 4;
  spec.height = 4;
  auto code = [&](const cuda::DeviceFrame& fr, const PreprocessSpec& s, DataType t) {
    return cuda::preprocess_frame(fr, s, out, t, nullptr).code();
  };
  const auto invalid = StatusCode::kInvalidArgument;
  PreprocessSpec disabled = spec;
  disabled.enabled = false;
  CHECK(code(f, disabled, DataType::kFloat32) == invalid);
  PreprocessSpec empty = spec;
  empty.width = 0;
  CHECK(code(f, empty, DataType::kFloat32) == invalid);
  CHECK(code(f, spec, DataType::kInt8) == invalid);
  cuda::DeviceFrame short_stride = f;
  short_stride.strides[0] = 11;
  CHECK(code(short_stride, spec, DataType::kFloat32) == invalid);
  cuda::DeviceFrame nv12 = f;
  nv12.format = PixelFormat::kNV12;
  nv12.strides[0] = 4;  // the UV plane is missing
  CHECK(code(nv12, spec, DataType::kFloat32) == invalid);
  cuda::DeviceFrame no_size = f;
  no_size.height = 0;
  CHECK(code(no_size, spec, DataType::kFloat32) == invalid);
  CHECK(cuda::preprocess_frame(f, spec, nullptr, DataType::kFloat32, nullptr).code() == invalid);
}

}  // namespace edgert
