// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// `edgert inspect model.onnx`: imports a model and prints its graph, one line per node.

#include <cstdio>
#include <string>
#include <vector>

#include "onnx/importer.h"
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

// "input:1x3x224x224" -> ("input", [1,3,224,224]). The name may itself contain ':'.
Status parse_shape_arg(const std::string& s, std::string& name, Shape& shape) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return make_error(StatusCode::kInvalidArgument,
                      "--shapes '" + s + "': expected name:DIMxDIMx... (e.g. input:1x3x224x224)");
  name = s.substr(0, colon);
  std::vector<std::int64_t> dims;
  std::string rest = s.substr(colon + 1);
  std::size_t pos = 0;
  while (pos <= rest.size() && !rest.empty()) {
    auto x = rest.find('x', pos);
    std::string d = rest.substr(pos, x == std::string::npos ? std::string::npos : x - pos);
    char* end = nullptr;
    long long v = std::strtoll(d.c_str(), &end, 10);
    if (d.empty() || *end != '\0' || v <= 0)
      return make_error(StatusCode::kInvalidArgument,
                        "--shapes '" + s + "': bad dimension '" + d + "'");
    dims.push_back(v);
    if (x == std::string::npos) break;
    pos = x + 1;
  }
  shape = Shape(dims);
  return Status();
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
