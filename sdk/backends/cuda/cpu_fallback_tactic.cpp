// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The CPU fallback: a layer with no GPU tactic runs its CPU op. Inputs are copied to pinned host
// memory, the stream is synchronized, the CPU op runs, and the outputs are copied back. Correct
// for every op of the CPU table, slow, and never captured in a CUDA graph; the builder logs every
// layer that gets it. A layer whose output shapes depend on a run-time input's values (Resize with
// its scales fed as an engine input) has them checked against the engine's on every run.

#include <vector>

#include "backends/cuda/tactic.h"
#include "kernels/cpu/op_def.h"
#include "runtime/recorded_infer.h"

namespace edgert::cuda_backend {
namespace {

std::size_t round_up(std::size_t v) { return (v + 255) / 256 * 256; }

class CpuFallback final : public Tactic {
 public:
  std::string name() const override { return "cpu.fallback"; }
  TacticSource source() const override { return kSourceCpu; }
  bool graph_safe() const override { return false; }
  std::size_t host_scratch_bytes() const override { return scratch_; }

  Status prepare(const LayerView& v, const PrepareContext&) override {
    const engine::LayerDef& l = v.layer();
    op_ = cpu::find_op(l.type);
    if (!op_) return v.unsupported("no CPU op");
    node_ = v.node();
    scratch_ = 0;
    for (std::size_t k = 0; k < l.inputs.size(); ++k) {
      Slot s;
      if (const engine::TensorDef* t = v.input(k)) {
        if (t->format != engine::TensorFormat::kLinear)
          return v.unsupported("the CPU reads linear tensors");
        s.present = true;
        s.dtype = t->dtype;
        s.shape = t->shape;
        s.bytes = t->nbytes;
        s.weight = v.weight(k);
        if (!s.weight) {
          s.offset = scratch_;
          scratch_ += round_up(s.bytes);
        }
      }
      inputs_.push_back(s);
    }
    for (std::size_t k = 0; k < l.outputs.size(); ++k) {
      Slot s;
      if (const engine::TensorDef* t = v.output(k)) {
        if (t->format != engine::TensorFormat::kLinear)
          return v.unsupported("the CPU writes linear tensors");
        s.present = true;
        s.dtype = t->dtype;
        s.shape = t->shape;
        s.bytes = t->nbytes;
        s.offset = scratch_;
        scratch_ += round_up(s.bytes);
      }
      outputs_.push_back(s);
    }
    // As the engine verifier infers (weights known): do the output shapes depend on the values
    // of a run-time input?
    std::vector<Tensor> weights(inputs_.size());
    cpu::InferContext ictx = runtime::recorded_infer_context(
        *v.def, v.index, node_, [&](std::size_t k) -> const Tensor* {
          const Slot& s = inputs_[k];
          if (!s.weight) return nullptr;
          weights[k] =
              Tensor::borrow(s.dtype, s.shape, const_cast<std::uint8_t*>(s.weight), nullptr);
          return &weights[k];
        });
    check_shapes_ = op_->infer(ictx).ok() && cpu::shapes_depend_on_values(ictx);
    return {};
  }

  Status enqueue(const RunContext& rc, const LayerIO& io) const override {
    auto* host = static_cast<std::uint8_t*>(rc.host_scratch);
    std::vector<Tensor> in_t(inputs_.size()), out_t(outputs_.size());
    std::vector<const Tensor*> ins(inputs_.size(), nullptr);
    std::vector<Tensor*> outs(outputs_.size(), nullptr);
    for (std::size_t k = 0; k < inputs_.size(); ++k) {
      const Slot& s = inputs_[k];
      if (!s.present) continue;
      void* p = const_cast<std::uint8_t*>(s.weight);
      if (!p) {
        p = host + s.offset;
        if (s.bytes)
          EDGERT_CUDA_TRY(
              cudaMemcpyAsync(p, io.inputs[k], s.bytes, cudaMemcpyDeviceToHost, rc.stream));
      }
      in_t[k] = Tensor::borrow(s.dtype, s.shape, p, nullptr);
      ins[k] = &in_t[k];
    }
    for (std::size_t k = 0; k < outputs_.size(); ++k) {
      const Slot& s = outputs_[k];
      if (!s.present) continue;
      out_t[k] = Tensor::borrow(s.dtype, s.shape, host + s.offset, nullptr);
      outs[k] = &out_t[k];
    }
    EDGERT_CUDA_TRY(cudaStreamSynchronize(rc.stream));
    if (check_shapes_) EDGERT_RETURN_IF_ERROR(cpu::check_output_shapes(*op_, node_, ins, outs));
    cpu::ComputeContext cctx{node_, ins, outs};
    EDGERT_RETURN_IF_ERROR(op_->compute(cctx));
    for (std::size_t k = 0; k < outputs_.size(); ++k) {
      const Slot& s = outputs_[k];
      if (s.present && s.bytes)
        EDGERT_CUDA_TRY(cudaMemcpyAsync(io.outputs[k], host + s.offset, s.bytes,
                                        cudaMemcpyHostToDevice, rc.stream));
    }
    // The pinned scratch is reused by the next fallback layer: the copies must be done first.
    EDGERT_CUDA_TRY(cudaStreamSynchronize(rc.stream));
    return {};
  }

 private:
  struct Slot {
    bool present = false;
    DataType dtype = DataType::kUndefined;
    Shape shape;
    std::size_t bytes = 0;
    std::size_t offset = 0;
    const std::uint8_t* weight = nullptr;
  };
  const cpu::OpDef* op_ = nullptr;
  cpu::NodeInfo node_;
  std::vector<Slot> inputs_, outputs_;
  std::size_t scratch_ = 0;
  bool check_shapes_ = false;
};

}  // namespace

void cpu_fallback_tactics(const LayerView& layer, unsigned sources, std::vector<TacticPtr>& out) {
  if ((sources & kSourceCpu) && cpu::find_op(layer.layer().type))
    out.push_back(std::make_unique<CpuFallback>());
}

}  // namespace edgert::cuda_backend
