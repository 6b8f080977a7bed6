// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Shared machinery of the unary family (unary.cpp, activation.cpp, cast.cpp): a per-op functor
// `apply<T>(x, params)` is mapped over the input by one templated kernel, so each op only states
// its formula, its attributes and the element types it takes.

#include <cstdint>
#include <type_traits>

#include "edgert/half.h"
#include "kernels/cpu/op_util.h"

namespace edgert::cpu::unary {

/// Element types as bits, so an op lists what it accepts in one constant.
enum TypeBits : unsigned {
  kF32 = 1u,
  kF16 = 2u,
  kI8 = 4u,
  kU8 = 8u,
  kI32 = 16u,
  kI64 = 32u,
  kBoolBit = 64u,
};
constexpr unsigned kFloatTypes = kF32 | kF16;
constexpr unsigned kSignedTypes = kI8 | kI32 | kI64;
constexpr unsigned kIntTypes = kSignedTypes | kU8;
constexpr unsigned kNumericTypes = kFloatTypes | kIntTypes;
constexpr unsigned kAllTypes = kNumericTypes | kBoolBit;

inline unsigned type_bit(DataType t) {
  switch (t) {
    case DataType::kFloat32: return kF32;
    case DataType::kFloat16: return kF16;
    case DataType::kInt8: return kI8;
    case DataType::kUInt8: return kU8;
    case DataType::kInt32: return kI32;
    case DataType::kInt64: return kI64;
    case DataType::kBool: return kBoolBit;
    case DataType::kUndefined: return 0;
  }
  return 0;
}

/// Below this many elements a loop stays on one thread (thread start-up costs more than it saves).
constexpr std::int64_t kParallelMin = 1 << 15;

/// Attribute values of the parametrised ops, parsed once per call.
struct Params {
  float alpha = 0.f;
  float beta = 0.f;
  float gamma = 0.f;
  int mode = 0;
};

/// Base of ops without attributes.
struct NoAttrs {
  static Expected<Params> parse(const NodeInfo&) { return Params{}; }
};

/// -x with two's-complement wrap for integers (negating INT_MIN is otherwise undefined).
template <class T>
T wrap_neg(T x) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(U{0} - static_cast<U>(x)));
  } else {
    return -x;
  }
}

template <class Op>
Status map_infer(InferContext& ctx) {
  DataType t = ctx.inputs[0].dtype;
  if (!(type_bit(t) & Op::kTypes)) return unsupported_dtype(ctx.node, 0, t);
  EDGERT_ASSIGN_OR_RETURN(Params p, Op::parse(ctx.node));
  (void)p;
  set_output(ctx, 0, t, ctx.inputs[0].shape);
  return {};
}

template <class Op, class T>
void map_loop(const T* x, T* y, std::int64_t n, const Params& p) {
#pragma omp parallel for if (n >= kParallelMin)
  for (std::int64_t i = 0; i < n; ++i) y[i] = Op::template apply<T>(x[i], p);
}

template <class Op>
Status map_compute(ComputeContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  EDGERT_ASSIGN_OR_RETURN(Params p, Op::parse(ctx.node));
  const std::int64_t n = x.numel();
  switch (x.dtype()) {
    case DataType::kFloat32:
      if constexpr ((Op::kTypes & kF32) != 0) {
        map_loop<Op>(x.data<float>(), y.data<float>(), n, p);
        return {};
      }
      break;
    case DataType::kFloat16:
      if constexpr ((Op::kTypes & kF16) != 0) {
        const std::uint16_t* xs = x.data<std::uint16_t>();
        std::uint16_t* ys = y.data<std::uint16_t>();
#pragma omp parallel for if (n >= kParallelMin)
        for (std::int64_t i = 0; i < n; ++i)
          ys[i] = float_to_half(Op::template apply<float>(half_to_float(xs[i]), p));
        return {};
      }
      break;
    case DataType::kInt8:
      if constexpr ((Op::kTypes & kI8) != 0) {
        map_loop<Op>(x.data<std::int8_t>(), y.data<std::int8_t>(), n, p);
        return {};
      }
      break;
    case DataType::kUInt8:
      if constexpr ((Op::kTypes & kU8) != 0) {
        map_loop<Op>(x.data<std::uint8_t>(), y.data<std::uint8_t>(), n, p);
        return {};
      }
      break;
    case DataType::kInt32:
      if constexpr ((Op::kTypes & kI32) != 0) {
        map_loop<Op>(x.data<std::int32_t>(), y.data<std::int32_t>(), n, p);
        return {};
      }
      break;
    case DataType::kInt64:
      if constexpr ((Op::kTypes & kI64) != 0) {
        map_loop<Op>(x.data<std::int64_t>(), y.data<std::int64_t>(), n, p);
        return {};
      }
      break;
    case DataType::kBool:
      if constexpr ((Op::kTypes & kBoolBit) != 0) {
        map_loop<Op>(x.data<std::uint8_t>(), y.data<std::uint8_t>(), n, p);
        return {};
      }
      break;
    case DataType::kUndefined: break;
  }
  return unsupported_dtype(ctx.node, 0, x.dtype());
}

// Ops defined outside unary.cpp, referenced by its table.
#define EDGERT_UNARY_DECLARE(fn)        \
  Status fn##_infer(InferContext& ctx); \
  Status fn##_compute(ComputeContext& ctx);
#define EDGERT_UNARY_DEFINE(fn, Op)                                   \
  Status fn##_infer(InferContext& ctx) { return map_infer<Op>(ctx); } \
  Status fn##_compute(ComputeContext& ctx) { return map_compute<Op>(ctx); }

EDGERT_UNARY_DECLARE(leaky_relu)
EDGERT_UNARY_DECLARE(elu)
EDGERT_UNARY_DECLARE(selu)
EDGERT_UNARY_DECLARE(celu)
EDGERT_UNARY_DECLARE(hard_sigmoid)
EDGERT_UNARY_DECLARE(hard_swish)
EDGERT_UNARY_DECLARE(thresholded_relu)
EDGERT_UNARY_DECLARE(mish)
EDGERT_UNARY_DECLARE(gelu)
EDGERT_UNARY_DECLARE(shrink)
EDGERT_UNARY_DECLARE(softplus)
EDGERT_UNARY_DECLARE(softsign)
EDGERT_UNARY_DECLARE(sigmoid)
EDGERT_UNARY_DECLARE(clip)
EDGERT_UNARY_DECLARE(cast)
EDGERT_UNARY_DECLARE(cast_like)
EDGERT_UNARY_DECLARE(identity)
EDGERT_UNARY_DECLARE(dropout)
EDGERT_UNARY_DECLARE(is_nan)
EDGERT_UNARY_DECLARE(is_inf)

}  // namespace edgert::cpu::unary
