// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The unary family: simple elementwise math (this file), parametrised activations (activation.cpp)
// and type/copy ops (cast.cpp). The family's op table lives here.
#include <cmath>
#include <iterator>

#include "kernels/cpu/op_families.h"
#include "kernels/cpu/unary_common.h"

namespace edgert::cpu::unary {
namespace {

// A float-only op whose formula is one expression of x (float or, for float16, float too).
#define EDGERT_FLOAT_OP(Name, expr)                 \
  struct Name : NoAttrs {                           \
    static constexpr unsigned kTypes = kFloatTypes; \
    template <class T>                              \
    static T apply(T x, const Params&) {            \
      return expr;                                  \
    }                                               \
  };

EDGERT_FLOAT_OP(Reciprocal, T(1) / x)
EDGERT_FLOAT_OP(Sqrt, std::sqrt(x))
EDGERT_FLOAT_OP(Exp, std::exp(x))
EDGERT_FLOAT_OP(Log, std::log(x))
EDGERT_FLOAT_OP(Tanh, std::tanh(x))
EDGERT_FLOAT_OP(Erf, std::erf(x))
EDGERT_FLOAT_OP(Floor, std::floor(x))
EDGERT_FLOAT_OP(Ceil, std::ceil(x))
// Round half to even (the default FE_TONEAREST mode), as the spec asks.
EDGERT_FLOAT_OP(Round, std::nearbyint(x))
EDGERT_FLOAT_OP(Sin, std::sin(x))
EDGERT_FLOAT_OP(Cos, std::cos(x))
EDGERT_FLOAT_OP(Tan, std::tan(x))
EDGERT_FLOAT_OP(Asin, std::asin(x))
EDGERT_FLOAT_OP(Acos, std::acos(x))
EDGERT_FLOAT_OP(Atan, std::atan(x))
EDGERT_FLOAT_OP(Sinh, std::sinh(x))
EDGERT_FLOAT_OP(Cosh, std::cosh(x))
EDGERT_FLOAT_OP(Asinh, std::asinh(x))
EDGERT_FLOAT_OP(Acosh, std::acosh(x))
EDGERT_FLOAT_OP(Atanh, std::atanh(x))
#undef EDGERT_FLOAT_OP

struct Abs : NoAttrs {
  static constexpr unsigned kTypes = kNumericTypes;
  template <class T>
  static T apply(T x, const Params&) {
    if constexpr (std::is_unsigned_v<T>) {
      return x;
    } else if constexpr (std::is_floating_point_v<T>) {
      return std::fabs(x);
    } else {
      return x < 0 ? wrap_neg(x) : x;
    }
  }
};

struct Neg : NoAttrs {
  static constexpr unsigned kTypes = kFloatTypes | kSignedTypes;
  template <class T>
  static T apply(T x, const Params&) {
    return wrap_neg(x);
  }
};

struct Sign : NoAttrs {
  static constexpr unsigned kTypes = kNumericTypes;
  template <class T>
  static T apply(T x, const Params&) {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(x)) return x;
    }
    return static_cast<T>((T(0) < x) - (x < T(0)));
  }
};

struct Relu : NoAttrs {
  static constexpr unsigned kTypes = kFloatTypes | kSignedTypes;
  template <class T>
  static T apply(T x, const Params&) {
    return x < T(0) ? T(0) : x;  // keeps NaN, like max(x, 0) in the reference
  }
};

struct Not : NoAttrs {
  static constexpr unsigned kTypes = kBoolBit;
  template <class T>
  static T apply(T x, const Params&) {
    return x ? 0 : 1;
  }
};

#define EDGERT_UNARY_ENTRY(Name, opset, Op, types) \
  { Name, opset, 1, 1, map_infer<Op>, map_compute<Op>, types }
#define EDGERT_UNARY_EXTERN(Name, opset, min_in, max_in, fn, types) \
  { Name, opset, min_in, max_in, fn##_infer, fn##_compute, types }

constexpr const char* kFloatDoc = "float32, float16";

static const OpDef kOps[] = {
    EDGERT_UNARY_ENTRY("Abs", 1, Abs, "float32, float16, int8, uint8, int32, int64"),
    EDGERT_UNARY_ENTRY("Neg", 1, Neg, "float32, float16, int8, int32, int64"),
    EDGERT_UNARY_ENTRY("Reciprocal", 1, Reciprocal, kFloatDoc),
    EDGERT_UNARY_ENTRY("Sqrt", 1, Sqrt, kFloatDoc),
    EDGERT_UNARY_ENTRY("Exp", 1, Exp, kFloatDoc),
    EDGERT_UNARY_ENTRY("Log", 1, Log, kFloatDoc),
    EDGERT_UNARY_ENTRY("Relu", 1, Relu, "float32, float16, int8, int32, int64"),
    EDGERT_UNARY_EXTERN("Sigmoid", 1, 1, 1, sigmoid, kFloatDoc),
    EDGERT_UNARY_ENTRY("Tanh", 1, Tanh, kFloatDoc),
    EDGERT_UNARY_ENTRY("Erf", 9, Erf, kFloatDoc),
    EDGERT_UNARY_EXTERN("Softplus", 1, 1, 1, softplus, kFloatDoc),
    EDGERT_UNARY_EXTERN("Softsign", 1, 1, 1, softsign, kFloatDoc),
    EDGERT_UNARY_ENTRY("Floor", 1, Floor, kFloatDoc),
    EDGERT_UNARY_ENTRY("Ceil", 1, Ceil, kFloatDoc),
    EDGERT_UNARY_ENTRY("Round", 11, Round, kFloatDoc),
    EDGERT_UNARY_ENTRY("Sign", 9, Sign, "float32, float16, int8, uint8, int32, int64"),
    EDGERT_UNARY_ENTRY("Sin", 7, Sin, kFloatDoc),
    EDGERT_UNARY_ENTRY("Cos", 7, Cos, kFloatDoc),
    EDGERT_UNARY_ENTRY("Tan", 7, Tan, kFloatDoc),
    EDGERT_UNARY_ENTRY("Asin", 7, Asin, kFloatDoc),
    EDGERT_UNARY_ENTRY("Acos", 7, Acos, kFloatDoc),
    EDGERT_UNARY_ENTRY("Atan", 7, Atan, kFloatDoc),
    EDGERT_UNARY_ENTRY("Sinh", 9, Sinh, kFloatDoc),
    EDGERT_UNARY_ENTRY("Cosh", 9, Cosh, kFloatDoc),
    EDGERT_UNARY_ENTRY("Asinh", 9, Asinh, kFloatDoc),
    EDGERT_UNARY_ENTRY("Acosh", 9, Acosh, kFloatDoc),
    EDGERT_UNARY_ENTRY("Atanh", 9, Atanh, kFloatDoc),
    EDGERT_UNARY_ENTRY("Not", 1, Not, "bool"),
    EDGERT_UNARY_EXTERN("IsNaN", 9, 1, 1, is_nan, "float32, float16 -> bool"),
    EDGERT_UNARY_EXTERN("IsInf", 10, 1, 1, is_inf, "float32, float16 -> bool"),
    EDGERT_UNARY_EXTERN("LeakyRelu", 1, 1, 1, leaky_relu, kFloatDoc),
    EDGERT_UNARY_EXTERN("Elu", 1, 1, 1, elu, kFloatDoc),
    EDGERT_UNARY_EXTERN("Selu", 1, 1, 1, selu, kFloatDoc),
    EDGERT_UNARY_EXTERN("Celu", 12, 1, 1, celu, kFloatDoc),
    EDGERT_UNARY_EXTERN("HardSigmoid", 1, 1, 1, hard_sigmoid, kFloatDoc),
    EDGERT_UNARY_EXTERN("HardSwish", 14, 1, 1, hard_swish, kFloatDoc),
    EDGERT_UNARY_EXTERN("ThresholdedRelu", 10, 1, 1, thresholded_relu, kFloatDoc),
    EDGERT_UNARY_EXTERN("Mish", 18, 1, 1, mish, kFloatDoc),
    EDGERT_UNARY_EXTERN("Gelu", 20, 1, 1, gelu, "float32, float16; approximate none/tanh"),
    EDGERT_UNARY_EXTERN("Clip", 1, 1, 3, clip,
                        "float32, float16, int8, uint8, int32, int64; min/max attrs before "
                        "opset 11, scalar inputs from 11"),
    EDGERT_UNARY_EXTERN("Cast", 1, 1, 1, cast,
                        "all types (float32, float16, int8, uint8, int32, int64, bool); no "
                        "string/double/bfloat16"),
    EDGERT_UNARY_EXTERN("CastLike", 15, 2, 2, cast_like, "as Cast"),
    EDGERT_UNARY_EXTERN("Identity", 1, 1, 1, identity, "all types; tensors only"),
    EDGERT_UNARY_EXTERN("Dropout", 1, 1, 3, dropout,
                        "float32, float16; inference only (training_mode=true with ratio>0 "
                        "unsupported)"),
    EDGERT_UNARY_EXTERN("Shrink", 9, 1, 1, shrink, "float32, float16, int8, uint8, int32, int64"),
};
static_assert(std::size(kOps) == kUnaryOpCount, "update kUnaryOpCount in op_families.h");

#undef EDGERT_UNARY_ENTRY
#undef EDGERT_UNARY_EXTERN

}  // namespace
}  // namespace edgert::cpu::unary

namespace edgert::cpu {
OpTable unary_ops() { return {unary::kOps, std::size(unary::kOps)}; }
}  // namespace edgert::cpu
