// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Pass fold_qdq: explicit quantization: Q/DQ pairs become per-tensor scales, DQ'd weights int8 +
// scales.
//
// What the pass does, in order:
//  1. Constants. QuantizeLinear of a constant is evaluated (an int8/uint8 constant).
//     DequantizeLinear of a constant becomes a float32 constant (the DQ's own arithmetic, q * s):
//     - int8 with zero point 0 (absent or all zeros), per-tensor or per-axis: the value keeps
//       Value::weight_scales, one per output channel (a per-tensor scale is repeated along the
//       reader's output-channel axis: Conv 0, ConvTranspose 1, Gemm transB ? 0 : 1, MatMul last),
//       and weight_scale_axis, so int8 lowering reproduces the model's own int8 weights;
//     - int32 with zero point 0 (a bias): a float32 constant, no scales;
//     - anything else (uint8, a non-zero zero point): a float32 constant without scales, logged.
//  2. Activations. QuantizeLinear(x, s, zp int8 0, per-tensor) whose every reader is a
//     DequantizeLinear with the same scale and zero point 0: Q and DQs are removed, the DQs'
//     readers read x, and activation_scales[x] = s (real = s * q, symmetric). Kept as nodes and
//     logged with the reason: a non-constant, non-positive or per-channel scale, uint8 (also a Q
//     without zero point: ONNX's default type is uint8), a non-zero zero point, a Q read by
//     anything but a matching DQ (a rescaling Q(s1) -> DQ(s2) included), a DQ without a Q.
//     Consecutive pairs on one tensor (x -> Q/DQ(s1) -> Q/DQ(s2)) all vanish; x keeps the first
//     scale s1: it is the grid the producer of x emits in the quantized model, and the later pair
//     only re-rounds values already on it (a note records the dropped scale when s2 != s1).
//  3. Propagation ("commuting Q/DQ where exact"): symmetric quantization commutes exactly with
//     MaxPool, Relu, Reshape, Flatten, Transpose, Squeeze, Unsqueeze (and Concat when all inputs
//     share one scale), so a scale moves forward to their output when it has none, and backward
//     to an input that has none and is read by that node alone. Repeated until nothing changes.

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "kernels/cpu/op_util.h"
#include "passes/rewrite_helpers.h"

namespace edgert::passes {
namespace {

bool is_op(const ir::Node* n, const char* op) {
  return n && !n->dead && n->domain.empty() && n->info.op_type == op;
}

const ir::Value* input(const ir::Node& n, std::size_t i) {
  return i < n.inputs.size() ? n.inputs[i] : nullptr;
}

/// Why a zero point is not a zero of type `want` (empty when it is). An absent zero point means
/// uint8 on a Q and the input's type on a DQ (`absent_type`).
std::string zero_point_problem(const ir::Value* zp, DataType absent_type,
                               DataType want = DataType::kInt8) {
  if (!zp)
    return absent_type == want ? ""
           : absent_type == DataType::kUInt8
               ? "uint8 (no zero point: the default type)"
               : std::string(dtype_name(absent_type)) + " quantization";
  const Tensor* t = rw::constant(zp);
  if (!t) return "the zero point is not constant";
  if (t->dtype() != want) return std::string(dtype_name(t->dtype())) + " quantization";
  for (std::int64_t i = 0; i < t->numel(); ++i)
    if (t->get_as_int64(i) != 0) return "non-zero zero point";
  return {};
}

/// The axis along which the reader of a weight produces output channels.
std::int64_t output_channel_axis(const ir::Value* w) {
  const auto rank = static_cast<std::int64_t>(w->info.shape.rank());
  for (const ir::Node* c : w->consumers) {
    if (c->info.op_type == "Conv" || c->info.op_type == "FusedConv") return 0;
    if (c->info.op_type == "ConvTranspose") return rank > 1 ? 1 : 0;
    if ((c->info.op_type == "Gemm" || c->info.op_type == "FusedGemm") && c->inputs.size() > 1 &&
        c->inputs[1] == w) {
      auto tb = c->info.attrs.get_int("transB", 0);
      return tb && *tb ? 0 : (rank > 1 ? 1 : 0);
    }
    if (c->info.op_type == "MatMul" && c->inputs.size() > 1 && c->inputs[1] == w)
      return rank > 0 ? rank - 1 : 0;
  }
  return 0;
}

/// Replaces node `n` (all inputs constant) by its computed outputs.
Status evaluate(ir::Graph& g, ir::Node* n, std::vector<Tensor>& out) {
  std::vector<const Tensor*> ins;
  for (const ir::Value* v : n->inputs) ins.push_back(v ? &v->data : nullptr);
  EDGERT_RETURN_IF_ERROR(cpu::run_node(n->info, ins, out, n->outputs.size()));
  g.remove_node(n);
  for (std::size_t i = 0; i < n->outputs.size(); ++i) {
    ir::Value* v = n->outputs[i];
    if (!v) continue;
    v->is_constant = true;
    v->info = cpu::TensorInfo{out[i].dtype(), out[i].shape()};
    v->data = out[i];
  }
  return {};
}

bool all_inputs_constant(const ir::Node& n) {
  for (const ir::Value* v : n.inputs)
    if (v && !v->is_constant) return false;
  return true;
}

Status fold_weight_dq(ir::Graph& g, PassContext& ctx, ir::Node* dq) {
  const Tensor q = dq->inputs[0]->data;
  const Tensor scale = dq->inputs[1]->data;
  const DataType want = q.dtype() == DataType::kInt32 ? DataType::kInt32 : DataType::kInt8;
  std::string problem = zero_point_problem(input(*dq, 2), q.dtype(), want);
  ir::Value* w = dq->outputs[0];
  const std::int64_t axis_for_scales = output_channel_axis(w);
  const std::string name = dq->info.name;
  std::vector<Tensor> out;
  EDGERT_RETURN_IF_ERROR(evaluate(g, dq, out));
  if (!problem.empty()) {
    ctx.log.note("Dequantizing weight '" + w->name + "' (" + name + ") to float without int8 " +
                 "scales: " + problem);
    return {};
  }
  if (q.dtype() == DataType::kInt32) {
    ctx.log.note("Dequantizing bias '" + w->name + "' (" + name + ") to float32");
    return {};
  }
  const Shape& ws = w->info.shape;
  w->weight_scales.clear();
  std::vector<float> s(static_cast<std::size_t>(scale.numel()));
  for (std::int64_t i = 0; i < scale.numel(); ++i)
    s[static_cast<std::size_t>(i)] = static_cast<float>(scale.get_as_double(i));
  if (s.size() == 1) {
    w->weight_scale_axis = static_cast<int>(axis_for_scales);
    const std::int64_t channels =
        ws.rank() == 0 ? 1 : ws[static_cast<std::size_t>(axis_for_scales)];
    w->weight_scales.assign(static_cast<std::size_t>(channels), s[0]);
  } else {
    auto a = dq->info.attrs.get_int("axis", 1);
    const auto rank = static_cast<std::int64_t>(ws.rank());
    w->weight_scale_axis = static_cast<int>(a ? (*a < 0 ? *a + rank : *a) : 1);
    w->weight_scales = s;
  }
  bool has_min = false;
  for (std::int64_t i = 0; i < q.numel() && !has_min; ++i)
    has_min = q.data<std::int8_t>()[i] == -128;
  ctx.log.note("Folding weight DequantizeLinear '" + name + "': '" + w->name + "' float32 with " +
               std::to_string(w->weight_scales.size()) + " int8 scales along axis " +
               std::to_string(w->weight_scale_axis) +
               (has_min ? " (holds -128: int8 lowering clamps it to -127)" : ""));
  return {};
}

/// Why the Q/DQ pair(s) at `q` cannot be folded (empty when they can); `scale` receives s.
std::string check_activation_q(const ir::Node& q, float& scale) {
  double s = 0;
  const ir::Value* sv = input(q, 1);
  if (!rw::constant(sv)) return "the scale is not constant";
  if (sv->data.numel() != 1) return "per-channel activation scale";
  rw::scalar_constant(sv, s);
  if (!(s > 0) || !std::isfinite(s)) return "the scale is not positive";
  scale = static_cast<float>(s);
  if (std::string p = zero_point_problem(input(q, 2), DataType::kUInt8); !p.empty()) return p;
  const ir::Value* y = q.outputs[0];
  if (y->is_graph_output) return "the quantized tensor '" + y->name + "' is a graph output";
  if (y->consumers.empty()) return "QuantizeLinear without a DequantizeLinear";
  int graph_outputs = 0;
  for (const ir::Node* c : y->consumers) {
    if (!is_op(c, "DequantizeLinear") || c->inputs[0] != y)
      return "QuantizeLinear without a matching DequantizeLinear ('" + y->name + "' is read by " +
             c->info.name + ")";
    double ds = 0;
    if (!rw::scalar_constant(input(*c, 1), ds) || static_cast<float>(ds) != scale)
      return "DequantizeLinear '" + c->info.name + "' uses another scale (a rescale)";
    if (std::string p = zero_point_problem(input(*c, 2), DataType::kInt8); !p.empty())
      return "DequantizeLinear '" + c->info.name + "': " + p;
    graph_outputs += c->outputs[0]->is_graph_output ? 1 : 0;
  }
  const ir::Value* x = q.inputs[0];
  if (graph_outputs > 1) return "several dequantized tensors are graph outputs";
  if (graph_outputs == 1 && (x->is_graph_input || x->is_graph_output || !x->producer))
    return "the dequantized tensor is a graph output and '" + x->name + "' cannot take its name";
  return {};
}

void fold_activation_pair(ir::Graph& g, PassContext& ctx, ir::Node* q, float s) {
  ir::Value* x = q->inputs[0];
  std::vector<ir::Node*> dqs = q->outputs[0]->consumers;
  std::sort(dqs.begin(), dqs.end());
  dqs.erase(std::unique(dqs.begin(), dqs.end()), dqs.end());
  std::vector<std::string> names{q->info.name};
  for (ir::Node* d : dqs) names.push_back(d->info.name);
  auto it = g.activation_scales.find(x->name);
  if (it == g.activation_scales.end()) {
    g.activation_scales[x->name] = s;
  } else if (it->second != s) {
    ctx.log.note("'" + x->name + "' keeps its first scale " + std::to_string(it->second) +
                 "; the next Q/DQ pair's scale " + std::to_string(s) + " is dropped");
  }
  g.remove_node(q);
  // The DQ whose output is a graph output goes last: x then gives way to that name.
  std::stable_partition(dqs.begin(), dqs.end(),
                        [](const ir::Node* d) { return !d->outputs[0]->is_graph_output; });
  for (ir::Node* d : dqs) {
    std::string why;
    rw::bypass(g, d, x, d->outputs[0], &why);  // checked possible by check_activation_q
  }
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  ctx.log.note("Folding Q/DQ " + list + " on '" + x->name + "': activation scale " +
               std::to_string(s));
}

bool commutes(const ir::Node* n) {
  if (!n || n->dead || !n->domain.empty()) return false;
  static const std::set<std::string> kOps = {"MaxPool",   "Relu",    "Reshape",  "Flatten",
                                             "Transpose", "Squeeze", "Unsqueeze"};
  return kOps.count(n->info.op_type) != 0;
}

/// Moves scales through the ops they commute with; returns the number of tensors given one.
int propagate_scales(ir::Graph& g) {
  auto& scales = g.activation_scales;
  auto scale_of = [&](const ir::Value* v) -> const float* {
    if (!v) return nullptr;
    auto it = scales.find(v->name);
    return it == scales.end() ? nullptr : &it->second;
  };
  int added = 0;
  for (bool changed = true; changed;) {
    changed = false;
    auto give = [&](const ir::Value* v, float s) {
      if (!v || v->is_constant || scale_of(v)) return;
      scales[v->name] = s;
      ++added;
      changed = true;
    };
    for (const ir::Node* n : g.nodes()) {
      if (n->dead || n->outputs.empty() || !n->outputs[0] || n->inputs.empty()) continue;
      const ir::Value* out = n->outputs[0];
      if (commutes(n)) {
        if (const float* s = scale_of(n->inputs[0])) give(out, *s);
        if (const float* s = scale_of(out); s && rw::single_use(n->inputs[0]))
          give(n->inputs[0], *s);
      } else if (is_op(n, "Concat")) {
        const float* common = nullptr;
        bool same = true;
        for (const ir::Value* v : n->inputs) {
          const float* s = scale_of(v);
          if (!s || (common && *common != *s)) same = false;
          if (s && !common) common = s;
        }
        if (same && common) give(out, *common);
        if (const float* s = scale_of(out))
          for (const ir::Value* v : n->inputs)
            if (rw::single_use(v)) give(v, *s);
      }
    }
  }
  return added;
}

}  // namespace

Status fold_qdq(ir::Graph& g, PassContext& ctx) {
  // 1. Constants: Q of constants evaluated, then DQ of constants folded (with scales).
  for (ir::Node* n : std::vector<ir::Node*>(g.nodes())) {
    if (is_op(n, "QuantizeLinear") && all_inputs_constant(*n)) {
      std::vector<Tensor> out;
      EDGERT_RETURN_IF_ERROR(evaluate(g, n, out));
    }
  }
  for (ir::Node* n : std::vector<ir::Node*>(g.nodes())) {
    if (is_op(n, "DequantizeLinear") && all_inputs_constant(*n))
      EDGERT_RETURN_IF_ERROR(fold_weight_dq(g, ctx, n));
  }
  // 2. Activation Q/DQ pairs, in topological order (consecutive pairs: the first scale stays).
  bool any = false;
  for (ir::Node* n : std::vector<ir::Node*>(g.nodes())) {
    if (!is_op(n, "QuantizeLinear")) continue;
    float s = 0;
    std::string why = check_activation_q(*n, s);
    if (!why.empty()) {
      std::vector<std::string> names{n->info.name};
      for (const ir::Node* c : n->outputs[0]->consumers) names.push_back(c->info.name);
      ctx.log.not_fused("qdq", names, why + "; kept as QuantizeLinear/DequantizeLinear");
      continue;
    }
    fold_activation_pair(g, ctx, n, s);
    any = true;
  }
  for (const ir::Node* n : g.nodes()) {
    if (!is_op(n, "DequantizeLinear")) continue;
    const ir::Node* p = n->inputs[0]->producer;
    if (!is_op(p, "QuantizeLinear"))  // a kept Q logged its DQs already
      ctx.log.not_fused("qdq", {n->info.name},
                        "DequantizeLinear without a QuantizeLinear; kept as a node");
  }
  // 3. Propagation.
  if (any || !g.activation_scales.empty()) {
    const int added = propagate_scales(g);
    if (added > 0)
      ctx.log.note("Propagated activation scales to " + std::to_string(added) +
                   " tensors through ops that commute with quantization");
  }
  return rw::finish(g);
}

}  // namespace edgert::passes
