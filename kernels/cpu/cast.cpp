// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Type-changing and copying ops of the unary family: Cast, CastLike, Clip, Identity, Dropout
// (inference), IsNaN, IsInf.
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "kernels/cpu/unary_common.h"

namespace edgert::cpu::unary {
namespace {

// ---- Cast ---------------------------------------------------------------------------------------

/// ONNX TensorProto.DataType codes -> our types (kUndefined: a type we do not take).
Expected<DataType> onnx_type(const NodeInfo& node, std::int64_t code) {
  switch (code) {
    case 1: return DataType::kFloat32;
    case 2: return DataType::kUInt8;
    case 3: return DataType::kInt8;
    case 6: return DataType::kInt32;
    case 7: return DataType::kInt64;
    case 9: return DataType::kBool;
    case 10: return DataType::kFloat16;
    case 4:
    case 5:
    case 8:
    case 11:
    case 12:
    case 13:
    case 14:
    case 15:
    case 16:
      return unsupported(node, "attribute 'to'=" + std::to_string(code) +
                                   " (a type outside float32/float16/int8/uint8/int32/int64/bool)"
                                   " is not supported");
    default: return invalid(node, "attribute 'to'=" + std::to_string(code) + " is not a type");
  }
}

Expected<DataType> parse_cast_to(const NodeInfo& node) {
  if (!node.attrs.has("to")) return invalid(node, "attribute 'to' is required");
  auto code = node.attrs.get_int("to", 0);
  if (code) return onnx_type(node, *code);
  // Opset 1-5 spelled the type as a string.
  auto name = node.attrs.get_string("to", "");
  if (!name) return invalid(node, name.status().message());
  static const struct {
    const char* name;
    std::int64_t code;
  } kNames[] = {{"FLOAT", 1},   {"UINT8", 2},   {"INT8", 3},    {"UINT16", 4},   {"INT16", 5},
                {"INT32", 6},   {"INT64", 7},   {"STRING", 8},  {"BOOL", 9},     {"FLOAT16", 10},
                {"DOUBLE", 11}, {"UINT32", 12}, {"UINT64", 13}, {"BFLOAT16", 16}};
  for (const auto& n : kNames)
    if (*name == n.name) return onnx_type(node, n.code);
  return invalid(node, "attribute 'to'=" + *name + " is not a type");
}

template <DataType D>
struct Storage;
template <>
struct Storage<DataType::kFloat32> {
  using type = float;
};
template <>
struct Storage<DataType::kFloat16> {
  using type = std::uint16_t;
};
template <>
struct Storage<DataType::kInt8> {
  using type = std::int8_t;
};
template <>
struct Storage<DataType::kUInt8> {
  using type = std::uint8_t;
};
template <>
struct Storage<DataType::kInt32> {
  using type = std::int32_t;
};
template <>
struct Storage<DataType::kInt64> {
  using type = std::int64_t;
};
template <>
struct Storage<DataType::kBool> {
  using type = std::uint8_t;
};

constexpr bool is_float_type(DataType t) {
  return t == DataType::kFloat32 || t == DataType::kFloat16;
}

/// Source element as double (float sources) or int64 (integer/bool sources).
template <DataType S>
auto load(typename Storage<S>::type v) {
  if constexpr (S == DataType::kFloat16) {
    return static_cast<double>(half_to_float(v));
  } else if constexpr (S == DataType::kFloat32) {
    return static_cast<double>(v);
  } else if constexpr (S == DataType::kBool) {
    return static_cast<std::int64_t>(v != 0);
  } else {
    return static_cast<std::int64_t>(v);
  }
}

/// Float -> integer: truncation toward zero as the spec says; NaN and out-of-range values (which
/// the spec leaves undefined) are saturated to int64 first so that nothing is undefined behaviour,
/// then wrapped into narrower types like numpy's astype.
inline std::int64_t trunc_to_int64(double v) {
  if (std::isnan(v)) return 0;
  if (v >= 9.2233720368547758e18) return std::numeric_limits<std::int64_t>::max();
  if (v <= -9.2233720368547758e18) return std::numeric_limits<std::int64_t>::min();
  return static_cast<std::int64_t>(v);
}

template <DataType D, class V>
typename Storage<D>::type store(V v) {
  using Out = typename Storage<D>::type;
  if constexpr (D == DataType::kBool) {
    return static_cast<Out>(v != 0);  // NaN != 0: true, as numpy
  } else if constexpr (D == DataType::kFloat32) {
    return static_cast<float>(v);
  } else if constexpr (D == DataType::kFloat16) {
    return float_to_half(static_cast<float>(v));
  } else if constexpr (std::is_floating_point_v<V>) {
    return static_cast<Out>(trunc_to_int64(v));
  } else {
    return static_cast<Out>(v);
  }
}

template <DataType S, DataType D>
void cast_loop(const void* src, void* dst, std::int64_t n) {
  const auto* s = static_cast<const typename Storage<S>::type*>(src);
  auto* d = static_cast<typename Storage<D>::type*>(dst);
#pragma omp parallel for if (n >= kParallelMin)
  for (std::int64_t i = 0; i < n; ++i) d[i] = store<D>(load<S>(s[i]));
}

template <DataType S>
bool cast_from(DataType dst_type, const void* src, void* dst, std::int64_t n) {
  switch (dst_type) {
    case DataType::kFloat32: cast_loop<S, DataType::kFloat32>(src, dst, n); return true;
    case DataType::kFloat16: cast_loop<S, DataType::kFloat16>(src, dst, n); return true;
    case DataType::kInt8: cast_loop<S, DataType::kInt8>(src, dst, n); return true;
    case DataType::kUInt8: cast_loop<S, DataType::kUInt8>(src, dst, n); return true;
    case DataType::kInt32: cast_loop<S, DataType::kInt32>(src, dst, n); return true;
    case DataType::kInt64: cast_loop<S, DataType::kInt64>(src, dst, n); return true;
    case DataType::kBool: cast_loop<S, DataType::kBool>(src, dst, n); return true;
    case DataType::kUndefined: return false;
  }
  return false;
}

Status cast_tensor(const NodeInfo& node, const Tensor& x, Tensor& y) {
  if (x.dtype() == y.dtype()) {
    if (x.nbytes()) std::memcpy(y.raw(), x.raw(), x.nbytes());
    return {};
  }
  bool ok = false;
  const void* s = x.raw();
  void* d = y.raw();
  const std::int64_t n = x.numel();
  switch (x.dtype()) {
    case DataType::kFloat32: ok = cast_from<DataType::kFloat32>(y.dtype(), s, d, n); break;
    case DataType::kFloat16: ok = cast_from<DataType::kFloat16>(y.dtype(), s, d, n); break;
    case DataType::kInt8: ok = cast_from<DataType::kInt8>(y.dtype(), s, d, n); break;
    case DataType::kUInt8: ok = cast_from<DataType::kUInt8>(y.dtype(), s, d, n); break;
    case DataType::kInt32: ok = cast_from<DataType::kInt32>(y.dtype(), s, d, n); break;
    case DataType::kInt64: ok = cast_from<DataType::kInt64>(y.dtype(), s, d, n); break;
    case DataType::kBool: ok = cast_from<DataType::kBool>(y.dtype(), s, d, n); break;
    case DataType::kUndefined: break;
  }
  if (!ok) return unsupported_dtype(node, 0, x.dtype());
  return {};
}

Status check_known_type(const InferContext& ctx, std::size_t i) {
  if (type_bit(ctx.inputs[i].dtype) == 0)
    return unsupported_dtype(ctx.node, i, ctx.inputs[i].dtype);
  return {};
}

// ---- Clip ---------------------------------------------------------------------------------------

constexpr unsigned kClipTypes = kNumericTypes;

Status clip_infer_impl(InferContext& ctx) {
  const DataType t = ctx.inputs[0].dtype;
  if (!(type_bit(t) & kClipTypes)) return unsupported_dtype(ctx.node, 0, t);
  if (ctx.node.opset < 11) {
    if (ctx.has_input(1) || ctx.has_input(2))
      return invalid(ctx.node, "min/max are attributes before opset 11, not inputs");
    if (!is_float(t)) return unsupported_dtype(ctx.node, 0, t);
    for (const char* a : {"min", "max"}) {
      auto v = ctx.node.attrs.get_float(a, 0.f);
      if (!v) return invalid(ctx.node, v.status().message());
    }
  } else {
    for (std::size_t i = 1; i <= 2; ++i) {
      if (!ctx.has_input(i)) continue;
      if (ctx.inputs[i].dtype != t)
        return invalid(ctx.node, std::string("input ") + (i == 1 ? "min" : "max") + " has type " +
                                     dtype_name(ctx.inputs[i].dtype) + ", input has " +
                                     dtype_name(t));
      const Shape& s = ctx.inputs[i].shape;
      if (s.is_static() && s.numel() != 1)
        return invalid(ctx.node, std::string(i == 1 ? "min" : "max") + " must be a scalar, got " +
                                     s.to_string());
    }
  }
  set_output(ctx, 0, t, ctx.inputs[0].shape);
  return {};
}

template <class T, class C>
void clip_loop(const T* x, T* y, std::int64_t n, C lo, C hi, bool half) {
  (void)half;
#pragma omp parallel for if (n >= kParallelMin)
  for (std::int64_t i = 0; i < n; ++i) {
    C v;
    if constexpr (std::is_same_v<T, std::uint16_t> && std::is_same_v<C, float>) {
      v = half_to_float(x[i]);
    } else {
      v = x[i];
    }
    // Comparisons (not std::min/max) so that NaN passes through; min > max gives max, per spec.
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    if constexpr (std::is_same_v<T, std::uint16_t> && std::is_same_v<C, float>) {
      y[i] = float_to_half(v);
    } else {
      y[i] = v;
    }
  }
}

template <class T>
void clip_typed(ComputeContext& ctx, bool half) {
  using C = std::conditional_t<std::is_same_v<T, std::uint16_t>, float, T>;
  C lo = std::numeric_limits<C>::lowest();
  C hi = std::numeric_limits<C>::max();
  auto bound = [&](std::size_t i, C& out) {
    if (!ctx.has_input(i)) return;
    if constexpr (std::is_same_v<C, float> && std::is_same_v<T, std::uint16_t>) {
      out = half_to_float(ctx.inputs[i]->data<std::uint16_t>()[0]);
    } else {
      out = ctx.inputs[i]->data<T>()[0];
    }
  };
  bound(1, lo);
  bound(2, hi);
  clip_loop<T, C>(ctx.inputs[0]->data<T>(), ctx.outputs[0]->data<T>(), ctx.inputs[0]->numel(), lo,
                  hi, half);
}

Status clip_compute_impl(ComputeContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  if (ctx.node.opset < 11) {
    const float lo = ctx.node.attrs.get_float("min", std::numeric_limits<float>::lowest()).value();
    const float hi = ctx.node.attrs.get_float("max", std::numeric_limits<float>::max()).value();
    if (x.dtype() == DataType::kFloat32) {
      clip_loop<float, float>(x.data<float>(), ctx.outputs[0]->data<float>(), x.numel(), lo, hi,
                              false);
    } else {
      clip_loop<std::uint16_t, float>(
          x.data<std::uint16_t>(), ctx.outputs[0]->data<std::uint16_t>(), x.numel(), lo, hi, true);
    }
    return {};
  }
  switch (x.dtype()) {
    case DataType::kFloat32: clip_typed<float>(ctx, false); return {};
    case DataType::kFloat16: clip_typed<std::uint16_t>(ctx, true); return {};
    case DataType::kInt8: clip_typed<std::int8_t>(ctx, false); return {};
    case DataType::kUInt8: clip_typed<std::uint8_t>(ctx, false); return {};
    case DataType::kInt32: clip_typed<std::int32_t>(ctx, false); return {};
    case DataType::kInt64: clip_typed<std::int64_t>(ctx, false); return {};
    default: return unsupported_dtype(ctx.node, 0, x.dtype());
  }
}

// ---- Dropout ------------------------------------------------------------------------------------

constexpr const char* kDropoutTraining = "training_mode=true (random dropout) is not supported";

Status dropout_infer_impl(InferContext& ctx) {
  const DataType t = ctx.inputs[0].dtype;
  if (!is_float(t)) return unsupported_dtype(ctx.node, 0, t);
  if (ctx.node.opset >= 12) {
    if (ctx.has_input(1) && !is_float(ctx.inputs[1].dtype))
      return unsupported_dtype(ctx.node, 1, ctx.inputs[1].dtype);
    if (ctx.has_input(2) && ctx.inputs[2].dtype != DataType::kBool)
      return invalid(ctx.node, "training_mode must be bool");
    // Training mode drops random elements: not reproducible, so outside what we run. A
    // training_mode known here is checked now; one fed at run time is checked by the compute.
    const Tensor* training = ctx.value(2);
    if (training && training->numel() >= 1 && training->get_as_double(0) != 0.0) {
      double ratio = 0.5;
      if (ctx.has_input(1)) {
        const Tensor* r = ctx.value(1);
        if (!r) return unsupported(ctx.node, "training mode with a non-constant ratio");
        if (r->numel() != 1) return invalid(ctx.node, "ratio must be a scalar");
        ratio = r->get_as_double(0);
      }
      if (ratio != 0.0) return unsupported(ctx.node, kDropoutTraining);
    }
  } else if (ctx.has_input(1) || ctx.has_input(2)) {
    return invalid(ctx.node, "ratio/training_mode are inputs only from opset 12");
  }
  set_output(ctx, 0, t, ctx.inputs[0].shape);
  if (ctx.outputs.size() >= 2)  // the mask was of type T before opset 10
    set_output(ctx, 1, ctx.node.opset >= 10 ? DataType::kBool : t, ctx.inputs[0].shape);
  return {};
}

Status dropout_compute_impl(ComputeContext& ctx) {
  // training_mode and ratio as run-time inputs (an engine input): refuse a training run rather
  // than return the input as if nothing were dropped.
  if (ctx.inputs.size() > 2 && ctx.inputs[2] && ctx.inputs[2]->numel() >= 1 &&
      ctx.inputs[2]->get_as_double(0) != 0.0) {
    const Tensor* r = ctx.inputs.size() > 1 ? ctx.inputs[1] : nullptr;
    if (!r || r->numel() < 1 || r->get_as_double(0) != 0.0)
      return unsupported(ctx.node, kDropoutTraining);
  }
  const Tensor& x = *ctx.inputs[0];
  if (x.nbytes()) std::memcpy(ctx.outputs[0]->raw(), x.raw(), x.nbytes());
  if (ctx.outputs.size() >= 2 && ctx.outputs[1]) {
    Tensor& m = *ctx.outputs[1];
    const std::int64_t n = m.numel();
    switch (m.dtype()) {  // nothing is dropped: an all-true (all-one) mask
      case DataType::kBool: std::memset(m.raw(), 1, m.nbytes()); break;
      case DataType::kFloat32: std::fill(m.data<float>(), m.data<float>() + n, 1.0f); break;
      case DataType::kFloat16:
        std::fill(m.data<std::uint16_t>(), m.data<std::uint16_t>() + n, float_to_half(1.0f));
        break;
      default: return unsupported_dtype(ctx.node, 0, m.dtype());
    }
  }
  return {};
}

// ---- IsNaN / IsInf ------------------------------------------------------------------------------

Status float_to_bool_infer(InferContext& ctx) {
  const DataType t = ctx.inputs[0].dtype;
  if (!is_float(t)) return unsupported_dtype(ctx.node, 0, t);
  set_output(ctx, 0, DataType::kBool, ctx.inputs[0].shape);
  return {};
}

template <class Pred>
void float_to_bool(const Tensor& x, Tensor& y, Pred pred) {
  const std::int64_t n = x.numel();
  std::uint8_t* out = y.data<std::uint8_t>();
  if (x.dtype() == DataType::kFloat32) {
    const float* in = x.data<float>();
    for (std::int64_t i = 0; i < n; ++i) out[i] = pred(in[i]) ? 1 : 0;
  } else {
    const std::uint16_t* in = x.data<std::uint16_t>();
    for (std::int64_t i = 0; i < n; ++i) out[i] = pred(half_to_float(in[i])) ? 1 : 0;
  }
}

struct InfFlags {
  bool pos = true;
  bool neg = true;
};

Expected<InfFlags> parse_is_inf(const NodeInfo& node) {
  auto p = node.attrs.get_int("detect_positive", 1);
  auto n = node.attrs.get_int("detect_negative", 1);
  if (!p) return invalid(node, p.status().message());
  if (!n) return invalid(node, n.status().message());
  return InfFlags{*p != 0, *n != 0};
}

}  // namespace

Status cast_infer(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_known_type(ctx, 0));
  EDGERT_ASSIGN_OR_RETURN(DataType to, parse_cast_to(ctx.node));
  set_output(ctx, 0, to, ctx.inputs[0].shape);
  return {};
}
Status cast_compute(ComputeContext& ctx) {
  return cast_tensor(ctx.node, *ctx.inputs[0], *ctx.outputs[0]);
}

Status cast_like_infer(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_known_type(ctx, 0));
  EDGERT_RETURN_IF_ERROR(check_known_type(ctx, 1));
  set_output(ctx, 0, ctx.inputs[1].dtype, ctx.inputs[0].shape);
  return {};
}
Status cast_like_compute(ComputeContext& ctx) {
  return cast_tensor(ctx.node, *ctx.inputs[0], *ctx.outputs[0]);
}

Status identity_infer(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_known_type(ctx, 0));
  set_output(ctx, 0, ctx.inputs[0].dtype, ctx.inputs[0].shape);
  return {};
}
Status identity_compute(ComputeContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  if (x.nbytes()) std::memcpy(ctx.outputs[0]->raw(), x.raw(), x.nbytes());
  return {};
}

Status clip_infer(InferContext& ctx) { return clip_infer_impl(ctx); }
Status clip_compute(ComputeContext& ctx) { return clip_compute_impl(ctx); }
Status dropout_infer(InferContext& ctx) { return dropout_infer_impl(ctx); }
Status dropout_compute(ComputeContext& ctx) { return dropout_compute_impl(ctx); }

Status is_nan_infer(InferContext& ctx) { return float_to_bool_infer(ctx); }
Status is_nan_compute(ComputeContext& ctx) {
  float_to_bool(*ctx.inputs[0], *ctx.outputs[0], [](float v) { return std::isnan(v); });
  return {};
}

Status is_inf_infer(InferContext& ctx) {
  EDGERT_ASSIGN_OR_RETURN(InfFlags f, parse_is_inf(ctx.node));
  (void)f;
  return float_to_bool_infer(ctx);
}
Status is_inf_compute(ComputeContext& ctx) {
  EDGERT_ASSIGN_OR_RETURN(InfFlags f, parse_is_inf(ctx.node));
  float_to_bool(*ctx.inputs[0], *ctx.outputs[0],
                [f](float v) { return std::isinf(v) && ((v > 0 && f.pos) || (v < 0 && f.neg)); });
  return {};
}

}  // namespace edgert::cpu::unary
