// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Pass fold_batchnorm: BatchNormalization (inference) folded into the preceding Conv/Gemm/MatMul.
//
// BN computes y = s * x + t per channel with s = scale / sqrt(var + eps), t = B - mean * s. After a
// Conv with constant weights that is W'[m] = s[m] * W[m], b'[m] = s[m] * b[m] + t[m]; after a Gemm
// (or a 2-D MatMul, which becomes a Gemm) the channel is the output column n, so B's column n
// (row n when transB) is scaled and C becomes beta * s * C + t. The producer must have no other
// reader. New weights get new constants: the old ones may be shared with other nodes.

#include <cmath>

#include "passes/conv_fusion.h"

namespace edgert::passes {
namespace {

struct BnParams {
  std::vector<double> s, t;
};

/// The per-channel affine form of `bn`, or the reason it has none that can be folded.
std::string bn_params(const ir::Node& bn, BnParams& p) {
  if (bn.inputs.size() < 5) return "BatchNormalization has fewer than 5 inputs";
  for (std::size_t i = 1; i < bn.outputs.size(); ++i)
    if (bn.outputs[i] && (!bn.outputs[i]->consumers.empty() || bn.outputs[i]->is_graph_output))
      return "BatchNormalization output '" + bn.outputs[i]->name +
             "' (training statistics) is used";
  if (int_attr(bn, "training_mode", 0) != 0) return "BatchNormalization has training_mode=1";
  if (bn.info.opset < 9 && int_attr(bn, "spatial", 1) != 1)
    return "BatchNormalization has spatial=0";
  const Tensor* scale = constant_float(bn.inputs[1]);
  const Tensor* bias = constant_float(bn.inputs[2]);
  const Tensor* mean = constant_float(bn.inputs[3]);
  const Tensor* var = constant_float(bn.inputs[4]);
  if (!scale || !bias || !mean || !var)
    return "BatchNormalization scale/B/mean/var are not all float32 constants";
  const std::int64_t c = scale->numel();
  if (bias->numel() != c || mean->numel() != c || var->numel() != c)
    return "BatchNormalization parameters have different sizes";
  const double eps = float_attr(bn, "epsilon", 1e-5f);
  p.s.resize(static_cast<std::size_t>(c));
  p.t.resize(static_cast<std::size_t>(c));
  for (std::int64_t i = 0; i < c; ++i) {
    const double v = double{var->data<float>()[i]} + eps;
    if (!(v > 0.0)) return "BatchNormalization variance + epsilon is not positive";
    const double s = double{scale->data<float>()[i]} / std::sqrt(v);
    p.s[i] = s;
    p.t[i] = double{bias->data<float>()[i]} - double{mean->data<float>()[i]} * s;
  }
  return {};
}

/// Gemm (or 2-D MatMul, turned into a Gemm) + BN over the output columns.
Expected<std::string> fold_into_gemm(ir::Graph& g, ir::Node& gemm, const BnParams& p) {
  const bool matmul = gemm.info.op_type == "MatMul";
  const ir::Value* out = gemm.outputs[0];
  if (out->info.shape.unknown_rank() || out->info.shape.rank() != 2)
    return std::string(gemm.info.name + " output is not 2-D (BatchNormalization's channels are " +
                       "not its columns)");
  const ir::Value* a = gemm.inputs[0];
  if (matmul && (a->info.shape.unknown_rank() || a->info.shape.rank() != 2))
    return std::string(gemm.info.name + " input A is not 2-D");
  const Tensor* bw = constant_float(gemm.inputs[1]);
  if (!bw || bw->shape().rank() != 2)
    return std::string(gemm.info.name + " B is not a 2-D float32 constant");
  const bool tb = !matmul && int_attr(gemm, "transB", 0) != 0;
  const std::int64_t rows = bw->shape()[0], cols = bw->shape()[1];
  const std::int64_t n = tb ? rows : cols;
  if (n != static_cast<std::int64_t>(p.s.size()))
    return std::string("BatchNormalization has " + std::to_string(p.s.size()) + " channels, " +
                       gemm.info.name + " " + std::to_string(n) + " output columns");
  const ir::Value* cv = gemm.inputs.size() > 2 ? gemm.inputs[2] : nullptr;
  const Tensor* c = constant_float(cv);
  if (cv && !c) return std::string(gemm.info.name + " C is not a float32 constant");
  std::vector<float> wscales;
  const std::string reason = scaled_weight_scales(*gemm.inputs[1], tb ? 0 : 1, p.s, wscales);
  if (!reason.empty()) return reason;

  EDGERT_ASSIGN_OR_RETURN(Tensor nw, float_tensor(bw->shape()));
  for (std::int64_t i = 0; i < rows; ++i)
    for (std::int64_t j = 0; j < cols; ++j)
      nw.data<float>()[i * cols + j] =
          static_cast<float>(bw->data<float>()[i * cols + j] * p.s[tb ? i : j]);
  // C' = beta * C * s + t, C broadcast to [rows of C, n]; then beta = 1.
  const float beta = matmul ? 1.0f : float_attr(gemm, "beta", 1.0f);
  std::int64_t c_rows = 1, c_rs = 0, c_cs = 0;
  if (c && beta != 0.0f) {
    const Shape& cs = c->shape();
    const std::int64_t cc = cs.rank() >= 1 ? cs[cs.rank() - 1] : 1;
    c_rows = cs.rank() == 2 ? cs[0] : 1;
    c_rs = c_rows == 1 ? 0 : cc;
    c_cs = cc == 1 ? 0 : 1;
  }
  EDGERT_ASSIGN_OR_RETURN(Tensor nc, float_tensor(c_rows == 1 ? Shape{n} : Shape{c_rows, n}));
  for (std::int64_t i = 0; i < c_rows; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      const double cval =
          (c && beta != 0.0f) ? double{beta} * c->data<float>()[i * c_rs + j * c_cs] : 0.0;
      nc.data<float>()[i * n + j] = static_cast<float>(cval * p.s[j] + p.t[j]);
    }
  EDGERT_ASSIGN_OR_RETURN(ir::Value * wv, add_fresh_constant(g, gemm.info.name + "_B_bn", nw));
  wv->weight_scales = wscales;
  wv->weight_scale_axis = tb ? 0 : 1;
  EDGERT_ASSIGN_OR_RETURN(ir::Value * ncv, add_fresh_constant(g, gemm.info.name + "_C_bn", nc));
  set_input(gemm, 1, wv);
  set_input(gemm, 2, ncv);
  if (matmul) {
    gemm.info.op_type = "Gemm";  // MatMul has no bias input; a 2-D MatMul is a Gemm
    gemm.info.attrs = AttrMap();
  } else {
    gemm.info.attrs.set("beta", 1.0f);
  }
  return std::string();
}

}  // namespace

Status fold_batchnorm(ir::Graph& g, PassContext& ctx) {
  bool changed = false;
  const std::vector<ir::Node*> nodes = g.nodes();
  for (ir::Node* bn : nodes) {
    if (bn->dead || bn->info.op_type != "BatchNormalization") continue;
    const ir::Value* x = bn->inputs.empty() ? nullptr : bn->inputs[0];
    ir::Node* p = x ? x->producer : nullptr;
    const std::string op = p ? p->info.op_type : std::string();
    if (op != "Conv" && op != "Gemm" && op != "MatMul") {
      ctx.log.not_fused("batchnorm folding", {bn->info.name},
                        "input '" + (x ? x->name : std::string("?")) + "' is " +
                            (p ? "produced by " + op + " " + p->info.name
                               : std::string("not produced by a node")) +
                            ", not by a Conv, Gemm or MatMul");
      continue;
    }
    const std::string pattern = op == "Conv" ? "conv+batchnorm" : "gemm+batchnorm";
    const std::vector<std::string> names = {p->info.name, bn->info.name};
    BnParams params;
    std::string reason = single_use_problem(*p->outputs[0], *p);
    if (reason.empty()) reason = bn_params(*bn, params);
    if (reason.empty()) reason = precision_conflict(ctx, *p, *bn);
    if (reason.empty()) {
      EDGERT_ASSIGN_OR_RETURN(reason, op == "Conv"
                                          ? fold_affine_into_conv(g, *p, params.s, params.t, "bn")
                                          : fold_into_gemm(g, *p, params));
    }
    if (!reason.empty()) {
      ctx.log.not_fused(pattern, names, reason);
      continue;
    }
    absorb_successor(g, *p, *bn);
    ctx.log.fused(pattern, names);
    changed = true;
  }
  return changed ? finish_pass(g) : Status::ok_status();
}

}  // namespace edgert::passes
