// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// One engine and one execution context shared by the edgertinfer elements of a batch group. Each
// element (stream) preprocesses its frame, in its own streaming thread, straight into a slot of
// the batch input (FramePreprocessor: the CUDA kernel on CUDA engines, the CPU kernel otherwise)
// and blocks until its row of the output is ready; a worker thread runs the batch when every
// member stream has a frame in it, when it is full, or when its first frame has waited
// max-latency. See docs/gstreamer.md.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "edgert/engine.h"
#include "edgert/frame_preprocessor.h"
#include "edgert/runtime.h"

namespace edgert::gst {

class BatchedModel {
 public:
  /// The model of `group` for `engine_path` (loaded on first use, shared while any element holds
  /// it); a private one when `group` is empty. `max_batch` caps the frames per inference (0: the
  /// engine's batch). `preprocess` says where frames are preprocessed; every member of a group
  /// must ask for the same. Errors name the engine and what is wrong with it for classification.
  static Expected<std::shared_ptr<BatchedModel>> acquire(const std::string& engine_path,
                                                         const std::string& group,
                                                         std::int64_t max_batch,
                                                         unsigned max_latency_ms,
                                                         FramePreprocessor::Device preprocess);
  ~BatchedModel();
  BatchedModel(const BatchedModel&) = delete;
  BatchedModel& operator=(const BatchedModel&) = delete;

  const Engine& engine() const { return *engine_; }
  std::int64_t batch() const { return batch_; }
  bool on_gpu() const { return ctx_->on_gpu(); }
  /// Where the frames are preprocessed: "CUDA kernel" or "CPU".
  const char* preprocess_name() const;

  /// A stream joins (its frames are waited for) or leaves (end of stream, stop): a batch never
  /// waits for a stream that left.
  void join();
  void leave();

  /// A stream's own preprocessor for this model's input (one per element: they run at once).
  Expected<std::unique_ptr<FramePreprocessor>> make_preprocessor();

  /// Classifies one frame: preprocesses it with `pre` into a free slot of the batch being filled,
  /// then blocks until that batch has run; `row` receives the output values of the slot,
  /// `batch_frames` the number of frames the inference held.
  Status infer(FramePreprocessor& pre, const ImageFrame& frame, std::vector<float>& row,
               int* batch_frames = nullptr);

  struct Stats {
    std::uint64_t inferences = 0;
    std::uint64_t frames = 0;
  };
  Stats stats() const;

 private:
  BatchedModel() = default;
  struct Request {
    std::vector<float>* row = nullptr;
    Status status;
    bool done = false;
    int batch_frames = 0;
  };
  void worker();

  std::shared_ptr<const Engine> engine_;
  std::unique_ptr<ExecutionContext> ctx_;
  FramePreprocessor::Device preprocess_ = FramePreprocessor::Device::kAuto;
  std::int64_t batch_ = 1;
  std::int64_t per_row_ = 0;    // output values per batch slot
  const float* out_ = nullptr;  // the context's host output buffer
  std::chrono::milliseconds max_latency_{0};

  mutable std::mutex mu_;
  std::condition_variable work_cv_, slot_cv_, done_cv_;
  // The batch being filled: slots [0, filled_) are taken, `preparing_` of them still being
  // written; slots_[i] is the request of slot i once it is written.
  std::int64_t filled_ = 0;
  int preparing_ = 0;
  std::vector<Request*> slots_;
  std::chrono::steady_clock::time_point first_arrival_;
  bool running_ = false;  // the batch is being inferred: no slot may be written
  int members_ = 0;
  bool stop_ = false;
  Stats stats_;
  std::thread thread_;
};

}  // namespace edgert::gst
