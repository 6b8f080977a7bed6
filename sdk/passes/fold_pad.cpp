// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Pass fold_pad: a zero Pad over spatial dims folded into the following Conv's pads.
//
// Conv pads with zeros, so Pad(mode constant, value 0, non-negative pads on the spatial dims only)
// followed by a Conv with explicit pads (auto_pad NOTSET) is the Conv with the two pads summed.
// Pads come from the attribute before opset 11 ("paddings" in opset 1) and from constant inputs
// (pads, constant_value, axes) after.

#include "passes/conv_fusion.h"

namespace edgert::passes {
namespace {

std::string join(const std::vector<std::int64_t>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

/// Reads a constant integer input as int64s; false when absent-but-required or not constant.
bool constant_ints(const ir::Value* v, std::vector<std::int64_t>& out) {
  if (!v || !v->is_constant) return false;
  const Tensor& t = v->data;
  if (t.dtype() != DataType::kInt64 && t.dtype() != DataType::kInt32) return false;
  out.clear();
  for (std::int64_t i = 0; i < t.numel(); ++i) out.push_back(t.get_as_int64(i));
  return true;
}

/// Pad's begin/end pads over all `rank` dims (begins then ends), or the reason it cannot fold.
std::string pad_amounts(const ir::Node& pad, std::size_t rank, std::vector<std::int64_t>& pads) {
  const std::string mode = string_attr(pad, "mode", "constant");
  if (mode != "constant") return "Pad mode '" + mode + "'";
  double value = 0.0;
  std::vector<std::int64_t> axes;
  if (pad.info.opset < 11) {
    pads = ints_attr(pad, pad.info.opset < 2 ? "paddings" : "pads");
    value = float_attr(pad, "value", 0.0f);
  } else {
    if (!constant_ints(pad.inputs.size() > 1 ? pad.inputs[1] : nullptr, pads))
      return "Pad pads are not constant";
    if (const ir::Value* cv = pad.inputs.size() > 2 ? pad.inputs[2] : nullptr) {
      if (!cv->is_constant || cv->data.numel() != 1) return "Pad value is not a constant scalar";
      value = cv->data.get_as_double(0);
    }
    if (const ir::Value* av = pad.inputs.size() > 3 ? pad.inputs[3] : nullptr) {
      if (!constant_ints(av, axes)) return "Pad axes are not constant";
    }
  }
  if (value != 0.0) return "Pad value " + std::to_string(value) + " is not zero";
  if (!axes.empty()) {
    if (pads.size() != 2 * axes.size()) return "Pad pads do not match its axes";
    std::vector<std::int64_t> full(2 * rank, 0);
    for (std::size_t i = 0; i < axes.size(); ++i) {
      const std::int64_t a = axes[i] < 0 ? axes[i] + static_cast<std::int64_t>(rank) : axes[i];
      if (a < 0 || a >= static_cast<std::int64_t>(rank)) return "Pad axes are out of range";
      full[a] = pads[i];
      full[rank + a] = pads[axes.size() + i];
    }
    pads = full;
  }
  if (pads.size() != 2 * rank)
    return "Pad has " + std::to_string(pads.size()) + " pads for rank " + std::to_string(rank);
  for (auto p : pads)
    if (p < 0) return "Pad pads " + join(pads) + " crop (negative)";
  if (pads[0] != 0 || pads[1] != 0 || pads[rank] != 0 || pads[rank + 1] != 0)
    return "Pad pads " + join(pads) + " pad the batch or channel dim";
  return {};
}

}  // namespace

Status fold_pad(ir::Graph& g, PassContext& ctx) {
  bool changed = false;
  const std::vector<ir::Node*> nodes = g.nodes();
  for (ir::Node* pad : nodes) {
    if (pad->dead || pad->info.op_type != "Pad" || pad->outputs.empty() || !pad->outputs[0])
      continue;
    // Candidate: a Conv reads the Pad's output as its X.
    ir::Node* conv = nullptr;
    for (ir::Node* c : pad->outputs[0]->consumers)
      if (c->info.op_type == "Conv" && !c->inputs.empty() && c->inputs[0] == pad->outputs[0])
        conv = c;
    if (!conv) continue;
    const std::vector<std::string> names = {pad->info.name, conv->info.name};
    const ir::Value* w = conv->inputs.size() > 1 ? conv->inputs[1] : nullptr;
    std::string reason = single_use_problem(*pad->outputs[0], *pad);
    std::vector<std::int64_t> pads;
    std::size_t rank = 0;
    if (reason.empty()) {
      if (!w || w->info.shape.unknown_rank()) {
        reason = conv->info.name + " weight rank is unknown";
      } else {
        rank = w->info.shape.rank();
        reason = pad_amounts(*pad, rank, pads);
      }
    }
    if (reason.empty()) {
      const std::string auto_pad = string_attr(*conv, "auto_pad", "NOTSET");
      if (auto_pad != "NOTSET" && !auto_pad.empty())
        reason = conv->info.name + " has auto_pad " + auto_pad;
    }
    std::vector<std::int64_t> conv_pads;
    if (reason.empty()) {
      const std::size_t nd = rank - 2;
      conv_pads = ints_attr(*conv, "pads");
      if (conv_pads.empty()) conv_pads.assign(2 * nd, 0);
      if (conv_pads.size() != 2 * nd) {
        reason = conv->info.name + " pads " + join(conv_pads) + " do not match its rank";
      } else {
        for (std::size_t d = 0; d < nd; ++d) {
          conv_pads[d] += pads[2 + d];
          conv_pads[nd + d] += pads[rank + 2 + d];
        }
      }
    }
    if (reason.empty()) reason = precision_conflict(ctx, *pad, *conv);
    if (!reason.empty()) {
      ctx.log.not_fused("pad+conv", names, reason);
      continue;
    }
    conv->info.attrs.set("pads", conv_pads);
    const std::vector<std::string> conv_origins = origin_names(*conv);
    conv->fused = origin_names(*pad);
    for (const auto& o : conv_origins) conv->fused.push_back(o);
    set_input(*conv, 0, pad->inputs[0]);
    g.remove_node(pad);
    ctx.log.fused("pad+conv", names);
    changed = true;
  }
  return changed ? finish_pass(g) : Status::ok_status();
}

}  // namespace edgert::passes
