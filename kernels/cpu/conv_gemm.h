// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// The convolution and GEMM cores, each written once and shared by the plain ONNX ops and the
// builder's fused layers: Conv and FusedConv run conv_forward (conv.cpp), Gemm and FusedGemm run
// gemm_forward (gemm.cpp), and FusedConv's trailing max pool is MaxPool's own loop (pool.cpp).
// The fused parts (bias, residual, activation, fp16 rounding) form an Epilogue that the cores
// apply on each block of output right after the GEMM wrote it, while it is still in cache.

#include <cstdint>

#include "kernels/cpu/activation_fn.h"
#include "kernels/cpu/nn_common.h"

namespace edgert::cpu {

/// What the fused layers apply to each output value, in this order: + bias, + residual,
/// activation, rounding to the nearest float16 value (how the CPU target emulates an fp16 layer).
struct Epilogue {
  const float* bias = nullptr;      ///< conv: [M] per output channel (GEMM: see GemmBias)
  const float* residual = nullptr;  ///< conv: same shape and layout as the conv output
  ActivationParams act;
  bool round_fp16 = false;
  /// Nothing to do beyond the bias and residual.
  bool trivial_tail() const { return act.kind == Activation::kNone && !round_fp16; }
};

/// y[j] = round(act((y[j] + b) + z[j])) for j < n (z may be null: no residual; b is added only when
/// `add_bias`). The additions happen in the order the unfused ops perform them.
void apply_epilogue_span(const Epilogue& ep, bool add_bias, float b, const float* z, float* y,
                         std::int64_t n);

/// The activation and round_fp16 attributes shared by the fused layers (FusedConv, FusedGemm and
/// their int8 forms): `activation` ("" or a name parse_activation accepts), `activation_alpha`,
/// `activation_beta` (defaults: the ONNX op's own, i.e. LeakyRelu 0.01, HardSigmoid 0.2/0.5, Clip
/// -inf/+inf), `round_fp16` (0/1). Fills act and round_fp16 of the result.
Expected<Epilogue> parse_fused_epilogue(const NodeInfo& node);

// ---- Convolution (forward, float32, 1-D to 3-D; attributes of ONNX Conv read from the node) ----

/// Output shape of a forward Conv from (possibly partial) shapes; with static shapes and `geom`
/// non-null, also the 3-D geometry. `b` (may be null) is checked to be [M].
Status conv_output_shape(const NodeInfo& node, const Shape& x, const Shape& w, const Shape* b,
                         Shape& out, Geom3* geom);

/// y = epilogue(conv(x, w)) with ep.bias [M] and ep.residual laid out like y. y holds the conv
/// output (shape from conv_output_shape); the shapes were checked by the op's infer.
/// Fills rows of the column matrix for output rows [q0, q1) (q = oz * out_h + oy) of one group of
/// one image: col is [cg * k_size, (q1 - q0) * out_w], padding is 0 (for int8, the quantized 0).
/// Instantiated for float and int8.
template <typename T>
void im2col(const Geom3& g, std::int64_t cg, const T* x, std::int64_t q0, std::int64_t q1, T* col);

Status conv_forward(const NodeInfo& node, const Tensor& x, const Tensor& w, const Epilogue& ep,
                    float* y);

// ---- Max pool (float32), MaxPool's own kernel ----

/// Output shape (and geometry when `geom` is non-null) of a max pool with window attributes `w`
/// over an input of shape `xs` (N, C, spatial...). Fills the window defaults into `w`.
Status max_pool_output_shape(const NodeInfo& node, WindowAttrs& w, const Shape& xs, Shape& out,
                             Geom3* geom);
/// Max pool of `planes` contiguous input planes into `y` (no indices).
void max_pool_f32(const Geom3& g, std::int64_t planes, const float* x, float* y);

// ---- GEMM (float32) ----

struct GemmAttrs {
  float alpha = 1.0f;
  float beta = 1.0f;
  bool trans_a = false;
  bool trans_b = false;
};

Expected<GemmAttrs> parse_gemm_attrs(const NodeInfo& node);

/// Output shape of Gemm (A 2-D) or, when `batched_a`, of FusedGemm (A of rank >= 2 when transA=0:
/// the leading dims are batch rows, so the output is A.shape[:-1] + [N]). Checks that the inner
/// dims agree and that C (may be null; rank <= 2) broadcasts to [M, N] (M: all rows).
Status gemm_output_shape(const NodeInfo& node, const GemmAttrs& a, const Shape& as, const Shape& bs,
                         const Shape* cs, bool batched_a, Shape& out);

/// Y[M, N] = round(act(alpha * op(A) * op(B) + beta * C)), C (may be null) unidirectionally
/// broadcast to [M, N]. A's rows are all of its leading dims when transA=0. ep.bias and
/// ep.residual are not used (C is the bias). Y is [M, N] row-major, any leading shape.
Status gemm_forward(const GemmAttrs& a, const Tensor& at, const Tensor& bt, const Tensor* ct,
                    const Epilogue& ep, float* y);

}  // namespace edgert::cpu
