// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// A real model through the whole chain: ONNX import -> passes::optimize -> lowering -> engine file
// on disk -> mmap load -> execute, against the interpreter on the optimized graph and against
// torch's output. Prints the memory plan's gain. Uses the torchvision exports that
// tests/models/export_torchvision.py writes under <build>/test_data/models (skipped if absent).

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "core/hash.h"
#include "engine/engine_file.h"
#include "engine_test_util.h"
#include "npy.h"
#include "onnx/importer.h"
#include "passes/pass.h"

namespace edgert::test {
namespace {

void check_model_engine(const std::string& name) {
  auto exported = torchvision_model(name);  // tests/models/export_torchvision.py on first use
  INFO(exported.status().to_string());
  REQUIRE(exported.ok());
  const std::string prefix = *exported;
  auto input = read_npy(prefix + "_input.npy");
  auto expected = read_npy(prefix + "_output.npy");
  REQUIRE((input.ok() && expected.ok()));

  onnx::ImportOptions opts;
  opts.input_shapes["input"] = input->shape();
  auto graph = onnx::import_model(prefix + ".onnx", opts);
  INFO(graph.status().to_string());
  REQUIRE(graph.ok());
  ir::Graph& g = **graph;
  ir::BuildLog log;
  passes::PassContext pctx{log, {}};
  Status s = passes::optimize(g, pctx);
  INFO(s.to_string());
  REQUIRE(s.ok());

  builder::EngineBuildInfo info;
  auto model_hash = sha256_file_hex(prefix + ".onnx");
  REQUIRE(model_hash.ok());
  info.model_hash = *model_hash;
  info.config_summary = "precision=fp32";
  info.config_hash = sha256_hex(info.config_summary);
  auto def = builder::lower_to_engine(g, info);
  INFO(def.status().to_string());
  REQUIRE(def.ok());
  check_engine_plan(*def);

  const std::string dir = std::string(EDGERT_TEST_DATA_DIR) + "/engine";
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/" + name + ".engine";
  const auto bytes = builder::serialize(*def);
  REQUIRE(engine::write_engine_file(path, bytes).ok());

  using Ms = std::chrono::duration<double, std::milli>;
  const auto t0 = std::chrono::steady_clock::now();
  auto e = Engine::load(path);
  const auto t1 = std::chrono::steady_clock::now();
  INFO(e.status().to_string());
  REQUIRE(e.ok());
  const Engine& engine = **e;
  CHECK(engine.header().model_hash == *model_hash);
  auto ctx = engine.create_context();
  REQUIRE(ctx.ok());

  std::vector<Tensor> outs;
  const auto t2 = std::chrono::steady_clock::now();
  s = (*ctx)->execute({&*input}, outs);
  const auto t3 = std::chrono::steady_clock::now();
  INFO(s.to_string());
  REQUIRE(s.ok());
  const auto t4 = std::chrono::steady_clock::now();
  auto ref = ir::run_graph(g, {{"input", *input}});
  const auto t5 = std::chrono::steady_clock::now();
  REQUIRE(ref.ok());

  const MemorySummary& m = engine.memory();
  // Printed, not asserted: numbers for the report (the machines are too noisy for timing limits).
  std::printf(
      "%s engine: %zu layers (%u views, %u in place), file %.2f MiB, weights %.2f MiB, "
      "arena %.2f MiB vs naive %.2f MiB (%.1fx less); load %.1f ms, execute %.1f ms, "
      "interpreter %.1f ms\n",
      name.c_str(), engine.layers().size(), m.alias_layers, m.in_place_layers,
      bytes.size() / 1048576.0, m.weight_bytes / 1048576.0, m.arena_bytes / 1048576.0,
      m.naive_bytes / 1048576.0, double(m.naive_bytes) / double(m.arena_bytes), Ms(t1 - t0).count(),
      Ms(t3 - t2).count(), Ms(t5 - t4).count());
  std::fflush(stdout);
  CHECK(m.arena_bytes * 2 < m.naive_bytes);

  REQUIRE(outs.size() == 1);
  const double vs_interp = rel_l2(outs[0], ref->outputs[0]);
  const double vs_torch = rel_l2(outs[0], *expected);
  INFO("rel_l2 vs interpreter " << vs_interp << ", vs torch " << vs_torch);
  CHECK(vs_interp <= 1e-6);
  CHECK(vs_torch <= 1e-4);
}

}  // namespace

TEST_CASE("resnet18 engine matches the interpreter and torch", "[engine][models]") {
  check_model_engine("resnet18");
}

TEST_CASE("mobilenet_v2 engine matches the interpreter and torch", "[engine][models]") {
  check_model_engine("mobilenet_v2");
}

}  // namespace edgert::test
