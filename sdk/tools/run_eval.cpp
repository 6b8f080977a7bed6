// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// `edgert run` (one engine on given inputs: images through the engine's preprocessing, or raw
// tensors) and `edgert eval` (top-1 of a classifier engine over a labelled set).
//
//   edgert run --engine fashion.engine --image shirt.png
//   edgert eval --engine fashion.engine --images test_images.npy --labels test_labels.npy

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#ifdef EDGERT_HAVE_OPENCV
#include <opencv2/imgcodecs.hpp>
#endif

#include "core/npy.h"
#include "edgert/engine.h"
#include "edgert/memory_report.h"
#include "edgert/runtime.h"
#include "kernels/cpu/preprocess.h"
#include "tools/cli_util.h"
#include "tools/commands.h"

namespace edgert::tools {
namespace {

struct RunArgs {
  std::string engine;
  std::vector<std::string> images, inputs;
  std::string save_outputs;
  int top_k = 5;
  bool memory_report = false;
};

struct EvalArgs {
  std::string engine, images, labels, report_json;
  int limit = 0;
};

RunArgs& run_args() {
  static RunArgs a;
  return a;
}
EvalArgs& eval_args() {
  static EvalArgs a;
  return a;
}

/// Frames (uint8 HxWx3, contiguous, `format` RGB or BGR) into the engine's input 0 through its
/// preprocessing.
Status fill_from_frames(const Engine& engine, const std::uint8_t* frames, int count, int height,
                        int width, Tensor& input, PixelFormat format = PixelFormat::kRGB) {
  const PreprocessSpec& spec = engine.preprocess(0);
  if (!spec.enabled)
    return Status(
        StatusCode::kInvalidArgument,
        "engine input '" + engine.inputs()[0].name +
            "' has no preprocessing spec: give raw tensors with --input instead of images");
  const std::int64_t per_item = input.numel() / input.shape()[0];
  for (int i = 0; i < count; ++i) {
    const cpu::Frame f =
        cpu::packed_frame(format, width, height,
                          frames + static_cast<std::size_t>(i) * height * width * 3, width * 3);
    EDGERT_RETURN_IF_ERROR(cpu::preprocess_frame(f, spec, input.data<float>() + i * per_item));
  }
  return Status();
}

std::vector<int> top_k(const float* scores, int n, int k) {
  std::vector<int> idx(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) idx[static_cast<std::size_t>(i)] = i;
  k = std::min(k, n);
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                    [&](int a, int b) { return scores[a] > scores[b]; });
  idx.resize(static_cast<std::size_t>(k));
  return idx;
}

}  // namespace
}  // namespace edgert::tools

CLI::App* setup_run_command(CLI::App& app) {
  auto& a = edgert::tools::run_args();
  CLI::App& sub = *app.add_subcommand("run", "Run an engine on images or tensors");
  sub.add_option("--engine", a.engine, "Engine file")->required();
  sub.add_option("--image", a.images, "Image file(s), fed through the engine's preprocessing");
  sub.add_option("--input", a.inputs, "Raw input tensor(s) as .npy, in the engine's input order");
  sub.add_option("--save-outputs", a.save_outputs, "Directory to write each output as .npy");
  sub.add_option("--top-k", a.top_k, "Classes to print per image (default 5)");
  sub.add_flag("--memory-report", a.memory_report,
               "Print the memory the run used: current and peak per tag and kind");
  return &sub;
}

int run_run_command() {
  using namespace edgert;  // NOLINT(google-build-using-namespace): function-local
  const auto& a = tools::run_args();
  auto engine = Engine::load(a.engine);
  if (!engine) return tools::fail("run", engine.status());
  const Engine& e = **engine;
  if (a.images.empty() == a.inputs.empty())
    return tools::fail(
        "run", Status(StatusCode::kInvalidArgument, "give either --image files or --input tensors"),
        2);
  auto ctx = e.create_context();
  if (!ctx) return tools::fail("run", ctx.status());

  std::vector<Tensor> inputs;
  if (!a.inputs.empty()) {
    for (const auto& path : a.inputs) {
      auto t = read_npy(path);
      if (!t) return tools::fail("run", t.status());
      inputs.push_back(std::move(*t));
    }
  } else {
    const TensorDesc& in = e.inputs()[0];
    const std::int64_t batch = in.shape[0];
    if (static_cast<std::int64_t>(a.images.size()) > batch)
      return tools::fail("run",
                         Status(StatusCode::kInvalidArgument, std::to_string(a.images.size()) +
                                                                  " images but the engine "
                                                                  "batch is " +
                                                                  std::to_string(batch)),
                         2);
    if (in.dtype != DataType::kFloat32 || in.shape.rank() != 4)
      return tools::fail("run",
                         Status(StatusCode::kInvalidArgument,
                                "input '" + in.name + "' is not a float32 image tensor"),
                         2);
    auto alloc = Tensor::allocate(in.dtype, in.shape);
    if (!alloc) return tools::fail("run", alloc.status());
    Tensor t = std::move(*alloc);
    std::fill(t.data<float>(), t.data<float>() + t.numel(), 0.f);
#ifndef EDGERT_HAVE_OPENCV
    return tools::fail("run",
                       Status(StatusCode::kUnsupported,
                              "this edgert was built without OpenCV and decodes no images: "
                              "pass tensors with --input"),
                       2);
#else
    for (std::size_t i = 0; i < a.images.size(); ++i) {
      cv::Mat img = cv::imread(a.images[i], cv::IMREAD_COLOR);  // 8-bit B,G,R
      if (img.empty() || !img.isContinuous())
        return tools::fail("run", Status(StatusCode::kParseError,
                                         "'" + a.images[i] + "': cannot decode this image"));
      auto one_alloc =
          Tensor::allocate(in.dtype, Shape({1, in.shape[1], in.shape[2], in.shape[3]}));
      if (!one_alloc) return tools::fail("run", one_alloc.status());
      Tensor one = std::move(*one_alloc);
      Status st =
          tools::fill_from_frames(e, img.data, 1, img.rows, img.cols, one, PixelFormat::kBGR);
      if (!st.ok()) return tools::fail("run", st);
      std::copy(one.data<float>(), one.data<float>() + one.numel(),
                t.data<float>() + static_cast<std::int64_t>(i) * one.numel());
    }
    inputs.push_back(std::move(t));
#endif
  }
  std::vector<const Tensor*> in_ptrs;
  for (const auto& t : inputs) in_ptrs.push_back(&t);
  std::vector<Tensor> outputs;
  auto t0 = std::chrono::steady_clock::now();
  Status st = (*ctx)->execute(in_ptrs, outputs);
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!st.ok()) return tools::fail("run", st);
  std::printf("ran %s in %.3f ms\n", a.engine.c_str(), ms);
  const auto& labels = e.labels();
  for (std::size_t o = 0; o < outputs.size(); ++o) {
    const Tensor& out = outputs[o];
    std::printf("output '%s' %s %s\n", e.outputs()[o].name.c_str(), dtype_name(out.dtype()),
                out.shape().to_string().c_str());
    if (out.dtype() == DataType::kFloat32 && out.shape().rank() == 2) {
      const int rows = static_cast<int>(out.shape()[0]);
      const int cols = static_cast<int>(out.shape()[1]);
      const int shown = a.images.empty() ? rows : static_cast<int>(a.images.size());
      for (int r = 0; r < shown; ++r) {
        std::printf("  [%d]%s%s:", r, a.images.empty() ? "" : " ",
                    a.images.empty() ? "" : a.images[static_cast<std::size_t>(r)].c_str());
        for (int c : tools::top_k(out.data<float>() + r * cols, cols, a.top_k)) {
          const char* name = static_cast<std::size_t>(c) < labels.size()
                                 ? labels[static_cast<std::size_t>(c)].c_str()
                                 : "";
          std::printf(" %d%s%s%s=%.4f", c, *name ? " (" : "", name, *name ? ")" : "",
                      static_cast<double>(out.data<float>()[r * cols + c]));
        }
        std::printf("\n");
      }
    }
    if (!a.save_outputs.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(a.save_outputs, ec);
      std::string path = a.save_outputs + "/" + e.outputs()[o].name + ".npy";
      Status ws = write_npy(path, out);
      if (!ws.ok()) return tools::fail("run", ws);
    }
  }
  if (a.memory_report) std::fputs(memory_usage_text().c_str(), stdout);
  return 0;
}

CLI::App* setup_eval_command(CLI::App& app) {
  auto& a = edgert::tools::eval_args();
  CLI::App& sub =
      *app.add_subcommand("eval", "Top-1 accuracy of a classifier engine on a labelled set");
  sub.add_option("--engine", a.engine, "Engine file")->required();
  sub.add_option("--images", a.images, "uint8 images (N,H,W,3) RGB as .npy")->required();
  sub.add_option("--labels", a.labels, "Labels (N) as int64 .npy")->required();
  sub.add_option("--limit", a.limit, "Use only the first N images");
  sub.add_option("--report-json", a.report_json, "Write the result as JSON");
  return &sub;
}

int run_eval_command() {
  using namespace edgert;  // NOLINT(google-build-using-namespace): function-local
  const auto& a = tools::eval_args();
  auto engine = Engine::load(a.engine);
  if (!engine) return tools::fail("eval", engine.status());
  const Engine& e = **engine;
  auto images = read_npy(a.images);
  if (!images) return tools::fail("eval", images.status());
  auto labels = read_npy(a.labels);
  if (!labels) return tools::fail("eval", labels.status());
  const Shape& is = images->shape();
  if (images->dtype() != DataType::kUInt8 || is.rank() != 4 || is[3] != 3)
    return tools::fail("eval",
                       Status(StatusCode::kInvalidArgument,
                              "'" + a.images +
                                  "': expected uint8 images of shape "
                                  "(N,H,W,3), got " +
                                  std::string(dtype_name(images->dtype())) + " " + is.to_string()),
                       2);
  if (labels->dtype() != DataType::kInt64 || labels->numel() != is[0])
    return tools::fail("eval",
                       Status(StatusCode::kInvalidArgument,
                              "'" + a.labels + "': expected " + std::to_string(is[0]) +
                                  " int64 labels, got " + labels->shape().to_string()),
                       2);
  if (e.outputs().empty() || e.inputs().size() != 1)
    return tools::fail(
        "eval", Status(StatusCode::kInvalidArgument, "eval needs an engine with one input"), 2);
  std::int64_t n = is[0];
  if (a.limit > 0) n = std::min<std::int64_t>(n, a.limit);
  const TensorDesc& in = e.inputs()[0];
  const std::int64_t batch = in.shape[0];
  auto ctx = e.create_context();
  if (!ctx) return tools::fail("eval", ctx.status());
  if (in.dtype != DataType::kFloat32 || in.shape.rank() != 4)
    return tools::fail("eval",
                       Status(StatusCode::kInvalidArgument,
                              "input '" + in.name + "' is not a float32 image tensor"),
                       2);
  auto alloc = Tensor::allocate(in.dtype, in.shape);
  if (!alloc) return tools::fail("eval", alloc.status());
  Tensor input = std::move(*alloc);
  std::vector<Tensor> outputs;
  std::int64_t correct = 0;
  const std::int64_t frame_bytes = is[1] * is[2] * 3;
  auto t0 = std::chrono::steady_clock::now();
  for (std::int64_t start = 0; start < n; start += batch) {
    const int count = static_cast<int>(std::min(batch, n - start));
    std::fill(input.data<float>(), input.data<float>() + input.numel(), 0.f);
    Status st =
        tools::fill_from_frames(e, images->data<std::uint8_t>() + start * frame_bytes, count,
                                static_cast<int>(is[1]), static_cast<int>(is[2]), input);
    if (!st.ok()) return tools::fail("eval", st);
    const Tensor* ip = &input;
    st = (*ctx)->execute({ip}, outputs);
    if (!st.ok()) return tools::fail("eval", st);
    const Tensor& out = outputs[0];
    const std::int64_t classes = out.numel() / out.shape()[0];
    for (int i = 0; i < count; ++i) {
      const float* row = out.data<float>() + i * classes;
      const auto best = std::max_element(row, row + classes) - row;
      if (best == labels->data<std::int64_t>()[start + i]) ++correct;
    }
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double top1 = 100.0 * static_cast<double>(correct) / static_cast<double>(n);
  std::printf("top-1 %.2f%% (%lld/%lld) in %.2f s (%.0f images/s)\n", top1,
              static_cast<long long>(correct), static_cast<long long>(n), s,
              static_cast<double>(n) / s);
  if (!a.report_json.empty()) {
    nlohmann::json js = {
        {"engine", a.engine}, {"images", n}, {"correct", correct}, {"top1", top1}, {"seconds", s}};
    const std::string j = js.dump(2) + "\n";
    Status ws =
        tools::write_file_atomic(a.report_json, j.data(), j.size(), {a.engine, a.images, a.labels});
    if (!ws.ok()) return tools::fail("eval", ws);
  }
  return 0;
}
