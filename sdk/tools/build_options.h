// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// The builder's command-line options (precision, shapes, calibration, target, timing cache...),
// shared by `edgert build` and `edgert bench --onnx` so that both read them the same way.

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "edgert/builder.h"
#include "edgert/status.h"

namespace edgert::tools {

/// What the options hold after parsing (defaults as BuildConfig's).
struct BuildOptions {
  std::string onnx, calib_data, calib_cache, calibrator = "entropy", target = "cpu";
  std::string layer_precisions, timing_cache, preprocess, labels, tactic_sources;
  std::vector<std::string> shapes;
  bool fp16 = false, int8 = false, best = false, force = false;
  double percentile = 99.99;
  int batch = 0, calib_max = 500, tail = 1;
};

/// Adds the options to `sub`, storing into `o` (which must outlive parsing), and returns them (so
/// that a command can tell which were given). `onnx_required`:
/// --onnx must be given (build) or is one of several sources (bench). `percentile_flag` names the
/// option of the percentile calibrator: "--percentile" in `edgert build`; `edgert bench` uses
/// --percentile for latency percentiles and passes "--calib-percentile".
std::vector<CLI::Option*> add_build_options(CLI::App& sub, BuildOptions& o, bool onnx_required,
                                            const std::string& percentile_flag = "--percentile");

/// The BuildConfig the options describe; kInvalidArgument (naming the option) for a malformed
/// --shapes or --layer-precisions value.
Expected<BuildConfig> to_build_config(const BuildOptions& o);

}  // namespace edgert::tools
