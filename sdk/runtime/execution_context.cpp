// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Running an engine on the CPU: one arena per context; every layer's compute function runs on
// tensors that borrow arena, weight or caller memory. Views (Reshape-like layers) cost nothing.

#include <chrono>
#include <cstring>

#include "edgert/runtime.h"
#include "runtime/runtime_internal.h"

namespace edgert {
namespace {

// The arena starts filled with 0xFF bytes (NaN for float32/float16): a kernel that relies on
// zeroed outputs then fails the round-trip tests instead of passing by luck on fresh memory.
constexpr int kArenaPoison = 0xFF;

std::string tensor_text(DataType t, const Shape& s) {
  return std::string(dtype_name(t)) + " " + s.to_string();
}

}  // namespace

ExecutionContext::ExecutionContext(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ExecutionContext::~ExecutionContext() = default;

const Engine& ExecutionContext::engine() const noexcept { return *impl_->engine; }

void ExecutionContext::set_tensor_observer(TensorObserver observer) {
  impl_->observer = std::move(observer);
}

Expected<std::unique_ptr<ExecutionContext>> Engine::create_context() const {
  return create_context(ContextOptions{});
}

Expected<std::unique_ptr<ExecutionContext>> Engine::create_context(
    const ContextOptions& options) const {
  const engine::EngineDef& d = impl_->def;
  auto ctx = std::make_unique<ExecutionContext::Impl>();
  ctx->engine = shared_from_this();
  ctx->options = options;
  if (impl_->gpu) {
    auto gpu = cuda_backend::create_context(impl_->gpu, d, options);
    if (!gpu) return gpu.status().with_context("creating an execution context");
    ctx->gpu = std::move(gpu).value();
    return std::unique_ptr<ExecutionContext>(new ExecutionContext(std::move(ctx)));
  }
  if (options.profile) ctx->profile.assign(d.layers.size(), {});
  AllocationRequest r;
  r.kind = MemoryKind::kHost;
  r.bytes = d.memory.arena_bytes ? d.memory.arena_bytes : 1;
  r.alignment = 64;
  r.tag = MemoryTag::kActivations;
  r.label = "the activation arena";
  Status s = ctx->arena.allocate(r);
  if (!s.ok()) return s.with_context("creating an execution context");
  std::memset(ctx->arena.get(), kArenaPoison, ctx->arena.size());

  auto* base = static_cast<std::uint8_t*>(ctx->arena.get());
  ctx->views.resize(d.tensors.size());
  for (std::size_t i = 0; i < d.tensors.size(); ++i) {
    const engine::TensorDef& t = d.tensors[i];
    if (t.storage == engine::Storage::kArena) {
      // No holder: the views never outlive the context, which owns the arena.
      ctx->views[i] = Tensor::borrow(t.dtype, t.shape, base + t.offset, nullptr);
    } else if (!impl_->weight_views[i].empty()) {
      ctx->views[i] = impl_->weight_views[i];
    }
  }
  // The pointer lists are built once: views are rebound in place, their addresses never change.
  ctx->layer_inputs.resize(d.layers.size());
  ctx->layer_outputs.resize(d.layers.size());
  for (std::size_t li = 0; li < d.layers.size(); ++li) {
    const engine::LayerDef& l = d.layers[li];
    for (auto t : l.inputs)
      ctx->layer_inputs[li].push_back(t < 0 ? nullptr : &ctx->views[static_cast<std::size_t>(t)]);
    for (auto t : l.outputs)
      ctx->layer_outputs[li].push_back(t < 0 ? nullptr : &ctx->views[static_cast<std::size_t>(t)]);
  }
  return std::unique_ptr<ExecutionContext>(new ExecutionContext(std::move(ctx)));
}

Status ExecutionContext::execute(const std::vector<const Tensor*>& inputs,
                                 std::vector<Tensor>& outputs) {
  Impl& c = *impl_;
  const Engine::Impl& e = c.engine->impl();
  const engine::EngineDef& d = e.def;

  if (inputs.size() != e.inputs.size())
    return make_error(StatusCode::kInvalidArgument,
                      "execute: the engine has " + std::to_string(e.inputs.size()) +
                          " inputs, got " + std::to_string(inputs.size()));
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    const TensorDesc& want = e.inputs[k];
    const Tensor* t = inputs[k];
    if (!t || t->empty() || (t->raw() == nullptr && t->nbytes() > 0))
      return make_error(StatusCode::kInvalidArgument,
                        "execute: input #" + std::to_string(k) + " '" + want.name + "' is missing");
    if (t->dtype() != want.dtype || t->shape() != want.shape)
      return make_error(StatusCode::kInvalidArgument,
                        "execute: input #" + std::to_string(k) + " '" + want.name + "' expects " +
                            tensor_text(want.dtype, want.shape) + ", got " +
                            tensor_text(t->dtype(), t->shape()));
  }
  if (outputs.empty()) outputs.resize(e.outputs.size());
  if (outputs.size() != e.outputs.size())
    return make_error(StatusCode::kInvalidArgument,
                      "execute: the engine has " + std::to_string(e.outputs.size()) +
                          " outputs, got " + std::to_string(outputs.size()) +
                          " output tensors (pass an empty vector to have them allocated)");
  for (std::size_t k = 0; k < outputs.size(); ++k) {
    const TensorDesc& want = e.outputs[k];
    Tensor& t = outputs[k];
    if (t.empty()) {
      auto a = Tensor::allocate(want.dtype, want.shape);
      if (!a) return a.status().with_context("execute: output '" + want.name + "'");
      t = std::move(a).value();
    } else if (t.dtype() != want.dtype || t.shape() != want.shape) {
      return make_error(StatusCode::kInvalidArgument,
                        "execute: output #" + std::to_string(k) + " '" + want.name + "' expects " +
                            tensor_text(want.dtype, want.shape) + ", got " +
                            tensor_text(t.dtype(), t.shape()));
    }
  }

  if (c.gpu) return cuda_backend::execute(*c.gpu, inputs, outputs, c.observer);

  // Bind the caller's memory. Inputs are only read (no layer writes an input tensor: verified).
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    const auto& td = d.tensors[static_cast<std::size_t>(d.inputs[k])];
    c.views[static_cast<std::size_t>(d.inputs[k])] =
        Tensor::borrow(td.dtype, td.shape, const_cast<void*>(inputs[k]->raw()), nullptr);
  }
  for (std::size_t k = 0; k < outputs.size(); ++k) {
    const auto& td = d.tensors[static_cast<std::size_t>(d.outputs[k])];
    c.views[static_cast<std::size_t>(d.outputs[k])] =
        Tensor::borrow(td.dtype, td.shape, outputs[k].raw(), nullptr);
  }
  // Views of arena/caller tensors, in index order (a view's base has a lower index).
  for (auto i : e.runtime_aliases) {
    const auto& td = d.tensors[static_cast<std::size_t>(i)];
    c.views[static_cast<std::size_t>(i)] = Tensor::borrow(
        td.dtype, td.shape, c.views[static_cast<std::size_t>(td.alias_of)].raw(), nullptr);
  }

  if (c.observer)
    for (std::size_t k = 0; k < inputs.size(); ++k) c.observer(e.inputs[k].name, *inputs[k]);

  const bool profile = !c.profile.empty();
  for (std::size_t li = 0; li < e.layers.size(); ++li) {
    const Engine::Impl::Layer& layer = e.layers[li];
    if (!layer.alias) {
      const auto t0 =
          profile ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
      if (layer.check_shapes)
        EDGERT_RETURN_IF_ERROR(cpu::check_output_shapes(*layer.op, layer.node, c.layer_inputs[li],
                                                        c.layer_outputs[li]));
      cpu::ComputeContext cctx{layer.node, c.layer_inputs[li], c.layer_outputs[li]};
      Status s = layer.op->compute(cctx);
      if (!s.ok()) return s;  // kernel errors already name the layer (node_error)
      if (profile)
        c.profile[li].total_ms +=
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count();
    }
    if (profile) ++c.profile[li].runs;
    if (c.observer) {
      const auto& outs = d.layers[li].outputs;
      for (std::size_t k = 0; k < outs.size(); ++k)
        if (outs[k] >= 0)
          c.observer(d.tensors[static_cast<std::size_t>(outs[k])].name, *c.layer_outputs[li][k]);
    }
  }
  return Status::ok_status();
}

bool ExecutionContext::on_gpu() const noexcept { return impl_->gpu != nullptr; }
void* ExecutionContext::stream() const noexcept {
  return impl_->gpu ? cuda_backend::stream(*impl_->gpu) : nullptr;
}

Status ExecutionContext::set_tensor_address(const std::string& name, void* device_ptr) {
  if (impl_->gpu) return cuda_backend::set_tensor_address(*impl_->gpu, name, device_ptr);
  return make_error(StatusCode::kInvalidArgument, "set_tensor_address('" + name +
                                                      "'): the engine runs on the CPU; pass host "
                                                      "tensors to execute()");
}
void* ExecutionContext::tensor_address(const std::string& name) const {
  return impl_->gpu ? cuda_backend::tensor_address(*impl_->gpu, name) : nullptr;
}

const char* io_memory_name(IoMemory m) noexcept {
  switch (m) {
    case IoMemory::kAuto: return "auto";
    case IoMemory::kZeroCopy: return "zero-copy";
    case IoMemory::kStaged: return "staged";
  }
  return "?";
}

Status ExecutionContext::Impl::ensure_host_io() const {
  std::call_once(host_io_once, [this] {
    const Engine::Impl& e = engine->impl();
    for (int side = 0; side < 2 && host_io_status.ok(); ++side) {
      const auto& descs = side == 0 ? e.inputs : e.outputs;
      auto& bufs = side == 0 ? host_inputs : host_outputs;
      for (const TensorDesc& t : descs) {
        auto a = Tensor::allocate(t.dtype, t.shape);
        if (!a) {
          host_io_status = a.status().with_context("the host buffer of '" + t.name + "'");
          break;
        }
        bufs.push_back(std::move(a).value());
      }
    }
  });
  return host_io_status;
}

Status ExecutionContext::execute() {
  if (impl_->gpu) return cuda_backend::execute_host(*impl_->gpu);
  EDGERT_RETURN_IF_ERROR(impl_->ensure_host_io());
  std::vector<const Tensor*> in;
  for (const Tensor& t : impl_->host_inputs) in.push_back(&t);
  return execute(in, impl_->host_outputs);
}

void* ExecutionContext::host_tensor_address(const std::string& name) const {
  if (impl_->gpu) return cuda_backend::host_tensor_address(*impl_->gpu, name);
  if (!impl_->ensure_host_io().ok()) return nullptr;
  const Engine::Impl& e = impl_->engine->impl();
  for (std::size_t k = 0; k < e.inputs.size(); ++k)
    if (e.inputs[k].name == name) return impl_->host_inputs[k].raw();
  for (std::size_t k = 0; k < e.outputs.size(); ++k)
    if (e.outputs[k].name == name) return impl_->host_outputs[k].raw();
  return nullptr;
}

IoMemory ExecutionContext::io_memory() const noexcept {
  return impl_->gpu ? cuda_backend::io_memory(*impl_->gpu) : IoMemory::kAuto;
}

Status ExecutionContext::enqueue() {
  if (impl_->gpu) return cuda_backend::enqueue(*impl_->gpu);
  return make_error(StatusCode::kInvalidArgument,
                    "enqueue(): the engine runs on the CPU; use execute()");
}
Status ExecutionContext::synchronize() {
  return impl_->gpu ? cuda_backend::synchronize(*impl_->gpu) : Status::ok_status();
}

std::vector<LayerProfile> ExecutionContext::layer_profile() const {
  if (impl_->gpu) return cuda_backend::layer_profile(*impl_->gpu);
  std::vector<LayerProfile> out;
  const auto& layers = impl_->engine->layers();
  for (std::size_t li = 0; li < impl_->profile.size(); ++li) {
    LayerProfile p = impl_->profile[li];
    p.name = layers[li].name;
    p.type = layers[li].type;
    p.tactic = layers[li].tactic;
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace edgert
