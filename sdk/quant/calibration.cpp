// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "quant/calibration.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <set>
#include <string>
#include <utility>

#include "edgert/logger.h"
#include "ir/interpreter.h"

namespace edgert::quant {
namespace {

using Clock = std::chrono::steady_clock;

// Progress on a stream: a bar redrawn with '\r' on a terminal, a line per tenth elsewhere (a log
// file or CI output should not fill with carriage returns).
class Progress {
 public:
  Progress(ProgressMode mode, std::FILE* stream, std::size_t total)
      : stream_(stream), total_(total), start_(Clock::now()) {
    if (mode == ProgressMode::kAuto)
      mode = stream && isatty(fileno(stream)) ? ProgressMode::kBar : ProgressMode::kLines;
    mode_ = stream ? mode : ProgressMode::kOff;
  }

  void update(std::size_t done) {
    if (mode_ == ProgressMode::kOff || total_ == 0) return;
    const double secs = std::chrono::duration<double>(Clock::now() - start_).count();
    if (mode_ == ProgressMode::kBar) {
      constexpr int kWidth = 30;
      const auto filled = static_cast<int>(done * kWidth / total_);
      std::fprintf(stream_, "\rcalibrating [%s%s] %zu/%zu batches %.1f s",
                   std::string(static_cast<std::size_t>(filled), '#').c_str(),
                   std::string(static_cast<std::size_t>(kWidth - filled), ' ').c_str(), done,
                   total_, secs);
      if (done == total_) std::fputc('\n', stream_);
    } else {
      const std::size_t tenth = done * 10 / total_;
      if (tenth == last_tenth_ && done != total_) return;
      last_tenth_ = tenth;
      std::fprintf(stream_, "calibration: %zu/%zu batches (%zu%%), %.1f s\n", done, total_,
                   done * 100 / total_, secs);
    }
    std::fflush(stream_);
  }

  // An error ends a bar in the middle of its line.
  void abort() {
    if (mode_ == ProgressMode::kBar) std::fputc('\n', stream_);
  }

 private:
  std::FILE* stream_;
  std::size_t total_;
  Clock::time_point start_;
  ProgressMode mode_ = ProgressMode::kOff;
  std::size_t last_tenth_ = static_cast<std::size_t>(-1);  // so that 0/N is printed
};

std::string name_list(const std::vector<std::string>& names) {
  std::string s;
  for (std::size_t i = 0; i < names.size() && i < 10; ++i) s += (i ? ", '" : "'") + names[i] + "'";
  if (names.size() > 10) s += " and " + std::to_string(names.size() - 10) + " more";
  return s;
}

}  // namespace

Expected<std::map<std::string, Histogram>> collect_histograms(
    const BatchRunner& runner, const CalibrationData& data, const std::vector<std::string>& tensors,
    const CalibrationOptions& options) {
  if (options.num_bins < 2 || options.num_bins % 2 != 0)
    return make_error(StatusCode::kInvalidArgument,
                      "calibration: the histogram bin count must be even and at least 2, got " +
                          std::to_string(options.num_bins));
  if (data.num_batches() == 0)
    return make_error(StatusCode::kInvalidArgument,
                      "calibration: no batches in " + data.description());
  std::map<std::string, Histogram> hists;
  for (const std::string& t : tensors) hists.emplace(t, Histogram(options.num_bins));
  std::set<std::string> seen;
  Status observe_error;

  Progress progress(options.progress, options.progress_stream, data.num_batches());
  progress.update(0);
  for (std::size_t b = 0; b < data.num_batches(); ++b) {
    auto inputs = data.batch(b);
    if (!inputs.ok()) {
      progress.abort();
      return inputs.status().with_context("calibration on " + data.description());
    }
    const TensorObserver observer = [&](const std::string& name, const Tensor& t) {
      auto it = hists.find(name);
      if (it == hists.end() || !observe_error.ok()) return;
      seen.insert(name);
      Status st = it->second.add(t);
      if (!st.ok())
        observe_error =
            st.with_context("calibration batch " + std::to_string(b) + ": tensor '" + name + "'");
    };
    Status st = runner(*inputs, observer);
    if (!st.ok()) {
      progress.abort();
      return st.with_context("calibration batch " + std::to_string(b));
    }
    if (!observe_error.ok()) {
      progress.abort();
      return observe_error;
    }
    progress.update(b + 1);
  }
  std::vector<std::string> missing;
  for (const auto& [name, h] : hists)
    if (!seen.count(name)) missing.push_back(name);
  if (!missing.empty())
    return make_error(StatusCode::kNotFound, "calibration: the runner never reported " +
                                                 std::to_string(missing.size()) +
                                                 " requested tensor(s): " + name_list(missing));
  return hists;
}

Expected<ScaleTable> scales_from_histograms(const std::map<std::string, Histogram>& histograms,
                                            const CalibratorConfig& calibrator) {
  ScaleTable table;
  table.calibrator = calibrator.name();
  std::vector<std::string> all_zero;
  for (const auto& [name, h] : histograms) {
    auto amax = compute_amax(h, calibrator);
    if (!amax.ok()) return amax.status().with_context("tensor '" + name + "'");
    ScaleEntry e;
    e.amax = *amax;
    if (!(e.amax > 0.f)) {
      all_zero.push_back(name);
      e.amax = 1.f;
    }
    e.scale = e.amax / 127.f;
    table.tensors[name] = e;
  }
  if (!all_zero.empty())
    EDGERT_LOG(kWarning, "calibration: " << all_zero.size()
                                         << " tensor(s) were 0 on every calibration sample, given "
                                            "amax 1 (scale 1/127): "
                                         << name_list(all_zero));
  return table;
}

Expected<ScaleTable> calibrate(const BatchRunner& runner, const CalibrationData& data,
                               const std::vector<std::string>& tensors,
                               const CalibrationOptions& options) {
  EDGERT_ASSIGN_OR_RETURN(auto hists, collect_histograms(runner, data, tensors, options));
  return scales_from_histograms(hists, options.calibrator);
}

BatchRunner make_interpreter_runner(const ir::Graph& graph) {
  return [&graph](const std::vector<Tensor>& inputs, const TensorObserver& observer) -> Status {
    const auto& gin = graph.inputs();
    if (inputs.size() != gin.size())
      return make_error(StatusCode::kInvalidArgument,
                        "the graph has " + std::to_string(gin.size()) + " input(s), " +
                            std::to_string(inputs.size()) + " given");
    std::map<std::string, Tensor> named;
    for (std::size_t i = 0; i < gin.size(); ++i) named[gin[i]->name] = inputs[i];
    ir::RunOptions opts;
    opts.keep_intermediates = true;
    EDGERT_ASSIGN_OR_RETURN(ir::RunResult r, ir::run_graph(graph, named, opts));
    if (observer) {
      for (const auto& [name, t] : named) observer(name, t);
      for (const auto& [name, t] : r.values) observer(name, t);
    }
    return Status::ok_status();
  };
}

std::vector<std::string> calibration_tensors(const ir::Graph& graph) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  auto add = [&](const ir::Value* v) {
    if (v && !v->is_constant && is_float(v->info.dtype) && seen.insert(v->name).second)
      names.push_back(v->name);
  };
  for (const ir::Value* v : graph.inputs()) add(v);
  for (const ir::Node* n : graph.nodes()) {
    if (n->dead) continue;
    for (const ir::Value* v : n->outputs) add(v);
  }
  return names;
}

Status apply_scales(const ScaleTable& table, ir::Graph& graph) {
  std::vector<std::string> missing;
  for (const auto& [name, e] : table.tensors)
    if (!graph.find_value(name)) missing.push_back(name);
  if (!missing.empty())
    return make_error(StatusCode::kNotFound,
                      "calibration scales for " + std::to_string(missing.size()) +
                          " tensor(s) the graph does not have: " + name_list(missing));
  for (const auto& [name, e] : table.tensors) graph.activation_scales[name] = e.scale;
  return Status::ok_status();
}

}  // namespace edgert::quant
