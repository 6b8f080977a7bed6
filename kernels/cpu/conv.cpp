// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Conv and ConvTranspose (float32, 1-D to 3-D). Conv runs as im2col + GEMM per group and image
// (column buffer tiled over output rows), with a direct GEMM for 1x1 stride-1 unpadded convs and a
// direct loop when each output channel reads one input channel (depthwise). ConvTranspose runs as
// GEMM + col2im. conv_forward is also FusedConv's convolution: it applies the fused epilogue (bias,
// residual, activation, fp16 rounding) on each output block right after computing it.

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/cpu/conv_gemm.h"
#include "kernels/cpu/gemm_eigen.h"

namespace edgert::cpu {
namespace {

// Column buffer budget in floats (8 MiB): keeps the im2col tile around L3 size while leaving the
// GEMM a wide enough N to run at full speed.
constexpr std::int64_t kColBudget = std::int64_t{1} << 21;

struct ConvAttrs {
  WindowAttrs w;
  std::int64_t group = 1;
  std::vector<std::int64_t> output_padding;  // ConvTranspose
  std::vector<std::int64_t> output_shape;    // ConvTranspose
};

Expected<ConvAttrs> parse_conv(const NodeInfo& node, bool transpose) {
  ConvAttrs a;
  EDGERT_ASSIGN_OR_RETURN(a.w, parse_window_attrs(node));
  EDGERT_ASSIGN_OR_RETURN(a.group, node.attrs.get_int("group", 1));
  if (a.group < 1) return invalid(node, "group must be >= 1, got " + std::to_string(a.group));
  if (transpose) {
    EDGERT_ASSIGN_OR_RETURN(a.output_padding, node.attrs.get_ints("output_padding"));
    EDGERT_ASSIGN_OR_RETURN(a.output_shape, node.attrs.get_ints("output_shape"));
  }
  return a;
}

std::string shape_str(const Shape& s) { return s.to_string(); }

/// The checks and shape arithmetic shared by Conv and ConvTranspose infer. Fills out_shape (with
/// unknown dims where needed) and, when everything is static, the geometry.
Status conv_shapes(const NodeInfo& node, bool transpose, ConvAttrs& a, const Shape& xs,
                   const Shape& ws, const Shape* bs, Shape& out_shape, Geom3* geom) {
  std::size_t rank = 0;
  if (!xs.unknown_rank()) {
    rank = xs.rank();
  } else if (!ws.unknown_rank()) {
    rank = ws.rank();
  } else if (!a.w.kernel_shape.empty()) {
    rank = a.w.kernel_shape.size() + 2;
  } else {
    out_shape = Shape::unknown();
    return {};
  }
  if (rank < 3)
    return invalid(node, "input X must have rank >= 3 (N, C, spatial...), got " + shape_str(xs));
  if (!ws.unknown_rank() && ws.rank() != rank)
    return invalid(node, "weight W of shape " + shape_str(ws) + " must have rank " +
                             std::to_string(rank) + " like X " + shape_str(xs));
  const std::size_t nd = rank - 2;
  EDGERT_RETURN_IF_ERROR(resolve_window_attrs(node, nd, a.w));
  auto dim = [](const Shape& s, std::size_t i) {
    return s.unknown_rank() ? Shape::kUnknownDim : s[i];
  };
  const std::int64_t n = dim(xs, 0), c = dim(xs, 1);
  const std::int64_t w0 = dim(ws, 0), w1 = dim(ws, 1);
  const std::int64_t g = a.group;
  std::int64_t m = Shape::kUnknownDim;
  if (!transpose) {
    // W: [M, C/group, k...]
    if (c != Shape::kUnknownDim && w1 != Shape::kUnknownDim && c != w1 * g)
      return invalid(node, "input channels " + std::to_string(c) + " != W.shape[1] (" +
                               std::to_string(w1) + ") * group (" + std::to_string(g) + ")");
    if (w0 != Shape::kUnknownDim && w0 % g != 0)
      return invalid(node, "output channels " + std::to_string(w0) + " not divisible by group " +
                               std::to_string(g));
    m = w0;
  } else {
    // W: [C, M/group, k...]
    if (c != Shape::kUnknownDim && w0 != Shape::kUnknownDim && c != w0)
      return invalid(node, "input channels " + std::to_string(c) + " != W.shape[0] (" +
                               std::to_string(w0) + ")");
    if (w0 != Shape::kUnknownDim && w0 % g != 0)
      return invalid(node, "input channels " + std::to_string(w0) + " not divisible by group " +
                               std::to_string(g));
    if (w1 != Shape::kUnknownDim) m = w1 * g;
  }
  if (bs && !bs->unknown_rank()) {
    if (bs->rank() != 1 ||
        ((*bs)[0] != Shape::kUnknownDim && m != Shape::kUnknownDim && (*bs)[0] != m))
      return invalid(
          node, "bias B of shape " + shape_str(*bs) + " must be 1-D of size " + std::to_string(m));
  }
  if (transpose) {
    if (a.output_padding.empty()) a.output_padding.assign(nd, 0);
    if (a.output_padding.size() != nd)
      return invalid(node, "output_padding must have " + std::to_string(nd) + " values");
    if (!a.output_shape.empty() && a.output_shape.size() != nd) {
      if (a.output_shape.size() != nd + 2)
        return invalid(node, "output_shape must have " + std::to_string(nd) + " values");
      a.output_shape.erase(a.output_shape.begin(), a.output_shape.begin() + 2);
    }
  }
  std::vector<std::int64_t> dims = {n, m};
  for (std::size_t d = 0; d < nd; ++d) {
    std::int64_t k = dim(ws, d + 2);
    if (!a.w.kernel_shape.empty()) {
      if (k != Shape::kUnknownDim && k != a.w.kernel_shape[d])
        return invalid(node, "kernel_shape attribute does not match W of shape " + shape_str(ws));
      k = a.w.kernel_shape[d];
    }
    if (k == 0) return invalid(node, "W of shape " + shape_str(ws) + " has an empty kernel");
    const std::int64_t in = dim(xs, d + 2);
    std::int64_t out = Shape::kUnknownDim, pb = 0, pe = 0;
    if (!transpose) {
      EDGERT_RETURN_IF_ERROR(window_output_dim(node, a.w, d, in, k, out, pb, pe));
    } else if (in != Shape::kUnknownDim && k != Shape::kUnknownDim) {
      const std::int64_t s = a.w.strides[d], op = a.output_padding[d];
      if (op < 0 || (op >= s && op >= a.w.dilations[d]))
        return invalid(node, "output_padding must be smaller than stride or dilation");
      const std::int64_t full = s * (in - 1) + op + (k - 1) * a.w.dilations[d] + 1;
      std::int64_t target = -1;
      if (!a.output_shape.empty()) {
        target = a.output_shape[d];
      } else if (a.w.auto_pad == AutoPad::kSameUpper || a.w.auto_pad == AutoPad::kSameLower) {
        target = in * s;
      }
      if (target >= 0) {
        // The spec's formulas with floor division: a negative total (output_shape larger than
        // the natural size) grows the end, as output_padding does.
        const std::int64_t total = full - target;
        const std::int64_t half = total >= 0 ? total / 2 : -ceil_div(-total, 2);
        pb = a.w.auto_pad == AutoPad::kSameUpper ? half : total - half;
        pe = total - pb;
      } else if (a.w.auto_pad == AutoPad::kNotSet) {
        pb = a.w.pads[d];
        pe = a.w.pads[d + nd];
      }
      out = full - pb - pe;
      if (out < 1)
        return invalid(node, "ConvTranspose output spatial dim " + std::to_string(d) + " is " +
                                 std::to_string(out));
    }
    dims.push_back(out);
    if (geom) {
      const std::size_t j = slot3(d, nd);
      geom->in[j] = in;
      geom->out[j] = out;
      geom->k[j] = k;
      geom->s[j] = a.w.strides[d];
      geom->dl[j] = a.w.dilations[d];
      geom->pb[j] = pb;
      geom->pe[j] = pe;
    }
  }
  out_shape = Shape(dims);
  return {};
}

Status check_float_inputs(const NodeInfo& node, const InferContext& ctx) {
  for (std::size_t i = 0; i < ctx.inputs.size(); ++i) {
    if (!ctx.has_input(i)) continue;
    DataType t = ctx.inputs[i].dtype;
    if (t != DataType::kFloat32 && t != DataType::kUndefined) return unsupported_dtype(node, i, t);
  }
  return {};
}

Status infer_conv_common(InferContext& ctx, bool transpose) {
  EDGERT_ASSIGN_OR_RETURN(ConvAttrs a, parse_conv(ctx.node, transpose));
  EDGERT_RETURN_IF_ERROR(check_float_inputs(ctx.node, ctx));
  Shape out;
  EDGERT_RETURN_IF_ERROR(
      conv_shapes(ctx.node, transpose, a, ctx.inputs[0].shape, ctx.inputs[1].shape,
                  ctx.has_input(2) ? &ctx.inputs[2].shape : nullptr, out, nullptr));
  set_output(ctx, 0, DataType::kFloat32, out);
  return {};
}

/// Direct convolution for one output channel that reads a single input plane (depthwise).
void conv_single_channel(const Geom3& g, const float* x, const float* w, float* y) {
  const std::int64_t ow = g.out[2], sx = g.s[2];
  for (std::int64_t kz = 0; kz < g.k[0]; ++kz)
    for (std::int64_t ky = 0; ky < g.k[1]; ++ky)
      for (std::int64_t kx = 0; kx < g.k[2]; ++kx) {
        const float wv = w[(kz * g.k[1] + ky) * g.k[2] + kx];
        const std::int64_t ix0 = kx * g.dl[2] - g.pb[2];
        const std::int64_t lo = std::min(ow, std::max<std::int64_t>(0, ceil_div(-ix0, sx)));
        const std::int64_t hi = std::max(lo, std::min(ow, ceil_div(g.in[2] - ix0, sx)));
        for (std::int64_t oz = 0; oz < g.out[0]; ++oz) {
          const std::int64_t iz = oz * g.s[0] - g.pb[0] + kz * g.dl[0];
          if (iz < 0 || iz >= g.in[0]) continue;
          for (std::int64_t oy = 0; oy < g.out[1]; ++oy) {
            const std::int64_t iy = oy * g.s[1] - g.pb[1] + ky * g.dl[1];
            if (iy < 0 || iy >= g.in[1]) continue;
            const float* src = x + (iz * g.in[1] + iy) * g.in[2];
            float* dst = y + (oz * g.out[1] + oy) * ow;
            if (sx == 1) {
              const float* s1 = src + ix0 + lo;  // in bounds: ix0 + lo >= 0
              for (std::int64_t ox = lo; ox < hi; ++ox) dst[ox] += wv * s1[ox - lo];
            } else {
              for (std::int64_t ox = lo; ox < hi; ++ox) dst[ox] += wv * src[ox * sx + ix0];
            }
          }
        }
      }
}

void add_bias(const float* bias, std::int64_t n, std::int64_t m, std::int64_t plane, float* y) {
  if (!bias) return;
#pragma omp parallel for schedule(static) if (n * m * plane > 65536)
  for (std::int64_t i = 0; i < n * m; ++i) {
    const float b = bias[i % m];
    float* p = y + i * plane;
    for (std::int64_t j = 0; j < plane; ++j) p[j] += b;
  }
}

}  // namespace

/// Fills rows of the column matrix for output rows [q0, q1) (q = oz * out_h + oy) of one group of
/// one image. col is [cg * k_size, (q1 - q0) * out_w].
template <typename T>
void im2col(const Geom3& g, std::int64_t cg, const T* x, std::int64_t q0, std::int64_t q1, T* col) {
  const std::int64_t ks = g.k_size(), ow = g.out[2], cols = (q1 - q0) * ow;
  const std::int64_t rows = cg * ks, plane = g.in_size();
#pragma omp parallel for schedule(static) if (rows * cols > 32768)
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int64_t c = r / ks, kk = r % ks;
    const std::int64_t kz = kk / (g.k[1] * g.k[2]), ky = (kk / g.k[2]) % g.k[1], kx = kk % g.k[2];
    const std::int64_t ix0 = kx * g.dl[2] - g.pb[2], sx = g.s[2];
    const std::int64_t lo = std::min(ow, std::max<std::int64_t>(0, ceil_div(-ix0, sx)));
    const std::int64_t hi = std::max(lo, std::min(ow, ceil_div(g.in[2] - ix0, sx)));
    T* dst = col + r * cols;
    for (std::int64_t q = q0; q < q1; ++q, dst += ow) {
      const std::int64_t oz = q / g.out[1], oy = q % g.out[1];
      const std::int64_t iz = oz * g.s[0] - g.pb[0] + kz * g.dl[0];
      const std::int64_t iy = oy * g.s[1] - g.pb[1] + ky * g.dl[1];
      if (iz < 0 || iz >= g.in[0] || iy < 0 || iy >= g.in[1]) {
        std::fill(dst, dst + ow, T{0});
        continue;
      }
      const T* src = x + c * plane + (iz * g.in[1] + iy) * g.in[2];
      std::fill(dst, dst + lo, T{0});
      if (sx == 1) {
        std::copy(src + lo + ix0, src + hi + ix0, dst + lo);
      } else {
        for (std::int64_t ox = lo; ox < hi; ++ox) dst[ox] = src[ox * sx + ix0];
      }
      std::fill(dst + hi, dst + ow, T{0});
    }
  }
}

template void im2col<float>(const Geom3&, std::int64_t, const float*, std::int64_t, std::int64_t,
                            float*);
template void im2col<std::int8_t>(const Geom3&, std::int64_t, const std::int8_t*, std::int64_t,
                                  std::int64_t, std::int8_t*);

Status infer_conv(InferContext& ctx) { return infer_conv_common(ctx, false); }
Status infer_conv_transpose(InferContext& ctx) { return infer_conv_common(ctx, true); }

Status conv_output_shape(const NodeInfo& node, const Shape& x, const Shape& w, const Shape* b,
                         Shape& out, Geom3* geom) {
  EDGERT_ASSIGN_OR_RETURN(ConvAttrs a, parse_conv(node, false));
  return conv_shapes(node, false, a, x, w, b, out, geom);
}

Status conv_forward(const NodeInfo& node, const Tensor& x, const Tensor& w, const Epilogue& ep,
                    float* yp) {
  Shape out_shape;
  Geom3 g;
  EDGERT_RETURN_IF_ERROR(conv_output_shape(node, x.shape(), w.shape(), nullptr, out_shape, &g));
  EDGERT_ASSIGN_OR_RETURN(std::int64_t grp, node.attrs.get_int("group", 1));
  const std::int64_t n = x.shape()[0], c = x.shape()[1], m = w.shape()[0];
  const std::int64_t cg = c / grp, mg = m / grp;
  const std::int64_t is = g.in_size(), os = g.out_size(), ks = g.k_size(), kdim = cg * ks;
  if (out_shape.numel() == 0) return {};
  const float* xp = x.data<float>();
  const float* wp = w.data<float>();
  const bool has_bias = ep.bias != nullptr;
  // The epilogue of `rows` output channels starting at channel `oc0` of image `img`, over the
  // output positions [p0, p0 + len) of each channel.
  auto epilogue = [&](std::int64_t img, std::int64_t oc0, std::int64_t rows, std::int64_t p0,
                      std::int64_t len) {
    if (!has_bias && !ep.residual && ep.trivial_tail()) return;
#pragma omp parallel for schedule(static) if (rows * len > 65536 && !in_parallel_region())
    for (std::int64_t r = 0; r < rows; ++r) {
      const std::int64_t off = (img * m + oc0 + r) * os + p0;
      apply_epilogue_span(ep, has_bias, has_bias ? ep.bias[oc0 + r] : 0.0f,
                          ep.residual ? ep.residual + off : nullptr, yp + off, len);
    }
  };

  const bool pointwise = ks == 1 && g.s[0] == 1 && g.s[1] == 1 && g.s[2] == 1 && g.pb[0] == 0 &&
                         g.pb[1] == 0 && g.pb[2] == 0 && os == is;
  if (cg == 1) {
    // Each output channel reads one input plane: a direct loop beats im2col (depthwise convs).
#pragma omp parallel for schedule(dynamic, 1)
    for (std::int64_t i = 0; i < n * m; ++i) {
      const std::int64_t img = i / m, oc = i % m, ic = oc / mg;
      float* y = yp + i * os;
      std::fill(y, y + os, 0.0f);
      conv_single_channel(g, xp + (img * c + ic) * is, wp + oc * ks, y);
      apply_epilogue_span(ep, has_bias, has_bias ? ep.bias[oc] : 0.0f,
                          ep.residual ? ep.residual + i * os : nullptr, y, os);
    }
  } else if (pointwise) {
    for (std::int64_t img = 0; img < n; ++img)
      for (std::int64_t gi = 0; gi < grp; ++gi) {
        sgemm(false, false, mg, os, cg, 1.0f, wp + gi * mg * cg, cg, xp + (img * c + gi * cg) * is,
              is, 0.0f, yp + (img * m + gi * mg) * os, os);
        epilogue(img, gi * mg, mg, 0, os);
      }
  } else {
    const std::int64_t rows_total = g.out[0] * g.out[1], ow = g.out[2];
    const std::int64_t tile_rows = std::max<std::int64_t>(
        1, std::min(rows_total, kColBudget / std::max<std::int64_t>(1, kdim * ow)));
    std::vector<float> col(static_cast<std::size_t>(kdim * tile_rows * ow));
    for (std::int64_t img = 0; img < n; ++img)
      for (std::int64_t gi = 0; gi < grp; ++gi) {
        const float* xg = xp + (img * c + gi * cg) * is;
        float* yg = yp + (img * m + gi * mg) * os;
        for (std::int64_t q0 = 0; q0 < rows_total; q0 += tile_rows) {
          const std::int64_t q1 = std::min(rows_total, q0 + tile_rows), cols = (q1 - q0) * ow;
          im2col(g, cg, xg, q0, q1, col.data());
          sgemm(false, false, mg, cols, kdim, 1.0f, wp + gi * mg * kdim, kdim, col.data(), cols,
                0.0f, yg + q0 * ow, os);
          epilogue(img, gi * mg, mg, q0 * ow, cols);
        }
      }
  }
  return {};
}

Status compute_conv(ComputeContext& ctx) {
  Epilogue ep;
  ep.bias = ctx.has_input(2) ? ctx.inputs[2]->data<float>() : nullptr;
  return conv_forward(ctx.node, *ctx.inputs[0], *ctx.inputs[1], ep, ctx.outputs[0]->data<float>());
}

Status compute_conv_transpose(ComputeContext& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ConvAttrs a, parse_conv(ctx.node, true));
  const Tensor& x = *ctx.inputs[0];
  const Tensor& w = *ctx.inputs[1];
  const Tensor* b = ctx.has_input(2) ? ctx.inputs[2] : nullptr;
  Shape bs = b ? b->shape() : Shape();
  Shape out_shape;
  Geom3 g;
  EDGERT_RETURN_IF_ERROR(
      conv_shapes(ctx.node, true, a, x.shape(), w.shape(), b ? &bs : nullptr, out_shape, &g));
  Tensor& yt = *ctx.outputs[0];
  float* yp = yt.data<float>();
  std::fill(yp, yp + yt.numel(), 0.0f);
  if (yt.numel() == 0) return {};
  const std::int64_t n = x.shape()[0], c = x.shape()[1], mg = w.shape()[1];
  const std::int64_t grp = a.group, cg = c / grp, m = mg * grp;
  const std::int64_t is = g.in_size(), os = g.out_size(), ks = g.k_size(), krows = mg * ks;
  const float* xp = x.data<float>();
  const float* wp = w.data<float>();
  // Here the roles of "in" and "out" of the forward window swap: input row q scatters into the
  // output through (o = i * s - pb + k * d).
  const std::int64_t rows_total = g.in[0] * g.in[1], iw = g.in[2];
  const std::int64_t tile_rows = std::max<std::int64_t>(
      1, std::min(rows_total, kColBudget / std::max<std::int64_t>(1, krows * iw)));
  std::vector<float> col(static_cast<std::size_t>(krows * tile_rows * iw));
  for (std::int64_t img = 0; img < n; ++img)
    for (std::int64_t gi = 0; gi < grp; ++gi) {
      const float* xg = xp + (img * c + gi * cg) * is;
      const float* wg = wp + gi * cg * krows;
      float* yg = yp + (img * m + gi * mg) * os;
      for (std::int64_t q0 = 0; q0 < rows_total; q0 += tile_rows) {
        const std::int64_t q1 = std::min(rows_total, q0 + tile_rows), cols = (q1 - q0) * iw;
        // col[mg * ks, cols] = W_g^T [mg * ks, cg] * X_g[cg, cols]
        sgemm(true, false, krows, cols, cg, 1.0f, wg, krows, xg + q0 * iw, is, 0.0f, col.data(),
              cols);
#pragma omp parallel for schedule(static)
        for (std::int64_t oc = 0; oc < mg; ++oc) {
          float* y = yg + oc * os;
          for (std::int64_t kk = 0; kk < ks; ++kk) {
            const std::int64_t kz = kk / (g.k[1] * g.k[2]), ky = (kk / g.k[2]) % g.k[1];
            const std::int64_t kx = kk % g.k[2];
            const float* src = col.data() + (oc * ks + kk) * cols;
            const std::int64_t ox0 = kx * g.dl[2] - g.pb[2], sx = g.s[2];
            // input columns ix whose output column ix * sx + ox0 lies in [0, out_w)
            const std::int64_t lo = std::min(iw, std::max<std::int64_t>(0, ceil_div(-ox0, sx)));
            const std::int64_t hi = std::max(lo, std::min(iw, ceil_div(g.out[2] - ox0, sx)));
            for (std::int64_t q = q0; q < q1; ++q, src += iw) {
              const std::int64_t iz = q / g.in[1], iy = q % g.in[1];
              const std::int64_t oz = iz * g.s[0] - g.pb[0] + kz * g.dl[0];
              const std::int64_t oy = iy * g.s[1] - g.pb[1] + ky * g.dl[1];
              if (oz < 0 || oz >= g.out[0] || oy < 0 || oy >= g.out[1]) continue;
              float* dst = y + (oz * g.out[1] + oy) * g.out[2];
              for (std::int64_t ix = lo; ix < hi; ++ix) dst[ix * sx + ox0] += src[ix];
            }
          }
        }
      }
    }
  add_bias(b ? b->data<float>() : nullptr, n, m, os, yp);
  return {};
}

}  // namespace edgert::cpu
