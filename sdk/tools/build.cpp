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
#include "tools/cli_util.h"
#include "tools/commands.h"

namespace edgert::tools {
namespace {

struct BuildArgs {
  std::string onnx, save_engine, calib_data, calib_cache, calibrator = "entropy", target = "cpu";
  std::string layer_precisions, timing_cache, preprocess, labels, report_json, tactic_sources;
  std::vector<std::string> shapes;
  bool fp16 = false, int8 = false, best = false, verbose = false, force = false;
  double percentile = 99.99;
  int batch = 0, calib_max = 500, tail = 1;
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
  sub.add_option("--onnx", a.onnx, "ONNX model")->required();
  sub.add_option("--save-engine", a.save_engine, "Engine file to write")->required();
  sub.add_flag("--fp16", a.fp16, "Allow fp16 layers");
  sub.add_flag("--int8", a.int8, "Allow int8 layers (needs --calib-data, --calib-cache or Q/DQ)");
  sub.add_flag("--best", a.best, "Every layer in the fastest precision the target has");
  sub.add_flag("--force", a.force,
               "No noise-reduction heuristic: the last weighted layers get int8 too");
  sub.add_option("--high-precision-tail", a.tail,
                 "Weighted layers nearest the outputs kept out of int8 (default 1)");
  sub.add_option("--calib-data", a.calib_data,
                 "Calibration images (directory) or tensor files (.npy/.bin, or a directory)");
  sub.add_option("--calib-cache", a.calib_cache,
                 "Calibration cache: read if it exists, else written after calibrating");
  sub.add_option("--calibrator", a.calibrator, "entropy | minmax | percentile | mse")
      ->check(CLI::IsMember({"entropy", "minmax", "percentile", "mse"}));
  sub.add_option("--percentile", a.percentile, "Percentile for --calibrator percentile");
  sub.add_option("--calib-max", a.calib_max, "Calibration items to use at most (default 500)");
  sub.add_option("--batch", a.batch, "Set dim 0 of every input");
  sub.add_option("--shapes", a.shapes, "Input shapes: name:1x3x224x224 (repeatable)");
  sub.add_option("--layer-precisions", a.layer_precisions, "Per-layer precision: conv1:fp32,...");
  sub.add_option("--target", a.target, "cpu (cuda with the CUDA backend)");
  sub.add_option("--timing-cache", a.timing_cache,
                 "Timing cache file (CUDA target): read when it exists, written after the build");
  sub.add_option("--tactic-sources", a.tactic_sources,
                 "CUDA target: tactic sources, e.g. -cudnn,-cublas (of cudnn, cublas, edgert, cpu)");
  sub.add_option("--preprocess", a.preprocess,
                 "Preprocessing, overrides the model's: color=RGB;mean=..;scale=..;resize=stretch");
  sub.add_option("--labels", a.labels, "Class labels, one per line (overrides the model's)");
  sub.add_option("--report-json", a.report_json, "Write the build summary as JSON");
  sub.add_flag("--verbose,-v", a.verbose, "Every fusion, declined fusion and precision decision");
  return &sub;
}

int run_build_command() {
  using namespace edgert;  // NOLINT(google-build-using-namespace): function-local
  const auto& a = tools::args();
  static StderrLogger verbose_logger(Severity::kVerbose);
  if (a.verbose) set_logger(&verbose_logger);
  BuildConfig cfg;
  cfg.onnx_path = a.onnx;
  cfg.precision = a.int8 ? Precision::kINT8 : (a.fp16 ? Precision::kFP16 : Precision::kFP32);
  cfg.best = a.best;
  cfg.force_precision = a.force;
  cfg.high_precision_tail = a.tail;
  cfg.target = a.target;
  cfg.batch = a.batch;
  cfg.calib_data = a.calib_data;
  cfg.calib_cache = a.calib_cache;
  cfg.calibrator = a.calibrator;
  cfg.percentile = a.percentile;
  cfg.calib_max_items = a.calib_max;
  cfg.timing_cache = a.timing_cache;
  cfg.tactic_sources = a.tactic_sources;
  cfg.preprocess = a.preprocess;
  cfg.labels_file = a.labels;
  for (const auto& s : a.shapes) {
    std::string name;
    Shape shape;
    if (Status st = tools::parse_shape_arg(s, name, shape); !st.ok())
      return tools::fail("build", st, 2);
    cfg.input_shapes[name] = shape.dims();
  }
  if (!a.layer_precisions.empty()) {
    auto lp = parse_layer_precisions(a.layer_precisions);
    if (!lp) return tools::fail("build", lp.status(), 2);
    cfg.layer_precisions = *lp;
  }
  BuildReport report;
  auto bytes = build_engine(cfg, &report);
  if (!bytes) return tools::fail("build", bytes.status());
  Status st = tools::write_file_atomic(a.save_engine, bytes->data(), bytes->size(),
                                       {a.onnx, a.calib_cache});
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
  if (cfg.target == "cuda")
    std::printf("Tactics: %d layers timed, %d from the timing cache, %d on the CPU fallback, "
                "%.2f s\n",
                report.layers_timed, report.layers_from_cache, report.fallback_layers,
                report.tactic_seconds);
  std::printf("Engine: %s (%zu bytes), built in %.2f s\n", a.save_engine.c_str(), bytes->size(),
              report.seconds);
  if (!a.report_json.empty()) {
    nlohmann::json j = {{"engine", a.save_engine},
                        {"onnx", a.onnx},
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
                        {"target", cfg.target},
                        {"layers_timed", report.layers_timed},
                        {"layers_from_timing_cache", report.layers_from_cache},
                        {"fallback_layers", report.fallback_layers},
                        {"tactic_seconds", report.tactic_seconds},
                        {"tactic_log", report.tactic_log},
                        {"log", report.log}};
    const std::string text = j.dump(2) + "\n";
    if (Status js = tools::write_file_atomic(a.report_json, text.data(), text.size(), {a.onnx});
        !js.ok())
      return tools::fail("build", js);
  }
  return 0;
}
