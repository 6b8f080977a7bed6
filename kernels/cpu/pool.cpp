// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// MaxPool (float32, int8, uint8; optional int64 Indices), AveragePool, LpPool and the Global*
// pools, 1-D to 3-D. Pooling is a small share of CNN time, so the kernels are plain loops,
// parallel over (image, channel) planes. FusedConv's trailing max pool runs the same code
// (max_pool_output_shape, max_pool_f32 in conv_gemm.h).

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/cpu/conv_gemm.h"

namespace edgert::cpu {
namespace {

enum class PoolKind { kMax, kAverage, kLp };

struct PoolAttrs {
  WindowAttrs w;
  bool count_include_pad = false;
  std::int64_t storage_order = 0;
  float p = 2.0f;
};

Expected<PoolAttrs> parse_pool(const NodeInfo& node) {
  PoolAttrs a;
  EDGERT_ASSIGN_OR_RETURN(a.w, parse_window_attrs(node));
  EDGERT_ASSIGN_OR_RETURN(std::int64_t cip, node.attrs.get_int("count_include_pad", 0));
  a.count_include_pad = cip != 0;
  EDGERT_ASSIGN_OR_RETURN(a.storage_order, node.attrs.get_int("storage_order", 0));
  if (a.storage_order != 0 && a.storage_order != 1)
    return invalid(node, "storage_order must be 0 or 1");
  if (node.op_type == "LpPool" || node.op_type == "GlobalLpPool") {
    // p was a float before opset 2 (an int since): get_float reads either.
    EDGERT_ASSIGN_OR_RETURN(a.p, node.attrs.get_float("p", 2.0f));
    if (!(a.p > 0.0f)) return invalid(node, "p must be positive");
  }
  if (node.op_type != "MaxPool" && !a.w.dilations.empty()) {
    for (auto d : a.w.dilations)
      if (d != 1) return unsupported(node, "dilations other than 1 are only supported in MaxPool");
  }
  return a;
}

Status check_pool_dtype(const InferContext& ctx) {
  const DataType t = ctx.inputs[0].dtype;
  const bool is_max = ctx.node.op_type == "MaxPool" || ctx.node.op_type == "GlobalMaxPool";
  if (t == DataType::kFloat32) return {};
  if (is_max && (t == DataType::kInt8 || t == DataType::kUInt8)) return {};
  return unsupported_dtype(ctx.node, 0, t);
}

/// Output shape (and, with static shapes, the 3-D geometry) of a windowed pool.
Status window_pool_shapes(const NodeInfo& node, WindowAttrs& w, const Shape& xs, Shape& out,
                          Geom3* g) {
  if (xs.unknown_rank()) {
    if (w.kernel_shape.empty()) return invalid(node, "attribute 'kernel_shape' is required");
    std::vector<std::int64_t> d(w.kernel_shape.size() + 2, Shape::kUnknownDim);
    out = Shape(d);
    return {};
  }
  if (xs.rank() < 3)
    return invalid(node, "input must have rank >= 3 (N, C, spatial...), got " + xs.to_string());
  const std::size_t nd = xs.rank() - 2;
  if (w.kernel_shape.empty()) return invalid(node, "attribute 'kernel_shape' is required");
  EDGERT_RETURN_IF_ERROR(resolve_window_attrs(node, nd, w));
  std::vector<std::int64_t> dims = {xs[0], xs[1]};
  for (std::size_t d = 0; d < nd; ++d) {
    std::int64_t o = 0, pb = 0, pe = 0;
    EDGERT_RETURN_IF_ERROR(window_output_dim(node, w, d, xs[d + 2], w.kernel_shape[d], o, pb, pe));
    dims.push_back(o);
    if (g) {
      const std::size_t j = slot3(d, nd);
      g->in[j] = xs[d + 2];
      g->out[j] = o;
      g->k[j] = w.kernel_shape[d];
      g->s[j] = w.strides[d];
      g->dl[j] = w.dilations[d];
      g->pb[j] = pb;
      g->pe[j] = pe;
    }
  }
  out = Shape(dims);
  return {};
}

Status pool_shapes(const NodeInfo& node, PoolAttrs& a, const Shape& xs, Shape& out, Geom3* g) {
  return window_pool_shapes(node, a.w, xs, out, g);
}

template <typename T>
void max_pool_plane(const Geom3& g, const T* x, T* y, std::int64_t* idx, std::int64_t idx_base,
                    bool col_major) {
  std::int64_t o = 0;
  for (std::int64_t oz = 0; oz < g.out[0]; ++oz)
    for (std::int64_t oy = 0; oy < g.out[1]; ++oy)
      for (std::int64_t ox = 0; ox < g.out[2]; ++ox, ++o) {
        T best = std::numeric_limits<T>::lowest();
        std::int64_t best_i = -1;
        for (std::int64_t kz = 0; kz < g.k[0]; ++kz) {
          const std::int64_t iz = oz * g.s[0] - g.pb[0] + kz * g.dl[0];
          if (iz < 0 || iz >= g.in[0]) continue;
          for (std::int64_t ky = 0; ky < g.k[1]; ++ky) {
            const std::int64_t iy = oy * g.s[1] - g.pb[1] + ky * g.dl[1];
            if (iy < 0 || iy >= g.in[1]) continue;
            for (std::int64_t kx = 0; kx < g.k[2]; ++kx) {
              const std::int64_t ix = ox * g.s[2] - g.pb[2] + kx * g.dl[2];
              if (ix < 0 || ix >= g.in[2]) continue;
              const std::int64_t i = (iz * g.in[1] + iy) * g.in[2] + ix;
              if (best_i < 0 || x[i] > best) {
                best = x[i];
                best_i = col_major ? (ix * g.in[1] + iy) * g.in[0] + iz : i;
              }
            }
          }
        }
        y[o] = best;
        if (idx) idx[o] = idx_base + (best_i < 0 ? 0 : best_i);
      }
}

template <typename T>
void max_pool_planes(const Geom3& g, std::int64_t planes, const Tensor& x, Tensor& y,
                     std::int64_t* idx, bool col_major) {
  const std::int64_t is = g.in_size(), os = g.out_size();
  const T* xp = x.data<T>();
  T* yp = y.data<T>();
#pragma omp parallel for schedule(static) if (planes * os > 4096)
  for (std::int64_t i = 0; i < planes; ++i)
    max_pool_plane<T>(g, xp + i * is, yp + i * os, idx ? idx + i * os : nullptr, i * is, col_major);
}

template <typename T>
void global_max_planes(const Tensor& x, Tensor& y) {
  const std::int64_t planes = x.shape()[0] * x.shape()[1];
  const std::int64_t plane = planes > 0 ? x.numel() / planes : 0;
  const T* xp = x.data<T>();
  T* yp = y.data<T>();
#pragma omp parallel for schedule(static) if (x.numel() > 65536)
  for (std::int64_t i = 0; i < planes; ++i) {
    T m = std::numeric_limits<T>::lowest();
    for (std::int64_t j = 0; j < plane; ++j) m = std::max(m, xp[i * plane + j]);
    yp[i] = m;
  }
}

void avg_lp_pool_plane(const Geom3& g, PoolKind kind, bool include_pad, float p, const float* x,
                       float* y) {
  std::int64_t o = 0;
  for (std::int64_t oz = 0; oz < g.out[0]; ++oz)
    for (std::int64_t oy = 0; oy < g.out[1]; ++oy)
      for (std::int64_t ox = 0; ox < g.out[2]; ++ox, ++o) {
        double sum = 0;
        std::int64_t n_valid = 0, n_padded = 0;
        for (std::int64_t kz = 0; kz < g.k[0]; ++kz) {
          const std::int64_t iz = oz * g.s[0] - g.pb[0] + kz * g.dl[0];
          if (iz >= g.in[0] + g.pe[0]) continue;  // past the end padding (ceil_mode)
          const bool vz = iz >= 0 && iz < g.in[0];
          for (std::int64_t ky = 0; ky < g.k[1]; ++ky) {
            const std::int64_t iy = oy * g.s[1] - g.pb[1] + ky * g.dl[1];
            if (iy >= g.in[1] + g.pe[1]) continue;
            const bool vy = vz && iy >= 0 && iy < g.in[1];
            for (std::int64_t kx = 0; kx < g.k[2]; ++kx) {
              const std::int64_t ix = ox * g.s[2] - g.pb[2] + kx * g.dl[2];
              if (ix >= g.in[2] + g.pe[2]) continue;
              ++n_padded;
              if (!vy || ix < 0 || ix >= g.in[2]) continue;
              ++n_valid;
              const float v = x[(iz * g.in[1] + iy) * g.in[2] + ix];
              sum += kind == PoolKind::kLp ? std::pow(std::fabs(static_cast<double>(v)), p) : v;
            }
          }
        }
        if (kind == PoolKind::kLp) {
          y[o] = static_cast<float>(std::pow(sum, 1.0 / p));
        } else {
          const std::int64_t div = include_pad ? n_padded : n_valid;
          y[o] = div > 0 ? static_cast<float>(sum / static_cast<double>(div)) : 0.0f;
        }
      }
}

Status compute_pool(ComputeContext& ctx, PoolKind kind) {
  EDGERT_ASSIGN_OR_RETURN(PoolAttrs a, parse_pool(ctx.node));
  const Tensor& x = *ctx.inputs[0];
  Shape out;
  Geom3 g;
  EDGERT_RETURN_IF_ERROR(pool_shapes(ctx.node, a, x.shape(), out, &g));
  const std::int64_t planes = x.shape()[0] * x.shape()[1];
  const std::int64_t is = g.in_size(), os = g.out_size();
  Tensor& y = *ctx.outputs[0];
  if (kind == PoolKind::kMax) {
    std::int64_t* idx =
        ctx.outputs.size() > 1 && ctx.outputs[1] ? ctx.outputs[1]->data<std::int64_t>() : nullptr;
    const bool col_major = a.storage_order == 1;
    switch (x.dtype()) {
      case DataType::kFloat32: max_pool_planes<float>(g, planes, x, y, idx, col_major); return {};
      case DataType::kInt8:
        max_pool_planes<std::int8_t>(g, planes, x, y, idx, col_major);
        return {};
      case DataType::kUInt8:
        max_pool_planes<std::uint8_t>(g, planes, x, y, idx, col_major);
        return {};
      default: return unsupported_dtype(ctx.node, 0, x.dtype());
    }
  }
  const float* xp = x.data<float>();
  float* yp = y.data<float>();
#pragma omp parallel for schedule(static) if (planes * os > 4096)
  for (std::int64_t i = 0; i < planes; ++i)
    avg_lp_pool_plane(g, kind, a.count_include_pad, a.p, xp + i * is, yp + i * os);
  return {};
}

}  // namespace

Status max_pool_output_shape(const NodeInfo& node, WindowAttrs& w, const Shape& xs, Shape& out,
                             Geom3* geom) {
  return window_pool_shapes(node, w, xs, out, geom);
}

void max_pool_f32(const Geom3& g, std::int64_t planes, const float* x, float* y) {
  const std::int64_t is = g.in_size(), os = g.out_size();
#pragma omp parallel for schedule(static) if (planes * os > 4096)
  for (std::int64_t i = 0; i < planes; ++i)
    max_pool_plane<float>(g, x + i * is, y + i * os, nullptr, 0, false);
}

Status infer_pool(InferContext& ctx) {
  EDGERT_ASSIGN_OR_RETURN(PoolAttrs a, parse_pool(ctx.node));
  EDGERT_RETURN_IF_ERROR(check_pool_dtype(ctx));
  Shape out;
  EDGERT_RETURN_IF_ERROR(pool_shapes(ctx.node, a, ctx.inputs[0].shape, out, nullptr));
  set_output(ctx, 0, ctx.inputs[0].dtype, out);
  if (ctx.outputs.size() > 1) {
    if (ctx.node.op_type != "MaxPool") return invalid(ctx.node, "has a single output");
    set_output(ctx, 1, DataType::kInt64, out);
  }
  return {};
}

Status compute_max_pool(ComputeContext& ctx) { return compute_pool(ctx, PoolKind::kMax); }
Status compute_average_pool(ComputeContext& ctx) { return compute_pool(ctx, PoolKind::kAverage); }
Status compute_lp_pool(ComputeContext& ctx) { return compute_pool(ctx, PoolKind::kLp); }

Status infer_global_pool(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_pool_dtype(ctx));
  const Shape& xs = ctx.inputs[0].shape;
  if (ctx.node.op_type == "GlobalLpPool") {
    EDGERT_ASSIGN_OR_RETURN(PoolAttrs a, parse_pool(ctx.node));
    (void)a;
  }
  if (xs.unknown_rank()) {
    set_output(ctx, 0, ctx.inputs[0].dtype, Shape::unknown());
    return {};
  }
  if (xs.rank() < 3)
    return invalid(ctx.node, "input must have rank >= 3 (N, C, spatial...), got " + xs.to_string());
  std::vector<std::int64_t> dims(xs.rank(), 1);
  dims[0] = xs[0];
  dims[1] = xs[1];
  set_output(ctx, 0, ctx.inputs[0].dtype, Shape(dims));
  return {};
}

namespace {

template <typename Fn>
void for_planes(const Tensor& x, Tensor& y, Fn fn) {
  const std::int64_t planes = x.shape()[0] * x.shape()[1];
  const std::int64_t plane = planes > 0 ? x.numel() / planes : 0;
  (void)y;
#pragma omp parallel for schedule(static) if (x.numel() > 65536)
  for (std::int64_t i = 0; i < planes; ++i) fn(i, plane);
}

}  // namespace

Status compute_global_average_pool(ComputeContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  const float* xp = x.data<float>();
  float* yp = ctx.outputs[0]->data<float>();
  for_planes(x, *ctx.outputs[0], [&](std::int64_t i, std::int64_t plane) {
    double s = 0;
    for (std::int64_t j = 0; j < plane; ++j) s += xp[i * plane + j];
    yp[i] = plane > 0 ? static_cast<float>(s / static_cast<double>(plane)) : 0.0f;
  });
  return {};
}

Status compute_global_max_pool(ComputeContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  switch (x.dtype()) {
    case DataType::kFloat32: global_max_planes<float>(x, y); return {};
    case DataType::kInt8: global_max_planes<std::int8_t>(x, y); return {};
    case DataType::kUInt8: global_max_planes<std::uint8_t>(x, y); return {};
    default: return unsupported_dtype(ctx.node, 0, x.dtype());
  }
}

Status compute_global_lp_pool(ComputeContext& ctx) {
  EDGERT_ASSIGN_OR_RETURN(PoolAttrs a, parse_pool(ctx.node));
  const Tensor& x = *ctx.inputs[0];
  const float* xp = x.data<float>();
  float* yp = ctx.outputs[0]->data<float>();
  const double p = a.p;
  for_planes(x, *ctx.outputs[0], [&](std::int64_t i, std::int64_t plane) {
    double s = 0;
    for (std::int64_t j = 0; j < plane; ++j) s += std::pow(std::fabs(double{xp[i * plane + j]}), p);
    yp[i] = static_cast<float>(std::pow(s, 1.0 / p));
  });
  return {};
}

}  // namespace edgert::cpu
