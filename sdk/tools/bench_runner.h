// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// The timing loop of `edgert bench`: one Runner per execution context (on the GPU: per stream),
// stepped round-robin by one host thread or each by its own thread. CUDA-free header; the CUDA
// runner lives in bench_runner.cpp behind EDGERT_HAVE_CUDA.
//
// CPU engines: an iteration is one execute(); its latency is the wall time of that call.
// CUDA engines: an iteration is, on the context's stream,
//   [event] H2D copies from pinned host buffers [event] enqueue() [event] D2H copies [event]
// (no copies with data transfers off: the inputs were uploaded once). Latency is GPU time from the
// first event to the last, so it does not include time spent queued behind the previous
// iteration; the host time of the enqueue() call is recorded as the enqueue time.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "edgert/runtime.h"
#include "edgert/status.h"
#include "edgert/tensor.h"

namespace edgert::tools {

/// One timed iteration, in milliseconds. start/end lie on the run's timeline, counted from the
/// zero set by begin_recording() (GPU events on CUDA engines, the host clock on the CPU).
struct IterationTimes {
  int stream = 0;
  double start_ms = 0.0;
  double end_ms = 0.0;
  double latency_ms = 0.0;
  std::optional<double> enqueue_ms;  ///< unset where not measured (CPU engines)
  std::optional<double> h2d_ms;      ///< unset on the CPU and without data transfers
  std::optional<double> compute_ms;  ///< unset on the CPU
  std::optional<double> d2h_ms;      ///< unset on the CPU and without data transfers
};

/// The common zero of the records of one run.
struct TimelineZero {
  std::chrono::steady_clock::time_point host;
  std::shared_ptr<void> gpu_event;  ///< a completed cudaEvent_t on CUDA engines
};

class Runner {
 public:
  virtual ~Runner() = default;
  /// Called on each thread that steps this runner, before the first step (on the GPU the current
  /// device is per host thread).
  virtual Status bind_thread() { return Status(); }
  /// Launches one iteration; on the GPU it may first wait for an earlier one (a bounded number
  /// stays in flight) and returns without waiting for this one.
  virtual Status step() = 0;
  /// Waits for every launched iteration.
  virtual Status drain() = 0;
  /// Sets `zero` to the present moment (on the GPU: an event recorded and completed on this
  /// runner's stream).
  virtual Status mark_zero(TimelineZero& zero);

  /// Iterations launched from now on are recorded, their times counted from `zero`.
  void begin_recording(std::shared_ptr<const TimelineZero> zero) {
    zero_ = std::move(zero);
    recording_ = true;
  }
  void end_recording() { recording_ = false; }
  const std::vector<IterationTimes>& records() const noexcept { return records_; }

 protected:
  std::vector<IterationTimes> records_;
  std::shared_ptr<const TimelineZero> zero_;
  bool recording_ = false;
};

struct RunnerOptions {
  bool data_transfers = true;  ///< GPU: copy inputs in and outputs out every iteration
  int device = 0;              ///< GPU: the CUDA device of the context
};

/// A runner for `ctx`, stream index `index` (for the records). CPU: runs execute() on `inputs`
/// (one per engine input, in order; only read, may be shared by runners). GPU: copies `inputs` into
/// pinned host buffers and uploads them once to the context's own device buffers. `ctx` must
/// outlive the runner.
Expected<std::unique_ptr<Runner>> make_runner(ExecutionContext& ctx, int index,
                                              const std::vector<Tensor>& inputs,
                                              const RunnerOptions& options);

/// Makes every runner record from now on, from one common zero (taken on the first runner).
Status begin_recording(const std::vector<Runner*>& runners);

/// Steps `runners` until at least `min_iterations` iterations were launched (over all runners) and
/// `min_seconds` have passed, then drains them all (also after an error). `threads`: one host
/// thread per runner; otherwise the calling thread steps them round-robin. Returns the number of
/// iterations launched.
Expected<std::int64_t> run_loop(const std::vector<Runner*>& runners, bool threads,
                                std::int64_t min_iterations, double min_seconds);

}  // namespace edgert::tools
