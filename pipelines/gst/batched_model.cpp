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

Expected<std::shared_ptr<BatchedModel>> BatchedModel::acquire(const std::string& engine_path,
                                                              const std::string& group,
                                                              std::int64_t max_batch,
                                                              unsigned max_latency_ms) {
  std::lock_guard<std::mutex> lock(g_registry_mu);
  const std::string key = engine_path + "\n" + group;
  if (!group.empty())
    if (auto it = g_registry.find(key); it != g_registry.end())
      if (auto m = it->second.lock()) return m;

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
  const Shape& in = engine.inputs()[0].shape;
  const Shape& out = engine.outputs()[0].shape;
  const std::int64_t batch = in.rank() ? in[0] : 1;
  if (max_batch > batch)
    return Status(StatusCode::kInvalidArgument, "batch-size " + std::to_string(max_batch) +
                                                    " is larger than engine '" + engine_path +
                                                    "''s batch of " + std::to_string(batch));
  auto ctx = engine.create_context();
  if (!ctx) return ctx.status().with_context("engine '" + engine_path + "'");

  std::shared_ptr<BatchedModel> m(new BatchedModel());
  m->engine_ = *e;
  m->ctx_ = std::move(ctx).value();
  m->batch_ = max_batch > 0 ? max_batch : batch;
  m->per_item_ = in.numel() / batch;
  m->per_row_ = out.numel() / (out.rank() ? out[0] : 1);
  m->max_latency_ = std::chrono::milliseconds(max_latency_ms);
  if (!m->ctx_->on_gpu()) {
    auto t = Tensor::allocate(DataType::kFloat32, in);
    if (!t) return t.status();
    m->input_ = std::move(t).value();
    std::memset(m->input_.raw(), 0, m->input_.nbytes());
  } else {
    std::memset(m->ctx_->host_tensor_address(engine.inputs()[0].name), 0,
                static_cast<std::size_t>(in.numel()) * sizeof(float));
  }
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
  if (thread_.joinable()) thread_.join();
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

Status BatchedModel::infer(const cpu::Frame& frame, std::vector<float>& row, int* batch_frames) {
  Request r;
  r.frame = &frame;
  r.row = &row;
  r.arrived = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mu_);
  if (stop_) return Status(StatusCode::kInvalidArgument, "the model is shutting down");
  queue_.push_back(&r);
  work_cv_.notify_all();
  done_cv_.wait(lock, [&] { return r.done; });
  if (batch_frames) *batch_frames = r.batch_frames;
  return r.status;
}

void BatchedModel::worker() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    if (queue_.empty()) {
      work_cv_.wait(lock);
      continue;
    }
    // Full: every member stream has a frame waiting, or the batch is full. Otherwise wait for
    // more until the oldest frame has waited max-latency.
    const std::int64_t want = std::min<std::int64_t>(batch_, std::max(1, members_));
    const auto deadline = queue_.front()->arrived + max_latency_;
    if (static_cast<std::int64_t>(queue_.size()) < want &&
        std::chrono::steady_clock::now() < deadline) {
      work_cv_.wait_until(lock, deadline);
      continue;
    }
    std::vector<Request*> batch;
    while (!queue_.empty() && static_cast<std::int64_t>(batch.size()) < batch_) {
      batch.push_back(queue_.front());
      queue_.pop_front();
    }
    lock.unlock();
    const Status s = run_batch(batch);
    lock.lock();
    ++stats_.inferences;
    stats_.frames += batch.size();
    for (Request* r : batch) {
      if (!s.ok()) r->status = s;
      r->batch_frames = static_cast<int>(batch.size());
      r->done = true;
    }
    done_cv_.notify_all();
  }
  // Shutting down: nobody waits forever.
  for (Request* r : queue_) {
    r->status = Status(StatusCode::kInvalidArgument, "the model was shut down");
    r->done = true;
  }
  queue_.clear();
  done_cv_.notify_all();
}

Status BatchedModel::run_batch(const std::vector<Request*>& batch) {
  const Engine& e = *engine_;
  const bool gpu = ctx_->on_gpu();
  // On a CUDA engine: the context's host-visible input buffer (mapped memory the GPU reads in
  // place on an integrated GPU, pinned staging on a discrete one).
  float* in = gpu ? static_cast<float*>(ctx_->host_tensor_address(e.inputs()[0].name))
                  : input_.data<float>();
  for (std::size_t i = 0; i < batch.size(); ++i)
    EDGERT_RETURN_IF_ERROR(cpu::preprocess_frame(*batch[i]->frame, e.preprocess(0),
                                                 in + static_cast<std::int64_t>(i) * per_item_));
  const float* out = nullptr;
  if (gpu) {
    EDGERT_RETURN_IF_ERROR(ctx_->execute());
    out = static_cast<const float*>(ctx_->host_tensor_address(e.outputs()[0].name));
  } else {
    const Tensor* ip = &input_;
    EDGERT_RETURN_IF_ERROR(ctx_->execute({ip}, outs_));
    out = outs_[0].data<float>();
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const float* r = out + static_cast<std::int64_t>(i) * per_row_;
    batch[i]->row->assign(r, r + per_row_);
  }
  return {};
}

}  // namespace edgert::gst
