// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Pass fold_scale: a Mul and/or Add by a per-output-channel constant right after a Conv folded
// into the Conv's weights and bias (Mul by s: W' = s * W, b' = s * b; Add t: b' = b + t).
//
// Per output channel means the constant broadcasts against the conv output [N, M, spatial...]
// without growing it and varies at most along M: shapes [M, 1, 1], [1, M, 1, 1], [1] or a scalar.
// Chains (Conv -> Mul -> Add) fold one node at a time, in graph order.

#include "passes/conv_fusion.h"

namespace edgert::passes {
namespace {

/// The per-channel values of constant `k` for a conv with `m` output channels and output rank
/// `rank`, or the reason `k` is not per channel.
std::string channel_values(const ir::Value& k, std::int64_t m, std::size_t rank,
                           std::vector<double>& out) {
  const Tensor* t = constant_float(&k);
  if (!t) return "constant '" + k.name + "' is not float32";
  const Shape& ks = t->shape();
  const std::string not_per_channel =
      "constant '" + k.name + "' of shape " + shape_str(ks) + " is not per output channel";
  if (ks.rank() > rank) return not_per_channel;
  const std::size_t lead = rank - ks.rank();  // output dims the constant does not cover
  for (std::size_t i = 0; i < ks.rank(); ++i) {
    const bool channel_dim = lead + i == 1;
    if (ks[i] != 1 && !(channel_dim && ks[i] == m)) return not_per_channel;
  }
  const std::int64_t n = t->numel();
  out.resize(static_cast<std::size_t>(m));
  for (std::int64_t i = 0; i < m; ++i) out[i] = t->data<float>()[n == 1 ? 0 : i];
  return {};
}

}  // namespace

Status fold_scale(ir::Graph& g, PassContext& ctx) {
  bool changed = false;
  const std::vector<ir::Node*> nodes = g.nodes();
  for (ir::Node* op : nodes) {
    if (op->dead || (op->info.op_type != "Mul" && op->info.op_type != "Add")) continue;
    if (op->inputs.size() != 2 || !op->inputs[0] || !op->inputs[1]) continue;
    // Candidate: one side produced by a Conv, the other a constant.
    int side = -1;
    for (int i = 0; i < 2; ++i) {
      const ir::Value* v = op->inputs[i];
      const ir::Value* k = op->inputs[1 - i];
      if (v->producer && v->producer->info.op_type == "Conv" && k->is_constant) side = i;
    }
    if (side < 0) continue;
    ir::Node& conv = *op->inputs[side]->producer;
    const ir::Value& k = *op->inputs[1 - side];
    const bool mul = op->info.op_type == "Mul";
    const std::vector<std::string> names = {conv.info.name, op->info.name};
    const Tensor* w = constant_float(conv.inputs.size() > 1 ? conv.inputs[1] : nullptr);
    std::string reason;
    std::vector<double> values;
    if (!w) {
      reason = conv.info.name + " weights are not float32 constants";
    } else {
      reason = single_use_problem(*conv.outputs[0], conv);
      if (reason.empty()) reason = channel_values(k, w->shape()[0], w->shape().rank(), values);
      if (reason.empty()) reason = precision_conflict(ctx, conv, *op);
    }
    if (reason.empty()) {
      const std::vector<double> ones(values.size(), 1.0), zeros(values.size(), 0.0);
      EDGERT_ASSIGN_OR_RETURN(
          reason, fold_affine_into_conv(g, conv, mul ? values : ones, mul ? zeros : values,
                                        mul ? "scaled" : "shifted"));
    }
    if (!reason.empty()) {
      ctx.log.not_fused("conv+scale", names, reason);
      continue;
    }
    absorb_successor(g, conv, *op);
    ctx.log.fused("conv+scale", names);
    changed = true;
  }
  return changed ? finish_pass(g) : Status::ok_status();
}

}  // namespace edgert::passes
