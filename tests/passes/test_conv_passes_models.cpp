// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The optimization pipeline on real exported models: torchvision classifiers (random weights) are
// imported, run by the reference interpreter before and after passes::optimize, and compared with
// each other and with torch's output. resnet18/mobilenet_v2 are exported on first use
// by tests/models/export_torchvision.py (test_util's torchvision_model); resnet18_bn, which keeps
// its BatchNormalization nodes, is exported here on first use by export_bn_model.py.

#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "ir/interpreter.h"
#include "npy.h"
#include "onnx/importer.h"
#include "passes/pass.h"
#include "test_util.h"

namespace edgert::test {
namespace {

const std::string kModelsDir = std::string(EDGERT_TEST_DATA_DIR) + "/models";

bool exported(const std::string& prefix) {
  return std::ifstream(prefix + ".onnx").good() && std::ifstream(prefix + "_input.npy").good() &&
         std::ifstream(prefix + "_output.npy").good();
}

void check_optimized_model(const std::string& name) {
  std::string prefix = kModelsDir + "/" + name;
  if (!exported(prefix)) {
    auto p = torchvision_model(name);  // exports it (tests/models/export_torchvision.py)
    INFO(p.status().to_string());
    REQUIRE(p.ok());
    prefix = *p;
  }
  auto input = read_npy(prefix + "_input.npy");
  auto torch_out = read_npy(prefix + "_output.npy");
  REQUIRE(input.ok());
  REQUIRE(torch_out.ok());
  onnx::ImportOptions options;
  options.input_shapes["input"] = input->shape();
  auto ref = onnx::import_model(prefix + ".onnx", options);
  auto opt = onnx::import_model(prefix + ".onnx", options);
  INFO(ref.status().to_string());
  REQUIRE(ref.ok());
  REQUIRE(opt.ok());

  ir::BuildLog log;
  passes::PassContext ctx{log, {}};
  Status st = passes::optimize(**opt, ctx);
  INFO(st.to_string());
  REQUIRE(st.ok());

  using Clock = std::chrono::steady_clock;
  using Ms = std::chrono::duration<double, std::milli>;
  const auto t0 = Clock::now();
  auto a = ir::run_graph(**ref, {{"input", *input}});
  const auto t1 = Clock::now();
  auto b = ir::run_graph(**opt, {{"input", *input}});
  const auto t2 = Clock::now();
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  const double err = rel_l2(b->outputs[0], a->outputs[0]);
  const double err_torch = rel_l2(b->outputs[0], *torch_out);
  // Printed, not asserted beyond the accuracy: timings on the shared machines are noise.
  std::printf(
      "%s: %zu nodes -> %zu after optimize (%d fusions); rel_l2 vs unoptimized %.3g, vs torch "
      "%.3g; run %.1f ms -> %.1f ms\n",
      name.c_str(), (*ref)->nodes().size(), (*opt)->nodes().size(), log.total_fusions(), err,
      err_torch, Ms(t1 - t0).count(), Ms(t2 - t1).count());
  std::fflush(stdout);
  CHECK(err < 1e-5);
  CHECK(err_torch < 1e-4);
  if (name == "resnet18_bn") CHECK(log.fusion_counts().at("conv+batchnorm") == 20);
  // Every conv became a layer, and no BatchNormalization survived.
  for (const ir::Node* n : (*opt)->nodes()) {
    CHECK(n->info.op_type != "Conv");
    CHECK(n->info.op_type != "BatchNormalization");
  }
}

}  // namespace

TEST_CASE("optimize keeps resnet18's output", "[passes][models]") {
  check_optimized_model("resnet18");
}

TEST_CASE("optimize folds resnet18's BatchNormalizations and keeps its output",
          "[passes][models]") {
  if (!exported(kModelsDir + "/resnet18_bn")) {
    const std::string cmd = "/usr/bin/python3 '" + std::string(EDGERT_SOURCE_DIR) +
                            "/tests/passes/export_bn_model.py' '" + kModelsDir + "'";
    std::printf("generating test data: %s\n", cmd.c_str());
    std::fflush(stdout);
    const int raw = std::system(cmd.c_str());
    if (raw == -1 || !WIFEXITED(raw) || WEXITSTATUS(raw) != 0)
      EDGERT_SKIP("exporting resnet18_bn failed (python3 with torch/torchvision needed)");
  }
  check_optimized_model("resnet18_bn");
}

TEST_CASE("optimize keeps mobilenet_v2's output", "[passes][models]") {
  check_optimized_model("mobilenet_v2");
}

}  // namespace edgert::test
