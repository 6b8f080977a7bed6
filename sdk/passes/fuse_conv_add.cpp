// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Pass fuse_conv_add: FusedConv + residual Add. Add(conv_out, other), with `other` a computed
// tensor of exactly the conv output's shape, becomes the FusedConv's residual input Z (the layer
// computes act(conv + B + Z), so only a FusedConv without activation or pool qualifies). When both
// Add inputs are FusedConv outputs the Add goes into the one later in graph order (the other's
// output is then already computed when it runs); if that one cannot take it, into the earlier.
// An activation after the Add is fused afterwards by fuse_conv_activation.

#include <algorithm>
#include <unordered_map>

#include "passes/conv_fusion.h"

namespace edgert::passes {
namespace {

/// Equal shapes, dim by dim; an unknown dim only matches an unknown batch dim (dim 0).
bool same_shape(const Shape& a, const Shape& b) {
  if (a.unknown_rank() || b.unknown_rank() || a.rank() != b.rank()) return false;
  for (std::size_t i = 0; i < a.rank(); ++i) {
    if (a[i] == Shape::kUnknownDim || b[i] == Shape::kUnknownDim) {
      if (i != 0 || a[i] != b[i]) return false;
    } else if (a[i] != b[i]) {
      return false;
    }
  }
  return true;
}

/// Why FusedConv `conv` cannot take `other` as its residual through `add` ("" when it can).
std::string residual_problem(const PassContext& ctx, const ir::Node& conv, const ir::Node& add,
                             const ir::Value& other) {
  const std::string act = string_attr(conv, "activation", "");
  if (!act.empty()) return conv.info.name + " already has activation " + act;
  if (int_attr(conv, "pool", 0) != 0) return conv.info.name + " already ends with a max pool";
  if (conv.inputs.size() > 3 && conv.inputs[3]) return conv.info.name + " already has a residual";
  std::string reason = single_use_problem(*conv.outputs[0], conv);
  if (!reason.empty()) return reason;
  if (other.is_constant) return "the other Add input '" + other.name + "' is a constant";
  const Shape& ys = conv.outputs[0]->info.shape;
  if (!same_shape(other.info.shape, ys))
    return "the other Add input '" + other.name + "' of shape " + shape_str(other.info.shape) +
           " does not have the conv output's shape " + shape_str(ys);
  if (other.info.dtype != DataType::kFloat32)
    return "the other Add input '" + other.name + "' is not float32";
  return precision_conflict(ctx, conv, add);
}

}  // namespace

Status fuse_conv_add(ir::Graph& g, PassContext& ctx) {
  bool changed = false;
  const std::vector<ir::Node*> nodes = g.nodes();
  std::unordered_map<const ir::Node*, std::size_t> position;
  for (std::size_t i = 0; i < nodes.size(); ++i) position[nodes[i]] = i;
  for (ir::Node* add : nodes) {
    if (add->dead || add->info.op_type != "Add" || add->inputs.size() != 2 || !add->inputs[0] ||
        !add->inputs[1])
      continue;
    // Sides whose value a FusedConv produces, the later producer first.
    std::vector<int> sides;
    for (int i = 0; i < 2; ++i) {
      const ir::Node* p = add->inputs[i]->producer;
      if (p && p->info.op_type == "FusedConv") sides.push_back(i);
    }
    if (sides.empty()) continue;
    if (sides.size() == 2 &&
        position[add->inputs[0]->producer] < position[add->inputs[1]->producer])
      std::swap(sides[0], sides[1]);
    std::string first_reason;
    ir::Node* chosen = nullptr;
    ir::Value* other = nullptr;
    for (int side : sides) {
      ir::Node* conv = add->inputs[side]->producer;
      ir::Value* o = add->inputs[1 - side];
      const std::string reason = residual_problem(ctx, *conv, *add, *o);
      if (reason.empty()) {
        chosen = conv;
        other = o;
        break;
      }
      if (first_reason.empty()) first_reason = reason;
    }
    if (!chosen) {
      ctx.log.not_fused("conv+add", {add->inputs[sides[0]]->producer->info.name, add->info.name},
                        first_reason);
      continue;
    }
    const std::vector<std::string> names = {chosen->info.name, add->info.name};
    set_input(*chosen, 3, other);
    absorb_successor(g, *chosen, *add);
    ctx.log.fused("conv+add", names);
    changed = true;
  }
  return changed ? finish_pass(g) : Status::ok_status();
}

}  // namespace edgert::passes
