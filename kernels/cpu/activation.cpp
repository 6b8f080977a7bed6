// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Activations of the unary family, most with float attributes (alpha/beta/gamma...).
#include <cmath>
#include <string>

#include "kernels/cpu/unary_common.h"

namespace edgert::cpu::unary {
namespace {

// Reads one float attribute into a Params field.
Status read_float(const NodeInfo& node, const char* name, float def, float& out) {
  auto v = node.attrs.get_float(name, def);
  if (!v) return invalid(node, v.status().message());
  out = *v;
  return {};
}

struct Sigmoid : NoAttrs {
  static constexpr unsigned kTypes = kFloatTypes;
  template <class T>
  static T apply(T x, const Params&) {
    // Two forms so that exp never overflows for large |x|.
    if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
    T e = std::exp(x);
    return e / (T(1) + e);
  }
};

template <class T>
T softplus_of(T x) {
  // log(1 + e^x) without overflow: x + log1p(e^-x) for positive x.
  return x > T(0) ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}

struct Softplus : NoAttrs {
  static constexpr unsigned kTypes = kFloatTypes;
  template <class T>
  static T apply(T x, const Params&) {
    return softplus_of(x);
  }
};

struct Softsign : NoAttrs {
  static constexpr unsigned kTypes = kFloatTypes;
  template <class T>
  static T apply(T x, const Params&) {
    return x / (T(1) + std::fabs(x));
  }
};

struct LeakyRelu {
  static constexpr unsigned kTypes = kFloatTypes;
  static Expected<Params> parse(const NodeInfo& node) {
    Params p;
    EDGERT_RETURN_IF_ERROR(read_float(node, "alpha", 0.01f, p.alpha));
    return p;
  }
  template <class T>
  static T apply(T x, const Params& p) {
    return x < T(0) ? p.alpha * x : x;
  }
};

struct Elu {
  static constexpr unsigned kTypes = kFloatTypes;
  static Expected<Params> parse(const NodeInfo& node) {
    Params p;
    EDGERT_RETURN_IF_ERROR(read_float(node, "alpha", 1.0f, p.alpha));
    return p;
  }
  template <class T>
  static T apply(T x, const Params& p) {
    return x < T(0) ? p.alpha * std::expm1(x) : x;
  }
};

struct Selu {
  static constexpr unsigned kTypes = kFloatTypes;
  static Expected<Params> parse(const NodeInfo& node) {
    Params p;
    EDGERT_RETURN_IF_ERROR(read_float(node, "alpha", 1.67326319217681884765625f, p.alpha));
    EDGERT_RETURN_IF_ERROR(read_float(node, "gamma", 1.05070102214813232421875f, p.gamma));
    return p;
  }
  template <class T>
  static T apply(T x, const Params& p) {
    return x > T(0) ? p.gamma * x : p.gamma * p.alpha * std::expm1(x);
  }
};

struct Celu {
  static constexpr unsigned kTypes = kFloatTypes;
  static Expected<Params> parse(const NodeInfo& node) {
    Params p;
    EDGERT_RETURN_IF_ERROR(read_float(node, "alpha", 1.0f, p.alpha));
    if (p.alpha == 0.f) return invalid(node, "attribute 'alpha' must not be 0");
    return p;
  }
  template <class T>
  static T apply(T x, const Params& p) {
    return x > T(0) ? x : p.alpha * std::expm1(x / p.alpha);
  }
};

struct HardSigmoid {
  static constexpr unsigned kTypes = kFloatTypes;
  static Expected<Params> parse(const NodeInfo& node) {
    Params p;
    EDGERT_RETURN_IF_ERROR(read_float(node, "alpha", 0.2f, p.alpha));
    EDGERT_RETURN_IF_ERROR(read_float(node, "beta", 0.5f, p.beta));
    return p;
  }
  template <class T>
  static T apply(T x, const Params& p) {
    return std::fmax(T(0), std::fmin(T(1), p.alpha * x + p.beta));
  }
};

struct HardSwish : NoAttrs {
  static constexpr unsigned kTypes = kFloatTypes;
  template <class T>
  static T apply(T x, const Params&) {
    return x * std::fmax(T(0), std::fmin(T(1), x / T(6) + T(0.5)));
  }
};

struct ThresholdedRelu {
  static constexpr unsigned kTypes = kFloatTypes;
  static Expected<Params> parse(const NodeInfo& node) {
    Params p;
    EDGERT_RETURN_IF_ERROR(read_float(node, "alpha", 1.0f, p.alpha));
    return p;
  }
  template <class T>
  static T apply(T x, const Params& p) {
    return x > p.alpha ? x : T(0);
  }
};

struct Mish : NoAttrs {
  static constexpr unsigned kTypes = kFloatTypes;
  template <class T>
  static T apply(T x, const Params&) {
    return x * std::tanh(softplus_of(x));
  }
};

struct Gelu {
  static constexpr unsigned kTypes = kFloatTypes;
  static Expected<Params> parse(const NodeInfo& node) {
    auto mode = node.attrs.get_string("approximate", "none");
    if (!mode) return invalid(node, mode.status().message());
    Params p;
    if (*mode == "none") {
      p.mode = 0;
    } else if (*mode == "tanh") {
      p.mode = 1;
    } else {
      return invalid(node, "attribute 'approximate'=" + *mode + " must be none or tanh");
    }
    return p;
  }
  template <class T>
  static T apply(T x, const Params& p) {
    if (p.mode == 0) return T(0.5) * x * (T(1) + std::erf(x * T(0.70710678118654752440)));
    const T k = T(0.79788456080286535588);  // sqrt(2/pi)
    return T(0.5) * x * (T(1) + std::tanh(k * (x + T(0.044715) * x * x * x)));
  }
};

struct Shrink {
  static constexpr unsigned kTypes = kNumericTypes;
  static Expected<Params> parse(const NodeInfo& node) {
    Params p;
    EDGERT_RETURN_IF_ERROR(read_float(node, "bias", 0.0f, p.beta));
    EDGERT_RETURN_IF_ERROR(read_float(node, "lambd", 0.5f, p.alpha));
    return p;
  }
  template <class T>
  static T apply(T x, const Params& p) {
    // Integers are compared and shifted in double (exact for int32; int64 beyond 2^53 is not a
    // realistic Shrink input).
    double v = static_cast<double>(x);
    if (v < -static_cast<double>(p.alpha)) return static_cast<T>(v + p.beta);
    if (v > static_cast<double>(p.alpha)) return static_cast<T>(v - p.beta);
    return T(0);
  }
};

}  // namespace

EDGERT_UNARY_DEFINE(sigmoid, Sigmoid)
EDGERT_UNARY_DEFINE(softplus, Softplus)
EDGERT_UNARY_DEFINE(softsign, Softsign)
EDGERT_UNARY_DEFINE(leaky_relu, LeakyRelu)
EDGERT_UNARY_DEFINE(elu, Elu)
EDGERT_UNARY_DEFINE(selu, Selu)
EDGERT_UNARY_DEFINE(celu, Celu)
EDGERT_UNARY_DEFINE(hard_sigmoid, HardSigmoid)
EDGERT_UNARY_DEFINE(hard_swish, HardSwish)
EDGERT_UNARY_DEFINE(thresholded_relu, ThresholdedRelu)
EDGERT_UNARY_DEFINE(mish, Mish)
EDGERT_UNARY_DEFINE(gelu, Gelu)
EDGERT_UNARY_DEFINE(shrink, Shrink)

}  // namespace edgert::cpu::unary
