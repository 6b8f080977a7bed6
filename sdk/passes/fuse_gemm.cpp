// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Pass fuse_gemm: FusedGemm + bias Add (+ activation). Add(gemm_out, bias) with a constant bias
// that varies at most along the last dim ([N], [1, N], [1, ..., 1, N] or a scalar) becomes the
// layer's C (C' = beta * C + bias when it had one; beta becomes 1). The layer must not have an
// activation yet (the bias goes before it). fuse_conv_activation ran before this pass and saw the
// Add, not the activation behind it, so an activation after a fused bias is fused here.

#include "passes/conv_fusion.h"

namespace edgert::passes {
namespace {

/// The new C of `gemm` with `bias` added, or the reason the bias cannot be taken.
std::string biased_c(const ir::Node& gemm, const ir::Value& bias, Tensor& c_out) {
  const Tensor* b = constant_float(&bias);
  if (!b) return "bias '" + bias.name + "' is not float32";
  const Shape& ys = gemm.outputs[0]->info.shape;
  if (ys.unknown_rank() || ys[ys.rank() - 1] == Shape::kUnknownDim)
    return gemm.info.name + " output shape " + shape_str(ys) + " has no known last dim";
  const std::int64_t n = ys[ys.rank() - 1];
  const Shape& bs = b->shape();
  bool ok = bs.rank() <= ys.rank();
  for (std::size_t i = 0; ok && i < bs.rank(); ++i)
    ok = bs[i] == 1 || (i + 1 == bs.rank() && bs[i] == n);
  if (!ok)
    return "bias '" + bias.name + "' of shape " + shape_str(bs) +
           " does not broadcast over the last dim of " + shape_str(ys);
  const std::int64_t bn = b->numel();
  // Existing C (constant), broadcast to [rows of C, N].
  const ir::Value* cv = gemm.inputs.size() > 2 ? gemm.inputs[2] : nullptr;
  const Tensor* c = constant_float(cv);
  if (cv && !c) return gemm.info.name + " C is not a float32 constant";
  const float beta = float_attr(gemm, "beta", 1.0f);
  std::int64_t rows = 1, c_rs = 0, c_cs = 0;
  const bool use_c = c && beta != 0.0f;
  if (use_c) {
    const Shape& cs = c->shape();
    const std::int64_t cc = cs.rank() >= 1 ? cs[cs.rank() - 1] : 1;
    rows = cs.rank() == 2 ? cs[0] : 1;
    c_rs = rows == 1 ? 0 : cc;
    c_cs = cc == 1 ? 0 : 1;
  }
  auto t = float_tensor(rows == 1 ? Shape{n} : Shape{rows, n});
  if (!t.ok()) return t.status().message();
  c_out = std::move(t).value();
  float* dst = c_out.data<float>();
  for (std::int64_t i = 0; i < rows; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      const float prev = use_c ? beta * c->data<float>()[i * c_rs + j * c_cs] : 0.0f;
      dst[i * n + j] = prev + b->data<float>()[bn == 1 ? 0 : j];
    }
  return {};
}

}  // namespace

Status fuse_gemm(ir::Graph& g, PassContext& ctx) {
  bool changed = false;
  std::vector<ir::Node*> biased;  // layers that took a bias: their activation comes next
  const std::vector<ir::Node*> nodes = g.nodes();
  for (ir::Node* add : nodes) {
    if (add->dead || add->info.op_type != "Add" || add->inputs.size() != 2 || !add->inputs[0] ||
        !add->inputs[1])
      continue;
    int side = -1;
    for (int i = 0; i < 2; ++i) {
      const ir::Node* p = add->inputs[i]->producer;
      if (p && p->info.op_type == "FusedGemm" && add->inputs[1 - i]->is_constant) side = i;
    }
    if (side < 0) continue;
    ir::Node& gemm = *add->inputs[side]->producer;
    const ir::Value& bias = *add->inputs[1 - side];
    const std::vector<std::string> names = {gemm.info.name, add->info.name};
    std::string reason;
    const std::string act = string_attr(gemm, "activation", "");
    if (!act.empty()) reason = gemm.info.name + " already has activation " + act;
    if (reason.empty()) reason = single_use_problem(*gemm.outputs[0], gemm);
    Tensor c;
    if (reason.empty()) reason = biased_c(gemm, bias, c);
    if (reason.empty()) reason = precision_conflict(ctx, gemm, *add);
    if (!reason.empty()) {
      ctx.log.not_fused("gemm+bias", names, reason);
      continue;
    }
    EDGERT_ASSIGN_OR_RETURN(ir::Value * cv, add_fresh_constant(g, gemm.info.name + "_C", c));
    set_input(gemm, 2, cv);
    gemm.info.attrs.set("beta", 1.0f);
    absorb_successor(g, gemm, *add);
    ctx.log.fused("gemm+bias", names);
    biased.push_back(&gemm);
    changed = true;
  }
  for (ir::Node* gemm : biased) {
    ir::Node* next = sole_consumer(*gemm->outputs[0]);
    if (next && is_fusable_activation(next->info.op_type))
      try_fuse_activation(g, ctx, *gemm, *next, "gemm+activation");
  }
  return changed ? finish_pass(g) : Status::ok_status();
}

}  // namespace edgert::passes
