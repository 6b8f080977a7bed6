// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The calibration driver on a tiny graph run by the reference interpreter, and the calibration
// data sources: image directories (PNGs written here with OpenCV), uint8 image batches, .npy and
// .bin tensor files, and their bad inputs.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/npy.h"
#include "edgert/logger.h"
#include "kernels/cpu/preprocess.h"
#include "quant/calibration.h"
#include "quant/calibration_data.h"

namespace edgert::quant {
namespace {

namespace fs = std::filesystem;

// Collects warnings while alive (restores the default logger afterwards).
class CaptureLog final : public ILogger {
 public:
  CaptureLog() { set_logger(this); }
  ~CaptureLog() override { set_logger(nullptr); }
  void log(Severity s, const char* message) noexcept override {
    if (s > Severity::kWarning) return;
    std::lock_guard<std::mutex> lock(mu_);
    text_ += std::string(message) + "\n";
  }
  std::string text() {
    std::lock_guard<std::mutex> lock(mu_);
    return text_;
  }

 private:
  std::mutex mu_;
  std::string text_;
};

// A fresh empty directory under the test data dir.
std::string temp_dir(const std::string& name) {
  const fs::path p = fs::path(EDGERT_TEST_DATA_DIR) / ("quant_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

cpu::NodeInfo node(const std::string& op, const std::string& name) {
  cpu::NodeInfo n;
  n.op_type = op;
  n.name = name;
  n.opset = 13;
  return n;
}

// x -> Relu -> r; r * 2 -> m; m + x -> y (output). x is [2, 3, 4, 4] float32.
void build_graph(ir::Graph& g, const Shape& shape) {
  ir::Value* x = g.get_or_add_value("x");
  x->is_graph_input = true;
  x->info = cpu::TensorInfo{DataType::kFloat32, shape};
  g.inputs().push_back(x);
  Tensor two = Tensor::allocate(DataType::kFloat32, Shape{}).value();
  two.data<float>()[0] = 2.f;
  REQUIRE(g.add_constant("two", two).ok());
  REQUIRE(g.add_node(node("Relu", "relu"), "", {"x"}, {"r"}).ok());
  REQUIRE(g.add_node(node("Mul", "double"), "", {"r", "two"}, {"m"}).ok());
  REQUIRE(g.add_node(node("Add", "residual"), "", {"m", "x"}, {"y"}).ok());
  ir::Value* y = g.find_value("y");
  y->is_graph_output = true;
  g.outputs().push_back(y);
  REQUIRE(g.topological_sort().ok());
  REQUIRE(g.infer_shapes().ok());
}

Tensor random_batch(std::mt19937& rng, const Shape& shape, float scale) {
  Tensor t = Tensor::allocate(DataType::kFloat32, shape).value();
  std::normal_distribution<float> g(0.f, scale);
  for (std::int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = g(rng);
  return t;
}

CalibrationOptions quiet(CalibratorKind kind = CalibratorKind::kMinMax) {
  CalibrationOptions o;
  o.calibrator.kind = kind;
  o.progress = ProgressMode::kOff;
  return o;
}

// A random RGB image (H, W, 3) as the test's own pixel array.
cv::Mat random_rgb(std::mt19937& rng, int h, int w) {
  cv::Mat m(h, w, CV_8UC3);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) m.at<cv::Vec3b>(y, x)[c] = static_cast<std::uint8_t>(byte(rng));
  return m;
}

// Writes `rgb` as a PNG (OpenCV writes B,G,R order: swap first).
void write_png(const std::string& path, const cv::Mat& rgb) {
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  REQUIRE(cv::imwrite(path, bgr));
}

// What the preprocessing kernel makes of `rgb` (the source's decode/order/batching is what these
// tests check; the kernel has its own tests).
std::vector<float> preprocessed(const cv::Mat& rgb, const PreprocessSpec& spec) {
  std::vector<float> out(static_cast<std::size_t>(color_order_channels(spec.color)) * spec.width *
                         spec.height);
  const cpu::Frame f = cpu::packed_frame(PixelFormat::kRGB, rgb.cols, rgb.rows, rgb.data,
                                         static_cast<std::int64_t>(rgb.step[0]));
  REQUIRE(cpu::preprocess_frame(f, spec, out.data()).ok());
  return out;
}

bool sample_equals(const Tensor& batch, std::int64_t index, const std::vector<float>& want) {
  const float* p = batch.data<float>() + index * static_cast<std::int64_t>(want.size());
  return std::equal(want.begin(), want.end(), p);
}

CalibrationInput image_input(int batch, int h, int w) {
  CalibrationInput in;
  in.name = "images";
  in.shape = Shape{batch, 3, h, w};
  in.preprocess.enabled = true;
  in.preprocess.mean[0] = 120.f;
  in.preprocess.scale[1] = 0.5f;
  return in;
}

cv::Mat gray_to_rgb(const cv::Mat& g) {
  cv::Mat rgb;
  cv::cvtColor(g, rgb, cv::COLOR_GRAY2RGB);
  return rgb;
}

}  // namespace

TEST_CASE("calibration driver on a tiny graph through the interpreter", "[quant][driver]") {
  ir::Graph g;
  const Shape shape{2, 3, 4, 4};
  build_graph(g, shape);
  std::mt19937 rng(21);
  std::vector<std::vector<Tensor>> batches;
  for (int b = 0; b < 5; ++b) batches.push_back({random_batch(rng, shape, 1.f + b)});

  // Expected per-tensor max |.| over all batches, computed directly.
  double mx_x = 0, mx_r = 0, mx_m = 0, mx_y = 0;
  for (const auto& b : batches) {
    for (std::int64_t i = 0; i < b[0].numel(); ++i) {
      const float x = b[0].data<float>()[i], r = std::max(x, 0.f), m = r * 2.f, y = m + x;
      mx_x = std::max<double>(mx_x, std::fabs(x));
      mx_r = std::max<double>(mx_r, r);
      mx_m = std::max<double>(mx_m, m);
      mx_y = std::max<double>(mx_y, std::fabs(y));
    }
  }
  const std::vector<std::string> names = calibration_tensors(g);
  CHECK(names == std::vector<std::string>{"x", "r", "m", "y"});

  const CalibrationData data = CalibrationData::from_batches(batches);
  auto table = calibrate(make_interpreter_runner(g), data, names, quiet());
  INFO(table.status().to_string());
  REQUIRE(table.ok());
  CHECK(table->calibrator == "minmax");
  CHECK(table->tensors.at("x").amax == static_cast<float>(mx_x));
  CHECK(table->tensors.at("r").amax == static_cast<float>(mx_r));
  CHECK(table->tensors.at("m").amax == static_cast<float>(mx_m));
  CHECK(table->tensors.at("y").amax == static_cast<float>(mx_y));
  for (const auto& [name, e] : table->tensors) CHECK(e.scale == e.amax / 127.f);

  REQUIRE(apply_scales(*table, g).ok());
  CHECK(g.activation_scales.at("m") == table->tensors.at("m").scale);
  ScaleTable extra = *table;
  extra.tensors["ghost"] = ScaleEntry{1.f, 1.f / 127.f};
  CHECK(apply_scales(extra, g).message() ==
        "calibration scales for 1 tensor(s) the graph does not have: 'ghost'");

  // One histogram run, every calibrator: all within (0, max].
  auto hists = collect_histograms(make_interpreter_runner(g), data, names, quiet());
  REQUIRE(hists.ok());
  for (const char* c : {"entropy", "mse", "percentile=99", "minmax"}) {
    auto t = scales_from_histograms(*hists, parse_calibrator(c).value());
    REQUIRE(t.ok());
    CHECK(t->calibrator == c);
    for (const auto& [name, e] : t->tensors) {
      INFO(c << " " << name);
      CHECK(e.amax > 0.f);
      CHECK(e.amax <= table->tensors.at(name).amax);
    }
  }
}

TEST_CASE("calibration driver errors name the batch and the tensor", "[quant][driver]") {
  ir::Graph g;
  const Shape shape{2, 3, 4, 4};
  build_graph(g, shape);
  std::mt19937 rng(22);
  std::vector<std::vector<Tensor>> batches;
  for (int b = 0; b < 3; ++b) batches.push_back({random_batch(rng, shape, 1.f)});
  const CalibrationData data = CalibrationData::from_batches(batches);
  const BatchRunner runner = make_interpreter_runner(g);

  auto missing = calibrate(runner, data, {"r", "nope", "also_nope"}, quiet());
  CHECK(missing.status().code() == StatusCode::kNotFound);
  CHECK(missing.status().message() ==
        "calibration: the runner never reported 2 requested tensor(s): 'also_nope', 'nope'");

  int calls = 0;
  const BatchRunner failing = [&](const std::vector<Tensor>& in, const TensorObserver& obs) {
    if (++calls == 2) return make_error(StatusCode::kInternal, "device lost");
    return runner(in, obs);
  };
  CHECK(calibrate(failing, data, {"r"}, quiet()).status().message() ==
        "calibration batch 1: device lost");

  std::vector<std::vector<Tensor>> nan_batches = batches;
  nan_batches[2][0] = batches[2][0].clone().value();
  nan_batches[2][0].data<float>()[5] = std::nanf("");
  auto nan = calibrate(runner, CalibrationData::from_batches(nan_batches), {"x", "y"}, quiet());
  CHECK(nan.status().message().find(
            "calibration batch 2: tensor 'x': histogram: value #5 is NaN") != std::string::npos);

  CHECK(calibrate(runner, CalibrationData::from_batches({}), {"x"}, quiet()).status().message() ==
        "calibration: no batches in 0 batch(es) given in memory");
  CalibrationOptions odd = quiet();
  odd.num_bins = 7;
  CHECK(calibrate(runner, data, {"x"}, odd).status().code() == StatusCode::kInvalidArgument);

  // A tensor that is 0 everywhere gets amax 1 and a warning.
  std::vector<std::vector<Tensor>> negative;
  for (int b = 0; b < 2; ++b) {
    Tensor t = random_batch(rng, shape, 1.f);
    for (std::int64_t i = 0; i < t.numel(); ++i)
      t.data<float>()[i] = -std::fabs(t.data<float>()[i]);
    negative.push_back({t});
  }
  CaptureLog log;
  auto zero = calibrate(runner, CalibrationData::from_batches(negative), {"r", "x"}, quiet());
  REQUIRE(zero.ok());
  CHECK(zero->tensors.at("r").amax == 1.f);
  CHECK(zero->tensors.at("r").scale == 1.f / 127.f);
  CHECK(log.text().find("1 tensor(s) were 0 on every calibration sample, given amax 1 (scale "
                        "1/127): 'r'") != std::string::npos);
}

TEST_CASE("calibration progress: lines off a terminal, a bar when asked", "[quant][driver]") {
  ir::Graph g;
  const Shape shape{2, 3, 4, 4};
  build_graph(g, shape);
  std::mt19937 rng(23);
  std::vector<std::vector<Tensor>> batches;
  for (int b = 0; b < 20; ++b) batches.push_back({random_batch(rng, shape, 1.f)});
  const CalibrationData data = CalibrationData::from_batches(batches);
  auto run = [&](ProgressMode mode) {
    std::FILE* f = std::tmpfile();
    REQUIRE(f != nullptr);
    CalibrationOptions o = quiet();
    o.progress = mode;
    o.progress_stream = f;
    REQUIRE(calibrate(make_interpreter_runner(g), data, {"y"}, o).ok());
    std::rewind(f);
    std::string text;
    for (int c; (c = std::fgetc(f)) != EOF;) text += static_cast<char>(c);
    std::fclose(f);
    return text;
  };
  const std::string lines = run(ProgressMode::kAuto);  // a temporary file is not a terminal
  CHECK(lines.find('\r') == std::string::npos);
  CHECK(lines.find("calibration: 0/20 batches (0%)") != std::string::npos);
  CHECK(lines.find("calibration: 10/20 batches (50%)") != std::string::npos);
  CHECK(lines.find("calibration: 20/20 batches (100%)") != std::string::npos);
  CHECK(std::count(lines.begin(), lines.end(), '\n') == 11);  // 0%, each tenth
  const std::string bar = run(ProgressMode::kBar);
  CHECK(bar.find("\rcalibrating [###############               ] 10/20 batches") !=
        std::string::npos);
  CHECK(bar.back() == '\n');
  CHECK(run(ProgressMode::kOff).empty());
}

TEST_CASE("image directory: sorted, decoded, preprocessed, batched", "[quant][data]") {
  const std::string dir = temp_dir("images");
  std::mt19937 rng(31);
  // Byte-wise name order: a, b, c10, c2, d; sizes differ (all resized to 12x10).
  const char* names[] = {"c2.png", "a.png", "d.PNG", "c10.png", "b.png"};
  std::map<std::string, cv::Mat> rgb;
  for (int i = 0; i < 5; ++i) {
    rgb[names[i]] = random_rgb(rng, 7 + 3 * i, 9 + 2 * i);
    write_png(dir + "/" + names[i], rgb[names[i]]);
  }
  // A gray PNG: decoded to three equal channels.
  cv::Mat gray(8, 8, CV_8UC1);
  cv::randu(gray, 0, 256);
  REQUIRE(cv::imwrite(dir + "/e_gray.png", gray));
  std::ofstream(dir + "/notes.txt") << "not an image";
  std::ofstream(dir + "/.hidden.png") << "ignored";
  fs::create_directories(dir + "/subdir");

  CalibrationInput in = image_input(2, 10, 12);
  CaptureLog log;
  auto data = CalibrationData::from_image_directory(dir, in);
  INFO(data.status().to_string());
  REQUIRE(data.ok());
  CHECK(log.text().find("skipped 1 file(s) that are not images: notes.txt") != std::string::npos);
  CHECK(log.text().find("the last 0") == std::string::npos);  // 6 images: 3 full batches
  CHECK(data->num_batches() == 3);
  CHECK(data->batch_size() == 2);
  CHECK(data->description() == "image directory '" + dir + "' (6 samples, 3 batch(es) of 2)");

  PreprocessSpec spec = in.preprocess;
  spec.width = 12;
  spec.height = 10;
  const std::vector<std::string> order = {"a.png", "b.png", "c10.png", "c2.png", "d.PNG"};
  for (std::size_t b = 0; b < 3; ++b) {
    auto batch = data->batch(b);
    REQUIRE(batch.ok());
    REQUIRE(batch->size() == 1);
    CHECK((*batch)[0].shape() == in.shape);
    for (std::int64_t s = 0; s < 2; ++s) {
      const std::size_t k = b * 2 + static_cast<std::size_t>(s);
      INFO("sample " << k);
      const cv::Mat& img = k < 5 ? rgb[order[k]] : gray_to_rgb(gray);
      CHECK(sample_equals((*batch)[0], s, preprocessed(img, spec)));
    }
  }

  // max_samples, and a partial last batch dropped with a warning.
  CalibrationDataOptions three;
  three.max_samples = 3;
  auto limited = CalibrationData::from_image_directory(dir, in, three);
  REQUIRE(limited.ok());
  CHECK(limited->num_batches() == 1);
  CHECK(log.text().find("the last 1 sample(s) do not fill a batch of 2 and are not used") !=
        std::string::npos);

  // The driver end to end on images: x's max is the preprocessed data's max.
  ir::Graph g;
  build_graph(g, Shape{2, 3, 10, 12});
  auto table = calibrate(make_interpreter_runner(g), *data, {"x"}, quiet());
  REQUIRE(table.ok());
  double mx = 0;
  for (std::size_t b = 0; b < 3; ++b) {
    const Tensor t = data->batch(b).value()[0];
    for (std::int64_t i = 0; i < t.numel(); ++i)
      mx = std::max<double>(mx, std::fabs(t.data<float>()[i]));
  }
  CHECK(table->tensors.at("x").amax == static_cast<float>(mx));
  fs::remove_all(dir);
}

TEST_CASE("image directory bad inputs", "[quant][data]") {
  CalibrationInput in = image_input(1, 8, 8);
  auto missing = CalibrationData::from_image_directory("/nonexistent/calib", in);
  CHECK(missing.status().code() == StatusCode::kNotFound);
  CHECK(missing.status().message() == "calibration data '/nonexistent/calib' does not exist");

  const std::string dir = temp_dir("bad_images");
  std::ofstream(dir + "/readme.md") << "# no images here";
  auto none = CalibrationData::from_image_directory(dir, in);
  CHECK(none.status().code() == StatusCode::kInvalidArgument);
  CHECK(none.status().message() ==
        "calibration images '" + dir + "': the directory holds no image OpenCV can read");

  std::mt19937 rng(32);
  write_png(dir + "/good.png", random_rgb(rng, 5, 5));
  std::ofstream(dir + "/broken.jpg") << "this is not a JPEG";
  auto broken = CalibrationData::from_image_directory(dir, in);
  CHECK(broken.status().code() == StatusCode::kParseError);
  CHECK(broken.status().message() ==
        dir +
            "/broken.jpg: named like an image but OpenCV cannot read it (damaged, empty or an "
            "unsupported variant)");
  fs::remove(dir + "/broken.jpg");

  // A PNG with a valid signature but truncated data: found at open, fails when its batch is read.
  {
    std::vector<std::uint8_t> png;
    cv::imencode(".png", random_rgb(rng, 40, 40), png);
    std::ofstream out(dir + "/truncated.png", std::ios::binary);
    out.write(reinterpret_cast<const char*>(png.data()), 60);
  }
  auto lazy = CalibrationData::from_image_directory(dir, in);
  REQUIRE(lazy.ok());
  REQUIRE(lazy->num_batches() == 2);
  CHECK(lazy->batch(0).ok());  // good.png
  CHECK(lazy->batch(1).status().message() ==
        "calibration batch 1: " + dir + "/truncated.png: OpenCV cannot decode this image");

  // Specs and shapes that cannot take images.
  CalibrationInput no_spec = in;
  no_spec.preprocess.enabled = false;
  CHECK(CalibrationData::from_image_directory(dir, no_spec).status().message() ==
        "input 'images' has no preprocessing spec (model metadata 'edgert.preprocess'): image "
        "calibration data needs one to turn images into tensors");
  CalibrationInput wrong = in;
  wrong.preprocess.width = 16;
  CHECK(CalibrationData::from_image_directory(dir, wrong).status().message() ==
        "input 'images' shape [1,3,8,8] disagrees with its preprocessing (16x8, 3 channel(s), "
        "NCHW)");
  CalibrationInput dynamic = in;
  dynamic.shape = Shape{-1, 3, 8, 8};
  CHECK(CalibrationData::from_image_directory(dir, dynamic).status().message() ==
        "input 'images' shape [?,3,8,8] must be static with a batch dimension first");
  CalibrationInput big_batch = image_input(5, 8, 8);
  CHECK(CalibrationData::from_image_directory(dir, big_batch).status().message() ==
        "image directory '" + dir +
            "': 2 sample(s), fewer than one batch of 5 for "
            "input 'images'");
  fs::remove_all(dir);
}

TEST_CASE("tensor files: .npy and .bin, samples assembled into batches", "[quant][data]") {
  const std::string dir = temp_dir("tensors");
  std::mt19937 rng(41);
  CalibrationInput in;
  in.name = "x";
  in.shape = Shape{2, 3, 4};
  // f0: 3 samples [3, 3, 4]; f1: one sample [3, 4]; f2.bin: 2 samples of raw float32.
  const Tensor f0 = random_batch(rng, Shape{3, 3, 4}, 1.f);
  const Tensor f1 = random_batch(rng, Shape{3, 4}, 1.f);
  const Tensor f2 = random_batch(rng, Shape{2, 3, 4}, 1.f);
  REQUIRE(write_npy(dir + "/f0.npy", f0).ok());
  REQUIRE(write_npy(dir + "/f1.npy", f1).ok());
  std::ofstream(dir + "/f2.bin", std::ios::binary)
      .write(static_cast<const char*>(f2.raw()), static_cast<std::streamsize>(f2.nbytes()));
  std::vector<float> all;
  for (const Tensor* t : {&f0, &f1, &f2})
    all.insert(all.end(), t->data<float>(), t->data<float>() + t->numel());

  auto data =
      CalibrationData::from_tensor_files({dir + "/f0.npy", dir + "/f1.npy", dir + "/f2.bin"}, in);
  INFO(data.status().to_string());
  REQUIRE(data.ok());
  CHECK(data->num_batches() == 3);  // 6 samples
  for (std::size_t b = 0; b < 3; ++b) {
    const Tensor t = data->batch(b).value()[0];
    CHECK(t.shape() == in.shape);
    CHECK(std::equal(t.data<float>(), t.data<float>() + t.numel(), all.begin() + 24 * b));
  }
  // open() on the directory finds the same files in sorted order.
  auto opened = CalibrationData::open(dir, in);
  REQUIRE(opened.ok());
  CHECK(opened->num_batches() == 3);
  CHECK(std::equal(all.begin() + 48, all.end(), opened->batch(2).value()[0].data<float>()));

  // Bad inputs.
  const Tensor ints = Tensor::allocate(DataType::kInt64, Shape{2, 3, 4}).value();
  REQUIRE(write_npy(dir + "/ints.npy", ints).ok());
  CHECK(CalibrationData::from_tensor_files({dir + "/ints.npy"}, in).status().message() ==
        dir + "/ints.npy: holds int64, input 'x' is float32");
  REQUIRE(write_npy(dir + "/wrong.npy", random_batch(rng, Shape{2, 4, 3}, 1.f)).ok());
  CHECK(CalibrationData::from_tensor_files({dir + "/wrong.npy"}, in).status().message() ==
        dir +
            "/wrong.npy: shape [2,4,3] does not fit input 'x' of shape [2,3,4] (expected [3,4] "
            "for one sample or [K,3,4] for K samples)");
  std::ofstream(dir + "/short.bin", std::ios::binary) << "0123456789";
  CHECK(CalibrationData::from_tensor_files({dir + "/short.bin"}, in).status().message() ==
        dir +
            "/short.bin: 10 bytes is not a whole number of input 'x' samples (48 bytes of raw "
            "float32 each, shape [2,3,4] without the batch dim)");
  CHECK(CalibrationData::from_tensor_files({dir + "/x.csv"}, in).status().message() ==
        dir + "/x.csv: not a tensor file (expected .npy, or .bin raw float32)");
  CHECK(CalibrationData::from_tensor_files({dir + "/gone.npy"}, in).status().code() ==
        StatusCode::kNotFound);
  CHECK(CalibrationData::from_tensor_files({dir + "/f1.npy"}, in).status().message() ==
        "tensor file '" + dir + "/f1.npy': 1 sample(s), fewer than one batch of 2 for input 'x'");
  std::ofstream(dir + "/garbage.npy") << "PK not numpy";
  CHECK(CalibrationData::from_tensor_files({dir + "/garbage.npy"}, in).status().message() ==
        dir + "/garbage.npy: not a .npy file (bad magic)");
  fs::remove_all(dir);
}

TEST_CASE("uint8 image batch .npy fed through preprocessing", "[quant][data]") {
  const std::string dir = temp_dir("image_npy");
  std::mt19937 rng(51);
  CalibrationInput in = image_input(1, 6, 5);
  in.preprocess.resize = ResizeMode::kLetterbox;
  in.preprocess.pad_value = -3.f;
  Tensor imgs = Tensor::allocate(DataType::kUInt8, Shape{3, 9, 11, 3}).value();
  std::uniform_int_distribution<int> byte(0, 255);
  for (std::int64_t i = 0; i < imgs.numel(); ++i)
    imgs.data<std::uint8_t>()[i] = static_cast<std::uint8_t>(byte(rng));
  REQUIRE(write_npy(dir + "/imgs.npy", imgs).ok());

  auto data = CalibrationData::open(dir + "/imgs.npy", in);  // dispatches to from_image_npy
  INFO(data.status().to_string());
  REQUIRE(data.ok());
  CHECK(data->num_batches() == 3);
  PreprocessSpec spec = in.preprocess;
  spec.width = 5;
  spec.height = 6;
  for (std::int64_t i = 0; i < 3; ++i) {
    const cv::Mat rgb(9, 11, CV_8UC3, imgs.data<std::uint8_t>() + i * 9 * 11 * 3);
    CHECK(sample_equals(data->batch(static_cast<std::size_t>(i)).value()[0], 0,
                        preprocessed(rgb, spec)));
  }

  // Gray (N, H, W) batches: each image replicated to RGB, then preprocessed.
  Tensor grays = Tensor::allocate(DataType::kUInt8, Shape{2, 4, 4}).value();
  for (std::int64_t i = 0; i < grays.numel(); ++i)
    grays.data<std::uint8_t>()[i] = static_cast<std::uint8_t>(byte(rng));
  REQUIRE(write_npy(dir + "/grays.npy", grays).ok());
  auto gdata = CalibrationData::from_image_npy(dir + "/grays.npy", in);
  REQUIRE(gdata.ok());
  const cv::Mat g1(4, 4, CV_8UC1, grays.data<std::uint8_t>() + 16);
  CHECK(sample_equals(gdata->batch(1).value()[0], 0, preprocessed(gray_to_rgb(g1), spec)));

  Tensor wrong = Tensor::allocate(DataType::kUInt8, Shape{2, 4, 4, 2}).value();
  REQUIRE(write_npy(dir + "/wrong.npy", wrong).ok());
  CHECK(CalibrationData::from_image_npy(dir + "/wrong.npy", in).status().message() ==
        dir +
            "/wrong.npy: an image batch must be uint8 (N, H, W, 3) RGB or (N, H, W) gray, got "
            "uint8 [2,4,4,2]");
  fs::remove_all(dir);
}

}  // namespace edgert::quant

namespace edgert::quant {

TEST_CASE("npy: every dtype round-trips; headers read without the data", "[quant][npy]") {
  const std::string dir = temp_dir("npy");
  for (DataType t : {DataType::kFloat32, DataType::kFloat16, DataType::kInt8, DataType::kUInt8,
                     DataType::kInt32, DataType::kInt64, DataType::kBool}) {
    INFO(dtype_name(t));
    Tensor x = Tensor::allocate(t, Shape{3, 5}).value();
    auto* bytes = static_cast<std::uint8_t*>(x.raw());
    for (std::size_t i = 0; i < x.nbytes(); ++i)
      bytes[i] = static_cast<std::uint8_t>(t == DataType::kBool ? i % 2 : i * 37 + 11);
    const std::string path = dir + "/" + dtype_name(t) + ".npy";
    REQUIRE(write_npy(path, x).ok());
    auto h = read_npy_header(path);
    REQUIRE(h.ok());
    CHECK(h->dtype == t);
    CHECK(h->shape == Shape({3, 5}));
    CHECK(h->data_bytes == x.nbytes());
    CHECK(h->data_offset % 64 == 0);
    auto back = read_npy(path);
    REQUIRE(back.ok());
    CHECK(back->dtype() == t);
    CHECK(std::memcmp(back->raw(), x.raw(), x.nbytes()) == 0);
  }
  // A header whose data was cut short is caught by the header reader too.
  {
    std::ifstream in(dir + "/float32.npy", std::ios::binary);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(dir + "/cut.npy", std::ios::binary) << all.substr(0, all.size() - 4);
  }
  CHECK(read_npy_header(dir + "/cut.npy").status().message() ==
        dir + "/cut.npy: shape [3,5] float32 needs 60 data bytes, the file has 56");
  fs::remove_all(dir);
}

}  // namespace edgert::quant
