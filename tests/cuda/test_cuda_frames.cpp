// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Camera frames into a CUDA context with FramePreprocessor: the CUDA kernel fills the batch
// slots of the device input (zero-copy and staged I/O), several streams at once, in every pixel
// format, and execute() then gives what the CPU engine gives on cpu::preprocess_frame's tensor.

#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "edgert/frame_preprocessor.h"
#include "engine_build.h"
#include "kernels/cpu/preprocess.h"
#include "test_util.h"

using namespace edgert;  // NOLINT(google-build-using-namespace): test file

namespace {

struct OwnedFrame {
  std::vector<std::uint8_t> bytes;
  ImageFrame frame;
};

/// A random frame of `format`, w x h (odd sizes allowed), tightly packed.
OwnedFrame random_frame(PixelFormat format, int w, int h, unsigned seed) {
  OwnedFrame o;
  const bool yuv = format == PixelFormat::kNV12 || format == PixelFormat::kI420;
  const std::int64_t n = yuv ? cpu::planar_yuv_frame_bytes(w, h)
                             : std::int64_t{w} * h * cpu::pixel_format_bytes_per_pixel(format);
  o.bytes.resize(static_cast<std::size_t>(n));
  std::mt19937 rng(seed);
  for (auto& v : o.bytes) v = static_cast<std::uint8_t>(rng() & 0xFF);
  o.frame = yuv ? cpu::planar_yuv_frame(format, w, h, o.bytes.data())
                : cpu::packed_frame(format, w, h, o.bytes.data());
  return o;
}

std::string fashion_onnx() {
  return std::string(EDGERT_SOURCE_DIR) + "/examples/fashion/fashion_resnet.onnx";
}

}  // namespace

TEST_CASE("cuda: frames preprocessed by the CUDA kernel into batch slots match the CPU engine",
          "[cuda][frames]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  BuildConfig c;
  c.onnx_path = fashion_onnx();
  c.batch = 4;
  const auto cpu_engine = test::build_and_load(c);
  c.target = "cuda";
  const auto gpu_engine = test::build_and_load(c);
  const TensorDesc& in = cpu_engine->inputs()[0];
  const std::int64_t per_slot = in.shape.numel() / 4;

  const OwnedFrame frames[4] = {random_frame(PixelFormat::kRGB, 1920, 1080, 1),
                                random_frame(PixelFormat::kNV12, 641, 479, 2),
                                random_frame(PixelFormat::kBGRx, 320, 240, 3),
                                random_frame(PixelFormat::kI420, 1280, 720, 4)};
  // The reference: cpu::preprocess_frame into one tensor, run by the CPU engine.
  auto x = Tensor::allocate(in.dtype, in.shape);
  REQUIRE(x);
  for (int i = 0; i < 4; ++i)
    REQUIRE(cpu::preprocess_frame(frames[i].frame, cpu_engine->preprocess(0),
                                  x->data<float>() + i * per_slot)
                .ok());
  auto cpu_ctx = cpu_engine->create_context();
  REQUIRE(cpu_ctx);
  std::vector<Tensor> want;
  const Tensor* xs = &*x;
  REQUIRE((*cpu_ctx)->execute({xs}, want).ok());

  for (IoMemory io : {IoMemory::kStaged, IoMemory::kZeroCopy}) {
    for (auto device : {FramePreprocessor::Device::kAuto, FramePreprocessor::Device::kCpu}) {
      const bool kernel = device == FramePreprocessor::Device::kAuto;
      INFO(io_memory_name(io) << (kernel ? ", CUDA kernel" : ", CPU preprocessing"));
      ContextOptions o;
      o.io_memory = io;
      auto ctx = gpu_engine->create_context(o);
      REQUIRE(ctx);
      // Stale values in the host buffer must not reach the device (staged: the kernel's slots
      // are not overwritten by the host copy).
      auto* host_in = static_cast<float*>((*ctx)->host_tensor_address(in.name));
      std::fill(host_in, host_in + in.shape.numel(), 1e3f);
      std::vector<std::unique_ptr<FramePreprocessor>> pre;
      for (int i = 0; i < 4; ++i) {
        auto p = FramePreprocessor::create(**ctx, 0, device);
        REQUIRE(p);
        CHECK((*p)->on_gpu() == kernel);
        pre.push_back(std::move(p).value());
      }
      for (int round = 0; round < 2; ++round) {  // the second round reuses the staging
        Status st[4];
        std::vector<std::thread> threads;
        for (int i = 0; i < 4; ++i)
          threads.emplace_back([&, i] { st[i] = pre[i]->run(frames[i].frame, 3 - i); });
        for (auto& t : threads) t.join();
        for (const Status& s : st) REQUIRE(s.ok());
        REQUIRE((*ctx)->execute().ok());
        const TensorDesc& out = gpu_engine->outputs()[0];
        auto got =
            Tensor::borrow(out.dtype, out.shape, (*ctx)->host_tensor_address(out.name), nullptr);
        // Slot 3 - i holds frame i: compare row by row.
        const std::int64_t row = out.shape.numel() / 4;
        for (int i = 0; i < 4; ++i) {
          auto g = Tensor::borrow(DataType::kFloat32, Shape({row}),
                                  got.data<float>() + (3 - i) * row, nullptr);
          auto w = Tensor::borrow(DataType::kFloat32, Shape({row}), want[0].data<float>() + i * row,
                                  nullptr);
          INFO("round " << round << " frame " << i << " ("
                        << pixel_format_name(frames[i].frame.format) << ")");
          CHECK(test::rel_l2(g, w) < 1e-4);
        }
      }
    }
  }
}
