// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The binary family: arithmetic (Add, Sub, Mul, Div, Pow, Mod), variadic (Max, Min, Sum, Mean),
// PRelu and BitShift here; comparisons, logic and Where in compare.cpp. The table lives here.
#include <atomic>
#include <cmath>
#include <iterator>
#include <limits>
#include <string>

#include "kernels/cpu/binary_common.h"
#include "kernels/cpu/op_families.h"

namespace edgert::cpu::binary {
namespace {

// ---- integer helpers (two's-complement wrap instead of signed-overflow UB) ----------------------

template <class T>
using Unsigned = std::make_unsigned_t<T>;

template <class T>
T wrap_add(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    return static_cast<T>(
        static_cast<Unsigned<T>>(static_cast<Unsigned<T>>(a) + static_cast<Unsigned<T>>(b)));
  } else {
    return a + b;
  }
}
template <class T>
T wrap_sub(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    return static_cast<T>(
        static_cast<Unsigned<T>>(static_cast<Unsigned<T>>(a) - static_cast<Unsigned<T>>(b)));
  } else {
    return a - b;
  }
}
template <class T>
T wrap_mul(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    // uint32 * uint32 never promotes to (signed) int; the 8-bit types do, but cannot overflow it.
    using W = std::conditional_t<(sizeof(T) < 4), std::uint32_t, Unsigned<T>>;
    return static_cast<T>(static_cast<Unsigned<T>>(static_cast<W>(static_cast<Unsigned<T>>(a)) *
                                                   static_cast<W>(static_cast<Unsigned<T>>(b))));
  } else {
    return a * b;
  }
}

/// Integer ops that can fail (division by zero) record it here; checked after the loop.
struct ErrorFlag {
  std::atomic<bool> div_by_zero{false};
  Status status(const NodeInfo& node) const {
    if (div_by_zero.load(std::memory_order_relaxed))
      return invalid(node, "integer division by zero");
    return {};
  }
};

// ---- the arithmetic ops -------------------------------------------------------------------------

struct AddOp {
  static constexpr bool kFloatOnly = false;
  explicit AddOp(const NodeInfo&) {}
  template <class T>
  T operator()(T a, T b, ErrorFlag&) const {
    return wrap_add(a, b);
  }
};
struct SubOp {
  static constexpr bool kFloatOnly = false;
  explicit SubOp(const NodeInfo&) {}
  template <class T>
  T operator()(T a, T b, ErrorFlag&) const {
    return wrap_sub(a, b);
  }
};
struct MulOp {
  static constexpr bool kFloatOnly = false;
  explicit MulOp(const NodeInfo&) {}
  template <class T>
  T operator()(T a, T b, ErrorFlag&) const {
    return wrap_mul(a, b);
  }
};
struct DivOp {
  static constexpr bool kFloatOnly = false;
  explicit DivOp(const NodeInfo&) {}
  template <class T>
  T operator()(T a, T b, ErrorFlag& err) const {
    if constexpr (std::is_integral_v<T>) {
      // Truncation toward zero (C semantics, as onnxruntime); MIN / -1 wraps.
      if (b == 0) {
        err.div_by_zero.store(true, std::memory_order_relaxed);
        return 0;
      }
      if constexpr (std::is_signed_v<T>) {
        if (b == -1) return wrap_sub(T(0), a);
      }
      return static_cast<T>(a / b);
    } else {
      return a / b;
    }
  }
};
struct ModOp {
  static constexpr bool kFloatOnly = false;
  bool c_fmod = false;
  explicit ModOp(const NodeInfo& node) : c_fmod(node.attrs.get_int("fmod", 0).value() != 0) {}
  template <class T>
  T operator()(T a, T b, ErrorFlag& err) const {
    if constexpr (std::is_integral_v<T>) {
      if (b == 0) {
        err.div_by_zero.store(true, std::memory_order_relaxed);
        return 0;
      }
      if constexpr (std::is_signed_v<T>) {
        if (b == -1) return 0;  // MIN % -1 is undefined in C++
      }
      T r = static_cast<T>(a % b);
      // fmod=0: the result takes the divisor's sign (Python / numpy mod).
      if (!c_fmod && r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
      return r;
    } else {
      T r = std::fmod(a, b);
      if (!c_fmod && r != 0 && ((r < 0) != (b < 0))) r += b;
      return r;
    }
  }
};
struct MaxOp {
  static constexpr bool kFloatOnly = false;
  explicit MaxOp(const NodeInfo&) {}
  template <class T>
  T operator()(T a, T b, ErrorFlag&) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(a)) return a;  // NaN propagates, as numpy.maximum
      if (std::isnan(b)) return b;
    }
    return a < b ? b : a;
  }
};
struct MinOp {
  static constexpr bool kFloatOnly = false;
  explicit MinOp(const NodeInfo&) {}
  template <class T>
  T operator()(T a, T b, ErrorFlag&) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(a)) return a;
      if (std::isnan(b)) return b;
    }
    return b < a ? b : a;
  }
};
struct SumOp : AddOp {
  static constexpr bool kFloatOnly = true;
  using AddOp::AddOp;
};

// ---- shared infer/compute for same-typed broadcasting ops ---------------------------------------

template <class Op>
constexpr bool accepts(DataType t) {
  if (Op::kFloatOnly) return is_float(t);
  return is_float(t) || is_integer(t);
}

/// Infer for ops whose inputs (1..N, all same type) broadcast to the output of the same type.
template <class Op>
Status same_type_infer(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_legacy_broadcast(ctx.node));
  const DataType t = ctx.inputs[0].dtype;
  if (!accepts<Op>(t)) return unsupported_dtype(ctx.node, 0, t);
  if constexpr (std::is_same_v<Op, ModOp>) {
    auto f = ctx.node.attrs.get_int("fmod", 0);
    if (!f) return invalid(ctx.node, f.status().message());
  }
  EDGERT_ASSIGN_OR_RETURN(Shape s, broadcast_same_type(ctx, 0, ctx.inputs.size() - 1));
  set_output(ctx, 0, t, std::move(s));
  return {};
}

/// acc <- op(acc, x) (acc has the output shape), or acc <- x broadcast when `first`.
template <class T, class Op>
void accumulate(const Op& op, ErrorFlag& err, const Tensor& x, const T* xs, Tensor& acc, T* accs,
                bool first) {
  if (first) {
    broadcast2(x, x, acc, xs, xs, accs, [](T a, T) { return a; });
  } else {
    broadcast2(acc, x, acc, static_cast<const T*>(accs), xs, accs,
               [&op, &err](T a, T b) { return op(a, b, err); });
  }
}

template <class T, class Op>
Status typed_compute(ComputeContext& ctx, const Op& op, ErrorFlag& err) {
  Tensor& out = *ctx.outputs[0];
  const std::size_t n = ctx.inputs.size();
  if (n == 2) {  // the common case: one pass
    broadcast2(*ctx.inputs[0], *ctx.inputs[1], out, ctx.inputs[0]->data<T>(),
               ctx.inputs[1]->data<T>(), out.data<T>(),
               [&op, &err](T a, T b) { return op(a, b, err); });
    return {};
  }
  for (std::size_t i = 0; i < n; ++i)
    accumulate(op, err, *ctx.inputs[i], ctx.inputs[i]->data<T>(), out, out.data<T>(), i == 0);
  return {};
}

/// float16: every input converted to float, accumulated in a float tensor, converted back.
template <class Op>
Status half_compute(ComputeContext& ctx, const Op& op, ErrorFlag& err, float scale) {
  Tensor& out = *ctx.outputs[0];
  EDGERT_ASSIGN_OR_RETURN(Tensor acc, Tensor::allocate(DataType::kFloat32, out.shape()));
  for (std::size_t i = 0; i < ctx.inputs.size(); ++i) {
    EDGERT_ASSIGN_OR_RETURN(Tensor x, half_to_float_tensor(*ctx.inputs[i]));
    accumulate(op, err, x, x.data<float>(), acc, acc.data<float>(), i == 0);
  }
  if (scale != 1.f)
    for (std::int64_t i = 0; i < acc.numel(); ++i) acc.data<float>()[i] *= scale;
  float_to_half_tensor(acc, out);
  return {};
}

template <class Op>
Status same_type_compute(ComputeContext& ctx) {
  const Op op(ctx.node);
  ErrorFlag err;
  Status s;
  switch (ctx.inputs[0]->dtype()) {
    case DataType::kFloat32: s = typed_compute<float>(ctx, op, err); break;
    case DataType::kFloat16: s = half_compute(ctx, op, err, 1.f); break;
    case DataType::kInt8: s = typed_compute<std::int8_t>(ctx, op, err); break;
    case DataType::kUInt8: s = typed_compute<std::uint8_t>(ctx, op, err); break;
    case DataType::kInt32: s = typed_compute<std::int32_t>(ctx, op, err); break;
    case DataType::kInt64: s = typed_compute<std::int64_t>(ctx, op, err); break;
    default: return unsupported_dtype(ctx.node, 0, ctx.inputs[0]->dtype());
  }
  EDGERT_RETURN_IF_ERROR(s);
  return err.status(ctx.node);
}

Status mean_compute(ComputeContext& ctx) {
  const AddOp op(ctx.node);
  ErrorFlag err;
  const float scale = 1.f / static_cast<float>(ctx.inputs.size());
  if (ctx.inputs[0]->dtype() == DataType::kFloat16) return half_compute(ctx, op, err, scale);
  EDGERT_RETURN_IF_ERROR(typed_compute<float>(ctx, op, err));
  Tensor& out = *ctx.outputs[0];
  const float n = static_cast<float>(ctx.inputs.size());
  for (std::int64_t i = 0; i < out.numel(); ++i) out.data<float>()[i] /= n;
  return {};
}

// ---- Pow: the exponent may have another type than the base --------------------------------------

Status pow_infer(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_legacy_broadcast(ctx.node));
  const DataType t = ctx.inputs[0].dtype, e = ctx.inputs[1].dtype;
  if (!is_float(t) && t != DataType::kInt32 && t != DataType::kInt64)
    return unsupported_dtype(ctx.node, 0, t);
  if (!is_float(e) && !is_integer(e)) return unsupported_dtype(ctx.node, 1, e);
  if (ctx.node.opset < 12 && e != t)
    return invalid(ctx.node, "base and exponent must have the same type before opset 12");
  EDGERT_ASSIGN_OR_RETURN(Shape s,
                          broadcast_shapes(ctx.node, {ctx.inputs[0].shape, ctx.inputs[1].shape}));
  set_output(ctx, 0, t, std::move(s));
  return {};
}

/// Integer power by squaring, wrapping on overflow; a negative exponent truncates 1/x^-n.
template <class T>
T int_pow(T base, std::int64_t e) {
  if (e < 0) {
    if (base == 1) return 1;
    if (base == -1) return (e % 2 == 0) ? 1 : -1;
    return 0;
  }
  T r = 1;
  while (e > 0) {
    if (e & 1) r = wrap_mul(r, base);
    base = wrap_mul(base, base);
    e >>= 1;
  }
  return r;
}

inline std::int64_t saturate_to_int64(double v) {
  if (std::isnan(v)) return 0;
  if (v >= 9.2233720368547758e18) return std::numeric_limits<std::int64_t>::max();
  if (v <= -9.2233720368547758e18) return std::numeric_limits<std::int64_t>::min();
  return static_cast<std::int64_t>(v);
}

/// The exponent as float (float exponents) or int64 (integer ones), with the same shape.
Expected<Tensor> exponent_as(const Tensor& e, DataType to) {
  EDGERT_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(to, e.shape()));
  for (std::int64_t i = 0; i < e.numel(); ++i) {
    if (to == DataType::kFloat32)
      t.data<float>()[i] = static_cast<float>(e.get_as_double(i));
    else
      t.data<std::int64_t>()[i] = e.get_as_int64(i);
  }
  return t;
}

template <class T>
Status pow_typed(const Tensor& base, const Tensor& exponent, Tensor& out) {
  const T* b = base.data<T>();
  T* o = out.data<T>();
  if (is_float(exponent.dtype())) {
    Tensor ef = exponent;
    if (exponent.dtype() != DataType::kFloat32) {
      EDGERT_ASSIGN_OR_RETURN(ef, exponent_as(exponent, DataType::kFloat32));
    }
    if constexpr (std::is_floating_point_v<T>) {
      broadcast2(base, ef, out, b, ef.data<float>(), o,
                 [](T x, float y) { return y == 2.f ? x * x : std::pow(x, y); });
    } else {
      broadcast2(base, ef, out, b, ef.data<float>(), o, [](T x, float y) {
        return static_cast<T>(saturate_to_int64(std::pow(static_cast<double>(x), y)));
      });
    }
  } else {
    Tensor ei = exponent;
    if (exponent.dtype() != DataType::kInt64) {
      EDGERT_ASSIGN_OR_RETURN(ei, exponent_as(exponent, DataType::kInt64));
    }
    if constexpr (std::is_floating_point_v<T>) {
      broadcast2(base, ei, out, b, ei.data<std::int64_t>(), o, [](T x, std::int64_t y) {
        return y == 2 ? x * x
                      : static_cast<T>(std::pow(static_cast<double>(x), static_cast<double>(y)));
      });
    } else {
      broadcast2(base, ei, out, b, ei.data<std::int64_t>(), o,
                 [](T x, std::int64_t y) { return int_pow(x, y); });
    }
  }
  return {};
}

Status pow_compute(ComputeContext& ctx) {
  const Tensor& base = *ctx.inputs[0];
  const Tensor& exponent = *ctx.inputs[1];
  Tensor& out = *ctx.outputs[0];
  switch (base.dtype()) {
    case DataType::kFloat32: return pow_typed<float>(base, exponent, out);
    case DataType::kInt32: return pow_typed<std::int32_t>(base, exponent, out);
    case DataType::kInt64: return pow_typed<std::int64_t>(base, exponent, out);
    case DataType::kFloat16: {
      EDGERT_ASSIGN_OR_RETURN(Tensor bf, half_to_float_tensor(base));
      EDGERT_ASSIGN_OR_RETURN(Tensor of, Tensor::allocate(DataType::kFloat32, out.shape()));
      EDGERT_RETURN_IF_ERROR(pow_typed<float>(bf, exponent, of));
      float_to_half_tensor(of, out);
      return {};
    }
    default: return unsupported_dtype(ctx.node, 0, base.dtype());
  }
}

// ---- PRelu --------------------------------------------------------------------------------------

Status prelu_infer(InferContext& ctx) {
  const DataType t = ctx.inputs[0].dtype;
  if (!is_float(t) && t != DataType::kInt32 && t != DataType::kInt64)
    return unsupported_dtype(ctx.node, 0, t);
  if (ctx.inputs[1].dtype != t)
    return invalid(ctx.node, std::string("slope has type ") + dtype_name(ctx.inputs[1].dtype) +
                                 ", X has " + dtype_name(t));
  // Unidirectional: slope broadcasts to X, the output is X's shape.
  const Shape& xs = ctx.inputs[0].shape;
  const Shape& ss = ctx.inputs[1].shape;
  EDGERT_ASSIGN_OR_RETURN(Shape b, broadcast_shapes(ctx.node, {xs, ss}));
  if (!xs.unknown_rank() && !ss.unknown_rank()) {
    bool ok = ss.rank() <= xs.rank();
    for (std::size_t d = 0; ok && d < xs.rank(); ++d)
      ok = !(xs[d] != Shape::kUnknownDim && b[d] != Shape::kUnknownDim && b[d] != xs[d]);
    if (!ok)
      return invalid(ctx.node,
                     "slope " + ss.to_string() + " does not broadcast to X " + xs.to_string());
  }
  set_output(ctx, 0, t, xs);
  return {};
}

template <class T>
void prelu_typed(const Tensor& x, const Tensor& s, Tensor& out) {
  broadcast2(x, s, out, x.data<T>(), s.data<T>(), out.data<T>(),
             [](T v, T a) { return v < T(0) ? wrap_mul(v, a) : v; });
}

Status prelu_compute(ComputeContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  const Tensor& s = *ctx.inputs[1];
  Tensor& out = *ctx.outputs[0];
  switch (x.dtype()) {
    case DataType::kFloat32: prelu_typed<float>(x, s, out); return {};
    case DataType::kInt32: prelu_typed<std::int32_t>(x, s, out); return {};
    case DataType::kInt64: prelu_typed<std::int64_t>(x, s, out); return {};
    case DataType::kFloat16: {
      EDGERT_ASSIGN_OR_RETURN(Tensor xf, half_to_float_tensor(x));
      EDGERT_ASSIGN_OR_RETURN(Tensor sf, half_to_float_tensor(s));
      EDGERT_ASSIGN_OR_RETURN(Tensor of, Tensor::allocate(DataType::kFloat32, out.shape()));
      prelu_typed<float>(xf, sf, of);
      float_to_half_tensor(of, out);
      return {};
    }
    default: return unsupported_dtype(ctx.node, 0, x.dtype());
  }
}

// ---- BitShift -----------------------------------------------------------------------------------

Expected<bool> parse_shift_left(const NodeInfo& node) {
  if (!node.attrs.has("direction")) return invalid(node, "attribute 'direction' is required");
  auto d = node.attrs.get_string("direction", "");
  if (!d) return invalid(node, d.status().message());
  if (*d == "LEFT") return true;
  if (*d == "RIGHT") return false;
  return invalid(node, "attribute 'direction'=" + *d + " must be LEFT or RIGHT");
}

Status bitshift_infer(InferContext& ctx) {
  EDGERT_ASSIGN_OR_RETURN(bool left, parse_shift_left(ctx.node));
  (void)left;
  if (ctx.inputs[0].dtype != DataType::kUInt8)
    return unsupported_dtype(ctx.node, 0, ctx.inputs[0].dtype);
  EDGERT_ASSIGN_OR_RETURN(Shape s, broadcast_same_type(ctx, 0, 1));
  set_output(ctx, 0, DataType::kUInt8, std::move(s));
  return {};
}

Status bitshift_compute(ComputeContext& ctx) {
  EDGERT_ASSIGN_OR_RETURN(bool left, parse_shift_left(ctx.node));
  const Tensor& x = *ctx.inputs[0];
  const Tensor& y = *ctx.inputs[1];
  Tensor& out = *ctx.outputs[0];
  using U8 = std::uint8_t;
  // Shifting by the type's width or more gives 0 (in C++ it would be undefined for wide shifts).
  if (left) {
    broadcast2(x, y, out, x.data<U8>(), y.data<U8>(), out.data<U8>(),
               [](U8 a, U8 b) { return static_cast<U8>(b >= 8 ? 0 : (a << b) & 0xff); });
  } else {
    broadcast2(x, y, out, x.data<U8>(), y.data<U8>(), out.data<U8>(),
               [](U8 a, U8 b) { return static_cast<U8>(b >= 8 ? 0 : a >> b); });
  }
  return {};
}

// ---- table --------------------------------------------------------------------------------------

constexpr int kVariadicMax = 1 << 16;
constexpr const char* kArithDoc =
    "float32, float16, int8, uint8, int32, int64; numpy broadcasting (opset<7 "
    "broadcast=1 "
    "unsupported)";
constexpr const char* kCompareDoc =
    "float32, float16, int8, uint8, int32, int64 -> bool; numpy broadcasting";

#define EDGERT_SAME_TYPE(Name, opset, min_in, max_in, Op, doc) \
  { Name, opset, min_in, max_in, same_type_infer<Op>, same_type_compute<Op>, doc }

static const OpDef kOps[] = {
    EDGERT_SAME_TYPE("Add", 1, 2, 2, AddOp, kArithDoc),
    EDGERT_SAME_TYPE("Sub", 1, 2, 2, SubOp, kArithDoc),
    EDGERT_SAME_TYPE("Mul", 1, 2, 2, MulOp, kArithDoc),
    EDGERT_SAME_TYPE("Div", 1, 2, 2, DivOp,
                     "float32, float16, int8, uint8, int32, int64 (integers truncate toward "
                     "zero; division by zero is an error); numpy broadcasting"),
    {"Pow", 1, 2, 2, pow_infer, pow_compute,
     "base float32, float16, int32, int64; exponent float32, float16 or any "
     "integer type"},
    EDGERT_SAME_TYPE("Mod", 10, 2, 2, ModOp,
                     "float32, float16, int8, uint8, int32, int64; fmod 0/1 "
                     "(fmod=0 on floats "
                     "follows numpy.mod)"),
    EDGERT_SAME_TYPE("Max", 1, 1, kVariadicMax, MaxOp,
                     "float32, float16, int8, uint8, int32, int64; variadic, "
                     "NaN propagates"),
    EDGERT_SAME_TYPE("Min", 1, 1, kVariadicMax, MinOp,
                     "float32, float16, int8, uint8, int32, int64; variadic, "
                     "NaN propagates"),
    EDGERT_SAME_TYPE("Sum", 1, 1, kVariadicMax, SumOp, "float32, float16; variadic"),
    {"Mean", 1, 1, kVariadicMax, same_type_infer<SumOp>, mean_compute,
     "float32, float16; variadic"},
    {"Equal", 1, 2, 2, equal_infer, equal_compute,
     "float32, float16, int8, uint8, int32, int64, bool -> bool; numpy "
     "broadcasting"},
    {"Greater", 1, 2, 2, greater_infer, greater_compute, kCompareDoc},
    {"Less", 1, 2, 2, less_infer, less_compute, kCompareDoc},
    {"GreaterOrEqual", 12, 2, 2, greater_or_equal_infer, greater_or_equal_compute, kCompareDoc},
    {"LessOrEqual", 12, 2, 2, less_or_equal_infer, less_or_equal_compute, kCompareDoc},
    {"And", 1, 2, 2, logical_and_infer, logical_and_compute, "bool"},
    {"Or", 1, 2, 2, logical_or_infer, logical_or_compute, "bool"},
    {"Xor", 1, 2, 2, logical_xor_infer, logical_xor_compute, "bool"},
    {"Where", 9, 3, 3, where_infer, where_compute, "condition bool; X/Y any type; 3-way broadcast"},
    {"PRelu", 1, 2, 2, prelu_infer, prelu_compute,
     "float32, float16, int32, int64; slope broadcasts to X"},
    {"BitShift", 11, 2, 2, bitshift_infer, bitshift_compute,
     "uint8 only (uint16/32/64 are not in the type set)"},
};
static_assert(std::size(kOps) == kBinaryOpCount, "update kBinaryOpCount in op_families.h");
#undef EDGERT_SAME_TYPE

}  // namespace
}  // namespace edgert::cpu::binary

namespace edgert::cpu {
OpTable binary_ops() { return {binary::kOps, std::size(binary::kOps)}; }
}  // namespace edgert::cpu
