// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// `edgert inspect model.onnx`: imports a model and prints its graph, one line per node.

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "edgert/engine.h"
#include "onnx/importer.h"
#include "tools/cli_util.h"
#include "tools/commands.h"

namespace edgert::tools {
namespace {

struct InspectArgs {
  std::string model;
  bool no_fold = false;
  bool constants = false;
  std::vector<std::string> shapes;
};

InspectArgs& args() {
  static InspectArgs a;
  return a;
}

}  // namespace
}  // namespace edgert::tools

CLI::App* setup_inspect_command(CLI::App& app) {
  using edgert::tools::args;
  CLI::App& sub = *app.add_subcommand(
      "inspect", "Print an engine's header and layer table, or an ONNX model's graph");
  auto& a = args();
  sub.add_option("model", a.model, "Engine file or ONNX model")->required();
  sub.add_flag("--no-fold", a.no_fold, "Do not fold constant subgraphs");
  sub.add_flag("--constants", a.constants, "List every constant");
  sub.add_option("--shapes", a.shapes, "Input shape overrides: name:1x3x224x224 (repeatable)");
  return &sub;
}

int run_inspect_command() {
  using namespace edgert;  // NOLINT(google-build-using-namespace): function-local
  const auto& a = tools::args();
  onnx::ImportOptions opts;
  opts.fold_constants = !a.no_fold;
  for (const auto& s : a.shapes) {
    std::string name;
    Shape shape;
    Status st = tools::parse_shape_arg(s, name, shape);
    if (!st.ok()) {
      std::fprintf(stderr, "edgert inspect: %s\n", st.to_string().c_str());
      return 2;
    }
    opts.input_shapes[name] = shape;
  }
  // An engine file (by its magic) prints its header and layer table; anything else is imported
  // as an ONNX model.
  if (std::ifstream f(a.model, std::ios::binary); f) {
    char magic[8] = {};
    f.read(magic, sizeof magic);
    if (f.gcount() == 8 && std::string(magic, 8) == "EDGERTEN") {
      auto engine = Engine::load(a.model);
      if (!engine) return tools::fail("inspect", engine.status());
      const EngineHeader& h = (*engine)->header();
      const MemorySummary& m = (*engine)->memory();
      std::printf("engine %s: format %u, EdgeRT %s, target %s\n", a.model.c_str(), h.format_version,
                  h.sdk_version.c_str(), h.target.to_string().c_str());
      std::printf("model '%s' sha256 %s\nconfig %s\n", h.model_name.c_str(), h.model_hash.c_str(),
                  h.config_summary.c_str());
      for (const auto& t : (*engine)->inputs()) {
        std::printf("input  %s %s %s", t.name.c_str(), dtype_name(t.dtype),
                    t.shape.to_string().c_str());
        const auto& spec =
            (*engine)->preprocess(static_cast<std::size_t>(&t - &(*engine)->inputs()[0]));
        if (spec.enabled) std::printf("  preprocess %s", spec.to_string().c_str());
        std::printf("\n");
      }
      for (const auto& t : (*engine)->outputs())
        std::printf("output %s %s %s\n", t.name.c_str(), dtype_name(t.dtype),
                    t.shape.to_string().c_str());
      std::printf("memory: activation arena %llu bytes (naive %llu), weights %llu bytes\n",
                  static_cast<unsigned long long>(m.arena_bytes),
                  static_cast<unsigned long long>(m.naive_bytes),
                  static_cast<unsigned long long>(m.weight_bytes));
      if (!(*engine)->labels().empty()) {
        std::printf("labels:");
        for (const auto& l : (*engine)->labels()) std::printf(" '%s'", l.c_str());
        std::printf("\n");
      }
      std::printf("%s", (*engine)->layer_table().c_str());
      return 0;
    }
  }
  auto g = onnx::import_model(a.model, opts);
  if (!g) {
    std::fprintf(stderr, "edgert inspect: %s\n", g.status().to_string().c_str());
    return 1;
  }
  std::printf("%s", (*g)->dump(a.constants).c_str());
  return 0;
}
