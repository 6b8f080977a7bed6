// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Comparisons (Equal, Greater, Less, GreaterOrEqual, LessOrEqual), logic (And, Or, Xor) and Where
// of the binary family; all broadcast like numpy.
#include <cstring>
#include <string>

#include "kernels/cpu/binary_common.h"

namespace edgert::cpu::binary {
namespace {

using U8 = std::uint8_t;

// ---- comparisons: T x T -> bool -----------------------------------------------------------------

template <bool kAllowBool>
Status compare_infer(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_legacy_broadcast(ctx.node));
  const DataType t = ctx.inputs[0].dtype;
  if (!is_float(t) && !is_integer(t) && !(kAllowBool && t == DataType::kBool))
    return unsupported_dtype(ctx.node, 0, t);
  EDGERT_ASSIGN_OR_RETURN(Shape s, broadcast_same_type(ctx, 0, 1));
  set_output(ctx, 0, DataType::kBool, std::move(s));
  return {};
}

template <class T, class Cmp>
void compare_typed(const Tensor& a, const Tensor& b, Tensor& out, Cmp cmp) {
  broadcast2(a, b, out, a.data<T>(), b.data<T>(), out.data<U8>(),
             [cmp](T x, T y) { return static_cast<U8>(cmp(x, y) ? 1 : 0); });
}

template <class Cmp>
Status compare_compute(ComputeContext& ctx, Cmp cmp) {
  const Tensor& a = *ctx.inputs[0];
  const Tensor& b = *ctx.inputs[1];
  Tensor& out = *ctx.outputs[0];
  switch (a.dtype()) {
    case DataType::kFloat32: compare_typed<float>(a, b, out, cmp); return {};
    case DataType::kFloat16: {
      EDGERT_ASSIGN_OR_RETURN(Tensor af, half_to_float_tensor(a));
      EDGERT_ASSIGN_OR_RETURN(Tensor bf, half_to_float_tensor(b));
      compare_typed<float>(af, bf, out, cmp);
      return {};
    }
    case DataType::kInt8: compare_typed<std::int8_t>(a, b, out, cmp); return {};
    case DataType::kUInt8: compare_typed<U8>(a, b, out, cmp); return {};
    case DataType::kInt32: compare_typed<std::int32_t>(a, b, out, cmp); return {};
    case DataType::kInt64: compare_typed<std::int64_t>(a, b, out, cmp); return {};
    case DataType::kBool: compare_typed<U8>(a, b, out, cmp); return {};
    default: return unsupported_dtype(ctx.node, 0, a.dtype());
  }
}

struct EqualCmp {
  template <class T>
  bool operator()(T x, T y) const {
    return x == y;
  }
};
struct GreaterCmp {
  template <class T>
  bool operator()(T x, T y) const {
    return x > y;
  }
};
struct LessCmp {
  template <class T>
  bool operator()(T x, T y) const {
    return x < y;
  }
};
struct GreaterEqualCmp {
  template <class T>
  bool operator()(T x, T y) const {
    return x >= y;
  }
};
struct LessEqualCmp {
  template <class T>
  bool operator()(T x, T y) const {
    return x <= y;
  }
};

// ---- logic: bool x bool -> bool -----------------------------------------------------------------

Status logic_infer(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_legacy_broadcast(ctx.node));
  if (ctx.inputs[0].dtype != DataType::kBool)
    return unsupported_dtype(ctx.node, 0, ctx.inputs[0].dtype);
  EDGERT_ASSIGN_OR_RETURN(Shape s, broadcast_same_type(ctx, 0, 1));
  set_output(ctx, 0, DataType::kBool, std::move(s));
  return {};
}

template <class F>
Status logic_compute(ComputeContext& ctx, F f) {
  const Tensor& a = *ctx.inputs[0];
  const Tensor& b = *ctx.inputs[1];
  Tensor& out = *ctx.outputs[0];
  // Any nonzero byte counts as true; the result is canonical 0/1.
  broadcast2(a, b, out, a.data<U8>(), b.data<U8>(), out.data<U8>(),
             [f](U8 x, U8 y) { return static_cast<U8>(f(x != 0, y != 0) ? 1 : 0); });
  return {};
}

// ---- Where: type-agnostic, copies elements by size ----------------------------------------------

template <class T>
void where_typed(const Tensor& c, const Tensor& x, const Tensor& y, Tensor& out) {
  if (out.numel() == 0) return;
  BroadcastPlan p = make_plan(out.shape(), {&c.shape(), &x.shape(), &y.shape()});
  const U8* cs = c.data<U8>();
  const T* xs = static_cast<const T*>(x.raw());
  const T* ys = static_cast<const T*>(y.raw());
  T* os = static_cast<T*>(out.raw());
  const std::int64_t sc = p.inner_stride[0], sx = p.inner_stride[1], sy = p.inner_stride[2];
  for_each_run(
      p, [&](std::int64_t o, const std::array<std::int64_t, kMaxOperands>& off, std::int64_t len) {
        const U8* pc = cs + off[0];
        const T* px = xs + off[1];
        const T* py = ys + off[2];
        T* po = os + o;
        if (sc == 1 && sx == 1 && sy == 1) {
          for (std::int64_t i = 0; i < len; ++i) po[i] = pc[i] ? px[i] : py[i];
        } else {
          for (std::int64_t i = 0; i < len; ++i) po[i] = pc[i * sc] ? px[i * sx] : py[i * sy];
        }
      });
}

}  // namespace

Status equal_infer(InferContext& ctx) { return compare_infer<true>(ctx); }
Status equal_compute(ComputeContext& ctx) { return compare_compute(ctx, EqualCmp{}); }
Status greater_infer(InferContext& ctx) { return compare_infer<false>(ctx); }
Status greater_compute(ComputeContext& ctx) { return compare_compute(ctx, GreaterCmp{}); }
Status less_infer(InferContext& ctx) { return compare_infer<false>(ctx); }
Status less_compute(ComputeContext& ctx) { return compare_compute(ctx, LessCmp{}); }
Status greater_or_equal_infer(InferContext& ctx) { return compare_infer<false>(ctx); }
Status greater_or_equal_compute(ComputeContext& ctx) {
  return compare_compute(ctx, GreaterEqualCmp{});
}
Status less_or_equal_infer(InferContext& ctx) { return compare_infer<false>(ctx); }
Status less_or_equal_compute(ComputeContext& ctx) { return compare_compute(ctx, LessEqualCmp{}); }

Status logical_and_infer(InferContext& ctx) { return logic_infer(ctx); }
Status logical_and_compute(ComputeContext& ctx) {
  return logic_compute(ctx, [](bool a, bool b) { return a && b; });
}
Status logical_or_infer(InferContext& ctx) { return logic_infer(ctx); }
Status logical_or_compute(ComputeContext& ctx) {
  return logic_compute(ctx, [](bool a, bool b) { return a || b; });
}
Status logical_xor_infer(InferContext& ctx) { return logic_infer(ctx); }
Status logical_xor_compute(ComputeContext& ctx) {
  return logic_compute(ctx, [](bool a, bool b) { return a != b; });
}

Status where_infer(InferContext& ctx) {
  if (ctx.inputs[0].dtype != DataType::kBool)
    return invalid(ctx.node,
                   std::string("condition must be bool, got ") + dtype_name(ctx.inputs[0].dtype));
  const DataType t = ctx.inputs[1].dtype;
  if (dtype_size(t) == 0) return unsupported_dtype(ctx.node, 1, t);
  if (ctx.inputs[2].dtype != t)
    return invalid(ctx.node, std::string("X has type ") + dtype_name(t) + ", Y has " +
                                 dtype_name(ctx.inputs[2].dtype));
  EDGERT_ASSIGN_OR_RETURN(
      Shape s,
      broadcast_shapes(ctx.node, {ctx.inputs[0].shape, ctx.inputs[1].shape, ctx.inputs[2].shape}));
  set_output(ctx, 0, t, std::move(s));
  return {};
}

Status where_compute(ComputeContext& ctx) {
  const Tensor& c = *ctx.inputs[0];
  const Tensor& x = *ctx.inputs[1];
  const Tensor& y = *ctx.inputs[2];
  Tensor& out = *ctx.outputs[0];
  switch (dtype_size(x.dtype())) {
    case 1: where_typed<std::uint8_t>(c, x, y, out); return {};
    case 2: where_typed<std::uint16_t>(c, x, y, out); return {};
    case 4: where_typed<std::uint32_t>(c, x, y, out); return {};
    case 8: where_typed<std::uint64_t>(c, x, y, out); return {};
    default: return unsupported_dtype(ctx.node, 1, x.dtype());
  }
}

}  // namespace edgert::cpu::binary
