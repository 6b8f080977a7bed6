// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "batched_model.h"

#include <algorithm>
#include <cstring>
#include <map>

namespace edgert::gst {
namespace {

std::mutex g_registry_mu;
std::map<std::string, std::weak_ptr<BatchedModel>> g_registry;

}  // namespace

Expected<std::shared_ptr<BatchedModel>> BatchedModel::acquire(
    const std::string& engine_path, const std::string& group, std::int64_t max_batch,
    unsigned max_latency_ms, FramePreprocessor::Device preprocess) {
  std::lock_guard<std::mutex> lock(g_registry_mu);
  const std::string key = engine_path + "\n" + group;
  if (!group.empty())
    if (auto it = g_registry.find(key); it != g_registry.end())
      if (auto m = it->second.lock()) {
        if (m->on_gpu() && m->preprocess_ != preprocess)
          return Status(StatusCode::kInvalidArgument,
                        "batch-group '" + group + "' preprocesses frames on " +
                            m->preprocess_name() +
                            "; every element of a group must ask for the "
                            "same \"preprocess\"");
        return m;
      }

  auto e = Engine::load(engine_path);
  if (!e) return e.status();
  const Engine& engine = **e;
  if (engine.inputs().size() != 1 || engine.outputs().empty() || !engine.preprocess(0).enabled ||
      engine.inputs()[0].dtype != DataType::kFloat32 ||
      engine.outputs()[0].dtype != DataType::kFloat32)
    return Status(StatusCode::kInvalidArgument,
                  "engine '" + engine_path +
                      "' cannot classify video frames: it needs one float32 image input with a "
                      "preprocessing spec (edgert build --preprocess) and a float32 output of "
                      "class scores; it has " +
                      std::to_string(engine.inputs().size()) + " input(s)" +
                      (engine.preprocess(0).enabled ? "" : ", input 0 without preprocessing"));
  const TensorDesc& in = engine.inputs()[0];
  const TensorDesc& out = engine.outputs()[0];
  const std::int64_t batch = in.shape.rank() == 4 ? in.shape[0] : 1;
  if (max_batch > batch)
    return Status(StatusCode::kInvalidArgument, "batch-size " + std::to_string(max_batch) +
                                                    " is larger than engine '" + engine_path +
                                                    "''s batch of " + std::to_string(batch));
  auto ctx = engine.create_context();
  if (!ctx) return ctx.status().with_context("engine '" + engine_path + "'");

  std::shared_ptr<BatchedModel> m(new BatchedModel());
  m->engine_ = *e;
  m->ctx_ = std::move(ctx).value();
  m->preprocess_ = preprocess;
  m->batch_ = max_batch > 0 ? max_batch : batch;
  m->per_row_ = out.shape.numel() / (out.shape.rank() ? out.shape[0] : 1);
  m->max_latency_ = std::chrono::milliseconds(max_latency_ms);
  m->slots_.assign(static_cast<std::size_t>(m->batch_), nullptr);
  // Host I/O buffers: the CPU backend's, or the CUDA context's mapped/staging ones. Slots a
  // batch leaves empty hold zeros (their rows are ignored).
  void* host_in = m->ctx_->host_tensor_address(in.name);
  m->out_ = static_cast<const float*>(m->ctx_->host_tensor_address(out.name));
  if (!host_in || !m->out_)
    return Status(StatusCode::kOutOfMemory,
                  "engine '" + engine_path + "': no host buffers for its input and output");
  std::memset(host_in, 0, static_cast<std::size_t>(in.shape.numel()) * sizeof(float));
  m->thread_ = std::thread([raw = m.get()] { raw->worker(); });
  if (!group.empty()) g_registry[key] = m;
  return m;
}

BatchedModel::~BatchedModel() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  slot_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

const char* BatchedModel::preprocess_name() const {
  return preprocess_ == FramePreprocessor::Device::kCpu || !ctx_->on_gpu() ? "the CPU" : "the GPU";
}

Expected<std::unique_ptr<FramePreprocessor>> BatchedModel::make_preprocessor() {
  return FramePreprocessor::create(*ctx_, 0, preprocess_);
}

void BatchedModel::join() {
  std::lock_guard<std::mutex> lock(mu_);
  ++members_;
  work_cv_.notify_all();
}

void BatchedModel::leave() {
  std::lock_guard<std::mutex> lock(mu_);
  if (members_ > 0) --members_;
  work_cv_.notify_all();  // a batch waiting for this stream may now be complete
}

BatchedModel::Stats BatchedModel::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

Status BatchedModel::infer(FramePreprocessor& pre, const ImageFrame& frame, std::vector<float>& row,
                           int* batch_frames) {
  Request r;
  r.row = &row;
  std::unique_lock<std::mutex> lock(mu_);
  // A free slot of the batch being filled; none while it runs.
  slot_cv_.wait(lock, [&] { return stop_ || (!running_ && filled_ < batch_); });
  if (stop_) return Status(StatusCode::kInvalidArgument, "the model is shutting down");
  const std::int64_t slot = filled_++;
  if (slot == 0) first_arrival_ = std::chrono::steady_clock::now();
  ++preparing_;
  lock.unlock();
  // Streams write their slots at the same time; the batch runs once all have finished.
  r.status = pre.run(frame, slot);
  lock.lock();
  --preparing_;
  slots_[static_cast<std::size_t>(slot)] = &r;
  work_cv_.notify_all();
  done_cv_.wait(lock, [&] { return r.done; });
  if (batch_frames) *batch_frames = r.batch_frames;
  return r.status;
}

void BatchedModel::worker() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    if (filled_ == 0 || preparing_ > 0) {
      work_cv_.wait(lock);
      continue;
    }
    // Full: every member stream has a frame in the batch, or the batch is full. Otherwise wait
    // for more until the first frame has waited max-latency.
    const std::int64_t want = std::min<std::int64_t>(batch_, std::max(1, members_));
    const auto deadline = first_arrival_ + max_latency_;
    if (filled_ < want && std::chrono::steady_clock::now() < deadline) {
      work_cv_.wait_until(lock, deadline);
      continue;
    }
    running_ = true;
    const std::int64_t n = filled_;
    lock.unlock();
    const Status s = ctx_->execute();
    if (s.ok())
      for (std::int64_t i = 0; i < n; ++i) {
        const float* r = out_ + i * per_row_;
        slots_[static_cast<std::size_t>(i)]->row->assign(r, r + per_row_);
      }
    lock.lock();
    ++stats_.inferences;
    stats_.frames += static_cast<std::uint64_t>(n);
    for (std::int64_t i = 0; i < n; ++i) {
      Request* r = slots_[static_cast<std::size_t>(i)];
      if (!s.ok() && r->status.ok()) r->status = s;
      r->batch_frames = static_cast<int>(n);
      r->done = true;
      slots_[static_cast<std::size_t>(i)] = nullptr;
    }
    filled_ = 0;
    running_ = false;
    done_cv_.notify_all();
    slot_cv_.notify_all();
  }
  // Shutting down: nobody waits forever (streams still writing a slot see stop_ when done).
  for (Request*& r : slots_)
    if (r) {
      r->status = Status(StatusCode::kInvalidArgument, "the model was shut down");
      r->done = true;
      r = nullptr;
    }
  done_cv_.notify_all();
  slot_cv_.notify_all();
}

}  // namespace edgert::gst
