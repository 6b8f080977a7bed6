// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Builder layer ops: FusedConv (conv + bias + residual + activation + max pool) and FusedGemm
// (gemm/matmul + bias + activation), both with optional fp16 output rounding. The convolution,
// GEMM and pool are the plain ops' own code (conv_gemm.h); this file only reads the fused
// attributes, checks shapes and chains the parts.

#include <iterator>
#include <limits>
#include <vector>

#include "edgert/half.h"
#include "kernels/cpu/conv_gemm.h"
#include "kernels/cpu/op_families.h"

namespace edgert::cpu {

void apply_epilogue_span(const Epilogue& ep, bool add_bias, float b, const float* z, float* y,
                         std::int64_t n) {
  if (z) {
    if (add_bias) {
      for (std::int64_t j = 0; j < n; ++j) y[j] = (y[j] + b) + z[j];
    } else {
      for (std::int64_t j = 0; j < n; ++j) y[j] += z[j];
    }
  } else if (add_bias) {
    for (std::int64_t j = 0; j < n; ++j) y[j] += b;
  }
  apply_activation(ep.act, y, n);
  if (ep.round_fp16)
    for (std::int64_t j = 0; j < n; ++j) y[j] = half_to_float(float_to_half(y[j]));
}

Expected<Epilogue> parse_fused_epilogue(const NodeInfo& node) {
  Epilogue ep;
  EDGERT_ASSIGN_OR_RETURN(std::string name, node.attrs.get_string("activation", ""));
  auto kind = parse_activation(name);
  if (!kind.ok()) return unsupported(node, kind.status().message());
  ep.act.kind = *kind;
  // The defaults of the ONNX op each activation stands for.
  float def_alpha = 0.0f, def_beta = 0.0f;
  switch (ep.act.kind) {
    case Activation::kLeakyRelu: def_alpha = 0.01f; break;
    case Activation::kHardSigmoid:
      def_alpha = 0.2f;
      def_beta = 0.5f;
      break;
    case Activation::kClip:
      def_alpha = -std::numeric_limits<float>::infinity();
      def_beta = std::numeric_limits<float>::infinity();
      break;
    default: break;
  }
  EDGERT_ASSIGN_OR_RETURN(ep.act.alpha, node.attrs.get_float("activation_alpha", def_alpha));
  EDGERT_ASSIGN_OR_RETURN(ep.act.beta, node.attrs.get_float("activation_beta", def_beta));
  EDGERT_ASSIGN_OR_RETURN(std::int64_t round, node.attrs.get_int("round_fp16", 0));
  if (round != 0 && round != 1)
    return invalid(node, "round_fp16 must be 0 or 1, got " + std::to_string(round));
  ep.round_fp16 = round != 0;
  return ep;
}

namespace {

Status check_float_inputs(const InferContext& ctx) {
  for (std::size_t i = 0; i < ctx.inputs.size(); ++i)
    if (ctx.has_input(i) && ctx.inputs[i].dtype != DataType::kFloat32 &&
        ctx.inputs[i].dtype != DataType::kUndefined)
      return unsupported_dtype(ctx.node, i, ctx.inputs[i].dtype);
  return {};
}

// ---- FusedConv: X, W, B (optional), Z (optional residual) ----

struct FusedConvShapes {
  Shape conv;  ///< the convolution's output (and Z's shape)
  Shape out;   ///< after the optional max pool
  Geom3 conv_geom;
  Geom3 pool_geom;
  bool pool = false;
};

Status fused_conv_shapes(const NodeInfo& node, const Shape& xs, const Shape& ws, const Shape* bs,
                         const Shape* zs, bool with_geom, FusedConvShapes& s) {
  EDGERT_RETURN_IF_ERROR(
      conv_output_shape(node, xs, ws, bs, s.conv, with_geom ? &s.conv_geom : nullptr));
  if (zs && !zs->unknown_rank() && !s.conv.unknown_rank()) {
    bool same = zs->rank() == s.conv.rank();
    for (std::size_t i = 0; same && i < zs->rank(); ++i)
      same = (*zs)[i] == s.conv[i] || (*zs)[i] == Shape::kUnknownDim ||
             s.conv[i] == Shape::kUnknownDim;
    if (!same)
      return invalid(node, "residual Z of shape " + zs->to_string() +
                               " must have the convolution output's shape " + s.conv.to_string());
  }
  EDGERT_ASSIGN_OR_RETURN(std::int64_t pool, node.attrs.get_int("pool", 0));
  if (pool != 0 && pool != 1) return invalid(node, "pool must be 0 or 1");
  s.pool = pool != 0;
  if (!s.pool) {
    s.out = s.conv;
    return {};
  }
  EDGERT_ASSIGN_OR_RETURN(WindowAttrs w, parse_window_attrs(node, "pool_"));
  if (w.auto_pad != AutoPad::kNotSet)
    return invalid(node, "the max pool takes explicit pool_pads (no pool_auto_pad)");
  if (w.kernel_shape.empty()) return invalid(node, "pool=1 needs pool_kernel_shape");
  return max_pool_output_shape(node, w, s.conv, s.out, with_geom ? &s.pool_geom : nullptr);
}

Status infer_fused_conv(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_float_inputs(ctx));
  EDGERT_RETURN_IF_ERROR(parse_fused_epilogue(ctx.node).status());
  FusedConvShapes s;
  EDGERT_RETURN_IF_ERROR(fused_conv_shapes(ctx.node, ctx.inputs[0].shape, ctx.inputs[1].shape,
                                           ctx.has_input(2) ? &ctx.inputs[2].shape : nullptr,
                                           ctx.has_input(3) ? &ctx.inputs[3].shape : nullptr, false,
                                           s));
  set_output(ctx, 0, DataType::kFloat32, s.out);
  return {};
}

Status compute_fused_conv(ComputeContext& ctx) {
  EDGERT_ASSIGN_OR_RETURN(Epilogue ep, parse_fused_epilogue(ctx.node));
  const Tensor& x = *ctx.inputs[0];
  const Tensor& w = *ctx.inputs[1];
  FusedConvShapes s;
  EDGERT_RETURN_IF_ERROR(fused_conv_shapes(ctx.node, x.shape(), w.shape(), nullptr,
                                           ctx.has_input(3) ? &ctx.inputs[3]->shape() : nullptr,
                                           true, s));
  if (ctx.has_input(3) && ctx.inputs[3]->shape() != s.conv)
    return invalid(ctx.node, "residual Z of shape " + ctx.inputs[3]->shape().to_string() +
                                 " must have the convolution output's shape " + s.conv.to_string());
  ep.bias = ctx.has_input(2) ? ctx.inputs[2]->data<float>() : nullptr;
  ep.residual = ctx.has_input(3) ? ctx.inputs[3]->data<float>() : nullptr;
  float* y = ctx.outputs[0]->data<float>();
  if (!s.pool) return conv_forward(ctx.node, x, w, ep, y);
  // The pool needs whole conv output planes: conv into a scratch buffer, then pool from it.
  std::vector<float> conv_out(static_cast<std::size_t>(s.conv.numel()));
  EDGERT_RETURN_IF_ERROR(conv_forward(ctx.node, x, w, ep, conv_out.data()));
  max_pool_f32(s.pool_geom, s.conv[0] * s.conv[1], conv_out.data(), y);
  return {};
}

// ---- FusedGemm: A, B, C (optional) ----

Status infer_fused_gemm(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_float_inputs(ctx));
  EDGERT_ASSIGN_OR_RETURN(GemmAttrs a, parse_gemm_attrs(ctx.node));
  EDGERT_RETURN_IF_ERROR(parse_fused_epilogue(ctx.node).status());
  Shape out;
  EDGERT_RETURN_IF_ERROR(gemm_output_shape(ctx.node, a, ctx.inputs[0].shape, ctx.inputs[1].shape,
                                           ctx.has_input(2) ? &ctx.inputs[2].shape : nullptr, true,
                                           out));
  set_output(ctx, 0, DataType::kFloat32, out);
  return {};
}

Status compute_fused_gemm(ComputeContext& ctx) {
  EDGERT_ASSIGN_OR_RETURN(GemmAttrs a, parse_gemm_attrs(ctx.node));
  EDGERT_ASSIGN_OR_RETURN(Epilogue ep, parse_fused_epilogue(ctx.node));
  return gemm_forward(a, *ctx.inputs[0], *ctx.inputs[1], ctx.has_input(2) ? ctx.inputs[2] : nullptr,
                      ep, ctx.outputs[0]->data<float>());
}

}  // namespace

OpTable fused_conv_ops() {
  static const OpDef kOps[] = {
      {"FusedConv", 1, 2, 4, infer_fused_conv, compute_fused_conv,
       "float32; Conv's attributes (1-D to 3-D) + activation, activation_alpha/beta, residual Z, "
       "pool (max pool: pool_kernel_shape, pool_strides, pool_pads, pool_dilations, "
       "pool_ceil_mode), round_fp16"},
      {"FusedGemm", 1, 2, 3, infer_fused_gemm, compute_fused_gemm,
       "float32; Gemm's attributes, A of rank >= 2 when transA=0 (leading dims are rows); C "
       "broadcast to [M, N]; activation, activation_alpha/beta, round_fp16"},
  };
  static_assert(std::size(kOps) == kFusedConvOpCount, "update kFusedConvOpCount in op_families.h");
  return {kOps, std::size(kOps)};
}

}  // namespace edgert::cpu
