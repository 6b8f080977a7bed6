// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// BatchNormalization (inference), InstanceNormalization, LayerNormalization, LRN and
// MeanVarianceNormalization, float32. Statistics accumulate in double: these ops normalise over
// up to millions of elements, where float sums lose digits.

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/cpu/nn_common.h"

namespace edgert::cpu {
namespace {

Status check_float(const InferContext& ctx) {
  for (std::size_t i = 0; i < ctx.inputs.size(); ++i)
    if (ctx.has_input(i) && ctx.inputs[i].dtype != DataType::kFloat32)
      return unsupported_dtype(ctx.node, i, ctx.inputs[i].dtype);
  return {};
}

/// Checks that input i is 1-D of size c (when known).
Status check_channel_vector(const InferContext& ctx, std::size_t i, std::int64_t c,
                            const char* what) {
  const Shape& s = ctx.inputs[i].shape;
  if (s.unknown_rank()) return {};
  if (s.rank() != 1 || (s[0] != Shape::kUnknownDim && c != Shape::kUnknownDim && s[0] != c))
    return invalid(ctx.node, std::string(what) + " must be 1-D of size " + std::to_string(c) +
                                 " (channels), got " + s.to_string());
  return {};
}

std::int64_t channels_of(const Shape& s) {
  return s.unknown_rank() || s.rank() < 2 ? Shape::kUnknownDim : s[1];
}

}  // namespace

// ---- BatchNormalization ------------------------------------------------------------------------

Status infer_batch_norm(InferContext& ctx) {
  EDGERT_ASSIGN_OR_RETURN(std::int64_t training, ctx.node.attrs.get_int("training_mode", 0));
  if (training != 0) return unsupported(ctx.node, "training_mode=1 is not supported");
  if (ctx.node.opset < 9) {
    EDGERT_ASSIGN_OR_RETURN(std::int64_t spatial, ctx.node.attrs.get_int("spatial", 1));
    if (spatial != 1) return unsupported(ctx.node, "spatial=0 is not supported");
  }
  if (ctx.node.opset < 7) {
    EDGERT_ASSIGN_OR_RETURN(std::int64_t is_test, ctx.node.attrs.get_int("is_test", 0));
    (void)is_test;  // inference either way: statistics come from the mean/var inputs
  }
  EDGERT_RETURN_IF_ERROR(check_float(ctx));
  const Shape& xs = ctx.inputs[0].shape;
  if (!xs.unknown_rank() && xs.rank() < 2)
    return invalid(ctx.node, "X must have rank >= 2, got " + xs.to_string());
  const std::int64_t c = channels_of(xs);
  const char* names[] = {"", "scale", "B", "mean", "var"};
  for (std::size_t i = 1; i < 5; ++i)
    EDGERT_RETURN_IF_ERROR(check_channel_vector(ctx, i, c, names[i]));
  if (ctx.outputs.size() > 3)
    return unsupported(ctx.node, "saved_mean/saved_var outputs (training) are not supported");
  set_output(ctx, 0, DataType::kFloat32, xs);
  // In inference mode the running statistics are passed through unchanged.
  for (std::size_t i = 1; i < ctx.outputs.size(); ++i)
    set_output(ctx, i, DataType::kFloat32, ctx.inputs[i + 2].shape);
  return {};
}

Status compute_batch_norm(ComputeContext& ctx) {
  EDGERT_ASSIGN_OR_RETURN(float eps, ctx.node.attrs.get_float("epsilon", 1e-5f));
  const Tensor& x = *ctx.inputs[0];
  const std::int64_t n = x.shape()[0], c = x.shape()[1];
  const std::int64_t plane = n * c > 0 ? x.numel() / (n * c) : 0;
  const float* scale = ctx.inputs[1]->data<float>();
  const float* bias = ctx.inputs[2]->data<float>();
  const float* mean = ctx.inputs[3]->data<float>();
  const float* var = ctx.inputs[4]->data<float>();
  std::vector<float> mul(c), add(c);
  for (std::int64_t i = 0; i < c; ++i) {
    mul[i] = scale[i] / std::sqrt(var[i] + eps);
    add[i] = bias[i] - mean[i] * mul[i];
  }
  const float* xp = x.data<float>();
  float* yp = ctx.outputs[0]->data<float>();
#pragma omp parallel for schedule(static) if (x.numel() > 65536)
  for (std::int64_t i = 0; i < n * c; ++i) {
    const float a = mul[i % c], b = add[i % c];
    for (std::int64_t j = 0; j < plane; ++j) yp[i * plane + j] = xp[i * plane + j] * a + b;
  }
  for (std::size_t o = 1; o < ctx.outputs.size() && o < 3; ++o)
    if (ctx.outputs[o])
      std::copy(ctx.inputs[o + 2]->data<float>(), ctx.inputs[o + 2]->data<float>() + c,
                ctx.outputs[o]->data<float>());
  return {};
}

// ---- InstanceNormalization ---------------------------------------------------------------------

Status infer_instance_norm(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_float(ctx));
  const Shape& xs = ctx.inputs[0].shape;
  if (!xs.unknown_rank() && xs.rank() < 3)
    return invalid(ctx.node, "X must have rank >= 3, got " + xs.to_string());
  const std::int64_t c = channels_of(xs);
  EDGERT_RETURN_IF_ERROR(check_channel_vector(ctx, 1, c, "scale"));
  EDGERT_RETURN_IF_ERROR(check_channel_vector(ctx, 2, c, "B"));
  set_output(ctx, 0, DataType::kFloat32, xs);
  return {};
}

Status compute_instance_norm(ComputeContext& ctx) {
  EDGERT_ASSIGN_OR_RETURN(float eps, ctx.node.attrs.get_float("epsilon", 1e-5f));
  const Tensor& x = *ctx.inputs[0];
  const std::int64_t n = x.shape()[0], c = x.shape()[1];
  const std::int64_t plane = n * c > 0 ? x.numel() / (n * c) : 0;
  const float* scale = ctx.inputs[1]->data<float>();
  const float* bias = ctx.inputs[2]->data<float>();
  const float* xp = x.data<float>();
  float* yp = ctx.outputs[0]->data<float>();
#pragma omp parallel for schedule(static) if (x.numel() > 65536)
  for (std::int64_t i = 0; i < n * c; ++i) {
    const float* xi = xp + i * plane;
    double s = 0, s2 = 0;
    for (std::int64_t j = 0; j < plane; ++j) s += xi[j];
    const double mean = plane > 0 ? s / static_cast<double>(plane) : 0.0;
    for (std::int64_t j = 0; j < plane; ++j) s2 += (xi[j] - mean) * (xi[j] - mean);
    const double var = plane > 0 ? s2 / static_cast<double>(plane) : 0.0;
    const float a = static_cast<float>(scale[i % c] / std::sqrt(var + eps));
    const float b = static_cast<float>(bias[i % c] - mean * a);
    for (std::int64_t j = 0; j < plane; ++j) yp[i * plane + j] = xi[j] * a + b;
  }
  return {};
}

// ---- LayerNormalization ------------------------------------------------------------------------

namespace {

struct LayerNormAttrs {
  std::int64_t axis = -1;
  float epsilon = 1e-5f;
};

Expected<LayerNormAttrs> parse_layer_norm(const NodeInfo& node) {
  LayerNormAttrs a;
  EDGERT_ASSIGN_OR_RETURN(a.axis, node.attrs.get_int("axis", -1));
  EDGERT_ASSIGN_OR_RETURN(a.epsilon, node.attrs.get_float("epsilon", 1e-5f));
  EDGERT_ASSIGN_OR_RETURN(std::int64_t stash, node.attrs.get_int("stash_type", 1));
  if (stash != 1) return unsupported(node, "stash_type other than 1 (float) is not supported");
  return a;
}

/// Checks that `s` (Scale or B) broadcasts unidirectionally to x's dims from `axis` on.
Status check_inner_broadcast(const NodeInfo& node, const Shape& s, const Shape& xs,
                             std::int64_t axis, const char* what) {
  if (s.unknown_rank()) return {};
  const std::size_t inner = xs.rank() - static_cast<std::size_t>(axis);
  if (s.rank() > inner)
    return invalid(node, std::string(what) + " of shape " + s.to_string() +
                             " does not broadcast to the normalized dims of " + xs.to_string());
  for (std::size_t i = 0; i < s.rank(); ++i) {
    const std::int64_t d = s[i], t = xs[xs.rank() - s.rank() + i];
    if (d != Shape::kUnknownDim && d != 1 && t != Shape::kUnknownDim && d != t)
      return invalid(node, std::string(what) + " of shape " + s.to_string() +
                               " does not broadcast to the normalized dims of " + xs.to_string());
  }
  return {};
}

/// Materialises `t` broadcast to `inner` (the normalized dims) as a flat vector.
std::vector<float> expand_inner(const Tensor& t, const Shape& inner) {
  std::vector<float> out(static_cast<std::size_t>(inner.numel()));
  const auto st = broadcast_strides(t.shape(), inner);
  IndexIter it(inner);
  const float* p = t.data<float>();
  for (std::size_t i = 0; i < out.size(); ++i, it.next()) {
    std::int64_t off = 0;
    for (std::size_t d = 0; d < inner.rank(); ++d) off += it.index()[d] * st[d];
    out[i] = p[off];
  }
  return out;
}

}  // namespace

Status infer_layer_norm(InferContext& ctx) {
  EDGERT_ASSIGN_OR_RETURN(LayerNormAttrs a, parse_layer_norm(ctx.node));
  EDGERT_RETURN_IF_ERROR(check_float(ctx));
  const Shape& xs = ctx.inputs[0].shape;
  if (xs.unknown_rank()) {
    for (std::size_t i = 0; i < std::max<std::size_t>(1, ctx.outputs.size()); ++i)
      set_output(ctx, i, DataType::kFloat32, Shape::unknown());
    return {};
  }
  const auto rank = static_cast<std::int64_t>(xs.rank());
  EDGERT_ASSIGN_OR_RETURN(std::int64_t axis, normalize_axis(ctx.node, a.axis, rank));
  EDGERT_RETURN_IF_ERROR(check_inner_broadcast(ctx.node, ctx.inputs[1].shape, xs, axis, "Scale"));
  if (ctx.has_input(2))
    EDGERT_RETURN_IF_ERROR(check_inner_broadcast(ctx.node, ctx.inputs[2].shape, xs, axis, "B"));
  set_output(ctx, 0, DataType::kFloat32, xs);
  std::vector<std::int64_t> stat(xs.dims());
  for (std::int64_t d = axis; d < rank; ++d) stat[d] = 1;
  for (std::size_t i = 1; i < ctx.outputs.size() && i < 3; ++i)
    set_output(ctx, i, DataType::kFloat32, Shape(stat));
  if (ctx.outputs.size() > 3) return invalid(ctx.node, "has at most 3 outputs");
  return {};
}

Status compute_layer_norm(ComputeContext& ctx) {
  EDGERT_ASSIGN_OR_RETURN(LayerNormAttrs a, parse_layer_norm(ctx.node));
  const Tensor& x = *ctx.inputs[0];
  const auto rank = static_cast<std::int64_t>(x.shape().rank());
  EDGERT_ASSIGN_OR_RETURN(std::int64_t axis, normalize_axis(ctx.node, a.axis, rank));
  const Shape inner(
      std::vector<std::int64_t>(x.shape().dims().begin() + axis, x.shape().dims().end()));
  const std::int64_t d = inner.numel();
  const std::int64_t rows = d > 0 ? x.numel() / d : 0;
  const std::vector<float> scale = expand_inner(*ctx.inputs[1], inner);
  const std::vector<float> bias =
      ctx.has_input(2) ? expand_inner(*ctx.inputs[2], inner) : std::vector<float>(d, 0.0f);
  float* mean_out =
      ctx.outputs.size() > 1 && ctx.outputs[1] ? ctx.outputs[1]->data<float>() : nullptr;
  float* inv_out =
      ctx.outputs.size() > 2 && ctx.outputs[2] ? ctx.outputs[2]->data<float>() : nullptr;
  const float* xp = x.data<float>();
  float* yp = ctx.outputs[0]->data<float>();
#pragma omp parallel for schedule(static) if (x.numel() > 65536)
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* xr = xp + r * d;
    float* yr = yp + r * d;
    double s = 0, s2 = 0;
    for (std::int64_t j = 0; j < d; ++j) s += xr[j];
    const double mean = s / static_cast<double>(d);
    for (std::int64_t j = 0; j < d; ++j) s2 += (xr[j] - mean) * (xr[j] - mean);
    const double inv = 1.0 / std::sqrt(s2 / static_cast<double>(d) + a.epsilon);
    for (std::int64_t j = 0; j < d; ++j)
      yr[j] = static_cast<float>((xr[j] - mean) * inv) * scale[j] + bias[j];
    if (mean_out) mean_out[r] = static_cast<float>(mean);
    if (inv_out) inv_out[r] = static_cast<float>(inv);
  }
  return {};
}

// ---- LRN -------------------------------------------------------------------------------------

Status infer_lrn(InferContext& ctx) {
  EDGERT_ASSIGN_OR_RETURN(std::int64_t size, ctx.node.attrs.get_int("size", 0));
  if (size < 1) return invalid(ctx.node, "attribute 'size' must be >= 1");
  EDGERT_RETURN_IF_ERROR(check_float(ctx));
  const Shape& xs = ctx.inputs[0].shape;
  if (!xs.unknown_rank() && xs.rank() < 3)
    return invalid(ctx.node, "X must have rank >= 3, got " + xs.to_string());
  set_output(ctx, 0, DataType::kFloat32, xs);
  return {};
}

Status compute_lrn(ComputeContext& ctx) {
  EDGERT_ASSIGN_OR_RETURN(std::int64_t size, ctx.node.attrs.get_int("size", 0));
  EDGERT_ASSIGN_OR_RETURN(float alpha, ctx.node.attrs.get_float("alpha", 1e-4f));
  EDGERT_ASSIGN_OR_RETURN(float beta, ctx.node.attrs.get_float("beta", 0.75f));
  EDGERT_ASSIGN_OR_RETURN(float bias, ctx.node.attrs.get_float("bias", 1.0f));
  const Tensor& x = *ctx.inputs[0];
  const std::int64_t n = x.shape()[0], c = x.shape()[1];
  const std::int64_t plane = n * c > 0 ? x.numel() / (n * c) : 0;
  const std::int64_t before = (size - 1) / 2, after = size - 1 - before;  // floor / ceil
  const float* xp = x.data<float>();
  float* yp = ctx.outputs[0]->data<float>();
#pragma omp parallel for schedule(static) if (x.numel() > 65536)
  for (std::int64_t i = 0; i < n * c; ++i) {
    const std::int64_t img = i / c, ch = i % c;
    const std::int64_t c0 = std::max<std::int64_t>(0, ch - before);
    const std::int64_t c1 = std::min(c - 1, ch + after);
    for (std::int64_t j = 0; j < plane; ++j) {
      float sq = 0;
      for (std::int64_t cc = c0; cc <= c1; ++cc) {
        const float v = xp[(img * c + cc) * plane + j];
        sq += v * v;
      }
      yp[i * plane + j] =
          xp[i * plane + j] / std::pow(bias + alpha / static_cast<float>(size) * sq, beta);
    }
  }
  return {};
}

// ---- MeanVarianceNormalization -----------------------------------------------------------------

namespace {

Expected<std::vector<bool>> mvn_axes(const NodeInfo& node, std::size_t rank) {
  EDGERT_ASSIGN_OR_RETURN(std::vector<std::int64_t> axes, node.attrs.get_ints("axes", {0, 2, 3}));
  std::vector<bool> reduce(rank, false);
  for (auto ax : axes) {
    EDGERT_ASSIGN_OR_RETURN(std::int64_t a,
                            normalize_axis(node, ax, static_cast<std::int64_t>(rank)));
    reduce[static_cast<std::size_t>(a)] = true;
  }
  return reduce;
}

}  // namespace

Status infer_mvn(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_float(ctx));
  const Shape& xs = ctx.inputs[0].shape;
  if (!xs.unknown_rank()) EDGERT_RETURN_IF_ERROR(mvn_axes(ctx.node, xs.rank()).status());
  set_output(ctx, 0, DataType::kFloat32, xs);
  return {};
}

Status compute_mvn(ComputeContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  const Shape& xs = x.shape();
  EDGERT_ASSIGN_OR_RETURN(std::vector<bool> reduce, mvn_axes(ctx.node, xs.rank()));
  // Statistics per kept index: strides of x's index into the (kept dims) statistics array.
  std::vector<std::int64_t> stat_dims(xs.dims());
  for (std::size_t d = 0; d < xs.rank(); ++d)
    if (reduce[d]) stat_dims[d] = 1;
  const Shape ss(stat_dims);
  const auto st = broadcast_strides(ss, xs);
  std::vector<std::int64_t> slot(static_cast<std::size_t>(x.numel()));
  {
    IndexIter it(xs);
    for (std::int64_t i = 0; i < x.numel(); ++i, it.next()) {
      std::int64_t off = 0;
      for (std::size_t d = 0; d < xs.rank(); ++d) off += it.index()[d] * st[d];
      slot[i] = off;
    }
  }
  const std::int64_t groups = ss.numel();
  const std::int64_t count = groups > 0 ? x.numel() / groups : 0;
  std::vector<double> sum(groups, 0.0), sq(groups, 0.0);
  const float* xp = x.data<float>();
  for (std::int64_t i = 0; i < x.numel(); ++i) sum[slot[i]] += xp[i];
  for (auto& s : sum) s /= static_cast<double>(std::max<std::int64_t>(1, count));
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    const double dv = xp[i] - sum[slot[i]];
    sq[slot[i]] += dv * dv;
  }
  float* yp = ctx.outputs[0]->data<float>();
  // As the ONNX function body: (X - mean) / (sqrt(var) + 1e-9).
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    const double sd =
        std::sqrt(sq[slot[i]] / static_cast<double>(std::max<std::int64_t>(1, count)));
    yp[i] = static_cast<float>((xp[i] - sum[slot[i]]) / (sd + 1e-9));
  }
  return {};
}

}  // namespace edgert::cpu
