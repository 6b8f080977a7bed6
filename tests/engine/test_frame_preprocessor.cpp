// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// FramePreprocessor and the context's host I/O buffers on the CPU backend: frames land in the
// right batch slot exactly as cpu::preprocess_frame writes them, execute() without tensors runs on
// those buffers and gives execute(inputs, outputs)'s answer, and misuse is refused by name.
// The CUDA side is tests/cuda/test_cuda_frames.cpp.

#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "edgert/frame_preprocessor.h"
#include "engine_build.h"
#include "kernels/cpu/preprocess.h"

using namespace edgert;  // NOLINT(google-build-using-namespace): test file

namespace {

std::shared_ptr<const Engine> fashion_engine(std::int64_t batch, const std::string& preprocess) {
  BuildConfig c;
  c.onnx_path = std::string(EDGERT_SOURCE_DIR) + "/examples/fashion/fashion_resnet.onnx";
  c.batch = batch;
  c.preprocess = preprocess;
  return test::build_and_load(c);
}

/// A random RGB frame of w x h with rows padded to `stride` bytes.
std::vector<std::uint8_t> random_rgb(int w, int h, std::int64_t stride, unsigned seed) {
  std::vector<std::uint8_t> px(static_cast<std::size_t>(stride * h));
  std::mt19937 rng(seed);
  for (auto& v : px) v = static_cast<std::uint8_t>(rng() & 0xFF);
  return px;
}

}  // namespace

TEST_CASE("frame preprocessor writes each batch slot as cpu::preprocess_frame does",
          "[engine][frames]") {
  const auto engine = fashion_engine(4, "");
  const PreprocessSpec& spec = engine->preprocess(0);
  REQUIRE(spec.enabled);
  auto ctx = engine->create_context();
  REQUIRE(ctx);
  const TensorDesc& in = engine->inputs()[0];
  const TensorDesc& out = engine->outputs()[0];
  auto* host_in = static_cast<float*>((*ctx)->host_tensor_address(in.name));
  REQUIRE(host_in != nullptr);
  REQUIRE((*ctx)->host_tensor_address(out.name) != nullptr);
  CHECK((*ctx)->host_tensor_address("no such tensor") == nullptr);
  const std::int64_t per_slot = in.shape.numel() / 4;
  std::fill(host_in, host_in + in.shape.numel(), -7.f);

  // Two preprocessors (two streams) fill slots 2 and 0 at the same time; 1 and 3 stay as they
  // were.
  auto a = FramePreprocessor::create(**ctx);
  auto b = FramePreprocessor::create(**ctx);
  REQUIRE(a);
  REQUIRE(b);
  CHECK_FALSE((*a)->on_gpu());
  CHECK((*a)->batch() == 4);
  const auto fa = random_rgb(97, 61, 97 * 3 + 5, 1);
  const auto fb = random_rgb(40, 300, 40 * 3, 2);
  const ImageFrame frame_a = cpu::packed_frame(PixelFormat::kRGB, 97, 61, fa.data(), 97 * 3 + 5);
  const ImageFrame frame_b = cpu::packed_frame(PixelFormat::kRGB, 40, 300, fb.data());
  Status sa, sb;
  std::thread ta([&] { sa = (*a)->run(frame_a, 2); });
  std::thread tb([&] { sb = (*b)->run(frame_b, 0); });
  ta.join();
  tb.join();
  REQUIRE(sa.ok());
  REQUIRE(sb.ok());

  std::vector<float> want(static_cast<std::size_t>(in.shape.numel()), -7.f);
  REQUIRE(cpu::preprocess_frame(frame_a, spec, want.data() + 2 * per_slot).ok());
  REQUIRE(cpu::preprocess_frame(frame_b, spec, want.data()).ok());
  CHECK(std::memcmp(want.data(), host_in, want.size() * sizeof(float)) == 0);

  // execute() on the host buffers = execute(inputs, outputs) on the same values.
  REQUIRE((*ctx)->execute().ok());
  std::vector<float> got(
      static_cast<const float*>((*ctx)->host_tensor_address(out.name)),
      static_cast<const float*>((*ctx)->host_tensor_address(out.name)) + out.shape.numel());
  auto x = Tensor::allocate(in.dtype, in.shape);
  REQUIRE(x);
  std::memcpy(x->raw(), want.data(), want.size() * sizeof(float));
  auto ctx2 = engine->create_context();
  REQUIRE(ctx2);
  std::vector<Tensor> outs;
  const Tensor* xs = &*x;
  REQUIRE((*ctx2)->execute({xs}, outs).ok());
  CHECK(std::memcmp(got.data(), outs[0].raw(), got.size() * sizeof(float)) == 0);
}

TEST_CASE("frame preprocessor refuses what it cannot do, naming it", "[engine][frames]") {
  const auto engine = fashion_engine(2, "");
  auto ctx = engine->create_context();
  REQUIRE(ctx);
  auto p = FramePreprocessor::create(**ctx);
  REQUIRE(p);
  const auto px = random_rgb(8, 8, 24, 3);
  const ImageFrame f = cpu::packed_frame(PixelFormat::kRGB, 8, 8, px.data());
  const Status slot = (*p)->run(f, 2);
  CHECK(slot.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(slot.message(), Catch::Contains("slot 2 of a batch of 2"));
  CHECK((*p)->run(f, -1).code() == StatusCode::kInvalidArgument);
  ImageFrame missing = f;
  missing.planes[0] = nullptr;
  CHECK((*p)->run(missing, 0).code() == StatusCode::kInvalidArgument);

  const auto none = FramePreprocessor::create(**ctx, 1);
  REQUIRE_FALSE(none);
  CHECK_THAT(none.status().message(), Catch::Contains("no input #1"));

  const auto raw = fashion_engine(1, "none");
  auto raw_ctx = raw->create_context();
  REQUIRE(raw_ctx);
  const auto no_spec = FramePreprocessor::create(**raw_ctx);
  REQUIRE_FALSE(no_spec);
  CHECK_THAT(no_spec.status().message(), Catch::Contains("no preprocessing spec"));
  CHECK_THAT(no_spec.status().message(), Catch::Contains(raw->inputs()[0].name));
}
