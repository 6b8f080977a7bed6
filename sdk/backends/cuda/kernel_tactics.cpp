// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Tactics on EdgeRT's own kernels (kernels/cuda) for the layers other than convolutions and
// GEMMs: Reformat, pooling, element-wise ops and Pointwise chains, Softmax, SoftmaxTopK,
// Transpose and Concat. Each reads the layer's attributes the way the CPU op does.

#include <algorithm>
#include <cstring>
#include <map>
#include <vector>

#include "backends/cuda/tactic.h"
#include "edgert/kernels/cuda_copy.h"
#include "edgert/kernels/cuda_pointwise.h"
#include "edgert/kernels/cuda_pool.h"
#include "edgert/kernels/cuda_reformat.h"
#include "edgert/kernels/cuda_softmax.h"
#include "kernels/cpu/nn_common.h"

namespace edgert::cuda_backend {
namespace {

using cuda::PointwiseOp;

/// Logical element strides of a tensor (format-aware), right-aligned to `rank` dims of `out`
/// (0 where the tensor broadcasts). False when it does not broadcast to `out`.
bool logical_strides(const engine::TensorDef& t, const Shape& out, std::int64_t* strides) {
  const std::size_t rank = out.rank(), r = t.shape.rank();
  if (r > rank) return false;
  std::vector<std::int64_t> own(r, 1);
  if (t.format == engine::TensorFormat::kNHWC) {
    const auto& s = t.shape;
    own = {s[1] * s[2] * s[3], 1, s[3] * s[1], s[1]};
  } else {
    for (std::size_t i = r; i-- > 1;) own[i - 1] = own[i] * t.shape[i];
  }
  for (std::size_t i = 0; i < rank; ++i) {
    if (i < rank - r) {
      strides[i] = 0;
      continue;
    }
    const std::int64_t d = t.shape[i - (rank - r)];
    if (d == out[i]) {
      strides[i] = own[i - (rank - r)];
    } else if (d == 1) {
      strides[i] = 0;
    } else {
      return false;
    }
  }
  return true;
}

// ---- Reformat ----

class ReformatTactic final : public Tactic {
 public:
  std::string name() const override { return "edgert.reformat"; }
  TacticSource source() const override { return kSourceEdgert; }
  Status prepare(const LayerView& v, const PrepareContext&) override {
    if (v.layer().type != "Reformat") return v.unsupported("not a Reformat");
    const engine::TensorDef* x = v.input(0);
    const engine::TensorDef* y = v.output(0);
    if (!x || !y || x->shape != y->shape) return v.unsupported("bad tensors");
    xt_ = x->dtype;
    yt_ = y->dtype;
    xl_ = layout_of(*x);
    yl_ = layout_of(*y);
    d_ = dims4(*x);
    n_ = x->shape.numel();
    EDGERT_ASSIGN_OR_RETURN(x_scale_, v.attrs().get_float("x_scale", 1.f));
    EDGERT_ASSIGN_OR_RETURN(y_scale_, v.attrs().get_float("y_scale", 1.f));
    return {};
  }
  Status enqueue(const RunContext& rc, const LayerIO& io) const override {
    if (xl_ == yl_)
      return cuda::cast(io.inputs[0], xt_, io.outputs[0], yt_, n_, x_scale_, y_scale_, rc.stream);
    return cuda::reformat(io.inputs[0], xt_, xl_, io.outputs[0], yt_, yl_, d_, x_scale_, y_scale_,
                          rc.stream);
  }

 private:
  DataType xt_{}, yt_{};
  cuda::Layout xl_{}, yl_{};
  cuda::Dims4 d_;
  std::int64_t n_ = 0;
  float x_scale_ = 1.f, y_scale_ = 1.f;
};

// ---- Pooling ----

class PoolTactic final : public Tactic {
 public:
  std::string name() const override { return "edgert.pool"; }
  TacticSource source() const override { return kSourceEdgert; }
  Status prepare(const LayerView& v, const PrepareContext&) override {
    const std::string& type = v.layer().type;
    const engine::TensorDef* x = v.input(0);
    const engine::TensorDef* y = v.output(0);
    if (!x || !y || x->shape.rank() != 4) return v.unsupported("not a 2-D pool");
    if (v.output(1)) return v.unsupported("MaxPool indices output");
    t_ = x->dtype;
    // An output of H = W = 1 is the same bytes in either order (the builder calls it linear).
    const bool one_pixel = y->shape.rank() == 4 && y->shape[2] * y->shape[3] == 1;
    if (y->dtype != t_ || (layout_of(*y) != layout_of(*x) && !one_pixel))
      return v.unsupported("mixed tensors");
    const bool max = type == "MaxPool" || type == "GlobalMaxPool";
    if (!(cuda::is_kernel_float(t_) || (t_ == DataType::kInt8 && max)))
      return v.unsupported(std::string("type ") + dtype_name(t_));
    l_ = layout_of(*x);
    in_ = dims4(*x);
    out_ = dims4(*y);
    if (type == "GlobalAveragePool" || type == "GlobalMaxPool") {
      global_ = true;
      p_.max = max;
      return {};
    }
    if (type != "MaxPool" && type != "AveragePool") return v.unsupported("not a pool");
    const cpu::NodeInfo node = v.node();
    EDGERT_ASSIGN_OR_RETURN(cpu::WindowAttrs w, cpu::parse_window_attrs(node));
    EDGERT_RETURN_IF_ERROR(cpu::resolve_window_attrs(node, 2, w));
    std::int64_t o[2], pb[2], pe[2];
    for (std::size_t d = 0; d < 2; ++d)
      EDGERT_RETURN_IF_ERROR(cpu::window_output_dim(node, w, d, x->shape[2 + d], w.kernel_shape[d],
                                                    o[d], pb[d], pe[d]));
    if (o[0] != out_.h || o[1] != out_.w) return v.unsupported("output size disagrees");
    p_.max = max;
    p_.kernel_h = static_cast<int>(w.kernel_shape[0]);
    p_.kernel_w = static_cast<int>(w.kernel_shape[1]);
    p_.stride_h = static_cast<int>(w.strides[0]);
    p_.stride_w = static_cast<int>(w.strides[1]);
    p_.dilation_h = static_cast<int>(w.dilations[0]);
    p_.dilation_w = static_cast<int>(w.dilations[1]);
    p_.pad_top = static_cast<int>(pb[0]);
    p_.pad_left = static_cast<int>(pb[1]);
    p_.pad_bottom = static_cast<int>(pe[0]);
    p_.pad_right = static_cast<int>(pe[1]);
    EDGERT_ASSIGN_OR_RETURN(std::int64_t cip, v.attrs().get_int("count_include_pad", 0));
    p_.count_include_pad = cip != 0;
    return {};
  }
  Status enqueue(const RunContext& rc, const LayerIO& io) const override {
    if (global_)
      return cuda::global_pool(io.inputs[0], io.outputs[0], t_, l_, in_, p_.max, rc.stream);
    return cuda::pool2d(io.inputs[0], io.outputs[0], t_, l_, in_, out_, p_, rc.stream);
  }

 private:
  DataType t_{};
  cuda::Layout l_{};
  cuda::Dims4 in_, out_;
  cuda::Pool2dParams p_;
  bool global_ = false;
};

// ---- Element-wise ----

const std::map<std::string, PointwiseOp>& pointwise_ops() {
  static const std::map<std::string, PointwiseOp> m = {
      {"Relu", PointwiseOp::kRelu},
      {"Clip", PointwiseOp::kClip},
      {"LeakyRelu", PointwiseOp::kLeakyRelu},
      {"Sigmoid", PointwiseOp::kSigmoid},
      {"HardSigmoid", PointwiseOp::kHardSigmoid},
      {"HardSwish", PointwiseOp::kHardSwish},
      {"SiLU", PointwiseOp::kSiLU},
      {"Gelu", PointwiseOp::kGelu},
      {"Tanh", PointwiseOp::kTanh},
      {"Exp", PointwiseOp::kExp},
      {"Log", PointwiseOp::kLog},
      {"Sqrt", PointwiseOp::kSqrt},
      {"Abs", PointwiseOp::kAbs},
      {"Neg", PointwiseOp::kNeg},
      {"Reciprocal", PointwiseOp::kReciprocal},
      {"Erf", PointwiseOp::kErf},
      {"Floor", PointwiseOp::kFloor},
      {"Ceil", PointwiseOp::kCeil},
      {"Add", PointwiseOp::kAdd},
      {"Sub", PointwiseOp::kSub},
      {"Mul", PointwiseOp::kMul},
      {"Div", PointwiseOp::kDiv},
      {"Pow", PointwiseOp::kPow},
      {"Max", PointwiseOp::kMax},
      {"Min", PointwiseOp::kMin},
  };
  return m;
}

/// A float scalar from a constant input (Clip's min/max), or `def` when absent.
Expected<float> scalar_input(const LayerView& v, std::size_t k, float def) {
  const engine::TensorDef* t = v.input(k);
  if (!t) return def;
  const std::uint8_t* p = v.weight(k);
  if (!p || t->shape.numel() != 1)
    return v.unsupported("input " + std::to_string(k) + " is not a constant scalar");
  if (t->dtype == DataType::kFloat32) {
    float f;
    std::memcpy(&f, p, 4);
    return f;
  }
  return v.unsupported("input " + std::to_string(k) + " is not float32");
}

class PointwiseTactic final : public Tactic {
 public:
  std::string name() const override { return "edgert.pointwise"; }
  TacticSource source() const override { return kSourceEdgert; }

  Status prepare(const LayerView& v, const PrepareContext&) override {
    const engine::LayerDef& l = v.layer();
    const engine::TensorDef* y = v.output(0);
    const engine::TensorDef* x = v.input(0);
    if (!x || !y || v.output(1)) return v.unsupported("bad tensors");
    t_ = y->dtype;
    if (!cuda::is_kernel_float(t_)) return v.unsupported(std::string("type ") + dtype_name(t_));
    // Steps and which inputs are operands.
    std::vector<std::size_t>
        operand_inputs;  // program operand i reads layer input operand_inputs[i]
    if (l.type == "Pointwise") {
      EDGERT_ASSIGN_OR_RETURN(auto ops, l.attrs.get_strings("ops"));
      EDGERT_ASSIGN_OR_RETURN(auto operands, l.attrs.get_ints("operands"));
      EDGERT_ASSIGN_OR_RETURN(auto reversed, l.attrs.get_ints("reversed"));
      EDGERT_ASSIGN_OR_RETURN(auto alphas, l.attrs.get_floats("alphas"));
      EDGERT_ASSIGN_OR_RETURN(auto betas, l.attrs.get_floats("betas"));
      if (ops.empty() || ops.size() > cuda::kMaxPointwiseSteps || operands.size() != ops.size())
        return v.unsupported("program too long or malformed");
      for (std::size_t i = 0; i < ops.size(); ++i) {
        auto it = pointwise_ops().find(ops[i]);
        if (it == pointwise_ops().end()) return v.unsupported("step '" + ops[i] + "'");
        cuda::PointwiseStep s;
        s.op = it->second;
        s.reversed = !reversed.empty() && reversed[i] != 0;
        s.alpha = alphas.empty() ? 0.f : alphas[i];
        s.beta = betas.empty() ? 0.f : betas[i];
        if (cuda::pointwise_is_binary(s.op)) {
          const auto in = static_cast<std::size_t>(operands[i]);
          auto pos = std::find(operand_inputs.begin(), operand_inputs.end(), in);
          s.operand = static_cast<int>(pos - operand_inputs.begin());
          if (pos == operand_inputs.end()) operand_inputs.push_back(in);
        }
        prog_.steps[prog_.num_steps++] = s;
      }
    } else {
      auto it = pointwise_ops().find(l.type);
      if (it == pointwise_ops().end()) return v.unsupported("not an element-wise op");
      cuda::PointwiseStep s;
      s.op = it->second;
      if (cuda::pointwise_is_binary(s.op)) {
        if (v.num_inputs() != 2) return v.unsupported("variadic form");
        s.operand = 0;
        operand_inputs.push_back(1);
      } else if (l.type == "Clip") {
        if (l.opset < 11) {
          EDGERT_ASSIGN_OR_RETURN(s.alpha, l.attrs.get_float("min", -3.402823466e38f));
          EDGERT_ASSIGN_OR_RETURN(s.beta, l.attrs.get_float("max", 3.402823466e38f));
        } else {
          EDGERT_ASSIGN_OR_RETURN(s.alpha, scalar_input(v, 1, -3.402823466e38f));
          EDGERT_ASSIGN_OR_RETURN(s.beta, scalar_input(v, 2, 3.402823466e38f));
        }
      } else if (l.type == "LeakyRelu") {
        EDGERT_ASSIGN_OR_RETURN(s.alpha, l.attrs.get_float("alpha", 0.01f));
      } else if (l.type == "HardSigmoid") {
        EDGERT_ASSIGN_OR_RETURN(s.alpha, l.attrs.get_float("alpha", 0.2f));
        EDGERT_ASSIGN_OR_RETURN(s.beta, l.attrs.get_float("beta", 0.5f));
      } else if (l.type == "Gelu") {
        EDGERT_ASSIGN_OR_RETURN(std::string approx, l.attrs.get_string("approximate", "none"));
        if (approx != "none") return v.unsupported("Gelu approximate=" + approx);
      } else if (v.num_inputs() > 1) {
        return v.unsupported("extra inputs");
      }
      prog_.steps[prog_.num_steps++] = s;
    }
    if (operand_inputs.size() > cuda::kMaxPointwiseOperands)
      return v.unsupported("too many operands");
    // Iterate over the output's physical order.
    const Shape& out = y->shape;
    if (out.rank() > cuda::kMaxPointwiseRank) return v.unsupported("rank above 6");
    const bool nhwc = y->format == engine::TensorFormat::kNHWC;
    const std::vector<std::size_t> order = nhwc ? std::vector<std::size_t>{0, 2, 3, 1} : [&] {
      std::vector<std::size_t> o(out.rank());
      for (std::size_t i = 0; i < o.size(); ++i) o[i] = i;
      return o;
    }();
    prog_.rank = static_cast<int>(out.rank());
    for (std::size_t i = 0; i < order.size(); ++i) prog_.dims[i] = out[order[i]];
    auto strides_of = [&](const engine::TensorDef& t, std::int64_t* dst) -> Status {
      if (t.dtype != t_) return v.unsupported("mixed types");
      std::int64_t logical[cuda::kMaxPointwiseRank] = {};
      if (!logical_strides(t, out, logical))
        return v.unsupported("'" + t.name + "' does not broadcast to the output");
      for (std::size_t i = 0; i < order.size(); ++i) dst[i] = logical[order[i]];
      return {};
    };
    EDGERT_RETURN_IF_ERROR(strides_of(*x, prog_.x_strides));
    operand_inputs_ = operand_inputs;
    prog_.num_operands = static_cast<int>(operand_inputs.size());
    for (std::size_t i = 0; i < operand_inputs.size(); ++i) {
      const engine::TensorDef* t = v.input(operand_inputs[i]);
      if (!t) return v.unsupported("missing operand");
      EDGERT_RETURN_IF_ERROR(strides_of(*t, prog_.operand_strides[i]));
    }
    if (out.rank() == 0) {
      prog_.rank = 1;
      prog_.dims[0] = 1;
    }
    return {};
  }
  Status enqueue(const RunContext& rc, const LayerIO& io) const override {
    cuda::PointwiseProgram p = prog_;
    for (std::size_t i = 0; i < operand_inputs_.size(); ++i)
      p.operands[i] = io.inputs[operand_inputs_[i]];
    return cuda::pointwise(io.inputs[0], io.outputs[0], t_, p, rc.stream);
  }

 private:
  DataType t_{};
  cuda::PointwiseProgram prog_;
  std::vector<std::size_t> operand_inputs_;
};

// ---- Softmax ----

std::int64_t product(const Shape& s, std::size_t a, std::size_t b) {
  std::int64_t p = 1;
  for (std::size_t i = a; i < b; ++i) p *= s[i];
  return p;
}

class SoftmaxTactic final : public Tactic {
 public:
  std::string name() const override { return "edgert.softmax"; }
  TacticSource source() const override { return kSourceEdgert; }
  Status prepare(const LayerView& v, const PrepareContext&) override {
    const engine::LayerDef& l = v.layer();
    const engine::TensorDef* x = v.input(0);
    const engine::TensorDef* y = v.output(0);
    if (!x || !y) return v.unsupported("bad tensors");
    if (l.type != "Softmax" && l.type != "LogSoftmax") return v.unsupported("not a softmax");
    t_ = x->dtype;
    if (!cuda::is_kernel_float(t_) || y->dtype != t_ || x->format != engine::TensorFormat::kLinear)
      return v.unsupported("needs a linear float tensor");
    log_ = l.type == "LogSoftmax";
    const bool coerce = l.opset < 13;
    EDGERT_ASSIGN_OR_RETURN(std::int64_t axis, l.attrs.get_int("axis", coerce ? 1 : -1));
    const auto rank = static_cast<std::int64_t>(x->shape.rank());
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= std::max<std::int64_t>(rank, 1)) return v.unsupported("bad axis");
    const auto a = static_cast<std::size_t>(axis);
    outer_ = product(x->shape, 0, a);
    if (coerce) {
      n_ = product(x->shape, a, x->shape.rank());
      inner_ = 1;
    } else {
      n_ = x->shape[a];
      inner_ = product(x->shape, a + 1, x->shape.rank());
    }
    return {};
  }
  Status enqueue(const RunContext& rc, const LayerIO& io) const override {
    return cuda::softmax(io.inputs[0], io.outputs[0], t_, outer_, n_, inner_, log_, rc.stream);
  }

 private:
  DataType t_{};
  bool log_ = false;
  std::int64_t outer_ = 1, n_ = 1, inner_ = 1;
};

class SoftmaxTopKTactic final : public Tactic {
 public:
  std::string name() const override { return "edgert.softmax_topk"; }
  TacticSource source() const override { return kSourceEdgert; }
  Status prepare(const LayerView& v, const PrepareContext&) override {
    const engine::LayerDef& l = v.layer();
    const engine::TensorDef* x = v.input(0);
    if (l.type != "SoftmaxTopK" || !x) return v.unsupported("not a SoftmaxTopK");
    t_ = x->dtype;
    if (!cuda::is_kernel_float(t_) || x->format != engine::TensorFormat::kLinear ||
        x->shape.rank() == 0)
      return v.unsupported("needs a linear float tensor");
    EDGERT_ASSIGN_OR_RETURN(std::string mode, l.attrs.get_string("mode", ""));
    argmax_ = mode == "ArgMax";
    EDGERT_ASSIGN_OR_RETURN(std::int64_t k, l.attrs.get_int("k", 1));
    EDGERT_ASSIGN_OR_RETURN(std::int64_t largest, l.attrs.get_int("largest", 1));
    EDGERT_ASSIGN_OR_RETURN(std::int64_t last, l.attrs.get_int("select_last_index", 0));
    k_ = argmax_ ? 1 : static_cast<int>(k);
    if (k_ < 0 || k_ > 64) return v.unsupported("k above 64");
    largest_ = argmax_ || largest != 0;
    last_ = last != 0;
    cols_ = x->shape[x->shape.rank() - 1];
    rows_ = cols_ ? x->shape.numel() / cols_ : 0;
    return {};
  }
  Status enqueue(const RunContext& rc, const LayerIO& io) const override {
    void* values = argmax_ ? nullptr : io.outputs[0];
    void* indices = argmax_ ? io.outputs[0] : (io.outputs.size() > 1 ? io.outputs[1] : nullptr);
    if (!indices) return Status(StatusCode::kUnsupported, "SoftmaxTopK without indices output");
    return cuda::softmax_topk(io.inputs[0], t_, rows_, cols_, k_, largest_, last_, values,
                              static_cast<std::int64_t*>(indices), rc.stream);
  }

 private:
  DataType t_{};
  bool argmax_ = false, largest_ = true, last_ = false;
  int k_ = 1;
  std::int64_t rows_ = 0, cols_ = 0;
};

// ---- Transpose, Concat ----

class CopyTactic final : public Tactic {
 public:
  std::string name() const override { return "edgert.copy"; }
  TacticSource source() const override { return kSourceEdgert; }
  Status prepare(const LayerView& v, const PrepareContext&) override {
    const engine::LayerDef& l = v.layer();
    const engine::TensorDef* y = v.output(0);
    if (!y) return v.unsupported("no output");
    if (y->shape.rank() > static_cast<std::size_t>(cuda::kMaxCopyRank))
      return v.unsupported("rank too high");
    elem_ = dtype_size(y->dtype);
    std::int64_t ys[cuda::kMaxCopyRank] = {};
    if (!logical_strides(*y, y->shape, ys)) return v.unsupported("output");
    if (l.type == "Transpose") {
      const engine::TensorDef* x = v.input(0);
      if (!x || x->dtype != y->dtype) return v.unsupported("bad input");
      EDGERT_ASSIGN_OR_RETURN(auto perm, l.attrs.get_ints("perm"));
      const std::size_t r = x->shape.rank();
      if (perm.empty())
        for (std::size_t i = 0; i < r; ++i) perm.push_back(static_cast<std::int64_t>(r - 1 - i));
      if (perm.size() != r) return v.unsupported("perm");
      std::int64_t xs[cuda::kMaxCopyRank] = {};
      if (!logical_strides(*x, x->shape, xs)) return v.unsupported("input");
      Part p;
      p.rank = static_cast<int>(r);
      for (std::size_t i = 0; i < r; ++i) {
        p.dims[i] = y->shape[i];
        p.x_strides[i] = xs[perm[i]];
        p.y_strides[i] = ys[i];
      }
      parts_.push_back(p);
      return {};
    }
    if (l.type != "Concat") return v.unsupported("not a Transpose or Concat");
    EDGERT_ASSIGN_OR_RETURN(std::int64_t axis, l.attrs.get_int("axis", 0));
    const auto r = static_cast<std::int64_t>(y->shape.rank());
    if (axis < 0) axis += r;
    if (axis < 0 || axis >= r) return v.unsupported("axis");
    std::int64_t offset = 0;
    for (std::size_t k = 0; k < v.num_inputs(); ++k) {
      const engine::TensorDef* x = v.input(k);
      if (!x || x->dtype != y->dtype || x->shape.rank() != y->shape.rank())
        return v.unsupported("bad input");
      Part p;
      p.input = k;
      p.rank = static_cast<int>(r);
      if (!logical_strides(*x, x->shape, p.x_strides)) return v.unsupported("input");
      for (std::size_t i = 0; i < static_cast<std::size_t>(r); ++i) {
        p.dims[i] = x->shape[i];
        p.y_strides[i] = ys[i];
      }
      p.y_offset = offset * ys[axis];
      offset += x->shape[static_cast<std::size_t>(axis)];
      if (x->shape.numel() > 0) parts_.push_back(p);
    }
    return {};
  }
  Status enqueue(const RunContext& rc, const LayerIO& io) const override {
    for (const Part& p : parts_) {
      auto* y =
          static_cast<std::uint8_t*>(io.outputs[0]) + static_cast<std::size_t>(p.y_offset) * elem_;
      EDGERT_RETURN_IF_ERROR(cuda::strided_copy(io.inputs[p.input], y, elem_, p.rank, p.dims,
                                                p.x_strides, p.y_strides, rc.stream));
    }
    return {};
  }

 private:
  struct Part {
    std::size_t input = 0;
    int rank = 0;
    std::int64_t dims[cuda::kMaxCopyRank] = {};
    std::int64_t x_strides[cuda::kMaxCopyRank] = {};
    std::int64_t y_strides[cuda::kMaxCopyRank] = {};
    std::int64_t y_offset = 0;
  };
  std::size_t elem_ = 4;
  std::vector<Part> parts_;
};

}  // namespace

void kernel_tactics(const LayerView& layer, unsigned sources, std::vector<TacticPtr>& out) {
  if (!(sources & kSourceEdgert)) return;
  const std::string& t = layer.layer().type;
  if (t == "Reformat") {
    out.push_back(std::make_unique<ReformatTactic>());
  } else if (t == "MaxPool" || t == "AveragePool" || t == "GlobalAveragePool" ||
             t == "GlobalMaxPool") {
    out.push_back(std::make_unique<PoolTactic>());
  } else if (t == "Pointwise" || pointwise_ops().count(t)) {
    out.push_back(std::make_unique<PointwiseTactic>());
  } else if (t == "Softmax" || t == "LogSoftmax") {
    out.push_back(std::make_unique<SoftmaxTactic>());
  } else if (t == "SoftmaxTopK") {
    out.push_back(std::make_unique<SoftmaxTopKTactic>());
  } else if (t == "Transpose" || t == "Concat") {
    out.push_back(std::make_unique<CopyTactic>());
  }
}

}  // namespace edgert::cuda_backend
