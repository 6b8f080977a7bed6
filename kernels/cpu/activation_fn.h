// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// The activations a fused layer may apply in its epilogue (FusedConv, FusedGemm, ConvInt8,
// GemmInt8, Pointwise), named by the ONNX op they replace. One definition, so every fused layer
// computes exactly what the unfused op would.

#include <cmath>
#include <cstdint>
#include <string>

#include "edgert/status.h"

namespace edgert::cpu {

enum class Activation : std::uint8_t {
  kNone,
  kRelu,
  kClip,       ///< alpha = min, beta = max (Relu6: 0, 6)
  kLeakyRelu,  ///< alpha
  kSigmoid,
  kHardSigmoid,  ///< alpha, beta (ONNX defaults 0.2, 0.5)
  kHardSwish,
  kSiLU,  ///< x * sigmoid(x)
  kGelu,  ///< exact (erf) form
  kTanh,
};

/// "" -> kNone; the ONNX op names ("Relu", "Clip", ...) plus "SiLU" and "Gelu".
Expected<Activation> parse_activation(const std::string& name);
const char* activation_name(Activation a) noexcept;

struct ActivationParams {
  Activation kind = Activation::kNone;
  float alpha = 0.f;
  float beta = 0.f;
};

inline float apply_activation(const ActivationParams& p, float x) {
  switch (p.kind) {
    case Activation::kNone: return x;
    case Activation::kRelu: return x > 0.f ? x : 0.f;
    case Activation::kClip: return x < p.alpha ? p.alpha : (x > p.beta ? p.beta : x);
    case Activation::kLeakyRelu: return x >= 0.f ? x : p.alpha * x;
    case Activation::kSigmoid: return 1.f / (1.f + std::exp(-x));
    case Activation::kHardSigmoid: {
      float y = p.alpha * x + p.beta;
      return y < 0.f ? 0.f : (y > 1.f ? 1.f : y);
    }
    case Activation::kHardSwish: {
      float y = x / 6.f + 0.5f;
      return x * (y < 0.f ? 0.f : (y > 1.f ? 1.f : y));
    }
    case Activation::kSiLU: return x / (1.f + std::exp(-x));
    case Activation::kGelu: return 0.5f * x * (1.f + std::erf(x * 0.70710678118654752f));
    case Activation::kTanh: return std::tanh(x);
  }
  return x;
}

/// In place over n values.
void apply_activation(const ActivationParams& p, float* data, std::int64_t n);

}  // namespace edgert::cpu
