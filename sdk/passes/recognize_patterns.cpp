// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Pass recognize_patterns: ReduceMean over HW as GlobalAveragePool; Gelu, LayerNorm and
// x*sigmoid(x) subgraphs.
//
// Patterns (as torch.onnx exports them; every intermediate must be read only inside the pattern
// and not be a graph output):
//   ReduceMean(x, axes {2,3} of a 4-D float x)  -> GlobalAveragePool (keepdims=1), or
//                                                  GlobalAveragePool + Reshape [0,0] (keepdims=0)
//   x * 0.5 * (1 + Erf(x / 1.41421))            -> Gelu (opset 20, approximate "none"); the Erf
//        argument as Div by sqrt(2) or Mul by 1/sqrt(2); the product in any association:
//        (x * a) * 0.5 [torch], (x * 0.5) * a, x * (a * 0.5); 0.5 also as Div by 2
//   x * 0.5 * (1 + Tanh(0.79788 * (x + 0.044715 * x^3)))  -> Gelu (approximate "tanh"); x^3 as
//        Mul(x, Mul(x, x)) [torch] or Pow(x, 3)
//   LayerNorm over the last axis: ReduceMean, Sub, Pow 2 (or Mul by itself), ReduceMean, Add eps,
//        Sqrt, Div, [Mul gamma], [Add beta] (gamma/beta constant)  -> LayerNormalization (opset
//        17, axis -1); torch exports this below opset 17
//   x * Sigmoid(x) (either order)               -> SiLU (domain edgert) [torch's F.silu]
// Constants match within a relative 1e-4 (exporters print sqrt(2) and friends with few digits).

#include <cmath>

#include "passes/rewrite_helpers.h"

namespace edgert::passes {
namespace {

constexpr double kConstTol = 1e-4;
constexpr double kSqrtHalf = 0.70710678118654752440;
constexpr double kSqrtTwoOverPi = 0.79788456080286535588;
constexpr double kGeluCubic = 0.044715;

bool is_op(const ir::Node* n, const char* op) {
  return n && !n->dead && n->domain.empty() && n->info.op_type == op;
}

/// For a 2-input node reading `v`: the other input (v itself for op(v, v)); null otherwise.
ir::Value* other_input(const ir::Node* n, const ir::Value* v) {
  if (!n || n->inputs.size() != 2 || !n->inputs[0] || !n->inputs[1]) return nullptr;
  if (n->inputs[0] == v) return n->inputs[1];
  if (n->inputs[1] == v) return n->inputs[0];
  return nullptr;
}

/// `n` multiplies `data` by a constant scalar: Mul by c (either side) or Div by 1/c.
bool scales(const ir::Node* n, const ir::Value* data, double target) {
  double c = 0;
  if (is_op(n, "Mul")) {
    const ir::Value* k = other_input(n, data);
    return k && k != data && rw::scalar_constant(k, c) && rw::near(c, target, kConstTol);
  }
  if (is_op(n, "Div") && n->inputs.size() == 2 && n->inputs[0] == data)
    return rw::scalar_constant(n->inputs[1], c) && c != 0 && rw::near(1.0 / c, target, kConstTol);
  return false;
}

/// `n` adds the constant `target` to `data` (either side).
bool adds(const ir::Node* n, const ir::Value* data, double target) {
  double c = 0;
  const ir::Value* k = is_op(n, "Add") ? other_input(n, data) : nullptr;
  return k && k != data && rw::scalar_constant(k, c) && rw::near(c, target, kConstTol);
}

/// The consumer of `v` when `v` is read once, not a graph output; else null with `why` set.
ir::Node* next_of(const ir::Value* v, std::string& why) {
  if (!v) return nullptr;
  if (rw::single_use(v)) return v->consumers[0];
  if (why.empty())
    why = v->is_graph_output
              ? "'" + v->name + "' is a graph output"
              : "'" + v->name + "' has " + std::to_string(v->consumers.size()) + " readers";
  return nullptr;
}

std::string precision_conflicts(const PassContext& ctx, const std::vector<ir::Node*>& nodes) {
  for (std::size_t i = 0; i < nodes.size(); ++i)
    for (std::size_t j = i + 1; j < nodes.size(); ++j) {
      std::string c = precision_conflict(ctx, *nodes[i], *nodes[j]);
      if (!c.empty()) return c;
    }
  return {};
}

/// Replaces `nodes` (already matched) by one node `op` reading `inputs` and writing `out`.
Expected<ir::Node*> replace(ir::Graph& g, const std::vector<ir::Node*>& nodes, cpu::NodeInfo info,
                            const std::string& domain, const std::vector<std::string>& inputs,
                            ir::Value* out) {
  const std::vector<std::string> origins = rw::origins_of(nodes);
  const Precision precision = nodes.front()->precision;
  for (ir::Node* n : nodes) g.remove_node(n);
  EDGERT_ASSIGN_OR_RETURN(ir::Node * r, g.add_node(std::move(info), domain, inputs, {out->name}));
  r->fused = origins;
  r->precision = precision;
  return r;
}

// ---- ReduceMean over H, W -> GlobalAveragePool
// ---------------------------------------------------

Status recognize_global_pool(ir::Graph& g, PassContext& ctx, ir::Node* n) {
  ir::Value* x = n->inputs[0];
  ir::Value* y = n->outputs[0];
  if (!x || !y || x->info.dtype != DataType::kFloat32 || x->info.shape.unknown_rank() ||
      x->info.shape.rank() != 4)
    return {};
  std::vector<std::int64_t> axes;
  bool present = false;
  if (!rw::ints_from_attr_or_input(*n, "axes", 1, axes, present) || !present || axes.size() != 2)
    return {};
  for (auto& a : axes) a = a < 0 ? a + 4 : a;
  if (!((axes[0] == 2 && axes[1] == 3) || (axes[0] == 3 && axes[1] == 2))) return {};
  auto keep = n->info.attrs.get_int("keepdims", 1);
  if (!keep) return {};
  const std::string name = n->info.name;
  if (*keep) {
    EDGERT_RETURN_IF_ERROR(
        replace(g, {n}, rw::node_info("GlobalAveragePool", name, g.opset), "", {x->name}, y)
            .status());
  } else {
    ir::Value* pooled = g.get_or_add_value(rw::fresh_name(g, y->name + "_pooled"));
    EDGERT_ASSIGN_OR_RETURN(
        ir::Node * gap,
        replace(g, {n}, rw::node_info("GlobalAveragePool", name, g.opset), "", {x->name}, pooled));
    (void)gap;
    // [N, C, 1, 1] -> [N, C]: Reshape's 0 copies the input's dim, so a dynamic batch stays so.
    EDGERT_ASSIGN_OR_RETURN(ir::Value * shape, rw::add_int64s(g, name + "_shape", {0, 0}));
    EDGERT_ASSIGN_OR_RETURN(ir::Node * r,
                            g.add_node(rw::node_info("Reshape", name + "_squeeze", g.opset), "",
                                       {pooled->name, shape->name}, {y->name}));
    r->fused = {name};
  }
  ctx.log.fused("ReduceMean as GlobalAveragePool", {name});
  return {};
}

// ---- Gelu ---------------------------------------------------------------------------------------

/// From `a` (= 1 + erf(..) or 1 + tanh(..)), the product x * 0.5 * a in any association. Appends
/// the product's nodes to `nodes` and returns the final value, or null with `why` set.
ir::Value* match_half_x_product(ir::Value* a, ir::Value* x, std::vector<ir::Node*>& nodes,
                                std::string& why) {
  ir::Node* m1 = next_of(a, why);
  ir::Value* m1_out = m1 ? m1->outputs[0] : nullptr;
  if (scales(m1, a, 0.5)) {  // (a * 0.5) * x, or (a / 2) * x
    ir::Node* m2 = next_of(m1_out, why);
    if (!is_op(m2, "Mul") || other_input(m2, m1_out) != x) {
      if (why.empty()) why = "0.5 * (1 + erf) is not multiplied by x";
      return nullptr;
    }
    nodes.push_back(m1);
    nodes.push_back(m2);
    return m2->outputs[0];
  }
  if (!is_op(m1, "Mul")) {
    if (why.empty()) why = "no Mul after 1 + erf/tanh";
    return nullptr;
  }
  ir::Value* other = other_input(m1, a);
  if (other == x) {  // (x * a) * 0.5
    ir::Node* m2 = next_of(m1_out, why);
    if (!scales(m2, m1_out, 0.5)) {
      if (why.empty()) why = "x * (1 + erf) is not scaled by 0.5";
      return nullptr;
    }
    nodes.push_back(m1);
    nodes.push_back(m2);
    return m2->outputs[0];
  }
  ir::Node* h = other ? other->producer : nullptr;  // (x * 0.5) * a
  if (h && scales(h, x, 0.5) && rw::single_use(other)) {
    nodes.push_back(h);
    nodes.push_back(m1);
    return m1_out;
  }
  if (why.empty()) why = "the product with x and 0.5 is not recognised";
  return nullptr;
}

/// Anchored at an Erf: the erf-form Gelu. Returns the matched nodes (empty: no match).
std::vector<ir::Node*> match_gelu_erf(ir::Node* erf, ir::Value*& x, ir::Value*& y,
                                      std::string& why) {
  ir::Value* u = erf->inputs[0];
  ir::Node* scale = u ? u->producer : nullptr;
  if (!scale || scale->dead || scale->inputs.empty() || !scale->inputs[0]) return {};
  x = scale->inputs[0];
  if (is_op(scale, "Mul") && rw::constant(x)) x = scale->inputs[1];  // constant on the left
  if (!x || !scales(scale, x, kSqrtHalf)) return {};
  std::vector<ir::Node*> nodes{scale, erf};
  if (!rw::single_use(u)) {
    next_of(u, why);
    return {};
  }
  ir::Node* add = next_of(erf->outputs[0], why);
  if (!adds(add, erf->outputs[0], 1.0)) {
    if (why.empty()) why = "erf(x / sqrt(2)) is not followed by + 1";
    return {};
  }
  nodes.push_back(add);
  y = match_half_x_product(add->outputs[0], x, nodes, why);
  if (!y) return {};
  return nodes;
}

/// The cube x^3 in `v` as Pow(x, 3) or Mul(x, Mul(x, x)); its nodes appended to `nodes`.
bool match_cube(ir::Value* v, ir::Value* x, std::vector<ir::Node*>& nodes) {
  ir::Node* p = v ? v->producer : nullptr;
  double e = 0;
  if (is_op(p, "Pow") && p->inputs.size() == 2 && p->inputs[0] == x &&
      rw::scalar_constant(p->inputs[1], e) && e == 3.0) {
    nodes.push_back(p);
    return true;
  }
  if (!is_op(p, "Mul")) return false;
  ir::Value* sq = other_input(p, x);
  ir::Node* q = sq ? sq->producer : nullptr;
  if (!is_op(q, "Mul") || q->inputs[0] != x || q->inputs[1] != x || !rw::single_use(sq))
    return false;
  nodes.push_back(q);
  nodes.push_back(p);
  return true;
}

/// Anchored at a Tanh: the tanh-approximation Gelu.
std::vector<ir::Node*> match_gelu_tanh(ir::Node* tanh, ir::Value*& x, ir::Value*& y,
                                       std::string& why) {
  ir::Value* w = tanh->inputs[0];
  ir::Node* outer = w ? w->producer : nullptr;  // sqrt(2/pi) * (x + 0.044715 x^3)
  if (!is_op(outer, "Mul") || !rw::single_use(w)) return {};
  ir::Value* v = nullptr;
  for (ir::Value* in : outer->inputs)
    if (!rw::constant(in)) v = in;
  if (!v || !scales(outer, v, kSqrtTwoOverPi)) return {};
  ir::Node* sum = v->producer;  // x + 0.044715 x^3
  if (!is_op(sum, "Add") || !rw::single_use(v)) return {};
  for (ir::Value* cand : sum->inputs) {
    ir::Value* p = other_input(sum, cand);
    ir::Node* cubic = p ? p->producer : nullptr;  // 0.044715 * x^3
    if (!is_op(cubic, "Mul") || !rw::single_use(p)) continue;
    ir::Value* cube = nullptr;
    for (ir::Value* in : cubic->inputs)
      if (!rw::constant(in)) cube = in;
    if (!cube || !scales(cubic, cube, kGeluCubic) || !rw::single_use(cube)) continue;
    std::vector<ir::Node*> nodes;
    if (!match_cube(cube, cand, nodes)) continue;
    x = cand;
    nodes.push_back(cubic);
    nodes.push_back(sum);
    nodes.push_back(outer);
    nodes.push_back(tanh);
    ir::Node* add = next_of(tanh->outputs[0], why);
    if (!adds(add, tanh->outputs[0], 1.0)) {
      if (why.empty()) why = "tanh(..) is not followed by + 1";
      return {};
    }
    nodes.push_back(add);
    y = match_half_x_product(add->outputs[0], x, nodes, why);
    if (!y) return {};
    return nodes;
  }
  return {};
}

Status recognize_gelu(ir::Graph& g, PassContext& ctx, ir::Node* anchor, bool tanh_form) {
  ir::Value* x = nullptr;
  ir::Value* y = nullptr;
  std::string why;
  std::vector<ir::Node*> nodes =
      tanh_form ? match_gelu_tanh(anchor, x, y, why) : match_gelu_erf(anchor, x, y, why);
  const char* pattern = tanh_form ? "gelu (tanh)" : "gelu";
  if (nodes.empty()) {
    if (!why.empty()) ctx.log.not_fused(pattern, {anchor->info.name}, why);
    return {};
  }
  if (!is_float(x->info.dtype)) {
    ctx.log.not_fused(pattern, rw::names_of(nodes), "x is not a float tensor");
    return {};
  }
  if (std::string c = precision_conflicts(ctx, nodes); !c.empty()) {
    ctx.log.not_fused(pattern, rw::names_of(nodes), c);
    return {};
  }
  const std::vector<std::string> names = rw::names_of(nodes);
  cpu::NodeInfo info = rw::node_info("Gelu", nodes.front()->info.name, 20);
  info.attrs.set("approximate", std::string(tanh_form ? "tanh" : "none"));
  EDGERT_RETURN_IF_ERROR(replace(g, nodes, std::move(info), "", {x->name}, y).status());
  ctx.log.fused(pattern, names);
  return {};
}

// ---- LayerNorm ----------------------------------------------------------------------------------

/// A ReduceMean over exactly the last axis with keepdims=1.
bool mean_over_last(const ir::Node* n) {
  if (!is_op(n, "ReduceMean") || !n->inputs[0]) return false;
  const Shape& s = n->inputs[0]->info.shape;
  if (s.unknown_rank() || s.rank() == 0) return false;
  std::vector<std::int64_t> axes;
  bool present = false;
  if (!rw::ints_from_attr_or_input(*n, "axes", 1, axes, present) || !present || axes.size() != 1)
    return false;
  const auto rank = static_cast<std::int64_t>(s.rank());
  auto keep = n->info.attrs.get_int("keepdims", 1);
  return keep && *keep == 1 && (axes[0] == -1 || axes[0] == rank - 1);
}

/// Gamma/beta as a [D] vector when the constant broadcasts into the normalized dim (numel D or 1
/// and no dims beyond x's rank); false otherwise.
bool inner_vector(const ir::Value* v, std::int64_t d, std::size_t x_rank, std::vector<float>& out) {
  const Tensor* t = rw::constant(v);
  if (!t || t->dtype() != DataType::kFloat32 || t->shape().rank() > x_rank) return false;
  if (t->numel() != d && t->numel() != 1) return false;
  if (t->numel() == d && d != 1 && t->shape().dims().back() != d) return false;
  out.resize(static_cast<std::size_t>(d));
  for (std::int64_t i = 0; i < d; ++i)
    out[static_cast<std::size_t>(i)] = t->data<float>()[t->numel() == 1 ? 0 : i];
  return true;
}

Status recognize_layer_norm(ir::Graph& g, PassContext& ctx, ir::Node* mean1) {
  ir::Value* x = mean1->inputs[0];
  if (!mean_over_last(mean1) || x->info.dtype != DataType::kFloat32) return {};
  const Shape& xs = x->info.shape;
  const std::int64_t d = xs.dims().back();
  if (d <= 0) return {};
  std::string why;
  std::vector<ir::Node*> nodes{mean1};
  auto fail = [&](const std::string& reason) {
    if (nodes.size() > 2)  // past the Sub: clearly a LayerNorm candidate
      ctx.log.not_fused("layernorm", rw::names_of(nodes), why.empty() ? reason : why);
    return Status();
  };
  ir::Node* sub = next_of(mean1->outputs[0], why);
  if (!is_op(sub, "Sub") || sub->inputs[0] != x || sub->inputs[1] != mean1->outputs[0]) return {};
  nodes.push_back(sub);
  ir::Value* dev = sub->outputs[0];
  // dev is read by the square and by the Div (Mul(dev, dev) reads it twice).
  ir::Node* square = nullptr;
  ir::Node* div = nullptr;
  for (ir::Node* c : dev->consumers) {
    double e = 0;
    if (is_op(c, "Pow") && c->inputs[0] == dev && rw::scalar_constant(c->inputs[1], e) && e == 2)
      square = c;
    else if (is_op(c, "Mul") && c->inputs[0] == dev && c->inputs[1] == dev)
      square = c;
    else if (is_op(c, "Div") && c->inputs[0] == dev)
      div = c;
  }
  const std::size_t expected_reads = square && square->info.op_type == "Mul" ? 3 : 2;
  if (!square || !div) return fail("x - mean is not squared and divided");
  if (dev->is_graph_output || dev->consumers.size() != expected_reads)
    return fail("'" + dev->name + "' has other readers");
  nodes.push_back(square);
  ir::Node* mean2 = next_of(square->outputs[0], why);
  if (!mean_over_last(mean2)) return fail("the square is not averaged over the last axis");
  nodes.push_back(mean2);
  ir::Node* add_eps = next_of(mean2->outputs[0], why);
  ir::Value* eps_v = add_eps ? other_input(add_eps, mean2->outputs[0]) : nullptr;
  double eps = 0;
  if (!is_op(add_eps, "Add") || !rw::scalar_constant(eps_v, eps))
    return fail("the variance is not followed by + epsilon");
  nodes.push_back(add_eps);
  ir::Node* sqrt = next_of(add_eps->outputs[0], why);
  if (!is_op(sqrt, "Sqrt")) return fail("no Sqrt of variance + epsilon");
  nodes.push_back(sqrt);
  if (!rw::single_use(sqrt->outputs[0]) || div->inputs[1] != sqrt->outputs[0])
    return fail("x - mean is not divided by the standard deviation");
  nodes.push_back(div);
  ir::Value* y = div->outputs[0];
  std::vector<float> gamma(static_cast<std::size_t>(d), 1.f), beta;
  std::string why_affine;
  if (ir::Node* mul = next_of(y, why_affine); is_op(mul, "Mul")) {
    if (inner_vector(other_input(mul, y), d, xs.rank(), gamma)) {
      nodes.push_back(mul);
      y = mul->outputs[0];
    }
  }
  if (ir::Node* add = next_of(y, why_affine); is_op(add, "Add")) {
    if (inner_vector(other_input(add, y), d, xs.rank(), beta)) {
      nodes.push_back(add);
      y = add->outputs[0];
    }
  }
  if (y->info.shape != xs) return fail("gamma/beta broadcast the result beyond x's shape");
  for (ir::Node* n : nodes)  // every intermediate is read inside the pattern only
    if (n->outputs[0] != y && n != sub && !rw::single_use(n->outputs[0]))
      return fail("'" + n->outputs[0]->name + "' is read outside the pattern");
  if (std::string c = precision_conflicts(ctx, nodes); !c.empty()) return fail(c);
  const std::vector<std::string> names = rw::names_of(nodes);
  const std::string name = mean1->info.name;
  EDGERT_ASSIGN_OR_RETURN(ir::Value * scale, rw::add_floats(g, name + "_scale", Shape{d}, gamma));
  std::vector<std::string> inputs{x->name, scale->name};
  if (!beta.empty()) {
    EDGERT_ASSIGN_OR_RETURN(ir::Value * b, rw::add_floats(g, name + "_bias", Shape{d}, beta));
    inputs.push_back(b->name);
  }
  cpu::NodeInfo info = rw::node_info("LayerNormalization", name, std::max(g.opset, 17));
  info.attrs.set("axis", std::int64_t{-1});
  info.attrs.set("epsilon", static_cast<float>(eps));
  EDGERT_RETURN_IF_ERROR(replace(g, nodes, std::move(info), "", inputs, y).status());
  ctx.log.fused("layernorm", names);
  return {};
}

// ---- SiLU ---------------------------------------------------------------------------------------

Status recognize_silu(ir::Graph& g, PassContext& ctx, ir::Node* sigmoid) {
  ir::Value* x = sigmoid->inputs[0];
  ir::Value* s = sigmoid->outputs[0];
  if (!x || !s || !is_float(x->info.dtype)) return {};
  ir::Node* mul = nullptr;
  for (ir::Node* c : s->consumers)
    if (is_op(c, "Mul") && other_input(c, s) == x) mul = c;
  if (!mul) return {};
  std::string why;
  next_of(s, why);
  if (why.empty()) why = precision_conflict(ctx, *sigmoid, *mul);
  if (!why.empty()) {
    ctx.log.not_fused("silu", {sigmoid->info.name, mul->info.name}, why);
    return {};
  }
  const std::vector<std::string> names{sigmoid->info.name, mul->info.name};
  EDGERT_RETURN_IF_ERROR(replace(g, {sigmoid, mul}, rw::node_info("SiLU", sigmoid->info.name, 1),
                                 "edgert", {x->name}, mul->outputs[0])
                             .status());
  ctx.log.fused("silu", names);
  return {};
}

}  // namespace

Status recognize_patterns(ir::Graph& g, PassContext& ctx) {
  const std::vector<ir::Node*> nodes = g.nodes();
  for (ir::Node* n : nodes) {
    if (n->dead || n->inputs.empty() || !n->inputs[0] || n->outputs.empty() || !n->outputs[0])
      continue;
    if (is_op(n, "ReduceMean")) {
      EDGERT_RETURN_IF_ERROR(recognize_global_pool(g, ctx, n));
      if (!n->dead) EDGERT_RETURN_IF_ERROR(recognize_layer_norm(g, ctx, n));
    }
  }
  // Second sweep: anchors of the remaining patterns (a LayerNorm's nodes are gone by now).
  const std::vector<ir::Node*> rest = g.nodes();
  for (ir::Node* n : rest) {
    if (n->dead || n->inputs.empty() || !n->inputs[0] || n->outputs.empty() || !n->outputs[0])
      continue;
    if (is_op(n, "Erf")) {
      EDGERT_RETURN_IF_ERROR(recognize_gelu(g, ctx, n, false));
    } else if (is_op(n, "Tanh")) {
      EDGERT_RETURN_IF_ERROR(recognize_gelu(g, ctx, n, true));
    } else if (is_op(n, "Sigmoid")) {
      EDGERT_RETURN_IF_ERROR(recognize_silu(g, ctx, n));
    }
  }
  return rw::finish(g);
}

}  // namespace edgert::passes
