// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Builder layer ops: ConvInt8, GemmInt8 (int8 x int8 -> int32 with per-channel weight scales).
//
// Arithmetic, in order: a float input is quantized with the per-tensor `x_scale`
// (q = clamp(round_half_even(x / x_scale), -127, 127)); the int8 products are summed exactly in
// int32 (gemm_int8.h; depthwise convs by a direct loop); the float epilogue computes
// acc * x_scale * w_scale[c] (* alpha) + bias (* beta) + residual (dequantized when int8), then
// the activation (activation_fn.h), the max pool (ConvInt8), and finally, when `y_scale` > 0, the
// requantization to int8 with y_scale. Up to float rounding this equals the float op run on the
// dequantized int8 data ("fake quantization"); tests/kernels/cpu/test_int8.cpp checks that.

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <vector>

#include "kernels/cpu/activation_fn.h"
#include "kernels/cpu/conv_gemm.h"
#include "kernels/cpu/gemm_int8.h"
#include "kernels/cpu/nn_common.h"
#include "kernels/cpu/op_families.h"

namespace edgert::cpu {
namespace {

// im2col column buffer budget in int8 elements (4 MiB; the GEMM packs it again to int16).
constexpr std::int64_t kColBudget = std::int64_t{1} << 22;
// Symmetric int8 range: -128 is never produced, so that negation stays in range.
constexpr float kQMax = 127.0f;

bool known(std::int64_t d) { return d != Shape::kUnknownDim; }

std::int8_t quantize(float v, float scale) {
  const float q = std::nearbyint(v / scale);
  if (!(q >= -kQMax)) return -127;  // NaN included
  if (q > kQMax) return 127;
  return static_cast<std::int8_t>(q);
}

void quantize_buffer(const float* x, std::int64_t n, float scale, std::int8_t* q) {
#pragma omp parallel for schedule(static) if (n > (1 << 16))
  for (std::int64_t i = 0; i < n; ++i) q[i] = quantize(x[i], scale);
}

/// The epilogue attributes shared by both ops.
struct Epilogue {
  ActivationParams act;
  float x_scale = 0.f;
  float z_scale = 0.f;
  float y_scale = 0.f;
};

Expected<float> parse_scale(const NodeInfo& node, const char* name) {
  EDGERT_ASSIGN_OR_RETURN(float s, node.attrs.get_float(name, 0.f));
  if (!(s >= 0.f) || !std::isfinite(s))
    return invalid(node, std::string("attribute '") + name + "' must be a finite scale >= 0, got " +
                             std::to_string(s));
  return s;
}

Expected<Epilogue> parse_epilogue(const NodeInfo& node) {
  Epilogue e;
  EDGERT_ASSIGN_OR_RETURN(std::string act, node.attrs.get_string("activation", ""));
  auto kind = parse_activation(act);
  if (!kind.ok()) return unsupported(node, kind.status().message());
  e.act.kind = *kind;
  // Defaults of the ONNX op each activation stands for.
  float alpha = 0.f, beta = 0.f;
  switch (e.act.kind) {
    case Activation::kClip:
      alpha = -std::numeric_limits<float>::infinity();
      beta = std::numeric_limits<float>::infinity();
      break;
    case Activation::kLeakyRelu: alpha = 0.01f; break;
    case Activation::kHardSigmoid:
      alpha = 0.2f;
      beta = 0.5f;
      break;
    default: break;
  }
  EDGERT_ASSIGN_OR_RETURN(e.act.alpha, node.attrs.get_float("activation_alpha", alpha));
  EDGERT_ASSIGN_OR_RETURN(e.act.beta, node.attrs.get_float("activation_beta", beta));
  EDGERT_ASSIGN_OR_RETURN(e.x_scale, parse_scale(node, "x_scale"));
  EDGERT_ASSIGN_OR_RETURN(e.z_scale, parse_scale(node, "z_scale"));
  EDGERT_ASSIGN_OR_RETURN(e.y_scale, parse_scale(node, "y_scale"));
  if (!(e.x_scale > 0.f))
    return invalid(node, "attribute 'x_scale' (the input's int8 scale) must be > 0");
  return e;
}

DataType output_dtype(const Epilogue& e) {
  return e.y_scale > 0.f ? DataType::kInt8 : DataType::kFloat32;
}

/// Checks an activation input (X, Z) that may be float32 or int8 (with a scale).
Status check_activation_input(const NodeInfo& node, std::size_t i, DataType t, float int8_scale,
                              const char* scale_name) {
  if (t == DataType::kFloat32 || t == DataType::kUndefined) return {};
  if (t != DataType::kInt8) return unsupported_dtype(node, i, t);
  if (!(int8_scale > 0.f))
    return invalid(node, "input " + std::to_string(i) + " is int8 but attribute '" + scale_name +
                             "' is not set");
  return {};
}

Status check_input_dtype(const NodeInfo& node, std::size_t i, DataType t, DataType want) {
  if (t == want || t == DataType::kUndefined) return {};
  return node_error(
      node, StatusCode::kUnsupported,
      "input " + std::to_string(i) + " must be " + dtype_name(want) + ", got " + dtype_name(t));
}

/// Checks a per-channel vector input (w_scale, bias) of `what` against `channels`.
Status check_channel_vector(const NodeInfo& node, const Shape& s, std::int64_t channels,
                            const char* what) {
  if (s.unknown_rank()) return {};
  if (s.rank() != 1 || (known(s[0]) && known(channels) && s[0] != channels))
    return invalid(node, std::string(what) + " of shape " + s.to_string() +
                             " must be 1-D of size " + std::to_string(channels));
  return {};
}

/// Per-thread scratch that only grows (kernels run once per layer per inference: reusing the
/// buffers saves the allocation, zero-filling and page faults of a fresh one each time).
template <typename T>
T* scratch(std::vector<T>& buf, std::int64_t n) {
  if (buf.size() < static_cast<std::size_t>(n)) buf.resize(static_cast<std::size_t>(n));
  return buf.data();
}

/// The int8 view of an activation input: the tensor itself when int8, else quantized into `buf`.
const std::int8_t* as_int8(const Tensor& t, float scale, std::vector<std::int8_t>& buf) {
  if (t.dtype() == DataType::kInt8) return t.data<std::int8_t>();
  std::int8_t* q = scratch(buf, t.numel());
  quantize_buffer(t.data<float>(), t.numel(), scale, q);
  return q;
}

/// Element i of an activation input as float (int8 dequantized with `scale`).
struct FloatReader {
  const float* f = nullptr;
  const std::int8_t* q = nullptr;
  float scale = 0.f;
  FloatReader() = default;
  FloatReader(const Tensor* t, float s) : scale(s) {
    if (!t) return;
    if (t->dtype() == DataType::kInt8) {
      q = t->data<std::int8_t>();
    } else {
      f = t->data<float>();
    }
  }
  bool present() const { return f || q; }
  float operator[](std::int64_t i) const { return f ? f[i] : static_cast<float>(q[i]) * scale; }
};

/// Writes n epilogue values to the output, as float or requantized int8.
void write_output(const float* v, std::int64_t n, float y_scale, Tensor& y, std::int64_t offset) {
  if (y_scale > 0.f) {
    std::int8_t* dst = y.data<std::int8_t>() + offset;
    for (std::int64_t i = 0; i < n; ++i) dst[i] = quantize(v[i], y_scale);
  } else {
    std::copy(v, v + n, y.data<float>() + offset);
  }
}

// ---------------------------------------------------------------------------------------------
// ConvInt8

struct ConvInt8Attrs {
  WindowAttrs w;
  std::int64_t group = 1;
  Epilogue ep;
  bool pool = false;
  WindowAttrs pw;  ///< the max pool's window (auto_pad NOTSET)
};

Expected<ConvInt8Attrs> parse_conv_int8(const NodeInfo& node) {
  ConvInt8Attrs a;
  EDGERT_ASSIGN_OR_RETURN(a.w, parse_window_attrs(node));
  EDGERT_ASSIGN_OR_RETURN(a.group, node.attrs.get_int("group", 1));
  if (a.group < 1) return invalid(node, "group must be >= 1, got " + std::to_string(a.group));
  EDGERT_ASSIGN_OR_RETURN(a.ep, parse_epilogue(node));
  EDGERT_ASSIGN_OR_RETURN(std::int64_t pool, node.attrs.get_int("pool", 0));
  a.pool = pool != 0;
  if (a.pool) {
    EDGERT_ASSIGN_OR_RETURN(a.pw.kernel_shape, node.attrs.get_ints("pool_kernel_shape"));
    EDGERT_ASSIGN_OR_RETURN(a.pw.strides, node.attrs.get_ints("pool_strides"));
    EDGERT_ASSIGN_OR_RETURN(a.pw.pads, node.attrs.get_ints("pool_pads"));
    EDGERT_ASSIGN_OR_RETURN(a.pw.dilations, node.attrs.get_ints("pool_dilations"));
    EDGERT_ASSIGN_OR_RETURN(std::int64_t ceil_mode, node.attrs.get_int("pool_ceil_mode", 0));
    a.pw.ceil_mode = ceil_mode != 0;
    if (a.pw.kernel_shape.empty()) return invalid(node, "pool=1 needs 'pool_kernel_shape'");
    for (auto v : a.pw.kernel_shape)
      if (v < 1) return invalid(node, "pool_kernel_shape values must be positive");
    for (auto v : a.pw.strides)
      if (v < 1) return invalid(node, "pool_strides values must be positive");
    for (auto v : a.pw.dilations)
      if (v < 1) return invalid(node, "pool_dilations values must be positive");
    for (auto v : a.pw.pads)
      if (v < 0) return invalid(node, "pool_pads values must be non-negative");
  }
  return a;
}

struct ConvInt8Shapes {
  Shape conv;    ///< the conv output (and Z's) shape
  Shape output;  ///< after the optional pool
  Geom3 g;       ///< conv geometry (valid when everything is static)
  Geom3 pg;      ///< pool geometry
};

Status conv_int8_shapes(const NodeInfo& node, ConvInt8Attrs& a, const Shape& xs, const Shape& ws,
                        ConvInt8Shapes& out) {
  std::size_t rank = 0;
  if (!xs.unknown_rank()) {
    rank = xs.rank();
  } else if (!ws.unknown_rank()) {
    rank = ws.rank();
  } else if (!a.w.kernel_shape.empty()) {
    rank = a.w.kernel_shape.size() + 2;
  } else {
    out.conv = out.output = Shape::unknown();
    return {};
  }
  if (rank < 3)
    return invalid(node, "input X must have rank >= 3 (N, C, spatial...), got " + xs.to_string());
  if (!ws.unknown_rank() && ws.rank() != rank)
    return invalid(node, "weight W of shape " + ws.to_string() + " must have rank " +
                             std::to_string(rank) + " like X " + xs.to_string());
  const std::size_t nd = rank - 2;
  EDGERT_RETURN_IF_ERROR(resolve_window_attrs(node, nd, a.w));
  auto dim = [](const Shape& s, std::size_t i) {
    return s.unknown_rank() ? Shape::kUnknownDim : s[i];
  };
  const std::int64_t n = dim(xs, 0), c = dim(xs, 1), m = dim(ws, 0), wc = dim(ws, 1);
  if (known(c) && known(wc) && c != wc * a.group)
    return invalid(node, "input channels " + std::to_string(c) + " != W.shape[1] (" +
                             std::to_string(wc) + ") * group (" + std::to_string(a.group) + ")");
  if (known(m) && m % a.group != 0)
    return invalid(node, "output channels " + std::to_string(m) + " not divisible by group " +
                             std::to_string(a.group));
  std::vector<std::int64_t> cdims = {n, m}, odims = {n, m};
  if (a.pool) {
    if (a.pw.kernel_shape.size() != nd)
      return invalid(node, "pool_kernel_shape must have " + std::to_string(nd) + " values");
    if (a.pw.strides.empty()) a.pw.strides.assign(nd, 1);
    if (a.pw.dilations.empty()) a.pw.dilations.assign(nd, 1);
    if (a.pw.pads.empty()) a.pw.pads.assign(2 * nd, 0);
    if (a.pw.strides.size() != nd || a.pw.dilations.size() != nd || a.pw.pads.size() != 2 * nd)
      return invalid(node, "pool_strides/pool_dilations must have " + std::to_string(nd) +
                               " values and pool_pads " + std::to_string(2 * nd));
  }
  for (std::size_t d = 0; d < nd; ++d) {
    std::int64_t k = dim(ws, d + 2);
    if (!a.w.kernel_shape.empty()) {
      if (known(k) && k != a.w.kernel_shape[d])
        return invalid(node, "kernel_shape attribute does not match W of shape " + ws.to_string());
      k = a.w.kernel_shape[d];
    }
    if (k == 0) return invalid(node, "W of shape " + ws.to_string() + " has an empty kernel");
    const std::int64_t in = dim(xs, d + 2);
    std::int64_t o = Shape::kUnknownDim, pb = 0, pe = 0;
    EDGERT_RETURN_IF_ERROR(window_output_dim(node, a.w, d, in, k, o, pb, pe));
    cdims.push_back(o);
    const std::size_t j = slot3(d, nd);
    out.g.in[j] = in;
    out.g.out[j] = o;
    out.g.k[j] = k;
    out.g.s[j] = a.w.strides[d];
    out.g.dl[j] = a.w.dilations[d];
    out.g.pb[j] = pb;
    out.g.pe[j] = pe;
    std::int64_t po = o;
    if (a.pool) {
      std::int64_t ppb = 0, ppe = 0;
      const Status s = window_output_dim(node, a.pw, d, o, a.pw.kernel_shape[d], po, ppb, ppe);
      if (!s.ok()) return s.with_context("max pool");
      out.pg.in[j] = o;
      out.pg.out[j] = po;
      out.pg.k[j] = a.pw.kernel_shape[d];
      out.pg.s[j] = a.pw.strides[d];
      out.pg.dl[j] = a.pw.dilations[d];
      out.pg.pb[j] = ppb;
      out.pg.pe[j] = ppe;
    }
    odims.push_back(po);
  }
  out.conv = Shape(cdims);
  out.output = Shape(odims);
  return {};
}

Status infer_conv_int8(InferContext& ctx) {
  const NodeInfo& node = ctx.node;
  EDGERT_ASSIGN_OR_RETURN(ConvInt8Attrs a, parse_conv_int8(node));
  EDGERT_RETURN_IF_ERROR(
      check_activation_input(node, 0, ctx.inputs[0].dtype, a.ep.x_scale, "x_scale"));
  EDGERT_RETURN_IF_ERROR(check_input_dtype(node, 1, ctx.inputs[1].dtype, DataType::kInt8));
  EDGERT_RETURN_IF_ERROR(check_input_dtype(node, 2, ctx.inputs[2].dtype, DataType::kFloat32));
  ConvInt8Shapes s;
  EDGERT_RETURN_IF_ERROR(conv_int8_shapes(node, a, ctx.inputs[0].shape, ctx.inputs[1].shape, s));
  const std::int64_t m = s.conv.unknown_rank() ? Shape::kUnknownDim : s.conv[1];
  EDGERT_RETURN_IF_ERROR(check_channel_vector(node, ctx.inputs[2].shape, m, "w_scale"));
  if (ctx.has_input(3)) {
    EDGERT_RETURN_IF_ERROR(check_input_dtype(node, 3, ctx.inputs[3].dtype, DataType::kFloat32));
    EDGERT_RETURN_IF_ERROR(check_channel_vector(node, ctx.inputs[3].shape, m, "bias B"));
  }
  if (ctx.has_input(4)) {
    EDGERT_RETURN_IF_ERROR(
        check_activation_input(node, 4, ctx.inputs[4].dtype, a.ep.z_scale, "z_scale"));
    const Shape& zs = ctx.inputs[4].shape;
    bool ok = true;
    if (!zs.unknown_rank() && !s.conv.unknown_rank()) {
      ok = zs.rank() == s.conv.rank();
      for (std::size_t d = 0; ok && d < zs.rank(); ++d)
        ok = !known(zs[d]) || !known(s.conv[d]) || zs[d] == s.conv[d];
    }
    if (!ok)
      return invalid(node, "residual Z of shape " + zs.to_string() +
                               " must have the conv output's shape " + s.conv.to_string());
  }
  set_output(ctx, 0, output_dtype(a.ep), s.output);
  return {};
}

/// Direct int8 convolution of one output channel reading one input plane (depthwise): int32 sums.
void conv_single_channel_int8(const Geom3& g, const std::int8_t* __restrict x,
                              const std::int8_t* __restrict w, std::int32_t* __restrict y) {
  const std::int64_t ow = g.out[2], sx = g.s[2];
  std::fill(y, y + g.out_size(), 0);
  for (std::int64_t kz = 0; kz < g.k[0]; ++kz)
    for (std::int64_t ky = 0; ky < g.k[1]; ++ky)
      for (std::int64_t kx = 0; kx < g.k[2]; ++kx) {
        const std::int32_t wv = w[(kz * g.k[1] + ky) * g.k[2] + kx];
        if (wv == 0) continue;
        const std::int64_t ix0 = kx * g.dl[2] - g.pb[2];
        const std::int64_t lo = std::min(ow, std::max<std::int64_t>(0, ceil_div(-ix0, sx)));
        const std::int64_t hi = std::max(lo, std::min(ow, ceil_div(g.in[2] - ix0, sx)));
        for (std::int64_t oz = 0; oz < g.out[0]; ++oz) {
          const std::int64_t iz = oz * g.s[0] - g.pb[0] + kz * g.dl[0];
          if (iz < 0 || iz >= g.in[0]) continue;
          for (std::int64_t oy = 0; oy < g.out[1]; ++oy) {
            const std::int64_t iy = oy * g.s[1] - g.pb[1] + ky * g.dl[1];
            if (iy < 0 || iy >= g.in[1]) continue;
            const std::int8_t* src = x + (iz * g.in[1] + iy) * g.in[2];
            std::int32_t* dst = y + (oz * g.out[1] + oy) * ow;
            if (sx == 1) {
              const std::int8_t* s1 = src + ix0 + lo;  // in bounds: ix0 + lo >= 0
              for (std::int64_t ox = lo; ox < hi; ++ox) dst[ox] += wv * s1[ox - lo];
            } else {
              for (std::int64_t ox = lo; ox < hi; ++ox) dst[ox] += wv * src[ox * sx + ix0];
            }
          }
        }
      }
}

Status compute_conv_int8(ComputeContext& ctx) {
  const NodeInfo& node = ctx.node;
  EDGERT_ASSIGN_OR_RETURN(ConvInt8Attrs a, parse_conv_int8(node));
  const Tensor& x = *ctx.inputs[0];
  const Tensor& w = *ctx.inputs[1];
  const Tensor& ws = *ctx.inputs[2];
  const Tensor* b = ctx.has_input(3) ? ctx.inputs[3] : nullptr;
  const Tensor* z = ctx.has_input(4) ? ctx.inputs[4] : nullptr;
  ConvInt8Shapes s;
  EDGERT_RETURN_IF_ERROR(conv_int8_shapes(node, a, x.shape(), w.shape(), s));
  Tensor& y = *ctx.outputs[0];
  if (y.numel() == 0) return {};
  const Geom3& g = s.g;
  const std::int64_t n = x.shape()[0], c = x.shape()[1], m = w.shape()[0];
  const std::int64_t grp = a.group, cg = c / grp, mg = m / grp;
  const std::int64_t is = g.in_size(), os = g.out_size(), ks = g.k_size(), kdim = cg * ks;
  if (kdim > kGemmInt8MaxK)
    return unsupported(node, "reduction length C/group * kernel size = " + std::to_string(kdim) +
                                 " exceeds " + std::to_string(kGemmInt8MaxK) +
                                 " (int32 accumulators could overflow)");
  const std::int64_t pos = a.pool ? s.pg.out_size() : os;  // output plane size

  thread_local std::vector<std::int8_t> xbuf, colbuf;
  thread_local std::vector<std::int32_t> accbuf;
  const std::int8_t* xq = as_int8(x, a.ep.x_scale, xbuf);
  const std::int8_t* wq = w.data<std::int8_t>();
  const float* wsc = ws.data<float>();
  const float* bias = b ? b->data<float>() : nullptr;
  const FloatReader zr(z, a.ep.z_scale);

  const bool pointwise = ks == 1 && g.s[0] == 1 && g.s[1] == 1 && g.s[2] == 1 && g.pb[0] == 0 &&
                         g.pb[1] == 0 && g.pb[2] == 0 && os == is;
  const std::int64_t rows_total = g.out[0] * g.out[1], ow = g.out[2];
  const std::int64_t tile_rows = std::max<std::int64_t>(
      1, std::min(rows_total, kColBudget / std::max<std::int64_t>(1, kdim * ow)));
  std::int8_t* col = cg != 1 && !pointwise ? scratch(colbuf, kdim * tile_rows * ow) : nullptr;
  std::int32_t* acc = scratch(accbuf, m * os);

  for (std::int64_t img = 0; img < n; ++img) {
    const std::int8_t* ximg = xq + img * c * is;
    if (cg == 1) {
      // Each output channel reads one input plane: a direct loop beats im2col (depthwise convs).
#pragma omp parallel for schedule(dynamic, 1) if (m * os * ks > 32768)
      for (std::int64_t oc = 0; oc < m; ++oc)
        conv_single_channel_int8(g, ximg + (oc / mg) * is, wq + oc * ks, acc + oc * os);
    } else {
      for (std::int64_t gi = 0; gi < grp; ++gi) {
        const std::int8_t* xg = ximg + gi * cg * is;
        const std::int8_t* wg = wq + gi * mg * kdim;
        std::int32_t* ag = acc + gi * mg * os;
        if (pointwise) {
          gemm_int8(false, false, mg, os, cg, wg, cg, xg, is, ag, os);
          continue;
        }
        for (std::int64_t q0 = 0; q0 < rows_total; q0 += tile_rows) {
          const std::int64_t q1 = std::min(rows_total, q0 + tile_rows), cols = (q1 - q0) * ow;
          im2col(g, cg, xg, q0, q1, col);
          gemm_int8(false, false, mg, cols, kdim, wg, kdim, col, cols, ag + q0 * ow, os);
        }
      }
    }
    // The float epilogue, one output channel at a time (pooling works on whole planes).
#pragma omp parallel if (m * os > 16384)
    {
      std::vector<float> plane(static_cast<std::size_t>(os));
      std::vector<float> pooled(a.pool ? static_cast<std::size_t>(pos) : 0);
#pragma omp for schedule(static)
      for (std::int64_t oc = 0; oc < m; ++oc) {
        const float scale = a.ep.x_scale * wsc[oc];
        const float bv = bias ? bias[oc] : 0.f;
        const std::int32_t* src = acc + oc * os;
        float* v = plane.data();
        for (std::int64_t j = 0; j < os; ++j) v[j] = static_cast<float>(src[j]) * scale + bv;
        if (zr.present()) {
          const std::int64_t zo = (img * m + oc) * os;
          for (std::int64_t j = 0; j < os; ++j) v[j] += zr[zo + j];
        }
        apply_activation(a.ep.act, v, os);
        if (a.pool) {
          max_pool_f32(s.pg, 1, v, pooled.data());
          v = pooled.data();
        }
        write_output(v, pos, a.ep.y_scale, y, (img * m + oc) * pos);
      }
    }
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// GemmInt8

struct GemmInt8Attrs {
  float alpha = 1.f;
  float beta = 1.f;
  bool trans_a = false;
  bool trans_b = false;
  Epilogue ep;
};

Expected<GemmInt8Attrs> parse_gemm_int8(const NodeInfo& node) {
  GemmInt8Attrs a;
  EDGERT_ASSIGN_OR_RETURN(a.alpha, node.attrs.get_float("alpha", 1.f));
  EDGERT_ASSIGN_OR_RETURN(a.beta, node.attrs.get_float("beta", 1.f));
  EDGERT_ASSIGN_OR_RETURN(std::int64_t ta, node.attrs.get_int("transA", 0));
  EDGERT_ASSIGN_OR_RETURN(std::int64_t tb, node.attrs.get_int("transB", 0));
  a.trans_a = ta != 0;
  a.trans_b = tb != 0;
  EDGERT_ASSIGN_OR_RETURN(a.ep, parse_epilogue(node));
  return a;
}

/// Output shape, rows (M: the product of A's leading dims), K and N, with unknown dims as -1.
struct GemmInt8Shapes {
  Shape out;
  std::int64_t m = Shape::kUnknownDim, k = Shape::kUnknownDim, n = Shape::kUnknownDim;
};

Expected<GemmInt8Shapes> gemm_int8_shapes(const NodeInfo& node, const GemmInt8Attrs& a,
                                          const Shape& as, const Shape& bs) {
  GemmInt8Shapes s;
  std::int64_t kb = Shape::kUnknownDim;
  if (!bs.unknown_rank()) {
    if (bs.rank() != 2) return invalid(node, "B must be 2-D, got " + bs.to_string());
    s.n = bs[a.trans_b ? 0 : 1];
    kb = bs[a.trans_b ? 1 : 0];
  }
  if (as.unknown_rank()) {
    s.out = a.trans_a ? Shape({Shape::kUnknownDim, s.n}) : Shape::unknown();
    s.k = kb;
    return s;
  }
  if (as.rank() < 2 || (a.trans_a && as.rank() != 2))
    return invalid(node, std::string("A must be ") + (a.trans_a ? "2-D with transA" : "rank >= 2") +
                             ", got " + as.to_string());
  std::vector<std::int64_t> dims;
  if (a.trans_a) {
    s.m = as[1];
    s.k = as[0];
    dims = {s.m, s.n};
  } else {
    s.k = as[as.rank() - 1];
    s.m = 1;
    for (std::size_t d = 0; d + 1 < as.rank(); ++d) {
      dims.push_back(as[d]);
      s.m = known(as[d]) && known(s.m) ? s.m * as[d] : Shape::kUnknownDim;
    }
    dims.push_back(s.n);
  }
  if (known(s.k) && known(kb) && s.k != kb)
    return invalid(node, "inner dims differ: A " + as.to_string() + " B " + bs.to_string() +
                             " (transA " + std::to_string(a.trans_a) + ", transB " +
                             std::to_string(a.trans_b) + ")");
  if (!known(s.k)) s.k = kb;
  s.out = Shape(dims);
  return s;
}

/// C must broadcast to the output shape without growing it (Gemm's unidirectional broadcast).
Status check_bias_broadcast(const NodeInfo& node, const Shape& cs, const Shape& out) {
  if (cs.unknown_rank() || out.unknown_rank()) return {};
  bool ok = cs.rank() <= out.rank();
  for (std::size_t i = 0; ok && i < cs.rank(); ++i) {
    const std::int64_t cd = cs[i], od = out[out.rank() - cs.rank() + i];
    ok = !known(cd) || cd == 1 || !known(od) || cd == od;
  }
  if (!ok)
    return invalid(node, "C of shape " + cs.to_string() + " cannot be broadcast to the output " +
                             out.to_string());
  return {};
}

Status infer_gemm_int8(InferContext& ctx) {
  const NodeInfo& node = ctx.node;
  EDGERT_ASSIGN_OR_RETURN(GemmInt8Attrs a, parse_gemm_int8(node));
  EDGERT_RETURN_IF_ERROR(
      check_activation_input(node, 0, ctx.inputs[0].dtype, a.ep.x_scale, "x_scale"));
  EDGERT_RETURN_IF_ERROR(check_input_dtype(node, 1, ctx.inputs[1].dtype, DataType::kInt8));
  EDGERT_RETURN_IF_ERROR(check_input_dtype(node, 2, ctx.inputs[2].dtype, DataType::kFloat32));
  EDGERT_ASSIGN_OR_RETURN(auto s,
                          gemm_int8_shapes(node, a, ctx.inputs[0].shape, ctx.inputs[1].shape));
  EDGERT_RETURN_IF_ERROR(check_channel_vector(node, ctx.inputs[2].shape, s.n, "w_scale"));
  if (ctx.has_input(3)) {
    EDGERT_RETURN_IF_ERROR(check_input_dtype(node, 3, ctx.inputs[3].dtype, DataType::kFloat32));
    EDGERT_RETURN_IF_ERROR(check_bias_broadcast(node, ctx.inputs[3].shape, s.out));
  }
  set_output(ctx, 0, output_dtype(a.ep), s.out);
  return {};
}

Status compute_gemm_int8(ComputeContext& ctx) {
  const NodeInfo& node = ctx.node;
  EDGERT_ASSIGN_OR_RETURN(GemmInt8Attrs a, parse_gemm_int8(node));
  const Tensor& at = *ctx.inputs[0];
  const Tensor& bt = *ctx.inputs[1];
  const Tensor& ws = *ctx.inputs[2];
  const Tensor* ct = ctx.has_input(3) ? ctx.inputs[3] : nullptr;
  EDGERT_ASSIGN_OR_RETURN(auto s, gemm_int8_shapes(node, a, at.shape(), bt.shape()));
  Tensor& y = *ctx.outputs[0];
  if (y.numel() == 0) return {};
  if (s.k > kGemmInt8MaxK)
    return unsupported(node, "K = " + std::to_string(s.k) + " exceeds " +
                                 std::to_string(kGemmInt8MaxK) +
                                 " (int32 accumulators could overflow)");
  thread_local std::vector<std::int8_t> abuf;
  thread_local std::vector<std::int32_t> accbuf;
  const std::int8_t* aq = as_int8(at, a.ep.x_scale, abuf);
  std::int32_t* acc = scratch(accbuf, s.m * s.n);
  gemm_int8(a.trans_a, a.trans_b, s.m, s.n, s.k, aq, a.trans_a ? s.m : s.k, bt.data<std::int8_t>(),
            a.trans_b ? s.k : s.n, acc, s.n);

  // Bias C: strides against the output shape (0 along broadcast dims), indexed per output row.
  std::vector<std::int64_t> cstr;
  if (ct) cstr = broadcast_strides(ct->shape(), y.shape());
  const float* cp = ct ? ct->data<float>() : nullptr;
  const float* wsc = ws.data<float>();
  const std::vector<std::int64_t>& odims = y.shape().dims();
  const float xs = a.ep.x_scale * a.alpha;
#pragma omp parallel if (s.m * s.n > 16384)
  {
    std::vector<float> row(static_cast<std::size_t>(s.n));
    std::vector<std::int64_t> idx(odims.size());
#pragma omp for schedule(static)
    for (std::int64_t i = 0; i < s.m; ++i) {
      const std::int32_t* src = acc + i * s.n;
      for (std::int64_t j = 0; j < s.n; ++j) row[j] = static_cast<float>(src[j]) * (xs * wsc[j]);
      if (cp) {
        // Offset of C for output row i (all dims but the last), then along the last dim.
        std::int64_t rem = i, base = 0;
        for (std::size_t d = odims.size() - 1; d-- > 0;) {
          base += (rem % odims[d]) * cstr[d];
          rem /= odims[d];
        }
        const std::int64_t cs = cstr.back();
        for (std::int64_t j = 0; j < s.n; ++j) row[j] += a.beta * cp[base + j * cs];
      }
      apply_activation(a.ep.act, row.data(), s.n);
      write_output(row.data(), s.n, a.ep.y_scale, y, i * s.n);
    }
  }
  return {};
}

constexpr OpDef kInt8Ops[] = {
    {"ConvInt8", 1, 3, 5, infer_conv_int8, compute_conv_int8,
     "X float32 or int8 (x_scale), W int8 per-channel w_scale, B float32, Z float32 or int8 "
     "(z_scale); output float32, or int8 when y_scale > 0; 1-D to 3-D, groups; epilogue as "
     "FusedConv"},
    {"GemmInt8", 1, 3, 4, infer_gemm_int8, compute_gemm_int8,
     "A float32 or int8 (x_scale), B int8 with per-column w_scale, C float32; output float32, or "
     "int8 when y_scale > 0; A rank > 2 only without transA"},
};

}  // namespace

OpTable int8_ops() {
  static constexpr std::size_t kCount = std::size(kInt8Ops);
  static_assert(kCount == kInt8OpCount, "update kInt8OpCount in op_families.h");
  return {kInt8Ops, kCount};
}

}  // namespace edgert::cpu
