// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "tools/build_options.h"

#include "tools/cli_util.h"

namespace edgert::tools {

std::vector<CLI::Option*> add_build_options(CLI::App& sub, BuildOptions& o, bool onnx_required,
                                            const std::string& percentile_flag) {
  const std::size_t before = sub.get_options().size();
  CLI::Option* onnx = sub.add_option("--onnx", o.onnx, "ONNX model");
  if (onnx_required) onnx->required();
  sub.add_flag("--fp16", o.fp16, "Allow fp16 layers");
  sub.add_flag("--int8", o.int8, "Allow int8 layers (needs --calib-data, --calib-cache or Q/DQ)");
  sub.add_flag("--best", o.best, "Every layer in the fastest precision the target has");
  sub.add_flag("--force", o.force,
               "No noise-reduction heuristic: the last weighted layers get int8 too");
  sub.add_option("--high-precision-tail", o.tail,
                 "Weighted layers nearest the outputs kept out of int8 (default 1)");
  sub.add_option("--calib-data", o.calib_data,
                 "Calibration images (directory) or tensor files (.npy/.bin, or a directory)");
  sub.add_option("--calib-cache", o.calib_cache,
                 "Calibration cache: read if it exists, else written after calibrating");
  sub.add_option("--calibrator", o.calibrator, "entropy | minmax | percentile | mse")
      ->check(CLI::IsMember({"entropy", "minmax", "percentile", "mse"}));
  sub.add_option(percentile_flag, o.percentile, "Percentile for --calibrator percentile");
  sub.add_option("--calib-max", o.calib_max, "Calibration items to use at most (default 500)");
  sub.add_option("--batch", o.batch, "Set dim 0 of every input");
  sub.add_option("--shapes", o.shapes, "Input shapes: name:1x3x224x224 (repeatable)");
  sub.add_option("--layer-precisions", o.layer_precisions, "Per-layer precision: conv1:fp32,...");
  sub.add_option("--target", o.target, "cpu (cuda with the CUDA backend)");
  sub.add_option("--timing-cache", o.timing_cache,
                 "Timing cache file (CUDA target): read when it exists, written after the build");
  sub.add_option(
      "--tactic-sources", o.tactic_sources,
      "CUDA target: tactic sources, e.g. -cudnn,-cublas (of cudnn, cublas, edgert, cpu)");
  sub.add_option("--preprocess", o.preprocess,
                 "Preprocessing, overrides the model's: color=RGB;mean=..;scale=..;resize=stretch");
  sub.add_option("--labels", o.labels, "Class labels, one per line (overrides the model's)");
  // CLI11 keeps options in the order they were added: the ones added here are the last.
  std::vector<CLI::Option*> all = sub.get_options();
  return std::vector<CLI::Option*>(all.begin() + static_cast<std::ptrdiff_t>(before), all.end());
}

Expected<BuildConfig> to_build_config(const BuildOptions& o) {
  BuildConfig cfg;
  cfg.onnx_path = o.onnx;
  cfg.precision = o.int8 ? Precision::kINT8 : (o.fp16 ? Precision::kFP16 : Precision::kFP32);
  cfg.best = o.best;
  cfg.force_precision = o.force;
  cfg.high_precision_tail = o.tail;
  cfg.target = o.target;
  cfg.batch = o.batch;
  cfg.calib_data = o.calib_data;
  cfg.calib_cache = o.calib_cache;
  cfg.calibrator = o.calibrator;
  cfg.percentile = o.percentile;
  cfg.calib_max_items = o.calib_max;
  cfg.timing_cache = o.timing_cache;
  cfg.tactic_sources = o.tactic_sources;
  cfg.preprocess = o.preprocess;
  cfg.labels_file = o.labels;
  for (const auto& s : o.shapes) {
    std::string name;
    Shape shape;
    EDGERT_RETURN_IF_ERROR(parse_shape_arg(s, name, shape));
    cfg.input_shapes[name] = shape.dims();
  }
  if (!o.layer_precisions.empty()) {
    auto lp = parse_layer_precisions(o.layer_precisions);
    if (!lp) return lp.status();
    cfg.layer_precisions = *lp;
  }
  return cfg;
}

}  // namespace edgert::tools
