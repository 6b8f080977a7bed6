// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Precision lowering: int8 layers to ConvInt8 / GemmInt8, the int8 tensor flow between them, and
// fp16 emulation (rounded weights and outputs). Assignment is in precision.cpp.

#include <algorithm>
#include <cmath>

#include "builder/precision.h"
#include "edgert/half.h"
#include "passes/rewrite_helpers.h"

namespace edgert::builder {
namespace {

namespace rw = passes::rw;

constexpr const char* kLayerDomain = "edgert";
constexpr float kQMax = 127.f;

bool is_conv(const ir::Node& n) {
  return n.info.op_type == "Conv" || n.info.op_type == "FusedConv";
}
bool is_int8_layer(const ir::Node& n) {
  return n.info.op_type == "ConvInt8" || n.info.op_type == "GemmInt8";
}

/// Replaces the node's inputs, keeping the consumer lists of the values in step.
void set_inputs(ir::Node& n, std::vector<ir::Value*> inputs) {
  for (ir::Value* v : n.inputs) {
    if (!v) continue;
    auto it = std::find(v->consumers.begin(), v->consumers.end(), &n);
    if (it != v->consumers.end()) v->consumers.erase(it);
  }
  n.inputs = std::move(inputs);
  while (!n.inputs.empty() && !n.inputs.back()) n.inputs.pop_back();
  for (ir::Value* v : n.inputs)
    if (v) v->consumers.push_back(&n);
}

ir::Value* input(const ir::Node& n, std::size_t i) {
  return i < n.inputs.size() ? n.inputs[i] : nullptr;
}

/// Per-channel symmetric int8 weights. The weight is viewed as [outer, channels, inner]; the
/// channel axis is the output channel (conv: 0; GEMM B: 1, or 0 with transB).
struct QuantizedWeights {
  Tensor q;       ///< int8, the weight's shape
  Tensor scales;  ///< float32 [channels]
};

Expected<QuantizedWeights> quantize_weights(const ir::Node& n, const ir::Value& w, std::size_t axis,
                                            ir::BuildLog& log) {
  const Tensor& t = w.data;
  const auto& d = t.shape().dims();
  std::int64_t outer = 1, inner = 1;
  for (std::size_t i = 0; i < axis; ++i) outer *= d[i];
  for (std::size_t i = axis + 1; i < d.size(); ++i) inner *= d[i];
  const std::int64_t ch = d[axis];
  auto at = [&](std::int64_t o, std::int64_t c, std::int64_t i) {
    return (o * ch + c) * inner + i;
  };

  // Explicit scales (from the model's DequantizeLinear): per output channel, or one per tensor.
  std::vector<float> scales;
  const auto& given = w.weight_scales;
  const bool per_channel = given.size() == static_cast<std::size_t>(ch) &&
                           static_cast<std::size_t>(w.weight_scale_axis) == axis;
  if (!given.empty()) {
    if (per_channel || given.size() == 1) {
      scales.assign(static_cast<std::size_t>(ch), given[0]);
      if (per_channel) scales = given;
      for (float s : scales)
        if (!(s > 0.f) || !std::isfinite(s)) scales.clear();
      if (scales.empty())
        log.note("Layer " + n.info.name + ": weight scales of '" + w.name +
                 "' are not all positive; requantized from the weights");
    } else {
      log.note("Layer " + n.info.name + ": the " + std::to_string(given.size()) +
               " weight scales of '" + w.name + "' (axis " + std::to_string(w.weight_scale_axis) +
               ") are not per output channel; requantized per output channel");
    }
  }
  if (t.dtype() == DataType::kInt8 && scales.empty())
    return make_error(StatusCode::kInvalidArgument, "layer " + n.info.name + ": int8 weights '" +
                                                        w.name +
                                                        "' without usable per-channel scales");

  EDGERT_ASSIGN_OR_RETURN(Tensor q, Tensor::allocate(DataType::kInt8, t.shape()));
  EDGERT_ASSIGN_OR_RETURN(Tensor st, Tensor::allocate(DataType::kFloat32, Shape({ch})));
  if (t.dtype() == DataType::kInt8) {
    std::copy(t.data<std::int8_t>(), t.data<std::int8_t>() + t.numel(), q.data<std::int8_t>());
    std::copy(scales.begin(), scales.end(), st.data<float>());
    return QuantizedWeights{q, st};
  }
  const float* src = t.data<float>();
  std::int8_t* dst = q.data<std::int8_t>();
  for (std::int64_t c = 0; c < ch; ++c) {
    float s = 0.f;
    if (!scales.empty()) {
      s = scales[static_cast<std::size_t>(c)];
    } else {
      float m = 0.f;
      for (std::int64_t o = 0; o < outer; ++o)
        for (std::int64_t i = 0; i < inner; ++i) m = std::max(m, std::fabs(src[at(o, c, i)]));
      // An all-zero channel quantizes to zeros with any scale; 1 keeps the scale valid.
      s = m > 0.f ? m / kQMax : 1.f;
    }
    st.data<float>()[c] = s;
    for (std::int64_t o = 0; o < outer; ++o)
      for (std::int64_t i = 0; i < inner; ++i) {
        // Half to even, as QuantizeLinear: w = q * s stored as float divides back to q exactly.
        const float v = std::nearbyint(src[at(o, c, i)] / s);
        dst[at(o, c, i)] = static_cast<std::int8_t>(std::max(-kQMax, std::min(kQMax, v)));
      }
  }
  return QuantizedWeights{q, st};
}

Status lower_int8(ir::Graph& g, ir::Node& n, ir::BuildLog& log) {
  const bool conv = is_conv(n);
  ir::Value* x = input(n, 0);
  ir::Value* w = input(n, 1);
  std::size_t axis = 0;
  if (!conv) {
    EDGERT_ASSIGN_OR_RETURN(std::int64_t tb, n.info.attrs.get_int("transB", 0));
    axis = tb ? 0 : 1;  // B's output columns: rows of the stored matrix when transposed
  }
  EDGERT_ASSIGN_OR_RETURN(QuantizedWeights qw, quantize_weights(n, *w, axis, log));
  EDGERT_ASSIGN_OR_RETURN(ir::Value * wq,
                          g.add_constant(rw::fresh_name(g, w->name + "_int8"), std::move(qw.q)));
  EDGERT_ASSIGN_OR_RETURN(
      ir::Value * ws,
      g.add_constant(rw::fresh_name(g, n.info.name + "_w_scale"), std::move(qw.scales)));
  n.info.attrs.set("x_scale", g.activation_scales.at(x->name));
  n.info.attrs.set("y_scale", 0.f);  // float output unless the int8 flow below says otherwise
  std::vector<ir::Value*> ins = {x, wq, ws, input(n, 2)};
  if (conv) {
    ir::Value* z = input(n, 3);
    ins.push_back(z);
    if (z)
      if (auto s = g.activation_scales.find(z->name); s != g.activation_scales.end())
        n.info.attrs.set("z_scale", s->second);
  }
  set_inputs(n, std::move(ins));
  n.info.op_type = conv ? "ConvInt8" : "GemmInt8";
  n.domain = kLayerDomain;
  if (n.fused.empty()) n.fused = {n.info.name};
  return {};
}

/// A copy of a constant float tensor with every value rounded to the nearest fp16 value.
Expected<Tensor> round_to_fp16(const Tensor& t) {
  EDGERT_ASSIGN_OR_RETURN(Tensor r, t.clone());
  float* p = r.data<float>();
  for (std::int64_t i = 0; i < r.numel(); ++i) p[i] = half_to_float(float_to_half(p[i]));
  return r;
}

Status lower_fp16(ir::Graph& g, ir::Node& n) {
  auto done = n.info.attrs.get_int("round_fp16", 0);
  if (done.ok() && *done != 0) return {};  // lowered already
  std::vector<ir::Value*> ins = n.inputs;
  // Weights and bias (inputs 1 and 2) when constant: fp16 layers store them in fp16.
  for (std::size_t i = 1; i < ins.size() && i < 3; ++i) {
    ir::Value* v = ins[i];
    if (!v || !v->is_constant || v->data.dtype() != DataType::kFloat32) continue;
    EDGERT_ASSIGN_OR_RETURN(Tensor r, round_to_fp16(v->data));
    EDGERT_ASSIGN_OR_RETURN(ins[i], g.add_constant(rw::fresh_name(g, v->name + "_fp16"), r));
  }
  set_inputs(n, std::move(ins));
  n.info.attrs.set("round_fp16", std::int64_t{1});
  if (n.info.op_type == "Conv" || n.info.op_type == "Gemm") {
    // An unfused layer is a fused one with no epilogue: only those carry round_fp16.
    n.info.op_type = n.info.op_type == "Conv" ? "FusedConv" : "FusedGemm";
    n.domain = kLayerDomain;
    if (n.fused.empty()) n.fused = {n.info.name};
  }
  return {};
}

/// Tensors between int8 layers flow in int8: the producer requantizes with the tensor's scale and
/// the consumers read int8.
void int8_flow(ir::Graph& g, ir::BuildLog& log) {
  int flows = 0;
  for (ir::Node* n : g.nodes()) {
    if (n->dead || !is_int8_layer(*n) || n->outputs.empty() || !n->outputs[0]) continue;
    ir::Value* v = n->outputs[0];
    if (v->is_graph_output || v->consumers.empty()) continue;
    auto scale = g.activation_scales.find(v->name);
    std::string blocker;
    for (const ir::Node* c : v->consumers) {
      if (!is_int8_layer(*c)) {
        blocker = "read by " + c->info.name + " (" + c->info.op_type + ")";
        break;
      }
      for (std::size_t i = 0; i < c->inputs.size(); ++i)
        if (c->inputs[i] == v && i != 0 && !(c->info.op_type == "ConvInt8" && i == 4))
          blocker = "read by " + c->info.name + " as input " + std::to_string(i);
      if (!blocker.empty()) break;
    }
    if (blocker.empty() && scale == g.activation_scales.end()) blocker = "it has no scale";
    if (!blocker.empty()) {
      log.note("Tensor '" + v->name + "' (output of int8 layer " + n->info.name +
               ") stays float32: " + blocker);
      continue;
    }
    n->info.attrs.set("y_scale", scale->second);
    v->info.dtype = DataType::kInt8;
    ++flows;
  }
  log.note(std::to_string(flows) + " tensor(s) flow in int8 between int8 layers");
}

}  // namespace

Status lower_precision(ir::Graph& g, ir::BuildLog& log, bool emulate_fp16) {
  for (ir::Node* n : g.nodes()) {
    if (n->dead || n->precision == Precision::kFP32) continue;
    if (!is_weighted_layer(*n)) {
      if (is_int8_layer(*n)) continue;  // already lowered
      return make_error(StatusCode::kInvalidArgument, n->info.describe() + ": precision " +
                                                          precision_name(n->precision) +
                                                          " assigned to an op with no such kernel");
    }
    if (n->precision == Precision::kINT8) {
      const std::string why = int8_blocker(g, *n);
      if (!why.empty())
        return make_error(StatusCode::kInvalidArgument,
                          n->info.describe() + ": assigned int8 but " + why);
      EDGERT_RETURN_IF_ERROR(lower_int8(g, *n, log));
    } else if (emulate_fp16) {
      EDGERT_RETURN_IF_ERROR(lower_fp16(g, *n));
    }
  }
  int8_flow(g, log);
  g.compact();
  EDGERT_RETURN_IF_ERROR(g.topological_sort());
  return g.infer_shapes();
}

}  // namespace edgert::builder
