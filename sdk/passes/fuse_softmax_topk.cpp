// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Pass fuse_softmax_topk: Softmax + TopK/ArgMax.
//
// Softmax over the last axis whose only reader is a TopK (constant K) or an ArgMax over that same
// axis becomes one SoftmaxTopK (kernels/cpu/fused_pointwise.cpp), writing the reader's outputs.
// The softmax tensor must not be a graph output. A Softmax before opset 13 (2-D coercion at
// `axis`) qualifies when `axis` is the last one (then it normalises that axis alone).

#include "passes/rewrite_helpers.h"

namespace edgert::passes {
namespace {

/// The normalised axis of `n` (an op with an `axis` attribute, default `def`) for rank `rank`.
bool axis_of(const ir::Node& n, std::int64_t def, std::int64_t rank, std::int64_t& axis) {
  auto a = n.info.attrs.get_int("axis", def);
  if (!a) return false;
  axis = *a < 0 ? *a + rank : *a;
  return axis >= 0 && axis < rank;
}

/// Why `reader` cannot be fused after a Softmax over `axis` (empty when it can); fills `attrs`.
std::string check_reader(const ir::Node& reader, std::int64_t rank, std::int64_t axis,
                         AttrMap& attrs) {
  auto attr = [&](const char* name, std::int64_t def) {
    auto v = reader.info.attrs.get_int(name, def);
    return v ? *v : def;
  };
  std::int64_t raxis = -1;
  const bool topk = reader.info.op_type == "TopK";
  if (!axis_of(reader, topk ? -1 : 0, rank, raxis)) return "bad axis attribute";
  if (raxis != axis) return "it reduces axis " + std::to_string(raxis) + ", not the softmax axis";
  if (topk) {
    std::int64_t k = -1;
    if (reader.info.opset < 10) {
      auto ka = reader.info.attrs.get_int("k", -1);
      if (!ka) return "bad k attribute";
      k = *ka;
    } else {
      double kv = 0;
      if (reader.inputs.size() < 2 || !rw::scalar_constant(reader.inputs[1], kv))
        return "K is not a constant";
      k = static_cast<std::int64_t>(kv);
    }
    attrs.set("mode", std::string("TopK"));
    attrs.set("k", k);
    attrs.set("largest", attr("largest", 1));
    attrs.set("sorted", attr("sorted", 1));
  } else {
    attrs.set("mode", std::string("ArgMax"));
    attrs.set("keepdims", attr("keepdims", 1));
    attrs.set("select_last_index", attr("select_last_index", 0));
  }
  attrs.set("axis", std::int64_t{-1});
  return {};
}

}  // namespace

Status fuse_softmax_topk(ir::Graph& g, PassContext& ctx) {
  const std::vector<ir::Node*> nodes = g.nodes();
  for (ir::Node* sm : nodes) {
    if (sm->dead || !sm->domain.empty() || sm->info.op_type != "Softmax" || !sm->inputs[0])
      continue;
    ir::Value* x = sm->inputs[0];
    ir::Value* s = sm->outputs[0];
    ir::Node* reader = nullptr;
    for (ir::Node* c : s->consumers)
      if (c->domain.empty() && (c->info.op_type == "TopK" || c->info.op_type == "ArgMax") &&
          c->inputs[0] == s)
        reader = c;
    if (!reader) continue;
    const std::string pattern = "softmax+" + reader->info.op_type;
    const std::vector<std::string> names{sm->info.name, reader->info.name};
    std::string why;
    AttrMap attrs;
    const Shape& xs = x->info.shape;
    std::int64_t axis = -1;
    const auto rank = static_cast<std::int64_t>(xs.rank());
    if (xs.unknown_rank() || rank == 0) {
      why = "the input's rank is unknown";
    } else if (!axis_of(*sm, sm->info.opset < 13 ? 1 : -1, rank, axis) || axis != rank - 1) {
      why = "the softmax is not over the last axis";
    } else if (s->is_graph_output) {
      why = "the softmax '" + s->name + "' is a graph output";
    } else if (s->consumers.size() != 1) {
      why = "the softmax '" + s->name + "' has " + std::to_string(s->consumers.size()) + " readers";
    } else if (!is_float(x->info.dtype)) {
      why = "the input is not float";
    } else {
      why = check_reader(*reader, rank, axis, attrs);
      if (why.empty()) why = precision_conflict(ctx, *sm, *reader);
    }
    if (!why.empty()) {
      ctx.log.not_fused(pattern, names, why);
      continue;
    }
    std::vector<std::string> outs;
    for (const ir::Value* o : reader->outputs) outs.push_back(o ? o->name : std::string());
    while (!outs.empty() && outs.back().empty()) outs.pop_back();
    std::vector<std::string> origins = rw::origins_of({sm, reader});
    const Precision precision = sm->precision;
    g.remove_node(sm);
    g.remove_node(reader);
    cpu::NodeInfo info = rw::node_info("SoftmaxTopK", sm->info.name, 1);
    info.attrs = attrs;
    EDGERT_ASSIGN_OR_RETURN(ir::Node * f, g.add_node(std::move(info), "edgert", {x->name}, outs));
    f->fused = std::move(origins);
    f->precision = precision;
    ctx.log.fused(pattern, names);
  }
  return rw::finish(g);
}

}  // namespace edgert::passes
