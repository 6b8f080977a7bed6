// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// `edgert inspect model.onnx`: imports a model and prints its graph, one line per node.

#include <cstdio>
#include <string>
#include <vector>

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
  CLI::App& sub = *app.add_subcommand("inspect", "Import an ONNX model and print its graph");
  auto& a = args();
  sub.add_option("model", a.model, "ONNX model file")->required();
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
  auto g = onnx::import_model(a.model, opts);
  if (!g) {
    std::fprintf(stderr, "edgert inspect: %s\n", g.status().to_string().c_str());
    return 1;
  }
  std::printf("%s", (*g)->dump(a.constants).c_str());
  return 0;
}
