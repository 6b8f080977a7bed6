// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// build_engine: the builder's steps in order. Each step lives in its own module; this file only
// sequences them and collects the report.

#include "edgert/builder.h"

#include <chrono>
#include <fstream>
#include <functional>
#include <iterator>
#include <set>
#include <sstream>

#include "builder/cuda_lowering.h"
#include "builder/engine_lowering.h"
#include "builder/precision.h"
#include "core/hash.h"
#include "edgert/engine.h"
#include "edgert/logger.h"
#include "edgert/preprocess.h"
#include "edgert/runtime.h"
#include "onnx/importer.h"
#include "passes/pass.h"
#include "quant/calibration.h"
#include "quant/calibration_cache.h"
#include "quant/calibration_data.h"
#include "runtime/gpu_backend.h"

namespace edgert {
namespace {

Expected<std::vector<std::uint8_t>> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status(StatusCode::kNotFound, "cannot open model '" + path + "'");
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(f), {});
}

Expected<std::vector<std::string>> read_labels(const std::string& path) {
  std::ifstream f(path);
  if (!f) return Status(StatusCode::kNotFound, "cannot open labels file '" + path + "'");
  std::vector<std::string> labels;
  for (std::string line; std::getline(f, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    labels.push_back(line);
  }
  while (!labels.empty() && labels.back().empty()) labels.pop_back();
  if (labels.empty())
    return Status(StatusCode::kInvalidArgument, "labels file '" + path + "' is empty");
  return labels;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream is(s);
  for (std::string line; std::getline(is, line);) out.push_back(line);
  while (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

/// A text form of everything in the config that changes the engine, for the config hash and the
/// engine header.
std::string config_summary(const BuildConfig& c) {
  std::ostringstream os;
  os << "target=" << c.target << " precision=" << precision_name(c.precision)
     << (c.best ? " best" : "") << " batch=" << c.batch;
  for (const auto& [name, dims] : c.input_shapes) {
    os << " shape:" << name << "=";
    for (std::size_t i = 0; i < dims.size(); ++i) os << (i ? "x" : "") << dims[i];
  }
  for (const auto& [name, p] : c.layer_precisions)
    os << " layer:" << name << "=" << precision_name(p);
  os << " tail=" << c.high_precision_tail << (c.force_precision ? " force" : "");
  if (c.precision == Precision::kINT8 || c.best)
    os << " calibrator=" << c.calibrator << " percentile=" << c.percentile;
  if (!c.preprocess.empty()) os << " preprocess=" << c.preprocess;
  if (!c.tactic_sources.empty()) os << " tactic-sources=" << c.tactic_sources;
  return os.str();
}

/// The float tensors int8 layers read or may write: what calibration must measure.
std::vector<std::string> calibration_targets(const ir::Graph& g) {
  std::set<std::string> names;
  for (const ir::Node* n : g.nodes()) {
    const auto& op = n->info.op_type;
    if (op != "FusedConv" && op != "FusedGemm") continue;
    for (std::size_t i = 0; i < n->inputs.size(); ++i) {
      const ir::Value* v = n->inputs[i];
      if (v == nullptr || v->is_constant) continue;
      if (i == 0 || i == 3) names.insert(v->name);  // X and the residual Z
    }
    for (const ir::Value* v : n->outputs)
      if (v != nullptr) names.insert(v->name);
  }
  return {names.begin(), names.end()};
}

/// Lowers, serializes and loads back through the verifier: what the builder hands out is what the
/// runtime accepts.
/// `select_tactics`, when given, edits the engine description before it is serialized (the CUDA
/// target's tactic timing).
Expected<std::shared_ptr<const Engine>> engine_from_graph(
    const ir::Graph& g, const builder::EngineBuildInfo& info,
    std::vector<std::uint8_t>* bytes_out = nullptr,
    const std::function<Status(engine::EngineDef&)>& select_tactics = {}) {
  EDGERT_ASSIGN_OR_RETURN(engine::EngineDef def, builder::lower_to_engine(g, info));
  if (select_tactics) EDGERT_RETURN_IF_ERROR(select_tactics(def));
  std::vector<std::uint8_t> bytes = builder::serialize(def);
  if (bytes_out) *bytes_out = bytes;
  return Engine::from_memory(std::move(bytes));
}

std::string calibrator_label(const BuildConfig& cfg) {
  return cfg.calibrator == "percentile" ? "percentile=" + std::to_string(cfg.percentile)
                                        : cfg.calibrator;
}

/// Scales for every calibration target: from the cache when it exists, else by running the fp32
/// engine over the calibration data (and then writing the cache).
Status obtain_scales(const BuildConfig& cfg, ir::Graph& g, const std::string& model_hash,
                     const std::vector<PreprocessSpec>& specs, BuildReport& report) {
  // The calibration engine carries the preprocessing so image data is fed as the final engine.
  EDGERT_ASSIGN_OR_RETURN(quant::CalibratorConfig calibrator,
                          quant::parse_calibrator(calibrator_label(cfg)));
  if (!cfg.calib_cache.empty() && std::ifstream(cfg.calib_cache).good()) {
    EDGERT_ASSIGN_OR_RETURN(quant::CalibrationCache cache,
                            quant::read_calibration_cache(cfg.calib_cache));
    EDGERT_RETURN_IF_ERROR(
        quant::check_calibration_cache(cache, model_hash, calibrator.name(), cfg.calib_cache));
    EDGERT_RETURN_IF_ERROR(quant::apply_scales(cache.table, g));
    report.scales_source = "cache " + cfg.calib_cache;
    report.calibrated_tensors = cache.table.tensors.size();
    return Status();
  }
  if (cfg.calib_data.empty())
    return Status(
        StatusCode::kInvalidArgument,
        "int8 needs scales: give --calib-data DIR (images or tensor files) or an existing "
        "--calib-cache FILE, or use a model with Q/DQ nodes");
  if (g.inputs().size() != 1)
    return Status(StatusCode::kUnsupported,
                  "calibration from files needs a model with one input (" +
                      std::to_string(g.inputs().size()) + " here)");

  // The fp32 graph as an engine, run by the runtime with an observer on every tensor.
  builder::EngineBuildInfo info;
  info.model_hash = model_hash;
  info.config_summary = "calibration";
  EDGERT_ASSIGN_OR_RETURN(auto engine, engine_from_graph(g, info));
  EDGERT_ASSIGN_OR_RETURN(auto ctx, engine->create_context());
  quant::BatchRunner runner = [&](const std::vector<Tensor>& inputs,
                                  const quant::TensorObserver& observe) -> Status {
    std::vector<const Tensor*> in;
    for (const auto& t : inputs) in.push_back(&t);
    ctx->set_tensor_observer(observe);
    std::vector<Tensor> outputs;
    return ctx->execute(in, outputs);
  };
  const ir::Value* in = g.inputs()[0];
  quant::CalibrationInput cin{in->name, in->info.dtype, in->info.shape, specs[0]};
  quant::CalibrationDataOptions dopts;
  dopts.max_samples = cfg.calib_max_items;
  EDGERT_ASSIGN_OR_RETURN(auto data, quant::CalibrationData::open(cfg.calib_data, cin, dopts));
  quant::CalibrationOptions copts;
  copts.calibrator = calibrator;
  EDGERT_ASSIGN_OR_RETURN(quant::ScaleTable table,
                          quant::calibrate(runner, data, calibration_targets(g), copts));
  EDGERT_RETURN_IF_ERROR(quant::apply_scales(table, g));
  report.scales_source = "calibration (" + calibrator.name() + ", " + data.description() + ")";
  report.calibrated_tensors = table.tensors.size();
  if (!cfg.calib_cache.empty())
    EDGERT_RETURN_IF_ERROR(quant::write_calibration_cache(cfg.calib_cache, table, model_hash));
  return Status();
}

}  // namespace

Expected<std::map<std::string, Precision>> parse_layer_precisions(const std::string& text) {
  std::map<std::string, Precision> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto comma = text.find(',', pos);
    std::string item =
        text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    auto colon = item.rfind(':');
    if (colon == std::string::npos || colon == 0)
      return Status(StatusCode::kInvalidArgument,
                    "--layer-precisions entry '" + item + "': expected LAYER:PRECISION");
    auto p = parse_precision(item.substr(colon + 1));
    if (!p)
      return Status(p.status().code(),
                    "--layer-precisions entry '" + item + "': " + p.status().message());
    out[item.substr(0, colon)] = *p;
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

Expected<std::vector<std::uint8_t>> build_engine(const BuildConfig& cfg, BuildReport* report_out) {
  auto t0 = std::chrono::steady_clock::now();
  BuildReport report;
  const bool cuda = cfg.target == "cuda";
  if (cfg.target != "cpu" && !cuda)
    return Status(StatusCode::kInvalidArgument,
                  "target '" + cfg.target + "' is not one of cpu, cuda");
  EngineTarget target;
  cuda_backend::AutotuneOptions tune;
  if (cuda) {
    if (!cuda_backend::built())
      return Status(StatusCode::kUnsupported,
                    "target cuda: this EdgeRT was built without the CUDA backend");
    auto here = cuda_backend::current_target();
    if (!here)
      return here.status().with_context(
          "the cuda target times kernels on a CUDA device of the build machine, and none is "
          "usable");
    target = *here;
    tune.timing_cache = cfg.timing_cache;
    if (!cfg.tactic_sources.empty()) {
      EDGERT_ASSIGN_OR_RETURN(tune.sources, cuda_backend::parse_sources(cfg.tactic_sources));
    }
  } else if (!cfg.tactic_sources.empty()) {
    return Status(StatusCode::kInvalidArgument, "--tactic-sources applies to the cuda target only");
  }

  EDGERT_ASSIGN_OR_RETURN(auto onnx_bytes, read_file(cfg.onnx_path));
  const std::string model_hash = sha256_hex(onnx_bytes.data(), onnx_bytes.size());

  onnx::ImportOptions iopts;
  for (const auto& [name, dims] : cfg.input_shapes) iopts.input_shapes[name] = Shape(dims);
  EDGERT_ASSIGN_OR_RETURN(auto graph, onnx::import_model(cfg.onnx_path, iopts));
  if (cfg.batch > 0) {
    // Re-import with dim 0 of every input pinned (shapes given by --shapes win).
    for (const ir::Value* in : graph->inputs()) {
      if (iopts.input_shapes.count(in->name) || in->info.shape.unknown_rank() ||
          in->info.shape.rank() == 0)
        continue;
      Shape s = in->info.shape;
      s[0] = cfg.batch;
      iopts.input_shapes[in->name] = s;
    }
    EDGERT_ASSIGN_OR_RETURN(graph, onnx::import_model(cfg.onnx_path, iopts));
  }
  ir::Graph& graph_ref = *graph;
  report.onnx_nodes = graph_ref.nodes().size();
  for (const ir::Value* in : graph_ref.inputs())
    if (!in->info.shape.is_static())
      return Status(StatusCode::kInvalidArgument,
                    "input '" + in->name + "' has shape " + in->info.shape.to_string() +
                        ": give static shapes with --shapes " + in->name + ":1x... or --batch N");

  // Preprocessing and labels: model metadata, overridden by the config.
  std::vector<PreprocessSpec> specs;
  for (const ir::Value* in : graph_ref.inputs()) {
    PreprocessSpec spec;
    std::string text = cfg.preprocess;
    if (text.empty())
      if (auto it = graph_ref.metadata.find("edgert.preprocess"); it != graph_ref.metadata.end())
        text = it->second;
    const Shape& s = in->info.shape;
    if (!text.empty() && s.rank() == 4) {
      EDGERT_ASSIGN_OR_RETURN(spec, parse_preprocess_spec(text));
      if (spec.enabled) {  // "none" turns the model's own spec off
        const bool nhwc = spec.layout == TensorLayout::kNHWC;
        spec.height = static_cast<int>(nhwc ? s[1] : s[2]);
        spec.width = static_cast<int>(nhwc ? s[2] : s[3]);
      }
    }
    specs.push_back(spec);
  }
  std::vector<std::string> labels;
  if (!cfg.labels_file.empty()) {
    EDGERT_ASSIGN_OR_RETURN(labels, read_labels(cfg.labels_file));
  } else if (auto it = graph_ref.metadata.find("edgert.labels"); it != graph_ref.metadata.end()) {
    labels = split_lines(it->second);
  }

  // Graph optimization.
  ir::BuildLog log;
  passes::PassContext pctx{log, cfg.layer_precisions};
  EDGERT_RETURN_IF_ERROR(passes::optimize(graph_ref, pctx));

  // Precision: scales from Q/DQ (already in the graph), a cache or calibration.
  const bool explicit_quant = !graph_ref.activation_scales.empty();
  bool wants_int8 = cfg.precision == Precision::kINT8 || cfg.best;
  for (const auto& [name, p] : cfg.layer_precisions)
    if (p == Precision::kINT8) wants_int8 = true;
  if (explicit_quant) {
    report.scales_source = "Q/DQ nodes";
    report.calibrated_tensors = graph_ref.activation_scales.size();
    log.note("Explicit quantization: " + std::to_string(graph_ref.activation_scales.size()) +
             " tensor scales from Q/DQ nodes");
  } else if (wants_int8) {
    EDGERT_RETURN_IF_ERROR(obtain_scales(cfg, graph_ref, model_hash, specs, report));
    log.note("INT8 scales for " + std::to_string(report.calibrated_tensors) + " tensors from " +
             report.scales_source);
  }
  builder::PrecisionConfig pcfg;
  pcfg.mode =
      explicit_quant && cfg.precision == Precision::kFP32 ? Precision::kINT8 : cfg.precision;
  pcfg.best = cfg.best;
  pcfg.layer_precisions = cfg.layer_precisions;
  pcfg.force = cfg.force_precision;
  // Explicit quantization: the Q/DQ placement decides (layers without scales stay in float).
  pcfg.high_precision_tail = explicit_quant ? 0 : cfg.high_precision_tail;
  EDGERT_RETURN_IF_ERROR(builder::assign_precision(graph_ref, pcfg, log));
  EDGERT_RETURN_IF_ERROR(builder::lower_precision(graph_ref, log, !cuda));
  if (cuda) EDGERT_RETURN_IF_ERROR(builder::lower_for_cuda(graph_ref, log));

  // Engine.
  builder::EngineBuildInfo info;
  info.model_hash = model_hash;
  info.config_summary = config_summary(cfg);
  info.config_hash = sha256_hex(info.config_summary);
  for (std::size_t i = 0; i < specs.size(); ++i)
    if (specs[i].enabled) info.preprocess[graph_ref.inputs()[i]->name] = specs[i];
  info.labels = labels;
  std::function<Status(engine::EngineDef&)> select_tactics;
  if (cuda) {
    info.target = target;
    select_tactics = [&](engine::EngineDef& def) -> Status {
      EDGERT_ASSIGN_OR_RETURN(cuda_backend::AutotuneResult tuned,
                              cuda_backend::autotune(def, tune));
      report.tactic_log = std::move(tuned.log);
      report.layers_timed = tuned.timed;
      report.layers_from_cache = tuned.cached;
      report.fallback_layers = tuned.fallback_layers;
      report.tactic_seconds = tuned.seconds;
      log.note("Tactics: " + std::to_string(tuned.layers) + " layers, " +
               std::to_string(tuned.timed) + " timed, " + std::to_string(tuned.cached) +
               " from the timing cache, " + std::to_string(tuned.fallback_layers) +
               " on the CPU fallback (" + std::to_string(tuned.seconds) + " s)");
      return {};
    };
  }
  std::vector<std::uint8_t> bytes;
  EDGERT_ASSIGN_OR_RETURN(auto engine, engine_from_graph(graph_ref, info, &bytes, select_tactics));

  report.log = log.lines();
  report.fusions = log.fusion_counts();
  report.layers = engine->layers().size();
  report.layer_table = engine->layer_table();
  const MemorySummary& mem = engine->memory();
  report.arena_bytes = mem.arena_bytes;
  report.naive_activation_bytes = mem.naive_bytes;
  report.weight_bytes = mem.weight_bytes;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (report_out) *report_out = std::move(report);
  return bytes;
}

}  // namespace edgert
