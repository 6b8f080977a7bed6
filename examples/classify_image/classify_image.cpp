// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Image classification with EdgeRT's CPU reference executor: decode with OpenCV, preprocess the
// way the model was trained, import the ONNX model, run it, print the top-k classes and timings.
//
//   classify_image [--model M.onnx] [--labels L.txt] [--preprocess ppocr|imagenet] IMAGE...
//
// The default model is PP-OCR's text direction classifier (is a cropped line of text upright or
// turned by 180 degrees?), fetched by tests/models/setup_ppocr.sh; see README.md.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "edgert/status.h"
#include "edgert/tensor.h"
#include "ir/interpreter.h"
#include "onnx/importer.h"

#ifndef EDGERT_DEFAULT_CLS_MODEL
#define EDGERT_DEFAULT_CLS_MODEL "ppocr_cls.onnx"
#endif

namespace {

using edgert::DataType;
using edgert::Expected;
using edgert::Shape;
using edgert::Status;
using edgert::StatusCode;
using edgert::Tensor;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

/// PaddleOCR's cls preprocessing (tools/infer/predict_cls.py, resize_norm_img): resize to the
/// input height keeping the aspect ratio (width capped at the input width), keep OpenCV's BGR
/// order (PaddleOCR reads with cv2.imread and never converts), scale to [-1, 1] with
/// (x/255 - 0.5)/0.5, and zero-pad on the right (0 = mid grey after normalization).
Expected<Tensor> preprocess_ppocr(const cv::Mat& bgr, int height, int width) {
  const double ratio = static_cast<double>(bgr.cols) / bgr.rows;
  const int resized_w = std::min(width, static_cast<int>(std::ceil(height * ratio)));
  cv::Mat resized;
  cv::resize(bgr, resized, cv::Size(resized_w, height));  // bilinear, as cv2.resize
  EDGERT_ASSIGN_OR_RETURN(Tensor t,
                          Tensor::allocate(DataType::kFloat32, Shape{1, 3, height, width}));
  float* out = t.data<float>();
  for (int y = 0; y < height; ++y) {
    const auto* row = resized.ptr<cv::Vec3b>(y);
    for (int x = 0; x < resized_w; ++x) {
      for (int c = 0; c < 3; ++c) {
        out[(static_cast<std::size_t>(c) * height + y) * width + x] =
            (row[x][c] / 255.0f - 0.5f) / 0.5f;
      }
    }
  }
  return t;
}

/// torchvision's ImageNet preprocessing: resize the short side to 256/224 of the input size,
/// centre crop, RGB, per-channel mean/std.
Expected<Tensor> preprocess_imagenet(const cv::Mat& bgr, int height, int width) {
  const double scale = 256.0 / 224.0 * std::max(height, width) / std::min(bgr.rows, bgr.cols);
  cv::Mat resized;
  cv::resize(bgr, resized,
             cv::Size(std::max(width, static_cast<int>(std::lround(bgr.cols * scale))),
                      std::max(height, static_cast<int>(std::lround(bgr.rows * scale)))));
  const cv::Mat crop =
      resized(cv::Rect((resized.cols - width) / 2, (resized.rows - height) / 2, width, height));
  const float mean[3] = {0.485f, 0.456f, 0.406f};
  const float stdev[3] = {0.229f, 0.224f, 0.225f};
  EDGERT_ASSIGN_OR_RETURN(Tensor t,
                          Tensor::allocate(DataType::kFloat32, Shape{1, 3, height, width}));
  float* out = t.data<float>();
  for (int y = 0; y < height; ++y) {
    const auto* row = crop.ptr<cv::Vec3b>(y);
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < 3; ++c) {
        const float v = row[x][2 - c] / 255.0f;  // BGR -> RGB
        out[(static_cast<std::size_t>(c) * height + y) * width + x] = (v - mean[c]) / stdev[c];
      }
    }
  }
  return t;
}

/// Class probabilities from the model output: used as they are when they already are a
/// distribution (PP-OCR's classifier ends in Softmax), softmax-ed otherwise (logits, as
/// torchvision models output).
std::vector<double> to_probabilities(const Tensor& out) {
  std::vector<double> p(static_cast<std::size_t>(out.numel()));
  for (std::size_t i = 0; i < p.size(); ++i) {
    p[i] = out.get_as_double(static_cast<std::int64_t>(i));
  }
  const double sum = std::accumulate(p.begin(), p.end(), 0.0);
  const bool is_distribution =
      std::all_of(p.begin(), p.end(), [](double v) { return v >= 0 && v <= 1; }) &&
      std::fabs(sum - 1.0) < 1e-3;
  if (is_distribution || p.empty()) return p;
  const double mx = *std::max_element(p.begin(), p.end());
  double z = 0;
  for (double& v : p) z += (v = std::exp(v - mx));
  for (double& v : p) v /= z;
  return p;
}

Expected<std::vector<std::string>> read_labels(const std::string& path) {
  std::ifstream in(path);
  if (!in) return edgert::make_error(StatusCode::kNotFound, path + ": cannot open labels file");
  std::vector<std::string> labels;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    labels.push_back(line);
  }
  return labels;
}

int fail(const Status& s) {
  std::fprintf(stderr, "classify_image: %s\n", s.to_string().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Classify images with EdgeRT's CPU reference executor"};
  std::string model = EDGERT_DEFAULT_CLS_MODEL;
  std::string labels_path;
  std::string preprocess = "ppocr";
  int height = 48, width = 192, top_k = 5;
  std::vector<std::string> images;
  app.add_option("--model", model, "ONNX model (default: PP-OCR text direction classifier)")
      ->capture_default_str();
  app.add_option("--labels", labels_path,
                 "class names, one per line (default model: 0 and 180 degrees)");
  app.add_option("--preprocess", preprocess,
                 "ppocr: keep aspect, pad width, BGR, [-1,1]; "
                 "imagenet: resize+centre crop, RGB, mean/std")
      ->check(CLI::IsMember({"ppocr", "imagenet"}))
      ->capture_default_str();
  app.add_option("--height", height, "model input height")->capture_default_str();
  app.add_option("--width", width, "model input width")->capture_default_str();
  app.add_option("--top-k", top_k, "classes to print per image")->capture_default_str();
  app.add_option("IMAGE", images, "images to classify (anything OpenCV decodes)")->required();
  CLI11_PARSE(app, argc, argv);
  const bool default_model = app.count("--model") == 0;
  if (height <= 0 || width <= 0 || top_k <= 0) {
    std::fprintf(stderr, "classify_image: --height, --width and --top-k must be positive\n");
    return 2;
  }

  std::vector<std::string> labels;
  if (!labels_path.empty()) {
    auto l = read_labels(labels_path);
    if (!l.ok()) return fail(l.status());
    labels = std::move(l).value();
  }

  // Learn the input's name first, then import again with its shape fixed: the model's batch,
  // height and width are dynamic, and a static shape lets the importer fold the shape
  // computations (Shape -> Slice -> Concat -> Reshape) into constants.
  auto t0 = Clock::now();
  auto probe = edgert::onnx::import_model(model, {});
  if (!probe.ok()) return fail(probe.status());
  if ((*probe)->inputs().size() != 1 || (*probe)->outputs().empty()) {
    return fail(edgert::make_error(StatusCode::kUnsupported,
                                   model + ": expected one image input and an output"));
  }
  const std::string input_name = (*probe)->inputs()[0]->name;
  probe->reset();  // free the first graph's weights before importing the second
  edgert::onnx::ImportOptions options;
  options.input_shapes[input_name] = Shape{1, 3, height, width};
  auto graph = edgert::onnx::import_model(model, options);
  if (!graph.ok()) return fail(graph.status());
  std::printf("%s: imported in %.1f ms (input '%s' [1,3,%d,%d])\n", model.c_str(), ms_since(t0),
              input_name.c_str(), height, width);

  int status = 0;
  for (const std::string& path : images) {
    const cv::Mat img = cv::imread(path, cv::IMREAD_COLOR);
    if (img.empty()) {
      std::fprintf(stderr, "classify_image: %s: cannot read or decode the image\n", path.c_str());
      status = 1;
      continue;
    }
    auto input = preprocess == "ppocr" ? preprocess_ppocr(img, height, width)
                                       : preprocess_imagenet(img, height, width);
    if (!input.ok()) return fail(input.status());
    t0 = Clock::now();
    auto result = edgert::ir::run_graph(**graph, {{input_name, *input}});
    const double run_ms = ms_since(t0);
    if (!result.ok()) return fail(result.status().with_context(path));

    const std::vector<double> p = to_probabilities(result->outputs[0]);
    // PP-OCR's ClsPostProcess label_list: class 0 is upright text, class 1 is upside down.
    if (labels.empty() && default_model) labels = {"0", "180"};
    std::vector<std::size_t> order(p.size());
    std::iota(order.begin(), order.end(), 0);
    const std::size_t k = std::min(order.size(), static_cast<std::size_t>(top_k));
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                      [&](std::size_t a, std::size_t b) { return p[a] > p[b]; });
    std::printf("%s (%dx%d): %.1f ms\n", path.c_str(), img.cols, img.rows, run_ms);
    for (std::size_t i = 0; i < k; ++i) {
      const std::size_t c = order[i];
      const std::string name = c < labels.size() ? labels[c] : "class " + std::to_string(c);
      std::printf("  %-20s %.6f\n", name.c_str(), p[c]);
    }
  }
  return status;
}
