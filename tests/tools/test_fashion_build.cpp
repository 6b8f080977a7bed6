// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The builder end to end on the bundled model (examples/fashion): fusions, memory plan, fp32 top-1
// against torch's own figure, int8 (calibrated) within 0.5 points of fp32, the calibration cache
// and the explicitly quantized (Q/DQ) copy getting the same layers as the calibrated build.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>

#include <catch2/catch.hpp>

#include "core/npy.h"
#include "edgert/builder.h"
#include "edgert/engine.h"
#include "edgert/runtime.h"
#include "fashion_eval.h"

namespace fs = std::filesystem;
using namespace edgert;  // NOLINT(google-build-using-namespace): test file

namespace {

const std::string kModel = std::string(EDGERT_SOURCE_DIR) + "/examples/fashion/fashion_resnet.onnx";
const std::string kCalib = std::string(EDGERT_SOURCE_DIR) + "/calibration_data/fashion";
const std::string kWork = std::string(EDGERT_TEST_DATA_DIR) + "/fashion_e2e";

void ensure_eval_set() { test::ensure_fashion_eval_set(kWork); }

/// torch's top-1 on the same rendered test split, from the training log (an independent figure).
double torch_top1() {
  std::ifstream f(std::string(EDGERT_SOURCE_DIR) + "/examples/fashion/train_log.txt");
  std::string line, last;
  const std::regex re("rendered test split .*accuracy ([0-9.]+)");
  std::smatch m;
  while (std::getline(f, line))
    if (std::regex_search(line, m, re)) last = m[1];
  REQUIRE(!last.empty());
  return 100.0 * std::stod(last);
}

double top1(const Engine& e, std::int64_t limit = 0) { return test::fashion_top1(e, kWork, limit); }

std::shared_ptr<const Engine> load(const std::vector<std::uint8_t>& bytes) {
  auto e = Engine::from_memory(bytes);
  REQUIRE(e);
  return *e;
}

BuildConfig base_config() {
  BuildConfig c;
  c.onnx_path = kModel;
  c.batch = 32;
  return c;
}

}  // namespace

TEST_CASE("fashion: fp32 build fuses every pattern and matches torch", "[e2e][fashion]") {
  ensure_eval_set();
  BuildReport r;
  auto bytes = build_engine(base_config(), &r);
  REQUIRE(bytes);
  // 9 Conv+BN, 8 Relu, 3 residual Add, 1 MaxPool, 1 Pad in the exported model.
  CHECK(r.fusions["conv+batchnorm"] == 9);
  CHECK(r.fusions["conv+activation"] == 8);
  CHECK(r.fusions["conv+add"] == 3);
  CHECK(r.fusions["conv+maxpool"] == 1);
  CHECK(r.fusions["pad+conv"] == 1);
  CHECK(r.layers == 12);
  CHECK(r.arena_bytes < r.naive_activation_bytes);
  auto e = load(*bytes);
  CHECK(e->labels().size() == 10);
  CHECK(e->preprocess(0).enabled);
  const double ours = top1(*e);
  INFO("EdgeRT fp32 top-1 " << ours << " %, torch " << torch_top1() << " %");
  CHECK(std::abs(ours - torch_top1()) <= 0.05);
}

TEST_CASE("fashion: int8 by calibration within 0.5 points of fp32, the cache rebuilds it",
          "[e2e][fashion]") {
  ensure_eval_set();
  BuildReport fp32_report;
  auto fp32 = build_engine(base_config(), &fp32_report);
  REQUIRE(fp32);
  const double fp32_top1 = top1(*load(*fp32));

  const std::string cache = kWork + "/entropy.calib";
  fs::remove(cache);
  BuildConfig c = base_config();
  c.precision = Precision::kINT8;
  c.calib_data = kCalib;
  c.calib_cache = cache;
  BuildReport r;
  auto int8 = build_engine(c, &r);
  REQUIRE(int8);
  REQUIRE(fs::exists(cache));
  auto e = load(*int8);
  int int8_layers = 0;
  for (const auto& l : e->layers()) int8_layers += l.precision == Precision::kINT8;
  CHECK(int8_layers == 9);  // every conv; the classifier stays fp32 (noise-reduction tail)
  CHECK(e->layers().back().precision == Precision::kFP32);
  // int8 conv weights (a quarter of fp32's) with fp32 per-channel scales and biases.
  CHECK(r.weight_bytes * 3 < fp32_report.weight_bytes);
  const double int8_top1 = top1(*e);
  INFO("fp32 " << fp32_top1 << " %, int8 entropy " << int8_top1 << " %");
  CHECK(std::abs(int8_top1 - fp32_top1) <= 0.5);

  // The cache alone (no data) gives the same engine, byte for byte.
  c.calib_data.clear();
  auto again = build_engine(c);
  REQUIRE(again);
  CHECK(*again == *int8);
  // A cache made for another calibrator is refused, naming both.
  c.calibrator = "minmax";
  auto wrong = build_engine(c);
  REQUIRE_FALSE(wrong);
  CHECK_THAT(wrong.status().message(), Catch::Contains("entropy"));
}

TEST_CASE("fashion: explicit Q/DQ model gets the calibrated build's layers", "[e2e][fashion]") {
  ensure_eval_set();
  const std::string cache = kWork + "/qdq_entropy.calib";
  fs::remove(cache);
  BuildConfig c = base_config();
  c.precision = Precision::kINT8;
  c.calib_data = kCalib;
  c.calib_cache = cache;
  BuildReport implicit_report;
  auto implicit = build_engine(c, &implicit_report);
  REQUIRE(implicit);

  const std::string qdq = kWork + "/fashion_resnet_qdq.onnx";
  const std::string cmd = "/usr/bin/python3 " + std::string(EDGERT_SOURCE_DIR) +
                          "/examples/fashion/make_qdq.py --onnx " + kModel + " --cache " + cache +
                          " --out " + qdq + " > " + kWork + "/make_qdq.log 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  BuildConfig q = base_config();
  q.onnx_path = qdq;
  BuildReport explicit_report;
  auto expl = build_engine(q, &explicit_report);
  REQUIRE(expl);
  CHECK(explicit_report.scales_source == "Q/DQ nodes");
  // make_qdq folds BatchNormalization itself (as QAT exporters do); every other fusion,
  // conv+maxpool and pad+conv included, must be the same.
  auto fusions_without_bn = [](std::map<std::string, int> f) {
    f.erase("conv+batchnorm");
    return f;
  };
  CHECK(fusions_without_bn(explicit_report.fusions) == fusions_without_bn(implicit_report.fusions));
  auto ei = load(*implicit);
  auto ee = load(*expl);
  REQUIRE(ei->layers().size() == ee->layers().size());
  for (std::size_t i = 0; i + 1 < ei->layers().size(); ++i) {  // the classifier differs: Q/DQ'd
    INFO("layer " << i << " " << ei->layers()[i].name);
    CHECK(ei->layers()[i].type == ee->layers()[i].type);
    CHECK(ei->layers()[i].precision == ee->layers()[i].precision);
  }
  const double ti = top1(*ei, 5000);
  const double te = top1(*ee, 5000);
  INFO("implicit " << ti << " %, explicit " << te << " % (first 5000 images)");
  CHECK(std::abs(ti - te) <= 0.5);
}

TEST_CASE("fashion: bad builds fail with a clear error", "[e2e][fashion]") {
  BuildConfig c = base_config();
  c.precision = Precision::kINT8;  // no data, no cache
  auto r = build_engine(c);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.status().message(), Catch::Contains("--calib-data"));

  c = base_config();
  c.onnx_path = kWork + "/missing.onnx";
  r = build_engine(c);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.status().message(), Catch::Contains("missing.onnx"));

  c = base_config();
  c.batch = 0;  // the model's batch dim is symbolic
  r = build_engine(c);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.status().message(), Catch::Contains("--shapes image:"));

  c = base_config();
  c.layer_precisions["no_such_layer"] = Precision::kFP32;
  r = build_engine(c);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.status().message(), Catch::Contains("no_such_layer"));

  auto lp = parse_layer_precisions("conv1:fp32,relu:int9");
  REQUIRE_FALSE(lp);
  CHECK_THAT(lp.status().message(), Catch::Contains("relu:int9"));
}
