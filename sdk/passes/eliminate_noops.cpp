// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Pass eliminate_noops: Identity, Dropout (inference) and no-op Reshape/Transpose/Cast/Pad removed.
//
// Removed (readers rewired to the input; see rw::bypass for graph outputs):
//   Identity; Dropout in inference (training_mode absent or constant false, mask output unread);
//   Reshape/Flatten/Squeeze whose static output shape equals the static input shape; Transpose
//   with the identity perm; Cast to the input's own type; Pad whose pads are all zero;
//   Mul by a constant 1, Add of a constant 0 (either side), Sub of a constant 0 and Div by a
//   constant 1 (right side) when broadcasting leaves the other input's shape and type unchanged.
// A node whose output is a graph output stays (with a note) unless its input can take the name.

#include <numeric>

#include "passes/rewrite_helpers.h"

namespace edgert::passes {
namespace {

/// The input the node forwards unchanged, or null when it is not a no-op.
ir::Value* noop_input(const ir::Node& n, std::string& what) {
  const std::string& op = n.info.op_type;
  if (!n.domain.empty() || n.inputs.empty() || !n.inputs[0] || n.outputs.empty() || !n.outputs[0])
    return nullptr;
  ir::Value* x = n.inputs[0];
  const ir::Value* y = n.outputs[0];
  for (std::size_t i = 1; i < n.outputs.size(); ++i)  // every other output must be unread
    if (n.outputs[i] && (!n.outputs[i]->consumers.empty() || n.outputs[i]->is_graph_output))
      return nullptr;
  const Shape& xs = x->info.shape;
  const Shape& ys = y->info.shape;
  const bool same_static_shape = xs.is_static() && ys.is_static() && xs == ys;
  if (op == "Identity") {
    what = "identity";
    return x;
  }
  if (op == "Dropout") {
    if (n.inputs.size() > 2 && n.inputs[2]) {
      double training = 0;
      if (!rw::scalar_constant(n.inputs[2], training) || training != 0) return nullptr;
    }
    what = "dropout (inference)";
    return x;
  }
  if (op == "Reshape" || op == "Flatten" || op == "Squeeze") {
    if (!same_static_shape) return nullptr;
    what = "no-op " + op;
    return x;
  }
  if (op == "Transpose") {
    auto perm = n.info.attrs.get_ints("perm");
    if (!perm) return nullptr;
    std::vector<std::int64_t> id(perm->size());
    std::iota(id.begin(), id.end(), 0);
    // Without perm the dims are reversed: an identity only up to rank 1.
    const bool identity = perm->empty() ? (!xs.unknown_rank() && xs.rank() <= 1) : *perm == id;
    if (!identity) return nullptr;
    what = "identity Transpose";
    return x;
  }
  if (op == "Cast") {
    if (x->info.dtype == DataType::kUndefined || x->info.dtype != y->info.dtype) return nullptr;
    what = "Cast to the same type";
    return x;
  }
  if (op == "Pad") {
    std::vector<std::int64_t> pads;
    bool present = false;
    if (!rw::ints_from_attr_or_input(n, "pads", 1, pads, present) || !present) return nullptr;
    for (auto p : pads)
      if (p != 0) return nullptr;
    what = "zero Pad";
    return x;
  }
  const bool commutative = op == "Mul" || op == "Add";
  if (commutative || op == "Sub" || op == "Div") {
    if (n.inputs.size() != 2 || !n.inputs[1]) return nullptr;
    const double neutral = (op == "Mul" || op == "Div") ? 1.0 : 0.0;
    for (std::size_t side = 0; side < (commutative ? 2u : 1u); ++side) {
      ir::Value* data = n.inputs[side];
      const ir::Value* k = n.inputs[1 - side];
      if (!rw::constant_all_equal(k, neutral) || data->is_constant) continue;
      if (data->info.dtype != y->info.dtype || !data->info.shape.is_static() ||
          data->info.shape != ys)
        continue;  // broadcasting (or type promotion) changes the result's shape
      what = op + " by a constant " + (neutral == 1.0 ? "1" : "0");
      return data;
    }
  }
  return nullptr;
}

}  // namespace

Status eliminate_noops(ir::Graph& g, PassContext& ctx) {
  const std::vector<ir::Node*> nodes = g.nodes();
  for (ir::Node* n : nodes) {
    if (n->dead) continue;
    std::string what;
    ir::Value* in = noop_input(*n, what);
    if (!in) continue;
    std::string why;
    if (rw::bypass(g, n, in, n->outputs[0], &why)) {
      ctx.log.note("Removing " + what + " '" + n->info.name + "'");
    } else {
      ctx.log.note("Keeping " + what + " '" + n->info.name + "': " + why);
    }
  }
  return rw::finish(g);
}

}  // namespace edgert::passes
