// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// QuantizeLinear, DequantizeLinear (per-tensor; per-axis from opset 13) and DynamicQuantizeLinear.
// Rounding is half to even (std::nearbyint in the default rounding mode), as the spec requires.

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/cpu/misc_ops.h"
#include "kernels/cpu/reduce_ops.h"

namespace edgert::cpu {
namespace {

// Per-tensor (one scale) or per-axis (a 1-D scale along `axis`) parameters, resolved against x.
struct QuantLayout {
  bool per_axis = false;
  std::int64_t axis = 0;  // normalised, when per_axis
};

// Checks scale/zero-point shapes against x's (possibly partial) shape.
Expected<QuantLayout> quant_layout(const NodeInfo& node, const Shape& x, const Shape& scale,
                                   const Shape* zp) {
  QuantLayout l;
  if (scale.unknown_rank()) return l;
  if (zp && !zp->unknown_rank() && *zp != scale)
    return invalid(node, "zero point shape " + zp->to_string() + " differs from scale shape " +
                             scale.to_string());
  if (scale.rank() == 0 || (scale.rank() == 1 && scale[0] == 1)) return l;
  if (scale.rank() != 1) return invalid(node, "scale must be a scalar or 1-D");
  if (node.opset < 13) return invalid(node, "per-axis quantization needs opset 13");
  EDGERT_ASSIGN_OR_RETURN(auto axis, node.attrs.get_int("axis", 1));
  l.per_axis = true;
  if (x.unknown_rank()) return l;
  EDGERT_ASSIGN_OR_RETURN(l.axis, normalize_axis(node, axis, static_cast<std::int64_t>(x.rank())));
  if (scale[0] != Shape::kUnknownDim && x[l.axis] != Shape::kUnknownDim && scale[0] != x[l.axis])
    return invalid(node, "scale has " + std::to_string(scale[0]) + " values for axis size " +
                             std::to_string(x[l.axis]));
  return l;
}

// [outer, channels, inner] view of x for the parameters' channel of each element.
void channel_split(const QuantLayout& l, const Shape& x, std::int64_t& outer, std::int64_t& ch,
                   std::int64_t& inner) {
  if (!l.per_axis) {
    outer = 1;
    ch = 1;
    inner = x.numel();
    return;
  }
  outer = dims_product(x, 0, l.axis);
  ch = x[l.axis];
  inner = dims_product(x, l.axis + 1, x.rank());
}

template <class Q>
Q saturate_round(float v) {
  v = std::nearbyint(v);
  constexpr auto lo = static_cast<float>(std::numeric_limits<Q>::min());
  constexpr auto hi = static_cast<float>(std::numeric_limits<Q>::max());
  if (!(v >= lo)) return std::numeric_limits<Q>::min();  // NaN included
  if (v > hi) return std::numeric_limits<Q>::max();
  return static_cast<Q>(v);
}

}  // namespace

Status infer_quantize(InferContext& ctx) {
  const NodeInfo& node = ctx.node;
  const DataType xt = ctx.inputs[0].dtype;
  if (!is_float(xt) && xt != DataType::kInt32) return unsupported_dtype(node, 0, xt);
  if (!is_float(ctx.inputs[1].dtype)) return unsupported_dtype(node, 1, ctx.inputs[1].dtype);
  DataType out = DataType::kUInt8;
  const bool has_zp = ctx.has_input(2);
  if (has_zp) {
    out = ctx.inputs[2].dtype;
    if (out != DataType::kUInt8 && out != DataType::kInt8) return unsupported_dtype(node, 2, out);
  }
  EDGERT_RETURN_IF_ERROR(quant_layout(node, ctx.inputs[0].shape, ctx.inputs[1].shape,
                                      has_zp ? &ctx.inputs[2].shape : nullptr)
                             .status());
  set_output(ctx, 0, out, ctx.inputs[0].shape);
  return Status();
}

Status compute_quantize(ComputeContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  const Tensor& scale = *ctx.inputs[1];
  const Tensor* zp = ctx.has_input(2) ? ctx.inputs[2] : nullptr;
  EDGERT_ASSIGN_OR_RETURN(
      auto l, quant_layout(ctx.node, x.shape(), scale.shape(), zp ? &zp->shape() : nullptr));
  std::int64_t outer = 0, ch = 0, inner = 0;
  channel_split(l, x.shape(), outer, ch, inner);
  std::vector<float> xbuf, sbuf;
  const float* xs = load_as<float>(x, xbuf);
  const float* sc = load_as<float>(scale, sbuf);
  for (std::int64_t c = 0; c < scale.numel(); ++c)
    if (!(sc[c] != 0.f)) return invalid(ctx.node, "scale must be non-zero");
  Tensor& y = *ctx.outputs[0];
  auto run = [&](auto* q, const auto* z) {
    using Q = std::remove_pointer_t<decltype(q)>;
#pragma omp parallel for schedule(static) if (x.numel() > (1 << 16))
    for (std::int64_t oc = 0; oc < outer * ch; ++oc) {
      const std::int64_t c = oc % ch;
      const float s = sc[c];
      const float zf = z ? static_cast<float>(z[c]) : 0.f;
      const float* src = xs + oc * inner;
      Q* dst = q + oc * inner;
      // Rounded before the zero point is added: x / s is rounded half to even, then shifted.
      for (std::int64_t i = 0; i < inner; ++i)
        dst[i] = saturate_round<Q>(std::nearbyint(src[i] / s) + zf);
    }
  };
  if (y.dtype() == DataType::kUInt8) {
    run(y.data<std::uint8_t>(), zp ? zp->data<std::uint8_t>() : nullptr);
  } else {
    run(y.data<std::int8_t>(), zp ? zp->data<std::int8_t>() : nullptr);
  }
  return Status();
}

Status infer_dequantize(InferContext& ctx) {
  const NodeInfo& node = ctx.node;
  const DataType xt = ctx.inputs[0].dtype;
  if (xt != DataType::kUInt8 && xt != DataType::kInt8 && xt != DataType::kInt32)
    return unsupported_dtype(node, 0, xt);
  const DataType st = ctx.inputs[1].dtype;
  if (!is_float(st)) return unsupported_dtype(node, 1, st);
  const bool has_zp = ctx.has_input(2);
  if (has_zp && ctx.inputs[2].dtype != xt)
    return invalid(node, "zero point type must match x's type");
  EDGERT_RETURN_IF_ERROR(quant_layout(node, ctx.inputs[0].shape, ctx.inputs[1].shape,
                                      has_zp ? &ctx.inputs[2].shape : nullptr)
                             .status());
  set_output(ctx, 0, st, ctx.inputs[0].shape);
  return Status();
}

Status compute_dequantize(ComputeContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  const Tensor& scale = *ctx.inputs[1];
  const Tensor* zp = ctx.has_input(2) ? ctx.inputs[2] : nullptr;
  EDGERT_ASSIGN_OR_RETURN(
      auto l, quant_layout(ctx.node, x.shape(), scale.shape(), zp ? &zp->shape() : nullptr));
  if (zp && x.dtype() == DataType::kInt32)
    for (std::int64_t i = 0; i < zp->numel(); ++i)
      if (zp->get_as_int64(i) != 0) return invalid(ctx.node, "int32 zero point must be 0");
  std::int64_t outer = 0, ch = 0, inner = 0;
  channel_split(l, x.shape(), outer, ch, inner);
  std::vector<float> sbuf, out(static_cast<std::size_t>(x.numel()));
  const float* sc = load_as<float>(scale, sbuf);
  auto run = [&](const auto* q, const auto* z) {
#pragma omp parallel for schedule(static) if (x.numel() > (1 << 16))
    for (std::int64_t oc = 0; oc < outer * ch; ++oc) {
      const std::int64_t c = oc % ch;
      const float s = sc[c];
      const std::int64_t zi = z ? static_cast<std::int64_t>(z[c]) : 0;
      for (std::int64_t i = 0; i < inner; ++i)
        out[oc * inner + i] =
            static_cast<float>(static_cast<std::int64_t>(q[oc * inner + i]) - zi) * s;
    }
  };
  switch (x.dtype()) {
    case DataType::kUInt8:
      run(x.data<std::uint8_t>(), zp ? zp->data<std::uint8_t>() : nullptr);
      break;
    case DataType::kInt8: run(x.data<std::int8_t>(), zp ? zp->data<std::int8_t>() : nullptr); break;
    default: run(x.data<std::int32_t>(), static_cast<const std::int32_t*>(nullptr)); break;
  }
  store_as(out.data(), *ctx.outputs[0]);
  return Status();
}

Status infer_dynamic_quantize(InferContext& ctx) {
  if (ctx.inputs[0].dtype != DataType::kFloat32)
    return unsupported_dtype(ctx.node, 0, ctx.inputs[0].dtype);
  set_output(ctx, 0, DataType::kUInt8, ctx.inputs[0].shape);
  set_output(ctx, 1, DataType::kFloat32, Shape{});
  set_output(ctx, 2, DataType::kUInt8, Shape{});
  return Status();
}

Status compute_dynamic_quantize(ComputeContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  const float* xs = x.data<float>();
  const std::int64_t n = x.numel();
  // The range always includes 0 so that 0 is exactly representable.
  float lo = 0.f, hi = 0.f;
  for (std::int64_t i = 0; i < n; ++i) {
    lo = std::min(lo, xs[i]);
    hi = std::max(hi, xs[i]);
  }
  // A constant-zero input would give scale 0; use 1 (as onnxruntime does) so y = 0, zp = 0.
  const float scale = hi == lo ? 1.f : (hi - lo) / 255.f;
  const std::uint8_t zp = saturate_round<std::uint8_t>((0.f - lo) / scale);
  if (ctx.outputs[0]) {
    std::uint8_t* y = ctx.outputs[0]->data<std::uint8_t>();
    for (std::int64_t i = 0; i < n; ++i)
      y[i] = saturate_round<std::uint8_t>(std::nearbyint(xs[i] / scale) + static_cast<float>(zp));
  }
  if (ctx.outputs.size() > 1 && ctx.outputs[1]) ctx.outputs[1]->data<float>()[0] = scale;
  if (ctx.outputs.size() > 2 && ctx.outputs[2]) ctx.outputs[2]->data<std::uint8_t>()[0] = zp;
  return Status();
}

}  // namespace edgert::cpu
