// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Pass collapse_reshapes: Reshape/Flatten/Squeeze/Unsqueeze chains into one Reshape; Transpose
// chains composed.
//
// A chain of >= 2 shape-only ops (each intermediate read once and not a graph output) becomes one
// Reshape of the chain's input to the final static shape; when that shape is the input's own, the
// chain disappears. Transpose -> Transpose becomes one Transpose with the composed perm (or
// nothing, when the composition is the identity). Chains with a dynamic final shape, or shapes
// holding a 0 dim, are left alone and logged.

#include <numeric>
#include <set>

#include "passes/rewrite_helpers.h"

namespace edgert::passes {
namespace {

bool is_shape_op(const ir::Node* n) {
  if (!n || n->dead || !n->domain.empty()) return false;
  const std::string& op = n->info.op_type;
  return op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze";
}

bool is_transpose(const ir::Node* n) {
  return n && !n->dead && n->domain.empty() && n->info.op_type == "Transpose";
}

/// The perm of a Transpose (its default, reversed dims, resolved with the input's rank).
bool perm_of(const ir::Node& n, std::vector<std::int64_t>& perm) {
  auto p = n.info.attrs.get_ints("perm");
  if (!p) return false;
  perm = *p;
  if (perm.empty()) {
    const Shape& s = n.inputs[0]->info.shape;
    if (s.unknown_rank()) return false;
    perm.resize(s.rank());
    std::iota(perm.rbegin(), perm.rend(), 0);
  }
  return true;
}

/// The chain of ops of kind `pred` starting at `head`, following single-use outputs.
template <class Pred>
std::vector<ir::Node*> chain_from(ir::Node* head, Pred pred, ir::BuildLog& log,
                                  const PassContext& ctx, const char* pattern) {
  std::vector<ir::Node*> chain{head};
  for (;;) {
    ir::Value* out = chain.back()->outputs[0];
    if (!out) break;
    // The next op of the same kind, if any reads this output.
    ir::Node* next = nullptr;
    for (ir::Node* c : out->consumers)
      if (pred(c)) next = c;
    if (!next) break;
    std::string reason;
    if (out->is_graph_output) {
      reason = "'" + out->name + "' is a graph output";
    } else if (out->consumers.size() != 1) {
      reason = "'" + out->name + "' has " + std::to_string(out->consumers.size()) + " readers";
    } else {
      reason = precision_conflict(ctx, *chain.back(), *next);
    }
    if (!reason.empty()) {
      log.not_fused(pattern, {chain.back()->info.name, next->info.name}, reason);
      break;
    }
    chain.push_back(next);
  }
  return chain;
}

Status collapse_shape_chain(ir::Graph& g, PassContext& ctx, const std::vector<ir::Node*>& chain) {
  ir::Value* x = chain.front()->inputs[0];
  ir::Value* y = chain.back()->outputs[0];
  const Shape& final_shape = y->info.shape;
  if (!final_shape.is_static() || !x->info.shape.is_static()) {
    ctx.log.not_fused("reshape chain", rw::names_of(chain),
                      "the shape " + final_shape.to_string() + " is not static");
    return {};
  }
  for (auto d : final_shape.dims())
    if (d == 0) {
      ctx.log.not_fused("reshape chain", rw::names_of(chain), "empty tensor (a 0 dim)");
      return {};
    }
  const std::vector<std::string> origins = rw::origins_of(chain);
  const std::string name = chain.front()->info.name;
  const Precision precision = chain.front()->precision;
  for (ir::Node* n : chain) g.remove_node(n);
  if (x->info.shape == final_shape) {
    // The chain is the identity: readers of y read x (or x's producer writes y).
    cpu::NodeInfo info = rw::node_info("Identity", name, g.opset);
    EDGERT_ASSIGN_OR_RETURN(ir::Node * id, g.add_node(info, "", {x->name}, {y->name}));
    std::string why;
    if (rw::bypass(g, id, x, y, &why)) {
      ctx.log.note("Removing the reshape chain " + name + "..." + chain.back()->info.name +
                   " (its result has its input's shape)");
    } else {
      id->info.op_type = "Reshape";  // kept as one Reshape: y is a graph output
      EDGERT_ASSIGN_OR_RETURN(ir::Value * shape,
                              rw::add_int64s(g, name + "_shape", final_shape.dims()));
      id->inputs.push_back(shape);
      shape->consumers.push_back(id);
      id->fused = origins;
      ctx.log.fused("reshape chain", rw::names_of(chain));
    }
    return {};
  }
  EDGERT_ASSIGN_OR_RETURN(ir::Value * shape,
                          rw::add_int64s(g, name + "_shape", final_shape.dims()));
  cpu::NodeInfo info = rw::node_info("Reshape", name, std::max(g.opset, 5));
  EDGERT_ASSIGN_OR_RETURN(ir::Node * r, g.add_node(info, "", {x->name, shape->name}, {y->name}));
  r->fused = origins;
  r->precision = precision;
  ctx.log.fused("reshape chain", rw::names_of(chain));
  return {};
}

Status collapse_transposes(ir::Graph& g, PassContext& ctx, const std::vector<ir::Node*>& chain) {
  std::vector<std::int64_t> perm;
  if (!perm_of(*chain.front(), perm)) return {};
  for (std::size_t i = 1; i < chain.size(); ++i) {
    std::vector<std::int64_t> p2;
    if (!perm_of(*chain[i], p2) || p2.size() != perm.size()) {
      ctx.log.not_fused("transpose chain", rw::names_of(chain), "perm of unknown rank");
      return {};
    }
    // y2[j] = y1[p2[j]] = x[p1[p2[j]]]
    std::vector<std::int64_t> composed(perm.size());
    for (std::size_t j = 0; j < perm.size(); ++j)
      composed[j] = perm[static_cast<std::size_t>(p2[j])];
    perm = std::move(composed);
  }
  ir::Value* x = chain.front()->inputs[0];
  ir::Value* y = chain.back()->outputs[0];
  const std::string name = chain.front()->info.name;
  const std::vector<std::string> origins = rw::origins_of(chain);
  const Precision precision = chain.front()->precision;
  for (ir::Node* n : chain) g.remove_node(n);
  cpu::NodeInfo info = rw::node_info("Transpose", name, g.opset);
  info.attrs.set("perm", perm);
  EDGERT_ASSIGN_OR_RETURN(ir::Node * t, g.add_node(info, "", {x->name}, {y->name}));
  t->fused = origins;
  t->precision = precision;
  std::vector<std::int64_t> id(perm.size());
  std::iota(id.begin(), id.end(), 0);
  std::string why;
  if (perm == id && rw::bypass(g, t, x, y, &why)) {
    ctx.log.note("Removing the transpose chain " + name + "..." + chain.back()->info.name +
                 " (the perms compose to the identity)");
    return {};
  }
  ctx.log.fused("transpose chain", rw::names_of(chain));
  return {};
}

}  // namespace

Status collapse_reshapes(ir::Graph& g, PassContext& ctx) {
  const std::vector<ir::Node*> nodes = g.nodes();
  // Nodes visited in topological order reach every chain at its head; members are skipped after.
  std::set<const ir::Node*> seen;
  for (ir::Node* n : nodes) {
    if (n->dead || seen.count(n) || n->inputs.empty() || !n->inputs[0] || n->outputs.empty())
      continue;
    std::vector<ir::Node*> chain;
    if (is_shape_op(n)) {
      chain = chain_from(n, is_shape_op, ctx.log, ctx, "reshape chain");
      seen.insert(chain.begin(), chain.end());
      if (chain.size() >= 2) EDGERT_RETURN_IF_ERROR(collapse_shape_chain(g, ctx, chain));
    } else if (is_transpose(n)) {
      chain = chain_from(n, is_transpose, ctx.log, ctx, "transpose chain");
      seen.insert(chain.begin(), chain.end());
      if (chain.size() >= 2) EDGERT_RETURN_IF_ERROR(collapse_transposes(g, ctx, chain));
    }
  }
  return rw::finish(g);
}

}  // namespace edgert::passes
