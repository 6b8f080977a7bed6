// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "tools/bench_runner.h"

#include <array>
#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

#ifdef EDGERT_HAVE_CUDA
#include <cuda_runtime_api.h>
#endif

namespace edgert::tools {
namespace {

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

class CpuRunner final : public Runner {
 public:
  CpuRunner(ExecutionContext& ctx, int index, const std::vector<Tensor>& inputs)
      : ctx_(ctx), index_(index) {
    for (const Tensor& t : inputs) inputs_.push_back(&t);
  }

  Status step() override {
    const auto t0 = Clock::now();
    Status st = ctx_.execute(inputs_, outputs_);
    const auto t1 = Clock::now();
    if (!st.ok()) return st;
    if (recording_) {
      IterationTimes r;
      r.stream = index_;
      r.start_ms = ms_between(zero_->host, t0);
      r.end_ms = ms_between(zero_->host, t1);
      r.latency_ms = ms_between(t0, t1);
      records_.push_back(r);
    }
    return Status();
  }
  Status drain() override { return Status(); }

 private:
  ExecutionContext& ctx_;
  int index_;
  std::vector<const Tensor*> inputs_;  // the caller's tensors, only read
  std::vector<Tensor> outputs_;        // allocated by the first execute()
};

#ifdef EDGERT_HAVE_CUDA

Status cuda_error(cudaError_t e, const char* call) {
  return make_error(StatusCode::kCudaError, std::string(call) + " failed: " + cudaGetErrorName(e) +
                                                " (" + cudaGetErrorString(e) + ")");
}

// Returns a kCudaError Status naming the call when a CUDA runtime call fails.
#define EDGERT_BENCH_CUDA(call)                                          \
  do {                                                                   \
    const cudaError_t bench_err_ = (call);                               \
    if (bench_err_ != cudaSuccess) return cuda_error(bench_err_, #call); \
  } while (0)

struct EventDeleter {
  void operator()(cudaEvent_t e) const noexcept { cudaEventDestroy(e); }
};
using Event = std::unique_ptr<std::remove_pointer_t<cudaEvent_t>, EventDeleter>;

struct PinnedDeleter {
  void operator()(void* p) const noexcept { cudaFreeHost(p); }
};
using Pinned = std::unique_ptr<void, PinnedDeleter>;

Status make_event(Event& out) {
  cudaEvent_t e = nullptr;
  EDGERT_BENCH_CUDA(cudaEventCreate(&e));
  out.reset(e);
  return Status();
}

/// One engine input or output: its device address in the context and a pinned host copy.
struct Binding {
  std::string name;
  void* device = nullptr;
  Pinned host;
  std::size_t bytes = 0;
};

class GpuRunner final : public Runner {
 public:
  // Two iterations in flight per stream: the host enqueues the next one while the GPU runs the
  // current one, so the GPU never waits for the host (as trtexec does); more would only queue.
  static constexpr int kInFlight = 2;

  GpuRunner(ExecutionContext& ctx, int index, const RunnerOptions& o)
      : ctx_(ctx), index_(index), transfers_(o.data_transfers), device_(o.device) {}

  ~GpuRunner() override {
    // The pinned buffers and events must not go away under queued work.
    if (stream_ready_) cudaStreamSynchronize(stream_);
  }

  Status init(const std::vector<Tensor>& inputs) {
    EDGERT_BENCH_CUDA(cudaSetDevice(device_));
    stream_ = static_cast<cudaStream_t>(ctx_.stream());
    stream_ready_ = true;
    const Engine& e = ctx_.engine();
    auto bind = [&](const TensorDesc& d, std::vector<Binding>& list) -> Status {
      Binding b;
      b.name = d.name;
      b.bytes = static_cast<std::size_t>(d.shape.numel()) * dtype_size(d.dtype);
      b.device = ctx_.tensor_address(d.name);
      if (b.device == nullptr && b.bytes > 0)
        return make_error(StatusCode::kInternal,
                          "the execution context has no device buffer for '" + d.name + "'");
      void* p = nullptr;
      EDGERT_BENCH_CUDA(cudaMallocHost(&p, b.bytes > 0 ? b.bytes : 1));
      b.host.reset(p);
      list.push_back(std::move(b));
      return Status();
    };
    for (const TensorDesc& d : e.inputs()) EDGERT_RETURN_IF_ERROR(bind(d, inputs_));
    for (const TensorDesc& d : e.outputs()) EDGERT_RETURN_IF_ERROR(bind(d, outputs_));
    if (inputs.size() != inputs_.size())
      return make_error(StatusCode::kInternal, "bench: " + std::to_string(inputs.size()) +
                                                   " input tensors for " +
                                                   std::to_string(inputs_.size()) + " inputs");
    // Upload once: without data transfers the iterations read what is uploaded here.
    for (std::size_t i = 0; i < inputs_.size(); ++i) {
      Binding& b = inputs_[i];
      if (inputs[i].nbytes() != b.bytes)
        return make_error(StatusCode::kInternal, "bench: input '" + b.name + "' has " +
                                                     std::to_string(inputs[i].nbytes()) +
                                                     " bytes, expected " + std::to_string(b.bytes));
      if (b.bytes == 0) continue;
      std::memcpy(b.host.get(), inputs[i].raw(), b.bytes);
      EDGERT_BENCH_CUDA(
          cudaMemcpyAsync(b.device, b.host.get(), b.bytes, cudaMemcpyHostToDevice, stream_));
    }
    EDGERT_BENCH_CUDA(cudaStreamSynchronize(stream_));
    for (Slot& s : slots_)
      for (Event& ev : s.events) EDGERT_RETURN_IF_ERROR(make_event(ev));
    return Status();
  }

  Status bind_thread() override {
    EDGERT_BENCH_CUDA(cudaSetDevice(device_));
    return Status();
  }

  Status mark_zero(TimelineZero& zero) override {
    cudaEvent_t e = nullptr;
    EDGERT_BENCH_CUDA(cudaEventCreate(&e));
    zero.gpu_event = std::shared_ptr<void>(
        static_cast<void*>(e), [](void* p) { cudaEventDestroy(static_cast<cudaEvent_t>(p)); });
    EDGERT_BENCH_CUDA(cudaEventRecord(e, stream_));
    EDGERT_BENCH_CUDA(cudaEventSynchronize(e));
    zero.host = Clock::now();
    return Status();
  }

  Status step() override {
    Slot& s = slots_[static_cast<std::size_t>(next_ % kInFlight)];
    if (s.busy) EDGERT_RETURN_IF_ERROR(harvest(s));
    EDGERT_BENCH_CUDA(cudaEventRecord(s.events[0].get(), stream_));
    if (transfers_)
      for (const Binding& b : inputs_)
        if (b.bytes > 0)
          EDGERT_BENCH_CUDA(
              cudaMemcpyAsync(b.device, b.host.get(), b.bytes, cudaMemcpyHostToDevice, stream_));
    EDGERT_BENCH_CUDA(cudaEventRecord(s.events[1].get(), stream_));
    const auto t0 = Clock::now();
    Status st = ctx_.enqueue();
    const auto t1 = Clock::now();
    if (!st.ok()) return st.with_context("enqueue() on stream " + std::to_string(index_));
    EDGERT_BENCH_CUDA(cudaEventRecord(s.events[2].get(), stream_));
    if (transfers_)
      for (const Binding& b : outputs_)
        if (b.bytes > 0)
          EDGERT_BENCH_CUDA(
              cudaMemcpyAsync(b.host.get(), b.device, b.bytes, cudaMemcpyDeviceToHost, stream_));
    EDGERT_BENCH_CUDA(cudaEventRecord(s.events[3].get(), stream_));
    s.busy = true;
    s.recorded = recording_;
    s.zero = recording_ ? zero_ : nullptr;
    s.enqueue_ms = ms_between(t0, t1);
    ++next_;
    return Status();
  }

  Status drain() override {
    Status st;
    for (int k = 0; k < kInFlight; ++k) {  // oldest first
      Slot& s = slots_[static_cast<std::size_t>((next_ + k) % kInFlight)];
      if (s.busy) {
        Status h = harvest(s);
        if (st.ok()) st = h;
      }
    }
    Status sync = ctx_.synchronize();  // an error raised by the enqueued work
    return st.ok() ? sync : st;
  }

 private:
  struct Slot {
    std::array<Event, 4> events;  // before H2D, after H2D, after compute, after D2H
    bool busy = false;
    bool recorded = false;
    std::shared_ptr<const TimelineZero> zero;
    double enqueue_ms = 0.0;
  };

  Status harvest(Slot& s) {
    s.busy = false;
    EDGERT_BENCH_CUDA(cudaEventSynchronize(s.events[3].get()));
    if (!s.recorded) return Status();
    auto elapsed = [](cudaEvent_t a, cudaEvent_t b, double& out) -> Status {
      float ms = 0.f;
      EDGERT_BENCH_CUDA(cudaEventElapsedTime(&ms, a, b));
      out = static_cast<double>(ms);
      return Status();
    };
    cudaEvent_t zero = static_cast<cudaEvent_t>(s.zero->gpu_event.get());
    if (zero == nullptr)
      return make_error(StatusCode::kInternal, "bench: the run's zero is not a GPU event");
    IterationTimes r;
    r.stream = index_;
    double h2d = 0, compute = 0, d2h = 0;
    EDGERT_RETURN_IF_ERROR(elapsed(zero, s.events[0].get(), r.start_ms));
    EDGERT_RETURN_IF_ERROR(elapsed(zero, s.events[3].get(), r.end_ms));
    EDGERT_RETURN_IF_ERROR(elapsed(s.events[0].get(), s.events[3].get(), r.latency_ms));
    EDGERT_RETURN_IF_ERROR(elapsed(s.events[1].get(), s.events[2].get(), compute));
    r.compute_ms = compute;
    r.enqueue_ms = s.enqueue_ms;
    if (transfers_) {
      EDGERT_RETURN_IF_ERROR(elapsed(s.events[0].get(), s.events[1].get(), h2d));
      EDGERT_RETURN_IF_ERROR(elapsed(s.events[2].get(), s.events[3].get(), d2h));
      r.h2d_ms = h2d;
      r.d2h_ms = d2h;
    }
    records_.push_back(r);
    return Status();
  }

  ExecutionContext& ctx_;
  int index_;
  bool transfers_;
  int device_;
  cudaStream_t stream_ = nullptr;
  bool stream_ready_ = false;
  std::vector<Binding> inputs_, outputs_;
  std::array<Slot, kInFlight> slots_;
  std::int64_t next_ = 0;  // iterations launched; next_ % kInFlight is the slot to use
};

#endif  // EDGERT_HAVE_CUDA

}  // namespace

Status Runner::mark_zero(TimelineZero& zero) {
  zero.host = Clock::now();
  return Status();
}

Expected<std::unique_ptr<Runner>> make_runner(ExecutionContext& ctx, int index,
                                              const std::vector<Tensor>& inputs,
                                              const RunnerOptions& options) {
  if (!ctx.on_gpu()) return std::unique_ptr<Runner>(new CpuRunner(ctx, index, inputs));
#ifdef EDGERT_HAVE_CUDA
  auto r = std::make_unique<GpuRunner>(ctx, index, options);
  EDGERT_RETURN_IF_ERROR(r->init(inputs).with_context("preparing stream " + std::to_string(index)));
  return std::unique_ptr<Runner>(std::move(r));
#else
  (void)options;
  return make_error(StatusCode::kUnsupported,
                    "the engine runs on a GPU but this edgert was built without CUDA");
#endif
}

Status begin_recording(const std::vector<Runner*>& runners) {
  if (runners.empty()) return Status();
  auto zero = std::make_shared<TimelineZero>();
  EDGERT_RETURN_IF_ERROR(runners[0]->mark_zero(*zero));
  for (Runner* r : runners) r->begin_recording(zero);
  return Status();
}

Expected<std::int64_t> run_loop(const std::vector<Runner*>& runners, bool threads,
                                std::int64_t min_iterations, double min_seconds) {
  const auto t0 = Clock::now();
  auto enough = [&](std::int64_t launched) {
    return launched >= min_iterations &&
           std::chrono::duration<double>(Clock::now() - t0).count() >= min_seconds;
  };
  if (!threads) {
    Status st;
    for (Runner* r : runners)
      if (st.ok()) st = r->bind_thread();
    std::int64_t launched = 0;
    while (st.ok() && !enough(launched)) {
      for (Runner* r : runners) {
        st = r->step();
        if (!st.ok()) break;
        ++launched;
        if (enough(launched)) break;
      }
    }
    // Drain also after an error: nothing may still run when the runners go away.
    for (Runner* r : runners) {
      Status d = r->drain();
      if (st.ok()) st = d;
    }
    if (!st.ok()) return st;
    return launched;
  }
  std::atomic<std::int64_t> launched{0};
  std::atomic<bool> failed{false};
  std::vector<Status> errors(runners.size());
  std::vector<std::thread> pool;
  pool.reserve(runners.size());
  for (std::size_t i = 0; i < runners.size(); ++i) {
    pool.emplace_back([&, i] {
      Runner& r = *runners[i];
      Status st = r.bind_thread();
      while (st.ok() && !failed.load() && !enough(launched.load())) {
        st = r.step();
        if (st.ok()) launched.fetch_add(1);
      }
      Status d = r.drain();
      if (st.ok()) st = d;
      if (!st.ok()) {
        errors[i] = st;
        failed.store(true);
      }
    });
  }
  for (std::thread& t : pool) t.join();
  for (const Status& e : errors)
    if (!e.ok()) return e;
  return launched.load();
}

}  // namespace edgert::tools
