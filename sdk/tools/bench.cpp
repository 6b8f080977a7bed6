// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// `edgert bench`: throughput and latency of an engine, as trtexec measures them.
//
//   edgert bench --engine resnet50_fp16.engine --use-cuda-graph --no-data-transfers
//   edgert bench --onnx model.onnx --batch 8 --fp16 --target cuda --streams 2 --threads
//       --report-json report.json --export-times times.json --export-profile profile.json
//
// One untimed run per context first (allocations, lazy module loading, CUDA graph capture), then
// --warmup milliseconds untimed, then the timed run: at least --iterations iterations and
// --duration seconds over all streams. Timing details: bench_runner.h. Throughput is iterations
// over the run's timeline (first start to last end: GPU events on CUDA engines, the host clock on
// the CPU); inferences/s is that times the batch. --export-profile then runs a separate context
// with per-layer profiling (ContextOptions::profile), so the timed run pays no profiling cost.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/npy.h"
#include "edgert/builder.h"
#include "edgert/device.h"
#include "edgert/engine.h"
#include "edgert/half.h"
#include "edgert/memory_report.h"
#include "edgert/runtime.h"
#include "tools/bench_runner.h"
#include "tools/build_options.h"
#include "tools/cli_util.h"
#include "tools/commands.h"

namespace edgert::tools {
namespace {

// Random inputs are the same on every run and machine (std::mt19937 is fully specified).
constexpr unsigned kRandomSeed = 1234;
// Layers printed after --export-profile (the whole profile is in the file).
constexpr std::size_t kTopLayers = 10;

struct BenchArgs {
  BuildOptions build;
  std::vector<CLI::Option*> build_options;  // to refuse them next to --engine
  std::string engine, percentiles = "90,95,99", export_profile, export_times, report_json;
  std::vector<std::string> inputs;
  std::int64_t iterations = 10;
  double duration = 3.0, warmup_ms = 200.0;
  int streams = 1, device = 0;
  bool threads = false, cuda_graph = false, no_data_transfers = false, memory_report = false;
};

BenchArgs& bench_args() {
  static BenchArgs a;
  return a;
}

Status invalid(const std::string& message) { return Status(StatusCode::kInvalidArgument, message); }

/// "90,95,99" -> {90, 95, 99}; each in (0, 100].
Expected<std::vector<double>> parse_percentiles(const std::string& text) {
  std::vector<double> out;
  std::size_t pos = 0;
  while (true) {
    const std::size_t comma = text.find(',', pos);
    std::string item =
        text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    char* end = nullptr;
    const double v = std::strtod(item.c_str(), &end);
    if (item.empty() || *end != '\0' || !(v > 0.0 && v <= 100.0))
      return invalid("--percentile '" + text + "': '" + item +
                     "' is not a percentile; expected numbers in (0, 100] separated by commas, "
                     "e.g. 90,95,99");
    out.push_back(v);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

/// "p90", "p99.9".
std::string percentile_key(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "p%g", p);
  return buf;
}

/// A tensor of `d`'s type and shape with reproducible values: floats uniform in [-1, 1) (the range
/// of normalised images), int8 in [-8, 8], uint8 in [0, 255], wider integers in [0, 7] (small and
/// non-negative: valid indices along most dimensions), bool 0/1.
Expected<Tensor> random_input(const TensorDesc& d, std::mt19937& rng) {
  auto alloc = Tensor::allocate(d.dtype, d.shape);
  if (!alloc) return alloc.status();
  Tensor t = std::move(*alloc);
  const std::int64_t n = t.numel();
  std::uniform_real_distribution<float> real(-1.f, 1.f);
  auto ints = [&](auto* p, int lo, int hi) {
    std::uniform_int_distribution<int> u(lo, hi);
    using T = std::remove_pointer_t<decltype(p)>;
    for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(u(rng));
  };
  switch (d.dtype) {
    case DataType::kFloat32:
      for (std::int64_t i = 0; i < n; ++i) t.data<float>()[i] = real(rng);
      break;
    case DataType::kFloat16:
      for (std::int64_t i = 0; i < n; ++i) t.data<std::uint16_t>()[i] = float_to_half(real(rng));
      break;
    case DataType::kInt8: ints(t.data<std::int8_t>(), -8, 8); break;
    case DataType::kUInt8: ints(t.data<std::uint8_t>(), 0, 255); break;
    case DataType::kInt32: ints(t.data<std::int32_t>(), 0, 7); break;
    case DataType::kInt64: ints(t.data<std::int64_t>(), 0, 7); break;
    case DataType::kBool: ints(t.data<std::uint8_t>(), 0, 1); break;
    default:
      return invalid("input '" + d.name + "' has type " + dtype_name(d.dtype) +
                     ": no random data for it; give it with --input " + d.name + "=file.npy");
  }
  return t;
}

/// `path` as input `d`: the whole batch, or one sample repeated over the batch.
Expected<Tensor> file_input(const TensorDesc& d, const std::string& path) {
  auto t = read_npy(path);
  if (!t) return t.status().with_context("--input " + d.name);
  const std::string what = "--input " + d.name + "='" + path + "': ";
  const std::string want = std::string(dtype_name(d.dtype)) + " " + d.shape.to_string();
  if (t->dtype() != d.dtype)
    return invalid(what + "holds " + dtype_name(t->dtype()) + ", the input is " + want);
  const std::int64_t batch = d.shape.rank() > 0 ? d.shape[0] : 1;
  if (t->numel() == d.shape.numel()) return t->reshaped(d.shape);
  if (batch > 1 && t->numel() * batch == d.shape.numel()) {
    auto alloc = Tensor::allocate(d.dtype, d.shape);
    if (!alloc) return alloc.status();
    for (std::int64_t b = 0; b < batch; ++b)
      std::memcpy(static_cast<std::uint8_t*>(alloc->raw()) + b * t->nbytes(), t->raw(),
                  t->nbytes());
    return std::move(*alloc);
  }
  return invalid(what + "holds " + t->shape().to_string() + ", the input is " + want +
                 " (give the whole batch or one sample)");
}

/// One tensor per engine input, in order; `sources` says where each came from.
Expected<std::vector<Tensor>> make_inputs(const Engine& e, const std::vector<std::string>& specs,
                                          std::vector<std::string>& sources) {
  std::map<std::string, std::string> files;
  for (const std::string& s : specs) {
    const std::size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == s.size())
      return invalid("--input '" + s + "': expected NAME=file.npy");
    const std::string name = s.substr(0, eq);
    if (e.input_index(name) < 0) {
      std::string names;
      for (const TensorDesc& d : e.inputs()) names += (names.empty() ? "'" : ", '") + d.name + "'";
      return invalid("--input '" + s + "': the engine has no input named '" + name +
                     "' (its inputs: " + names + ")");
    }
    if (!files.emplace(name, s.substr(eq + 1)).second)
      return invalid("--input: '" + name + "' given twice");
  }
  std::mt19937 rng(kRandomSeed);
  std::vector<Tensor> out;
  for (const TensorDesc& d : e.inputs()) {
    auto it = files.find(d.name);
    auto t = it != files.end() ? file_input(d, it->second) : random_input(d, rng);
    if (!t) return t.status();
    out.push_back(std::move(*t));
    sources.push_back(it != files.end() ? it->second
                                        : "random, seed " + std::to_string(kRandomSeed));
  }
  return out;
}

struct Stats {
  double min = 0, max = 0, mean = 0, median = 0, sum = 0;
  std::vector<double> percentiles;  // in the order asked for
};

/// Nearest-rank percentiles (as trtexec), the median as the middle value (mean of the two middle
/// values for an even count).
Stats summarize(std::vector<double> v, const std::vector<double>& percentiles) {
  Stats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  s.min = v.front();
  s.max = v.back();
  for (double x : v) s.sum += x;
  s.mean = s.sum / static_cast<double>(n);
  s.median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  for (double p : percentiles) {
    auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(n)));
    s.percentiles.push_back(v[std::min(n, std::max<std::size_t>(rank, 1)) - 1]);
  }
  return s;
}

/// The stats of one field of the records; nullopt when no record has it.
std::optional<Stats> field_stats(const std::vector<IterationTimes>& records,
                                 std::optional<double> IterationTimes::*field,
                                 const std::vector<double>& percentiles) {
  std::vector<double> v;
  for (const IterationTimes& r : records)
    if (r.*field) v.push_back(*(r.*field));
  if (v.empty()) return std::nullopt;
  return summarize(std::move(v), percentiles);
}

nlohmann::ordered_json stats_json(const std::optional<Stats>& s,
                                  const std::vector<double>& percentiles) {
  if (!s) return nullptr;
  nlohmann::ordered_json j = {
      {"min", s->min}, {"max", s->max}, {"mean", s->mean}, {"median", s->median}};
  for (std::size_t i = 0; i < percentiles.size(); ++i)
    j[percentile_key(percentiles[i])] = s->percentiles[i];
  return j;
}

void print_stats(const char* label, const std::optional<Stats>& s,
                 const std::vector<double>& percentiles) {
  if (!s) return;
  std::printf("%s: min = %.4f ms, max = %.4f ms, mean = %.4f ms, median = %.4f ms", label, s->min,
              s->max, s->mean, s->median);
  for (std::size_t i = 0; i < percentiles.size(); ++i)
    std::printf(", percentile(%g%%) = %.4f ms", percentiles[i], s->percentiles[i]);
  std::printf("\n");
}

std::string cpu_name() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos)
      return line.substr(line.find(':') + 2);
  return "CPU";
}

/// The machine the engine runs on: a line for the header, fields for the report (null on the CPU).
struct DeviceSummary {
  std::string text;
  nlohmann::ordered_json info;
};

DeviceSummary describe_device(bool gpu, int device) {
  if (!gpu)
    return {"CPU: " + cpu_name() + " (" + std::to_string(std::thread::hardware_concurrency()) +
                " hardware threads)",
            nullptr};
  auto devices = list_devices();
  if (devices)
    for (const DeviceInfo& d : *devices)
      if (d.index == device) {
        const std::string sm = "sm_" + std::to_string(d.sm_major) + std::to_string(d.sm_minor);
        DeviceSummary s;
        s.text = "GPU #" + std::to_string(d.index) + ": " + d.name + " (" + sm + ", " +
                 std::to_string(d.multiprocessors) + " SMs), CUDA driver " +
                 cuda_version_text(d.driver_version) + ", runtime " +
                 cuda_version_text(d.runtime_version) + ", cuDNN " + cudnn_version_string() +
                 ", cuBLAS " + cublas_version_string();
        s.info = {{"index", d.index},
                  {"name", d.name},
                  {"sm", sm},
                  {"multiprocessors", d.multiprocessors},
                  {"cuda_driver", cuda_version_text(d.driver_version)},
                  {"cuda_runtime", cuda_version_text(d.runtime_version)},
                  {"cudnn", cudnn_version_string()},
                  {"cublas", cublas_version_string()}};
        return s;
      }
  return {"GPU #" + std::to_string(device) +
              (devices ? " (not listed)" : " (" + devices.status().to_string() + ")"),
          nullptr};
}

/// Layers by precision, aliases (views, no work) left out: {"fp16": 52, "fp32": 2}.
std::map<std::string, int> precision_counts(const Engine& e) {
  std::map<std::string, int> counts;
  for (const LayerDesc& l : e.layers())
    if (!l.alias) ++counts[precision_name(l.precision)];
  return counts;
}

Status write_text(const std::string& path, const std::string& text, const BenchArgs& a) {
  return write_file_atomic(path, text.data(), text.size(), {a.engine, a.build.onnx});
}

/// The separate profiling run: a fresh context with per-layer timing, stepped like the timed run
/// (one stream, no data transfers: layer times do not depend on them).
Status profile_run(const Engine& e, const BenchArgs& a, const std::vector<Tensor>& inputs) {
  ContextOptions co;
  co.profile = true;
  co.device = a.device;
  auto ctx = e.create_context(co);
  if (!ctx) return ctx.status().with_context("profiling context");
  RunnerOptions ro;
  ro.data_transfers = false;
  ro.device = a.device;
  auto runner = make_runner(**ctx, 0, inputs, ro);
  if (!runner) return runner.status();
  const std::vector<Runner*> one = {runner->get()};
  auto n = run_loop(one, false, a.iterations, a.duration);
  if (!n) return n.status().with_context("profiling run");
  EDGERT_RETURN_IF_ERROR(write_text(a.export_profile, (*ctx)->layer_profile_json(), a));

  std::vector<LayerProfile> layers = (*ctx)->layer_profile();
  double total_avg = 0;
  for (const LayerProfile& l : layers)
    if (l.runs > 0) total_avg += l.total_ms / static_cast<double>(l.runs);
  auto avg = [](const LayerProfile& l) {
    return l.runs > 0 ? l.total_ms / static_cast<double>(l.runs) : 0.0;
  };
  std::stable_sort(layers.begin(), layers.end(),
                   [&](const LayerProfile& x, const LayerProfile& y) { return avg(x) > avg(y); });
  std::printf("\n=== Profile (%lld runs, %.4f ms per run over %zu layers; written to %s) ===\n",
              static_cast<long long>(*n), total_avg, layers.size(), a.export_profile.c_str());
  std::printf("%8s %11s  %s\n", "time %", "avg ms", "layer (type, tactic)");
  for (std::size_t i = 0; i < std::min(kTopLayers, layers.size()); ++i) {
    const LayerProfile& l = layers[i];
    std::printf("%7.2f%% %11.4f  %s (%s, %s)\n", total_avg > 0 ? 100.0 * avg(l) / total_avg : 0.0,
                avg(l), l.name.c_str(), l.type.c_str(), l.tactic.c_str());
  }
  return Status();
}

nlohmann::ordered_json optional_json(const std::optional<double>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

}  // namespace
}  // namespace edgert::tools

CLI::App* setup_bench_command(CLI::App& app) {
  auto& a = edgert::tools::bench_args();
  CLI::App& sub = *app.add_subcommand(
      "bench", "Throughput and latency of an engine (or of an ONNX model built in memory)");
  sub.add_option("--engine", a.engine, "Engine file (or --onnx with the build options)");
  a.build_options =
      edgert::tools::add_build_options(sub, a.build, /*onnx_required=*/false, "--calib-percentile");
  sub.add_option("--iterations", a.iterations, "Run at least N iterations (default 10)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000000000}));
  sub.add_option("--duration", a.duration, "Run at least S seconds (default 3)")
      ->check(CLI::Range(0.0, 86400.0));
  sub.add_option("--warmup", a.warmup_ms, "Untimed warm-up in milliseconds (default 200)")
      ->check(CLI::Range(0.0, 3600e3));
  sub.add_option("--streams", a.streams, "Execution contexts, each on its own stream (default 1)")
      ->check(CLI::Range(1, 256));
  sub.add_flag("--threads", a.threads,
               "One host thread per stream (default: one thread enqueues all, round-robin)");
  sub.add_flag("--use-cuda-graph", a.cuda_graph, "Replay the enqueue as a CUDA graph (GPU)");
  sub.add_flag("--no-data-transfers", a.no_data_transfers,
               "No host<->device copies per iteration (GPU; inputs are uploaded once)");
  sub.add_option("--device", a.device, "CUDA device ordinal (default 0)")
      ->check(CLI::Range(0, 1023));
  sub.add_option("--percentile", a.percentiles,
                 "Latency percentiles to report, comma-separated (default 90,95,99)");
  sub.add_option("--input", a.inputs,
                 "NAME=file.npy: data for an input (whole batch or one sample; default random)");
  sub.add_option("--export-profile", a.export_profile,
                 "Per-layer profile of a separate profiled run, as JSON");
  sub.add_option("--export-times", a.export_times, "Per-iteration times of the timed run, as JSON");
  sub.add_option("--report-json", a.report_json, "Write the summary as JSON");
  sub.add_flag("--memory-report", a.memory_report,
               "Print the memory the run used: current and peak per tag and kind (tracking "
               "allocator; `edgert memreport` gives the whole report)");
  return &sub;
}

int run_bench_command() {
  using namespace edgert;  // NOLINT(google-build-using-namespace): function-local
  using tools::IterationTimes;
  const auto& a = tools::bench_args();
  const char* cmd = "bench";

  // Arguments.
  if (a.engine.empty() == a.build.onnx.empty())
    return tools::fail(cmd, tools::invalid("give either --engine FILE or --onnx FILE"), 2);
  if (!a.engine.empty())
    for (const CLI::Option* o : a.build_options)
      if (o->count() > 0)
        return tools::fail(
            cmd,
            tools::invalid(o->get_name() + " is a build option: it goes with --onnx, not --engine"),
            2);
  auto percentiles = tools::parse_percentiles(a.percentiles);
  if (!percentiles) return tools::fail(cmd, percentiles.status(), 2);

  // The engine: loaded, or built in memory.
  std::shared_ptr<const Engine> engine;
  std::optional<double> build_seconds;
  if (!a.engine.empty()) {
    auto e = Engine::load(a.engine);
    if (!e) return tools::fail(cmd, e.status());
    engine = *e;
  } else {
    auto cfg = tools::to_build_config(a.build);
    if (!cfg) return tools::fail(cmd, cfg.status(), 2);
    std::printf("Building %s (target %s) ...\n", a.build.onnx.c_str(), a.build.target.c_str());
    std::fflush(stdout);
    BuildReport report;
    auto bytes = build_engine(*cfg, &report);
    if (!bytes) return tools::fail(cmd, bytes.status());
    build_seconds = report.seconds;
    auto e = Engine::from_memory(std::move(*bytes));
    if (!e) return tools::fail(cmd, e.status());
    engine = *e;
  }
  const Engine& e = *engine;

  std::vector<std::string> sources;
  auto inputs = tools::make_inputs(e, a.inputs, sources);
  if (!inputs) return tools::fail(cmd, inputs.status(), 2);

  ContextOptions co;
  co.cuda_graph = a.cuda_graph;
  co.device = a.device;
  std::vector<std::unique_ptr<ExecutionContext>> contexts;
  for (int i = 0; i < a.streams; ++i) {
    auto ctx = e.create_context(co);
    if (!ctx) return tools::fail(cmd, ctx.status());
    contexts.push_back(std::move(*ctx));
  }
  const bool gpu = contexts[0]->on_gpu();
  const bool transfers = gpu && !a.no_data_transfers;
  const std::int64_t batch =
      !e.inputs().empty() && e.inputs()[0].shape.rank() > 0 ? e.inputs()[0].shape[0] : 1;
  const tools::DeviceSummary device = tools::describe_device(gpu, a.device);
  const auto precisions = tools::precision_counts(e);

  // Header.
  std::printf("=== EdgeRT bench ===\n");
  if (build_seconds)
    std::printf("Engine:     built in memory from %s in %.2f s\n", a.build.onnx.c_str(),
                *build_seconds);
  else
    std::printf("Engine:     %s\n", a.engine.c_str());
  std::string precision_text;
  for (const auto& [p, n] : precisions)
    precision_text += (precision_text.empty() ? "" : ", ") + p + " x" + std::to_string(n);
  std::printf("Model:      %s, %zu layers (%s)\n", e.header().model_name.c_str(), e.layers().size(),
              precision_text.c_str());
  std::printf("Config:     %s\n", e.header().config_summary.c_str());
  std::printf("Target:     %s\n", e.header().target.to_string().c_str());
  std::printf("Device:     %s\n", device.text.c_str());
  std::printf("Batch:      %lld\n", static_cast<long long>(batch));
  for (std::size_t i = 0; i < e.inputs().size(); ++i)
    std::printf("Input:      %s %s %s (%s)\n", e.inputs()[i].name.c_str(),
                dtype_name(e.inputs()[i].dtype), e.inputs()[i].shape.to_string().c_str(),
                sources[i].c_str());
  for (const TensorDesc& d : e.outputs())
    std::printf("Output:     %s %s %s\n", d.name.c_str(), dtype_name(d.dtype),
                d.shape.to_string().c_str());
  std::printf("Run:        %d stream%s, %s; CUDA graph %s; data transfers %s\n", a.streams,
              a.streams > 1 ? "s" : "",
              a.threads ? "one host thread each" : "one host thread (round-robin)",
              !gpu ? "n/a (CPU)" : (a.cuda_graph ? "on" : "off"),
              !gpu ? "n/a (CPU)" : (transfers ? "on (pinned host memory)" : "off"));
  std::printf("Timing:     warm-up %.0f ms, then at least %lld iterations and %.2f s\n",
              a.warmup_ms, static_cast<long long>(a.iterations), a.duration);
  std::fflush(stdout);

  // Runners: the untimed first run of each context, the warm-up, the timed run.
  tools::RunnerOptions ro;
  ro.data_transfers = !a.no_data_transfers;
  ro.device = a.device;
  std::vector<std::unique_ptr<tools::Runner>> owned;
  std::vector<tools::Runner*> runners;
  for (int i = 0; i < a.streams; ++i) {
    auto r = tools::make_runner(*contexts[static_cast<std::size_t>(i)], i, *inputs, ro);
    if (!r) return tools::fail(cmd, r.status());
    runners.push_back(r->get());
    owned.push_back(std::move(*r));
  }
  auto first = tools::run_loop(runners, false, static_cast<std::int64_t>(runners.size()), 0.0);
  if (!first) return tools::fail(cmd, first.status().with_context("first run"));
  auto warm = tools::run_loop(runners, a.threads, 0, a.warmup_ms / 1000.0);
  if (!warm) return tools::fail(cmd, warm.status().with_context("warm-up"));
  if (Status st = tools::begin_recording(runners); !st.ok()) return tools::fail(cmd, st);
  const auto wall0 = std::chrono::steady_clock::now();
  auto launched = tools::run_loop(runners, a.threads, a.iterations, a.duration);
  const double walltime =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  if (!launched) return tools::fail(cmd, launched.status().with_context("timed run"));
  for (tools::Runner* r : runners) r->end_recording();

  std::vector<IterationTimes> records;
  for (tools::Runner* r : runners)
    records.insert(records.end(), r->records().begin(), r->records().end());
  std::sort(records.begin(), records.end(), [](const IterationTimes& x, const IterationTimes& y) {
    return x.start_ms < y.start_ms;
  });
  if (records.empty())
    return tools::fail(cmd, Status(StatusCode::kInternal, "the timed run recorded nothing"));

  // Summary.
  const std::vector<double>& pcts = *percentiles;
  std::vector<double> latencies;
  double first_start = records.front().start_ms, last_end = records.front().end_ms;
  for (const IterationTimes& r : records) {
    latencies.push_back(r.latency_ms);
    first_start = std::min(first_start, r.start_ms);
    last_end = std::max(last_end, r.end_ms);
  }
  const double span_s = (last_end - first_start) / 1000.0;
  const auto n = static_cast<double>(records.size());
  const double qps = span_s > 0 ? n / span_s : 0.0;
  const auto latency = std::optional<tools::Stats>(tools::summarize(latencies, pcts));
  const auto enqueue = tools::field_stats(records, &IterationTimes::enqueue_ms, pcts);
  const auto h2d = tools::field_stats(records, &IterationTimes::h2d_ms, pcts);
  const auto compute = tools::field_stats(records, &IterationTimes::compute_ms, pcts);
  const auto d2h = tools::field_stats(records, &IterationTimes::d2h_ms, pcts);

  std::printf("\n=== Performance summary ===\n");
  std::printf("Throughput: %.2f qps, %.2f inferences/s (batch %lld)\n", qps,
              qps * static_cast<double>(batch), static_cast<long long>(batch));
  tools::print_stats("Latency", latency, pcts);
  tools::print_stats("Enqueue Time", enqueue, pcts);
  tools::print_stats("H2D Latency", h2d, pcts);
  tools::print_stats("GPU Compute Time", compute, pcts);
  tools::print_stats("D2H Latency", d2h, pcts);
  std::printf("Total Host Walltime: %.3f s\n", walltime);
  if (compute) std::printf("Total GPU Compute Time: %.3f s\n", compute->sum / 1000.0);
  std::printf("Iterations: %zu over %d stream%s\n", records.size(), a.streams,
              a.streams > 1 ? "s" : "");
  if (gpu)
    std::printf(
        "Latency is GPU time from the start of H2D to the end of D2H of one iteration (without "
        "queueing); enqueue time is host time in enqueue(); throughput counts iterations from the "
        "first start to the last end.\n");
  else
    std::printf(
        "Latency is the wall time of one execute(); throughput counts iterations from the "
        "first start to the last end.\n");
  std::fflush(stdout);

  if (!a.report_json.empty()) {
    nlohmann::ordered_json in = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < e.inputs().size(); ++i)
      in.push_back({{"name", e.inputs()[i].name},
                    {"dtype", dtype_name(e.inputs()[i].dtype)},
                    {"shape", e.inputs()[i].shape.dims()},
                    {"source", sources[i]}});
    nlohmann::ordered_json j = {
        {"engine",
         a.engine.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(a.engine)},
        {"onnx", a.build.onnx.empty() ? nlohmann::ordered_json(nullptr)
                                      : nlohmann::ordered_json(a.build.onnx)},
        {"build_seconds", tools::optional_json(build_seconds)},
        {"model", e.header().model_name},
        {"config", e.header().config_summary},
        {"target", e.header().target.to_string()},
        {"gpu", gpu},
        {"device", device.text},
        {"device_info", device.info},
        {"batch", batch},
        {"layers", e.layers().size()},
        {"precision", precisions},
        {"inputs", in},
        {"streams", a.streams},
        {"threads", a.threads},
        {"cuda_graph", gpu && a.cuda_graph},
        {"data_transfers", transfers},
        {"warmup_ms", a.warmup_ms},
        {"min_iterations", a.iterations},
        {"min_duration_s", a.duration},
        {"iterations", records.size()},
        {"host_walltime_s", walltime},
        {"timeline_s", span_s},
        {"throughput_qps", qps},
        {"throughput_ips", qps * static_cast<double>(batch)},
        {"percentiles", pcts},
        {"latency_ms", tools::stats_json(latency, pcts)},
        {"enqueue_ms", tools::stats_json(enqueue, pcts)},
        {"h2d_ms", tools::stats_json(h2d, pcts)},
        {"compute_ms", tools::stats_json(compute, pcts)},
        {"d2h_ms", tools::stats_json(d2h, pcts)},
        {"gpu_compute_total_s",
         compute ? nlohmann::ordered_json(compute->sum / 1000.0) : nlohmann::ordered_json(nullptr)},
    };
    if (Status st = tools::write_text(a.report_json, j.dump(2) + "\n", a); !st.ok())
      return tools::fail(cmd, st);
  }
  if (!a.export_times.empty()) {
    nlohmann::ordered_json t = nlohmann::ordered_json::array();
    for (const IterationTimes& r : records)
      t.push_back({{"stream", r.stream},
                   {"start_ms", r.start_ms},
                   {"end_ms", r.end_ms},
                   {"latency_ms", r.latency_ms},
                   {"enqueue_ms", tools::optional_json(r.enqueue_ms)},
                   {"h2d_ms", tools::optional_json(r.h2d_ms)},
                   {"compute_ms", tools::optional_json(r.compute_ms)},
                   {"d2h_ms", tools::optional_json(r.d2h_ms)}});
    if (Status st = tools::write_text(a.export_times, t.dump(1) + "\n", a); !st.ok())
      return tools::fail(cmd, st);
  }
  if (a.memory_report) std::fputs(memory_usage_text().c_str(), stdout);
  // The timed run's contexts are done: free them (device memory) before the profiling run.
  owned.clear();
  contexts.clear();
  if (!a.export_profile.empty())
    if (Status st = tools::profile_run(e, a, *inputs); !st.ok()) return tools::fail(cmd, st);
  return 0;
}
