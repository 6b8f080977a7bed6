// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Tactic selection: every candidate tactic of every layer is prepared and timed on the build GPU
// (one warm-up run, then the median of several runs by CUDA events) and the fastest is recorded.
// Identical layers (same signature) are timed once per build; a timing cache file keyed by the
// layer signature, for one device and set of library versions, makes a rebuild skip the timing.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "backends/cuda/gpu_state.h"
#include "core/file_util.h"
#include "edgert/device.h"

namespace edgert::cuda_backend {
namespace {

constexpr const char* kCacheMagic = "edgert-timing-cache version=1";
// A candidate whose warm-up run is this many times slower than the best so far is not timed
// further (direct kernels on large layers would otherwise dominate the build time).
constexpr float kHopelessFactor = 8.f;
// A timing sample lasts at least this long (short layers repeat, up to kMaxReps times).
constexpr float kMinSampleMs = 0.1f;
constexpr int kMaxReps = 32;
// Busy time before the first timed layer. An idle GPU runs at low clocks and ramps up over the
// first tens of milliseconds of work; timed cold, the candidates measured last (EdgeRT's direct
// kernel comes after cuDNN's) looked faster than they are and won ResNet-50's first layers.
constexpr double kWarmUpMs = 250.0;
// A build that starts within this long of the previous one's timing finds the GPU still busy:
// no warm-up (a test suite of many small builds would otherwise spend most of its time in it).
constexpr double kStillWarmMs = 1000.0;

/// When the last tuning of this process ended (steady clock, ns; 0: never).
std::atomic<std::int64_t> g_last_tuning_ns{0};

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string target_line(const EngineTarget& t) {
  return "device: " + t.device_name + " sm=" + std::to_string(t.sm) + " cuda=" + t.cuda_version +
         " cudnn=" + t.cudnn_version + " cublas=" + t.cublas_version;
}

std::string tensor_sig(const engine::TensorDef* t) {
  if (!t) return "-";
  return std::string(dtype_name(t->dtype)) +
         (t->format == engine::TensorFormat::kNHWC ? "/nhwc" : "") + t->shape.to_string() +
         (t->storage == engine::Storage::kWeight ? "w" : "");
}

/// What makes two layers interchangeable for timing: type, attributes, tensors.
std::string signature(const LayerView& v, unsigned sources) {
  std::ostringstream os;
  os << v.layer().type << " " << v.attrs().to_string() << " in";
  for (std::size_t k = 0; k < v.layer().inputs.size(); ++k) os << " " << tensor_sig(v.input(k));
  os << " out";
  for (std::size_t k = 0; k < v.layer().outputs.size(); ++k) os << " " << tensor_sig(v.output(k));
  os << " src" << sources;
  std::string s = os.str();
  std::replace(s.begin(), s.end(), '\t', ' ');
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

struct CacheEntry {
  std::string tactic;
  float ms = 0.f;
};

class TimingCache {
 public:
  void load(const std::string& path, const std::string& target, std::vector<std::string>& log) {
    std::ifstream in(path);
    if (!in) return;
    std::string magic, dev;
    std::getline(in, magic);
    std::getline(in, dev);
    if (magic != kCacheMagic) {
      log.push_back("Timing cache " + path +
                    " is not an EdgeRT timing cache (version 1): not used");
      return;
    }
    if (dev != target) {
      log.push_back("Timing cache " + path + " was made for '" + dev + "', this build runs on '" +
                    target + "': not used (it will be rewritten)");
      return;
    }
    std::string line;
    while (std::getline(in, line)) {
      const auto a = line.find('\t');
      const auto b = a == std::string::npos ? a : line.find('\t', a + 1);
      if (b == std::string::npos) continue;
      entries_[line.substr(0, a)] = {line.substr(a + 1, b - a - 1),
                                     std::strtof(line.c_str() + b + 1, nullptr)};
    }
    log.push_back("Timing cache " + path + ": " + std::to_string(entries_.size()) + " entries");
  }
  const CacheEntry* find(const std::string& sig) const {
    auto it = entries_.find(sig);
    return it == entries_.end() ? nullptr : &it->second;
  }
  void put(const std::string& sig, const CacheEntry& e) { entries_[sig] = e; }
  Status save(const std::string& path, const std::string& target) const {
    std::ostringstream os;
    os << kCacheMagic << "\n" << target << "\n";
    for (const auto& [sig, e] : entries_) os << sig << "\t" << e.tactic << "\t" << e.ms << "\n";
    const std::string text = os.str();
    return write_file_atomic(path, text.data(), text.size());
  }

 private:
  std::map<std::string, CacheEntry> entries_;
};

std::string ms_text(float ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", ms);
  return buf;
}

/// Everything the timing runs share: handles, weights, an arena, I/O buffers, events.
struct Bench {
  StreamHandles handles;
  cudaStream_t stream = nullptr;  ///< handles.stream
  cudaEvent_t start = nullptr, stop = nullptr;
  DeviceBuffer weights, arena, workspace;
  PinnedBuffer host_scratch;
  std::vector<DeviceBuffer> io;
  std::vector<void*> addr;
  std::vector<LayerIO> layer_io;

  ~Bench() {
    if (stream) cudaStreamSynchronize(stream);
    if (start) cudaEventDestroy(start);
    if (stop) cudaEventDestroy(stop);
  }

  Status init(const engine::EngineDef& def) {
    EDGERT_RETURN_IF_ERROR(handles.create());
    stream = handles.stream;
    EDGERT_CUDA_TRY(cudaEventCreate(&start));
    EDGERT_CUDA_TRY(cudaEventCreate(&stop));
    EDGERT_RETURN_IF_ERROR(upload(def.weight_bytes(), def.weight_size(), weights, "weights"));
    EDGERT_RETURN_IF_ERROR(arena.allocate(def.memory.arena_bytes, "the activation arena (tuning)",
                                          MemoryTag::kActivations));
    // Finite, non-zero data: 0x3c bytes read as 1.06 in float16 and 0.0115 in float32.
    EDGERT_CUDA_TRY(cudaMemset(arena.get(), 0x3c, arena.size()));
    std::vector<void*> ins, outs;
    for (auto list : {&def.inputs, &def.outputs})
      for (auto t : *list) {
        DeviceBuffer b;
        EDGERT_RETURN_IF_ERROR(b.allocate(def.tensors[static_cast<std::size_t>(t)].nbytes,
                                          "I/O (tuning)", MemoryTag::kIO));
        EDGERT_CUDA_TRY(cudaMemset(b.get(), 0x3c, b.size()));
        (list == &def.inputs ? ins : outs).push_back(b.get());
        io.push_back(std::move(b));
      }
    resolve_addresses(def, weights.get(), arena.get(), ins, outs, addr);
    build_layer_io(def, addr, layer_io);
    return {};
  }

  /// Keeps the GPU busy for kWarmUpMs (memsets over a 64 MiB buffer).
  Status warm_up() {
    DeviceBuffer scratch;
    EDGERT_RETURN_IF_ERROR(
        scratch.allocate(std::size_t{64} << 20, "the GPU warm-up", MemoryTag::kOther));
    const auto t0 = std::chrono::steady_clock::now();
    while (
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() <
        kWarmUpMs) {
      for (int i = 0; i < 8; ++i)
        EDGERT_CUDA_TRY(cudaMemsetAsync(scratch.get(), i, scratch.size(), stream));
      EDGERT_CUDA_TRY(cudaStreamSynchronize(stream));
    }
    return {};
  }

  RunContext run_context(std::size_t ws, std::size_t host) {
    RunContext rc = handles.run_context();
    if (workspace.size() < ws)
      (void)workspace.allocate(ws, "tactic workspace (tuning)", MemoryTag::kWorkspace);
    rc.workspace = workspace.get();
    rc.workspace_bytes = workspace.size();
    if (host_scratch.size() < host)
      (void)host_scratch.allocate(host, "CPU fallback scratch (tuning)", MemoryTag::kWorkspace);
    rc.host_scratch = host_scratch.get();
    return rc;
  }

  /// One timed run in milliseconds: the mean of `reps` back-to-back enqueues between one pair of
  /// events (a single microsecond-scale layer is below the events' resolution and jitter).
  Expected<float> run_once(const Tactic& t, const RunContext& rc, const LayerIO& lio,
                           int reps = 1) {
    EDGERT_CUDA_TRY(cudaEventRecord(start, stream));
    for (int i = 0; i < reps; ++i) EDGERT_RETURN_IF_ERROR(t.enqueue(rc, lio));
    EDGERT_CUDA_TRY(cudaEventRecord(stop, stream));
    EDGERT_CUDA_TRY(cudaEventSynchronize(stop));
    float ms = 0.f;
    EDGERT_CUDA_TRY(cudaEventElapsedTime(&ms, start, stop));
    return ms / static_cast<float>(reps);
  }
};

}  // namespace

Expected<unsigned> parse_sources(const std::string& text) { return parse_tactic_sources(text); }

Expected<AutotuneResult> autotune(engine::EngineDef& def, const AutotuneOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  AutotuneResult r;
  const std::string target = target_line(def.header.target);
  TimingCache cache;
  if (!options.timing_cache.empty()) cache.load(options.timing_cache, target, r.log);
  Bench bench;
  EDGERT_RETURN_IF_ERROR(bench.init(def));
  PrepareContext pc;
  EDGERT_ASSIGN_OR_RETURN(pc.sm, current_sm(&pc.device));
  pc.cudnn = bench.handles.cudnn;
  pc.stream = bench.stream;

  std::map<std::string, CacheEntry> this_build;
  for (std::size_t li = 0; li < def.layers.size(); ++li) {
    engine::LayerDef& l = def.layers[li];
    if (l.flags & engine::kLayerAlias) continue;
    ++r.layers;
    LayerView v{&def, li};
    const std::string sig = signature(v, options.sources);
    const std::string head =
        "Layer " + l.name + " (" + l.type + ", " + precision_name(l.precision) + ")";
    const CacheEntry* known = nullptr;
    if (auto it = this_build.find(sig); it != this_build.end()) known = &it->second;
    bool from_file = false;
    if (!known && (known = cache.find(sig))) from_file = true;
    if (known) {
      // Still prepared once: a cached name that no longer fits is an error, not a silent choice.
      auto t = create_tactic(v, known->tactic, pc);
      if (t.ok()) {
        l.tactic = known->tactic;
        if (from_file) ++r.cached;
        r.log.push_back(head + ": " + known->tactic + " (" + ms_text(known->ms) + " ms, " +
                        (from_file ? "timing cache" : "same as an earlier layer") + ")");
        if (l.tactic == "cpu.fallback") ++r.fallback_layers;
        continue;
      }
    }
    if (r.timed++ == 0) {
      const std::int64_t last = g_last_tuning_ns.load();
      if (last == 0 || static_cast<double>(steady_ns() - last) / 1e6 > kStillWarmMs)
        EDGERT_RETURN_IF_ERROR(bench.warm_up());
    }
    std::string best;
    float best_ms = 0.f;
    int tried = 0;
    std::vector<std::string> reasons;
    for (TacticPtr& t : candidate_tactics(v, options.sources)) {
      // The CPU fallback (last in the list) is only a last resort: a layer that a GPU tactic runs
      // never waits for the host.
      if (t->source() == kSourceCpu && !best.empty()) continue;
      Status s = t->prepare(v, pc);
      if (!s.ok()) {
        reasons.push_back(t->name() + ": " + s.message());
        continue;
      }
      RunContext rc = bench.run_context(t->workspace_bytes(), t->host_scratch_bytes());
      if (rc.workspace_bytes < t->workspace_bytes()) {
        reasons.push_back(t->name() + ": no memory for its workspace");
        continue;
      }
      auto warm = bench.run_once(*t, rc, bench.layer_io[li]);
      if (!warm.ok()) {
        cudaError_t sticky = cudaDeviceSynchronize();
        if (sticky != cudaSuccess)
          return cuda_status(sticky, head + ": tactic " + t->name() + " broke the CUDA context");
        cudaGetLastError();
        r.log.push_back(head + ": Tactic " + t->name() + " failed: " + warm.status().message());
        // The CPU fallback runs the CPU op, which may refuse the timing run's filler data (Resize
        // scales fed as an input, checked against the built shapes): as the last resort it is
        // kept untimed.
        if (t->source() == kSourceCpu && best.empty()) best = t->name();
        continue;
      }
      ++tried;
      float med = *warm;
      if (best.empty() || *warm < kHopelessFactor * best_ms) {
        std::vector<float> times;
        // Short layers are timed over several enqueues per sample (at least kMinSampleMs).
        const int reps = static_cast<int>(
            std::clamp(kMinSampleMs / std::max(*warm, 1e-4f), 1.f, static_cast<float>(kMaxReps)));
        for (int i = 0; i < options.timed_runs; ++i) {
          EDGERT_ASSIGN_OR_RETURN(float ms, bench.run_once(*t, rc, bench.layer_io[li], reps));
          times.push_back(ms);
        }
        std::nth_element(times.begin(), times.begin() + static_cast<long>(times.size() / 2),
                         times.end());
        med = times[times.size() / 2];
      }
      r.log.push_back(head + ": Set Tactic Name: " + t->name() + " Time: " + ms_text(med) + " ms");
      if (best.empty() || med < best_ms) {
        best = t->name();
        best_ms = med;
      }
    }
    if (best.empty()) {
      std::string why;
      for (const auto& s : reasons) why += "\n  " + s;
      return Status(StatusCode::kUnsupported,
                    v.what() + ": no tactic runs this layer on the CUDA target" + why);
    }
    l.tactic = best;
    if (best == "cpu.fallback") ++r.fallback_layers;
    r.log.push_back(head + ": Fastest Tactic: " + best + " Time: " + ms_text(best_ms) + " ms (" +
                    std::to_string(tried) + " timed)");
    this_build[sig] = {best, best_ms};
    cache.put(sig, {best, best_ms});
  }
  if (r.timed) g_last_tuning_ns.store(steady_ns());
  if (!options.timing_cache.empty()) {
    Status s = cache.save(options.timing_cache, target);
    if (!s.ok()) return s.with_context("writing the timing cache");
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace edgert::cuda_backend
