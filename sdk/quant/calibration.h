// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// INT8 post-training calibration driver: runs a BatchRunner (the fp32 engine with a tensor
// observer, or the reference interpreter) over a CalibrationData source, accumulates a |x|
// histogram per requested tensor, and turns each into a scale with a calibrator. The builder
// writes the result into Graph::activation_scales (apply_scales) and into a calibration cache
// (calibration_cache.h).

#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "edgert/status.h"
#include "edgert/tensor.h"
#include "ir/graph.h"
#include "quant/calibration_data.h"
#include "quant/calibrator.h"
#include "quant/histogram.h"

namespace edgert::quant {

/// Called with every graph input and every layer output after it is computed; the tensor is only
/// valid during the call.
using TensorObserver = std::function<void(const std::string& name, const Tensor& t)>;
/// Runs one batch (inputs in the model's input order), reporting tensors to the observer.
using BatchRunner =
    std::function<Status(const std::vector<Tensor>& inputs, const TensorObserver& observer)>;

/// A tensor's int8 quantization: real = scale * q, q in [-127, 127], scale = amax / 127.
struct ScaleEntry {
  float amax = 0.f;
  float scale = 0.f;
};

struct ScaleTable {
  std::string calibrator;  ///< CalibratorConfig::name() of the calibrator that made it
  std::map<std::string, ScaleEntry> tensors;
};

enum class ProgressMode : std::uint8_t {
  kAuto = 0,  ///< a bar redrawn in place when the stream is a terminal, else kLines
  kOff = 1,
  kBar = 2,    ///< "\rcalibrating [#####     ] 12/24 batches 3.1 s"
  kLines = 3,  ///< one line at every tenth of the batches and at the end (logs, CI)
};

struct CalibrationOptions {
  CalibratorConfig calibrator;
  int num_bins = Histogram::kDefaultBins;
  ProgressMode progress = ProgressMode::kAuto;
  std::FILE* progress_stream = stderr;  ///< where progress goes (not owned)
};

/// The histograms of `tensors` over every batch of `data`. Errors: a runner failure (with the
/// batch index), a requested tensor the runner never reported (all such names listed), a
/// non-float tensor, NaN or infinity in a tensor (named).
Expected<std::map<std::string, Histogram>> collect_histograms(
    const BatchRunner& runner, const CalibrationData& data, const std::vector<std::string>& tensors,
    const CalibrationOptions& options = {});

/// Scales from histograms with one calibrator. A tensor that was 0 everywhere (amax 0) gets
/// amax 1, scale 1/127 and a warning: any scale represents 0 exactly, and a nonzero scale keeps
/// int8 lowering from dividing by zero.
Expected<ScaleTable> scales_from_histograms(const std::map<std::string, Histogram>& histograms,
                                            const CalibratorConfig& calibrator);

/// collect_histograms + scales_from_histograms with options.calibrator.
Expected<ScaleTable> calibrate(const BatchRunner& runner, const CalibrationData& data,
                               const std::vector<std::string>& tensors,
                               const CalibrationOptions& options = {});

/// A BatchRunner over the reference interpreter (ir::run_graph with keep_intermediates): reports
/// the graph inputs and every computed value. `graph` must outlive the runner.
BatchRunner make_interpreter_runner(const ir::Graph& graph);

/// The tensors worth calibrating in `graph`: float32/float16 graph inputs and node outputs that
/// are not constants, in graph order.
std::vector<std::string> calibration_tensors(const ir::Graph& graph);

/// Writes the scales into graph.activation_scales. kNotFound naming every tensor of the table the
/// graph does not have (nothing is written then).
Status apply_scales(const ScaleTable& table, ir::Graph& graph);

}  // namespace edgert::quant
