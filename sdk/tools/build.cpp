// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// `edgert build`: ONNX model -> engine file, with trtexec-like options.
//
//   edgert build --onnx model.onnx --save-engine model.engine --int8
//       --calib-data calibration_data/fashion --calib-cache model.calib --verbose

#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edgert/builder.h"
#include "edgert/logger.h"
#include "tools/build_options.h"
#include "tools/cli_util.h"
#include "tools/commands.h"

namespace edgert::tools {
namespace {

struct BuildArgs {
  BuildOptions build;
  std::string save_engine, report_json;
  bool verbose = false;
};

BuildArgs& args() {
  static BuildArgs a;
  return a;
}

std::string human_bytes(std::uint64_t b) {
  char buf[64];
  if (b >= (1u << 20))
    std::snprintf(buf, sizeof buf, "%.2f MiB", static_cast<double>(b) / (1 << 20));
  else
    std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(b) / 1024);
  return buf;
}

}  // namespace
}  // namespace edgert::tools

CLI::App* setup_build_command(CLI::App& app) {
  using edgert::tools::args;
  auto& a = args();
  CLI::App& sub = *app.add_subcommand("build", "Build an engine from an ONNX model");
  edgert::tools::add_build_options(sub, a.build, /*onnx_required=*/true);
  sub.add_option("--save-engine", a.save_engine, "Engine file to write")->required();
  sub.add_option("--report-json", a.report_json, "Write the build summary as JSON");
  sub.add_flag("--verbose,-v", a.verbose, "Every fusion, declined fusion and precision decision");
  return &sub;
}

int run_build_command() {
  using namespace edgert;  // NOLINT(google-build-using-namespace): function-local
  const auto& a = tools::args();
  static StderrLogger verbose_logger(Severity::kVerbose);
  if (a.verbose) set_logger(&verbose_logger);
  auto cfg = tools::to_build_config(a.build);
  if (!cfg) return tools::fail("build", cfg.status(), 2);
  BuildReport report;
  auto bytes = build_engine(*cfg, &report);
  if (!bytes) return tools::fail("build", bytes.status());
  Status st = tools::write_file_atomic(a.save_engine, bytes->data(), bytes->size(),
                                       {a.build.onnx, a.build.calib_cache});
  if (!st.ok()) return tools::fail("build", st);

  if (a.verbose)
    for (const auto& line : report.tactic_log) std::printf("%s\n", line.c_str());
  std::printf("%s", report.layer_table.c_str());
  std::printf("Fusions: %d", [&] {
    int n = 0;
    for (const auto& [k, v] : report.fusions) n += v;
    return n;
  }());
  for (const auto& [k, v] : report.fusions) std::printf("  %s x%d", k.c_str(), v);
  std::printf("\nLayers: %zu (from %zu ONNX nodes)\n", report.layers, report.onnx_nodes);
  if (!report.scales_source.empty())
    std::printf("INT8 scales: %zu tensors from %s\n", report.calibrated_tensors,
                report.scales_source.c_str());
  std::printf("Memory: activations %s planned (naive %s), weights %s\n",
              tools::human_bytes(report.arena_bytes).c_str(),
              tools::human_bytes(report.naive_activation_bytes).c_str(),
              tools::human_bytes(report.weight_bytes).c_str());
  if (cfg->target == "cuda")
    std::printf(
        "Tactics: %d layers timed, %d from the timing cache, %d on the CPU fallback, "
        "%.2f s\n",
        report.layers_timed, report.layers_from_cache, report.fallback_layers,
        report.tactic_seconds);
  std::printf("Engine: %s (%zu bytes), built in %.2f s\n", a.save_engine.c_str(), bytes->size(),
              report.seconds);
  if (!a.report_json.empty()) {
    nlohmann::json j = {{"engine", a.save_engine},
                        {"onnx", a.build.onnx},
                        {"layers", report.layers},
                        {"onnx_nodes", report.onnx_nodes},
                        {"arena_bytes", report.arena_bytes},
                        {"naive_activation_bytes", report.naive_activation_bytes},
                        {"weight_bytes", report.weight_bytes},
                        {"engine_bytes", bytes->size()},
                        {"fusions", report.fusions},
                        {"scales_source", report.scales_source},
                        {"calibrated_tensors", report.calibrated_tensors},
                        {"build_seconds", report.seconds},
                        {"target", cfg->target},
                        {"layers_timed", report.layers_timed},
                        {"layers_from_timing_cache", report.layers_from_cache},
                        {"fallback_layers", report.fallback_layers},
                        {"tactic_seconds", report.tactic_seconds},
                        {"tactic_log", report.tactic_log},
                        {"log", report.log}};
    const std::string text = j.dump(2) + "\n";
    if (Status js =
            tools::write_file_atomic(a.report_json, text.data(), text.size(), {a.build.onnx});
        !js.ok())
      return tools::fail("build", js);
  }
  return 0;
}
