// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Pass fuse_pointwise: chains of pointwise ops into one Pointwise layer.
//
// A chain is >= 2 float32 elementwise ops, each reading the previous one's output (read by it
// alone and not a graph output) as its "main" input; a binary op's other input (an operand: a
// constant or any tensor) must broadcast into the main shape without changing it. The chain
// becomes one Pointwise (attributes: kernels/cpu/fused_pointwise.cpp) writing the last output.
// Ops: Relu, Clip (constant bounds), LeakyRelu, Sigmoid, HardSigmoid, HardSwish, Gelu
// (approximate none), SiLU (edgert), Tanh, Exp, Log, Sqrt, Abs, Neg, Reciprocal, Erf, Floor, Ceil;
// Add, Sub, Mul, Div, Pow, Max, Min (two inputs).
// An activation that is the only reader of a Conv/FusedConv/FusedGemm (or Gemm/MatMul/ConvInt8/
// GemmInt8) output is not taken: it belongs to that layer's epilogue (the conv passes ran before
// and declined it for a reason they logged). One reading a conv output that others read too
// cannot go into the epilogue and may start a chain. FusedConv/FusedGemm are never touched.

#include <limits>
#include <map>
#include <set>

#include "kernels/cpu/activation_fn.h"
#include "passes/rewrite_helpers.h"

namespace edgert::passes {
namespace {

struct StepSpec {
  std::string op;
  ir::Value* main = nullptr;
  ir::Value* operand = nullptr;  // binary only
  bool reversed = false;
  float alpha = 0.f;
  float beta = 0.f;
};

const std::set<std::string>& plain_unary() {
  static const std::set<std::string> kOps = {"Relu",  "Sigmoid", "Tanh",     "Exp",        "Log",
                                             "Sqrt",  "Abs",     "Neg",      "Reciprocal", "Erf",
                                             "Floor", "Ceil",    "HardSwish"};
  return kOps;
}

bool is_binary(const std::string& op) {
  return op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Pow" || op == "Max" ||
         op == "Min";
}

/// A node of a type Pointwise can express (its attributes are checked by make_step).
bool is_candidate(const ir::Node* n) {
  if (!n || n->dead) return false;
  if (n->domain == "edgert") return n->info.op_type == "SiLU";
  if (!n->domain.empty()) return false;
  const std::string& op = n->info.op_type;
  return plain_unary().count(op) || is_binary(op) || op == "Clip" || op == "LeakyRelu" ||
         op == "HardSigmoid" || op == "Gelu";
}

/// `operand` broadcasts into `main` without changing it (a dim of 1, or the same known dim).
bool broadcasts_into(const Shape& operand, const Shape& main) {
  if (operand.unknown_rank() || main.unknown_rank() || operand.rank() > main.rank()) return false;
  for (std::size_t i = 0; i < operand.rank(); ++i) {
    const std::int64_t d = operand[i], m = main[main.rank() - operand.rank() + i];
    if (d != 1 && (d < 0 || d != m)) return false;
  }
  return true;
}

float float_attr(const ir::Node& n, const char* name, float def) {
  auto v = n.info.attrs.get_float(name, def);
  return v ? *v : def;
}

/// The step of `n` with `main` as its running value; empty `why` on success.
std::string make_step(const ir::Node& n, ir::Value* main, StepSpec& s) {
  const std::string& op = n.info.op_type;
  s = StepSpec{};
  s.op = op;
  s.main = main;
  if (main->info.dtype != DataType::kFloat32) return "not float32";
  if (n.outputs.size() != 1 || !n.outputs[0]) return "unexpected outputs";
  if (is_binary(op)) {
    if (n.inputs.size() != 2 || !n.inputs[0] || !n.inputs[1])
      return op + " with other than 2 inputs";
    const std::size_t side = n.inputs[0] == main ? 0 : 1;
    ir::Value* other = n.inputs[1 - side];
    if (other == main) return "both inputs are the chain's value";
    if (other->info.dtype != main->info.dtype) return "operand type differs";
    if (!broadcasts_into(other->info.shape, main->info.shape))
      return "operand '" + other->name + "' " + other->info.shape.to_string() +
             " does not broadcast into " + main->info.shape.to_string();
    s.operand = other;
    const bool commutative = op == "Add" || op == "Mul" || op == "Max" || op == "Min";
    s.reversed = side == 1 && !commutative;
    return {};
  }
  if (n.inputs.empty() || n.inputs[0] != main) return "the chain's value is not input 0";
  if (op == "LeakyRelu") {
    s.alpha = float_attr(n, "alpha", 0.01f);
  } else if (op == "HardSigmoid") {
    s.alpha = float_attr(n, "alpha", 0.2f);
    s.beta = float_attr(n, "beta", 0.5f);
  } else if (op == "Clip") {
    s.alpha = float_attr(n, "min", std::numeric_limits<float>::lowest());
    s.beta = float_attr(n, "max", std::numeric_limits<float>::max());
    if (n.info.opset >= 11) {
      for (std::size_t i = 1; i < n.inputs.size() && i < 3; ++i) {
        if (!n.inputs[i]) continue;
        double v = 0;
        if (!rw::scalar_constant(n.inputs[i], v)) return "Clip bounds are not constant";
        (i == 1 ? s.alpha : s.beta) = static_cast<float>(v);
      }
    }
  } else if (op == "Gelu") {
    auto mode = n.info.attrs.get_string("approximate", "none");
    if (!mode || *mode != "none") return "Gelu approximate=tanh has no Pointwise form";
  } else if (n.inputs.size() != 1) {
    return op + " with extra inputs";
  }
  return {};
}

/// For a chain head: its main input (the one of the output's shape, non-constant, preferring
/// input 0), or null.
ir::Value* head_main(const ir::Node& n) {
  if (!is_binary(n.info.op_type)) return n.inputs.empty() ? nullptr : n.inputs[0];
  if (n.inputs.size() != 2 || !n.inputs[0] || !n.inputs[1] || !n.outputs[0]) return nullptr;
  const Shape& out = n.outputs[0]->info.shape;
  for (ir::Value* v : n.inputs)
    if (!v->is_constant && !out.unknown_rank() && v->info.shape == out) return v;
  return nullptr;
}

bool is_conv_like(const ir::Node* p) {
  if (!p || p->dead) return false;
  const std::string& op = p->info.op_type;
  return op == "Conv" || op == "FusedConv" || op == "FusedGemm" || op == "Gemm" || op == "MatMul" ||
         op == "ConvInt8" || op == "GemmInt8" || op == "ConvTranspose";
}

Status fuse_chain(ir::Graph& g, PassContext& ctx, const std::vector<ir::Node*>& chain,
                  const std::vector<StepSpec>& steps) {
  ir::Value* main = steps.front().main;
  ir::Value* out = chain.back()->outputs[0];
  std::vector<std::string> inputs{main->name};
  std::map<const ir::Value*, std::int64_t> operand_index;
  std::vector<std::string> ops;
  std::vector<std::int64_t> operands, reversed;
  std::vector<float> alphas, betas;
  for (const StepSpec& s : steps) {
    ops.push_back(s.op);
    std::int64_t idx = -1;
    if (s.operand) {
      auto it = operand_index.find(s.operand);
      if (it == operand_index.end()) {
        it = operand_index.emplace(s.operand, static_cast<std::int64_t>(inputs.size())).first;
        inputs.push_back(s.operand->name);
      }
      idx = it->second;
    }
    operands.push_back(idx);
    reversed.push_back(s.reversed ? 1 : 0);
    alphas.push_back(s.alpha);
    betas.push_back(s.beta);
  }
  const std::vector<std::string> names = rw::names_of(chain);
  const std::vector<std::string> origins = rw::origins_of(chain);
  const Precision precision = chain.front()->precision;
  for (ir::Node* n : chain) g.remove_node(n);
  cpu::NodeInfo info = rw::node_info("Pointwise", chain.front()->info.name, 1);
  info.attrs.set("ops", ops);
  info.attrs.set("operands", operands);
  info.attrs.set("reversed", reversed);
  info.attrs.set("alphas", alphas);
  info.attrs.set("betas", betas);
  EDGERT_ASSIGN_OR_RETURN(ir::Node * p, g.add_node(std::move(info), "edgert", inputs, {out->name}));
  p->fused = origins;
  p->precision = precision;
  ctx.log.fused("pointwise", names);
  return {};
}

}  // namespace

Status fuse_pointwise(ir::Graph& g, PassContext& ctx) {
  const std::vector<ir::Node*> nodes = g.nodes();
  std::set<const ir::Node*> taken;
  for (ir::Node* head : nodes) {
    if (taken.count(head) || !is_candidate(head)) continue;
    ir::Value* main = head_main(*head);
    if (!main) continue;
    StepSpec first;
    if (!make_step(*head, main, first).empty()) continue;
    if (is_conv_like(main->producer) && rw::single_use(main) &&
        cpu::parse_activation(first.op).ok() && !is_binary(first.op)) {
      ir::Node* next = rw::sole_consumer(head->outputs[0]);
      if (is_candidate(next))
        ctx.log.not_fused("pointwise", {head->info.name, next->info.name},
                          head->info.name + " is the activation of " + main->producer->info.name +
                              " (left to the conv/gemm layer)");
      continue;
    }
    std::vector<ir::Node*> chain{head};
    std::vector<StepSpec> steps{first};
    for (;;) {
      ir::Value* cur = chain.back()->outputs[0];
      ir::Node* next = nullptr;
      for (ir::Node* c : cur->consumers)
        if (is_candidate(c) && !taken.count(c)) next = c;
      if (!next) break;
      std::string why;
      StepSpec s;
      if (cur->is_graph_output) {
        why = "'" + cur->name + "' is a graph output";
      } else if (cur->consumers.size() != 1) {
        why = "'" + cur->name + "' has " + std::to_string(cur->consumers.size()) + " readers";
      } else {
        why = make_step(*next, cur, s);
        for (std::size_t i = 0; why.empty() && i < chain.size(); ++i)
          why = precision_conflict(ctx, *chain[i], *next);
      }
      if (!why.empty()) {
        ctx.log.not_fused("pointwise", {chain.back()->info.name, next->info.name}, why);
        break;
      }
      chain.push_back(next);
      steps.push_back(s);
    }
    taken.insert(chain.begin(), chain.end());
    if (chain.size() >= 2) EDGERT_RETURN_IF_ERROR(fuse_chain(g, ctx, chain, steps));
  }
  return rw::finish(g);
}

}  // namespace edgert::passes
