// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Pass fuse_conv_maxpool: FusedConv + MaxPool. A 2-D MaxPool with a single output (no Indices)
// and storage_order 0 that is the only reader of a FusedConv's output becomes the layer's trailing
// pool (pool=1, pool_kernel_shape, pool_strides, pool_pads, pool_dilations, pool_ceil_mode). The
// layer takes explicit pool pads only: a MaxPool with auto_pad VALID gets zero pads, SAME_UPPER /
// SAME_LOWER the pads they resolve to on the (static) conv output size.

#include <algorithm>

#include "passes/conv_fusion.h"

namespace edgert::passes {
namespace {

/// The explicit pool pads of `pool` over spatial input extents `in`, or the reason there are none.
std::string explicit_pads(const ir::Node& pool, const Shape& xs, std::vector<std::int64_t>& pads) {
  const std::vector<std::int64_t> k = ints_attr(pool, "kernel_shape");
  const std::size_t nd = k.size();
  std::vector<std::int64_t> s = ints_attr(pool, "strides");
  std::vector<std::int64_t> dl = ints_attr(pool, "dilations");
  if (s.empty()) s.assign(nd, 1);
  if (dl.empty()) dl.assign(nd, 1);
  const std::string auto_pad = string_attr(pool, "auto_pad", "NOTSET");
  if (auto_pad == "NOTSET" || auto_pad.empty()) {
    pads = ints_attr(pool, "pads");
    if (pads.empty()) pads.assign(2 * nd, 0);
    return {};
  }
  if (auto_pad == "VALID") {
    pads.assign(2 * nd, 0);
    return {};
  }
  if (auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER")
    return "MaxPool auto_pad '" + auto_pad + "'";
  if (s.size() != nd || dl.size() != nd) return "MaxPool strides/dilations do not match its rank";
  pads.assign(2 * nd, 0);
  for (std::size_t d = 0; d < nd; ++d) {
    const std::int64_t in = xs.unknown_rank() ? Shape::kUnknownDim : xs[d + 2];
    if (in == Shape::kUnknownDim)
      return "MaxPool auto_pad " + auto_pad + " on an input of unknown size " + shape_str(xs);
    const std::int64_t out = (in + s[d] - 1) / s[d];
    const std::int64_t ek = (k[d] - 1) * dl[d] + 1;
    const std::int64_t total = std::max<std::int64_t>(0, (out - 1) * s[d] + ek - in);
    const std::int64_t begin = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
    pads[d] = begin;
    pads[nd + d] = total - begin;
  }
  return {};
}

}  // namespace

Status fuse_conv_maxpool(ir::Graph& g, PassContext& ctx) {
  bool changed = false;
  const std::vector<ir::Node*> nodes = g.nodes();
  for (ir::Node* pool : nodes) {
    if (pool->dead || pool->info.op_type != "MaxPool" || pool->inputs.empty() || !pool->inputs[0])
      continue;
    ir::Node* conv = pool->inputs[0]->producer;
    if (!conv || conv->info.op_type != "FusedConv") continue;
    const std::vector<std::string> names = {conv->info.name, pool->info.name};
    std::string reason;
    const std::vector<std::int64_t> k = ints_attr(*pool, "kernel_shape");
    std::vector<std::int64_t> pads;
    if (pool->outputs.size() > 1 && pool->outputs[1]) {
      reason = "MaxPool has an Indices output";
    } else if (int_attr(*pool, "storage_order", 0) != 0) {
      reason = "MaxPool has storage_order 1";
    } else if (k.size() != 2) {
      reason = "MaxPool is not 2-D";
    } else if (int_attr(*conv, "pool", 0) != 0) {
      reason = conv->info.name + " already ends with a max pool";
    } else {
      reason = single_use_problem(*conv->outputs[0], *conv);
    }
    if (reason.empty()) reason = explicit_pads(*pool, conv->outputs[0]->info.shape, pads);
    if (reason.empty()) reason = precision_conflict(ctx, *conv, *pool);
    if (!reason.empty()) {
      ctx.log.not_fused("conv+maxpool", names, reason);
      continue;
    }
    auto& attrs = conv->info.attrs;
    attrs.set("pool", std::int64_t{1});
    attrs.set("pool_kernel_shape", k);
    attrs.set("pool_pads", pads);
    std::vector<std::int64_t> strides = ints_attr(*pool, "strides");
    std::vector<std::int64_t> dilations = ints_attr(*pool, "dilations");
    if (strides.empty()) strides.assign(2, 1);
    if (dilations.empty()) dilations.assign(2, 1);
    attrs.set("pool_strides", strides);
    attrs.set("pool_dilations", dilations);
    // ceil_mode only applies with explicit pads (auto_pad sizes are fixed by the spec).
    const std::string auto_pad = string_attr(*pool, "auto_pad", "NOTSET");
    const bool pads_given = auto_pad == "NOTSET" || auto_pad.empty();
    attrs.set("pool_ceil_mode", pads_given ? int_attr(*pool, "ceil_mode", 0) : std::int64_t{0});
    absorb_successor(g, *conv, *pool);
    ctx.log.fused("conv+maxpool", names);
    changed = true;
  }
  return changed ? finish_pass(g) : Status::ok_status();
}

}  // namespace edgert::passes
