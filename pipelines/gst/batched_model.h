// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// One engine and one execution context shared by the edgertinfer elements of a batch group: each
// element hands in one frame at a time and blocks until its row of the output is ready; a worker
// thread runs a batch when every member stream has a frame waiting, when the batch is full, or
// when the oldest frame has waited max-latency. See docs/gstreamer.md.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "edgert/engine.h"
#include "edgert/runtime.h"
#include "kernels/cpu/preprocess.h"

namespace edgert::gst {

class BatchedModel {
 public:
  /// The model of `group` for `engine_path` (loaded on first use, shared while any element holds
  /// it); a private one when `group` is empty. `max_batch` caps the frames per inference (0: the
  /// engine's batch). Errors name the engine and what is wrong with it for classification.
  static Expected<std::shared_ptr<BatchedModel>> acquire(const std::string& engine_path,
                                                         const std::string& group,
                                                         std::int64_t max_batch,
                                                         unsigned max_latency_ms);
  ~BatchedModel();
  BatchedModel(const BatchedModel&) = delete;
  BatchedModel& operator=(const BatchedModel&) = delete;

  const Engine& engine() const { return *engine_; }
  std::int64_t batch() const { return batch_; }
  bool on_gpu() const { return ctx_->on_gpu(); }

  /// A stream joins (its frames are waited for) or leaves (end of stream, stop): a batch never
  /// waits for a stream that left.
  void join();
  void leave();

  /// Classifies one frame: blocks until the batch holding it has run; `row` receives the output
  /// values of its batch slot, `batch_frames` the number of frames that inference held.
  Status infer(const cpu::Frame& frame, std::vector<float>& row, int* batch_frames = nullptr);

  struct Stats {
    std::uint64_t inferences = 0;
    std::uint64_t frames = 0;
  };
  Stats stats() const;

 private:
  BatchedModel() = default;
  struct Request {
    const cpu::Frame* frame = nullptr;
    std::vector<float>* row = nullptr;
    Status status;
    bool done = false;
    int batch_frames = 0;
    std::chrono::steady_clock::time_point arrived;
  };
  void worker();
  Status run_batch(const std::vector<Request*>& batch);

  std::shared_ptr<const Engine> engine_;
  std::unique_ptr<ExecutionContext> ctx_;
  Tensor input_;              // CPU engines
  std::vector<Tensor> outs_;  // CPU engines
  std::int64_t batch_ = 1;
  std::int64_t per_item_ = 0;  // input floats per batch slot
  std::int64_t per_row_ = 0;   // output values per batch slot
  std::chrono::milliseconds max_latency_{0};

  mutable std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  std::deque<Request*> queue_;
  int members_ = 0;
  bool stop_ = false;
  Stats stats_;
  std::thread thread_;
};

}  // namespace edgert::gst
