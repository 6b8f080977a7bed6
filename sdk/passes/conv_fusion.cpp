// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "passes/conv_fusion.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace edgert::passes {

std::string single_use_problem(const ir::Value& v, const ir::Node& owner) {
  const std::string what = owner.info.name + " output '" + v.name + "'";
  if (v.is_graph_output) return what + " is a graph output";
  if (v.consumers.empty()) return what + " has no consumer";
  if (v.consumers.size() > 1)
    return what + " has " + std::to_string(v.consumers.size()) + " consumers";
  return {};
}

ir::Node* sole_consumer(const ir::Value& v) {
  if (v.consumers.empty()) return nullptr;
  for (const ir::Node* c : v.consumers)
    if (c != v.consumers.front()) return nullptr;
  return v.consumers.front();
}

void merge_origins(ir::Node& n, const ir::Node& other) {
  std::vector<std::string> names = origin_names(n);
  for (const auto& o : origin_names(other))
    if (std::find(names.begin(), names.end(), o) == names.end()) names.push_back(o);
  n.fused = std::move(names);
}

void absorb_successor(ir::Graph& g, ir::Node& layer, ir::Node& next) {
  ir::Value* old_out = layer.outputs[0];
  ir::Value* new_out = next.outputs[0];
  merge_origins(layer, next);
  g.remove_node(&next);  // unhooks next from old_out's consumers, clears new_out's producer
  layer.outputs[0] = new_out;
  new_out->producer = &layer;
  old_out->producer = nullptr;  // now unreferenced: compact() drops it
}

void set_input(ir::Node& n, std::size_t i, ir::Value* v) {
  if (n.inputs.size() <= i) n.inputs.resize(i + 1, nullptr);
  if (ir::Value* old = n.inputs[i]) {
    auto& c = old->consumers;
    auto it = std::find(c.begin(), c.end(), &n);
    if (it != c.end()) c.erase(it);  // one entry per reading slot: drop this slot's
  }
  n.inputs[i] = v;
  if (v) v->consumers.push_back(&n);
}

const Tensor* constant_float(const ir::Value* v) {
  if (!v || !v->is_constant || v->data.dtype() != DataType::kFloat32) return nullptr;
  return &v->data;
}

Expected<ir::Value*> add_fresh_constant(ir::Graph& g, const std::string& base, Tensor t) {
  std::string name = base;
  for (int i = 1; g.find_value(name); ++i) name = base + "_" + std::to_string(i);
  return g.add_constant(name, std::move(t));
}

Expected<Tensor> float_tensor(const Shape& shape) {
  return Tensor::allocate(DataType::kFloat32, shape);
}

Status finish_pass(ir::Graph& g) {
  g.compact();
  EDGERT_RETURN_IF_ERROR(g.topological_sort());
  return g.infer_shapes();
}

std::int64_t int_attr(const ir::Node& n, const std::string& name, std::int64_t def) {
  auto v = n.info.attrs.get_int(name, def);
  return v.ok() ? *v : def;
}

float float_attr(const ir::Node& n, const std::string& name, float def) {
  auto v = n.info.attrs.get_float(name, def);
  return v.ok() ? *v : def;
}

std::string string_attr(const ir::Node& n, const std::string& name, const std::string& def) {
  auto v = n.info.attrs.get_string(name, def);
  return v.ok() ? *v : def;
}

std::vector<std::int64_t> ints_attr(const ir::Node& n, const std::string& name) {
  auto v = n.info.attrs.get_ints(name);
  return v.ok() ? *v : std::vector<std::int64_t>{};
}

std::string scaled_weight_scales(const ir::Value& w, int axis, const std::vector<double>& s,
                                 std::vector<float>& out) {
  out.clear();
  if (w.weight_scales.empty()) return {};
  if (w.weight_scale_axis != axis || w.weight_scales.size() != s.size())
    return "weights '" + w.name + "' are int8-quantized per tensor (explicit quantization)";
  for (std::size_t i = 0; i < s.size(); ++i)
    out.push_back(static_cast<float>(w.weight_scales[i] * std::fabs(s[i])));
  return {};
}

Expected<std::string> fold_affine_into_conv(ir::Graph& g, ir::Node& conv,
                                            const std::vector<double>& s,
                                            const std::vector<double>& t,
                                            const std::string& suffix) {
  const Tensor* w = constant_float(conv.inputs.size() > 1 ? conv.inputs[1] : nullptr);
  if (!w) return conv.info.name + " weights are not float32 constants";
  const std::int64_t m = w->shape().rank() > 0 ? w->shape()[0] : 0;
  if (m != static_cast<std::int64_t>(s.size()) || s.size() != t.size())
    return std::to_string(s.size()) + " channel values do not match the " + std::to_string(m) +
           " output channels of " + conv.info.name;
  const ir::Value* bv = conv.inputs.size() > 2 ? conv.inputs[2] : nullptr;
  const Tensor* b = constant_float(bv);
  if (bv && !b) return conv.info.name + " bias is not a float32 constant";
  const bool scales = std::any_of(s.begin(), s.end(), [](double v) { return v != 1.0; });
  std::vector<float> wscales;
  if (scales) {
    std::string reason = scaled_weight_scales(*conv.inputs[1], 0, s, wscales);
    if (!reason.empty()) return reason;
  }

  EDGERT_ASSIGN_OR_RETURN(Tensor nb, float_tensor(Shape{m}));
  for (std::int64_t i = 0; i < m; ++i)
    nb.data<float>()[i] = static_cast<float>((b ? b->data<float>()[i] : 0.0) * s[i] + t[i]);
  if (scales) {
    EDGERT_ASSIGN_OR_RETURN(Tensor nw, float_tensor(w->shape()));
    const std::int64_t per = m > 0 ? w->numel() / m : 0;
    for (std::int64_t i = 0; i < m; ++i)
      for (std::int64_t j = 0; j < per; ++j)
        nw.data<float>()[i * per + j] = static_cast<float>(w->data<float>()[i * per + j] * s[i]);
    EDGERT_ASSIGN_OR_RETURN(ir::Value * wv,
                            add_fresh_constant(g, conv.info.name + "_W_" + suffix, nw));
    wv->weight_scales = wscales;
    wv->weight_scale_axis = 0;
    set_input(conv, 1, wv);
  }
  EDGERT_ASSIGN_OR_RETURN(ir::Value * nbv,
                          add_fresh_constant(g, conv.info.name + "_B_" + suffix, nb));
  set_input(conv, 2, nbv);
  return std::string();
}

bool is_fusable_activation(const std::string& op) {
  static const char* const kOps[] = {"Relu",      "Clip", "LeakyRelu", "Sigmoid", "HardSigmoid",
                                     "HardSwish", "Tanh", "SiLU",      "Gelu"};
  for (const char* o : kOps)
    if (op == o) return true;
  return false;
}

namespace {

/// A constant scalar bound of Clip (opset >= 11 inputs), or an error reason.
bool clip_bound(const ir::Node& act, std::size_t i, float def, float& out, std::string& reason) {
  const ir::Value* v = i < act.inputs.size() ? act.inputs[i] : nullptr;
  if (!v) {
    out = def;
    return true;
  }
  const Tensor* t = constant_float(v);
  if (!t) {
    reason = "Clip bounds are not constant";
    return false;
  }
  if (t->numel() != 1) {
    reason = "Clip bound '" + v->name + "' is not a scalar";
    return false;
  }
  out = t->data<float>()[0];
  return true;
}

/// The activation attributes for `act`, or the reason it cannot be fused.
std::string activation_params(const ir::Node& act, float& alpha, float& beta) {
  const auto& attrs = act.info.attrs;
  const std::string& op = act.info.op_type;
  alpha = beta = 0.0f;
  if (op == "Clip") {
    // ONNX Clip-6 defaults are the float range; without a bound the value is not clamped.
    const float lo = -std::numeric_limits<float>::infinity();
    const float hi = std::numeric_limits<float>::infinity();
    if (act.info.opset < 11) {
      auto mn = attrs.get_float("min", lo);
      auto mx = attrs.get_float("max", hi);
      if (!mn.ok() || !mx.ok()) return "Clip min/max attributes are malformed";
      alpha = *mn;
      beta = *mx;
      return {};
    }
    std::string reason;
    if (!clip_bound(act, 1, lo, alpha, reason) || !clip_bound(act, 2, hi, beta, reason))
      return reason;
    return {};
  }
  if (op == "LeakyRelu") {
    auto a = attrs.get_float("alpha", 0.01f);
    if (!a.ok()) return "LeakyRelu alpha is malformed";
    alpha = *a;
  } else if (op == "HardSigmoid") {
    auto a = attrs.get_float("alpha", 0.2f);
    auto b = attrs.get_float("beta", 0.5f);
    if (!a.ok() || !b.ok()) return "HardSigmoid alpha/beta are malformed";
    alpha = *a;
    beta = *b;
  } else if (op == "Gelu") {
    auto approx = attrs.get_string("approximate", "none");
    if (!approx.ok() || *approx != "none")
      return "Gelu approximate='" + (approx.ok() ? *approx : std::string("?")) +
             "' (the fused epilogue computes the erf form)";
  }
  return {};
}

}  // namespace

bool try_fuse_activation(ir::Graph& g, PassContext& ctx, ir::Node& layer, ir::Node& act,
                         const std::string& pattern) {
  const std::vector<std::string> names = {layer.info.name, act.info.name};
  auto decline = [&](const std::string& reason) {
    ctx.log.not_fused(pattern, names, reason);
    return false;
  };
  const std::string existing = string_attr(layer, "activation", "");
  if (!existing.empty()) return decline(layer.info.name + " already has activation " + existing);
  if (int_attr(layer, "pool", 0) != 0)
    return decline(layer.info.name + " already ends with a max pool");
  if (act.outputs.empty() || !act.outputs[0] || act.inputs.empty() ||
      act.inputs[0] != layer.outputs[0])
    return decline(act.info.name + " does not read " + layer.info.name + "'s output as its input");
  std::string reason = single_use_problem(*layer.outputs[0], layer);
  if (!reason.empty()) return decline(reason);
  float alpha = 0.0f, beta = 0.0f;
  reason = activation_params(act, alpha, beta);
  if (!reason.empty()) return decline(reason);
  reason = precision_conflict(ctx, layer, act);
  if (!reason.empty()) return decline(reason);
  layer.info.attrs.set("activation", act.info.op_type);
  layer.info.attrs.set("activation_alpha", alpha);
  layer.info.attrs.set("activation_beta", beta);
  absorb_successor(g, layer, act);
  ctx.log.fused(pattern, names);
  return true;
}

}  // namespace edgert::passes
