// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// The engine builder: ONNX model -> optimized, precision-assigned, memory-planned engine file.
//
//   edgert::BuildConfig cfg;
//   cfg.onnx_path = "model.onnx";
//   cfg.precision = edgert::Precision::kINT8;
//   cfg.calib_data = "calibration_data/fashion";
//   edgert::BuildReport report;
//   auto bytes = edgert::build_engine(cfg, &report);   // Expected<std::vector<std::uint8_t>>
//
// Lives in libedgert_builder (protobuf, onnx, OpenCV); the runtime never needs it.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "edgert/status.h"
#include "edgert/types.h"

namespace edgert {

struct BuildConfig {
  std::string onnx_path;
  /// Highest precision allowed to be lowered to: fp32 (default), fp16 or int8. Q/DQ nodes in the
  /// model (explicit quantization) imply int8 wherever they give scales.
  Precision precision = Precision::kFP32;
  /// --best: every layer in the lowest precision the target runs it in.
  bool best = false;
  std::string target = "cpu";
  /// Input shapes by name (overrides the model's); `batch` > 0 sets dim 0 of every input.
  std::map<std::string, std::vector<std::int64_t>> input_shapes;
  std::int64_t batch = 0;
  /// --layer-precisions conv1:fp32,... (node names of the ONNX model, or fused layer names).
  std::map<std::string, Precision> layer_precisions;
  /// Keep the last N weighted layers out of int8 (noise reduction); ignored for layers the user
  /// named in layer_precisions.
  int high_precision_tail = 1;
  /// --int8 --force: no noise-reduction heuristic.
  bool force_precision = false;

  // INT8 calibration.
  std::string calib_data;   ///< directory of images, or .npy/.bin tensor files
  std::string calib_cache;  ///< read when it exists (no data needed), written after calibrating
  std::string calibrator = "entropy";  ///< entropy | minmax | percentile | mse
  double percentile = 99.99;
  int calib_max_items = 500;

  /// Preprocessing override ("color=RGB;mean=..;scale=.." as in the model metadata), labels file.
  std::string preprocess;
  std::string labels_file;
  std::string timing_cache;  ///< CUDA target: read when it exists, written after the build
  /// CUDA target: --tactic-sources, e.g. "-cudnn,-cublas" (EdgeRT's kernels only) or
  /// "cudnn,edgert"; "" allows all (cudnn, cublas, edgert, cpu).
  std::string tactic_sources;
};

struct BuildReport {
  std::vector<std::string> log;        ///< fusions, declined fusions, precision decisions
  std::map<std::string, int> fusions;  ///< applied fusions by pattern
  std::string layer_table;             ///< the final layer table (text)
  std::size_t layers = 0;
  std::size_t onnx_nodes = 0;
  std::uint64_t arena_bytes = 0;  ///< planned activation memory
  std::uint64_t naive_activation_bytes = 0;
  std::uint64_t weight_bytes = 0;
  std::size_t calibrated_tensors = 0;
  std::string scales_source;  ///< "", "calibration (entropy)", "cache FILE", "Q/DQ nodes"
  double seconds = 0.0;
  // CUDA target: tactic selection.
  std::vector<std::string> tactic_log;  ///< every candidate's time per layer, then the fastest
  int layers_timed = 0;                 ///< layers timed in this build
  int layers_from_cache = 0;            ///< layers whose tactic came from the timing cache
  int fallback_layers = 0;              ///< layers left on the CPU fallback
  double tactic_seconds = 0.0;          ///< time spent selecting tactics
};

/// Builds a serialized engine. Nothing the user gave is written to except `calib_cache` (created or
/// rewritten only after a successful calibration).
Expected<std::vector<std::uint8_t>> build_engine(const BuildConfig& config,
                                                 BuildReport* report = nullptr);

/// Parses "conv1:fp32,relu:int8" into the map (error naming the bad entry).
Expected<std::map<std::string, Precision>> parse_layer_precisions(const std::string& text);

}  // namespace edgert
