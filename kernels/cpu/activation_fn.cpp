// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "kernels/cpu/activation_fn.h"

namespace edgert::cpu {
namespace {

struct ActivationName {
  Activation kind;
  const char* name;
};

constexpr ActivationName kNames[] = {
    {Activation::kNone, ""},
    {Activation::kRelu, "Relu"},
    {Activation::kClip, "Clip"},
    {Activation::kLeakyRelu, "LeakyRelu"},
    {Activation::kSigmoid, "Sigmoid"},
    {Activation::kHardSigmoid, "HardSigmoid"},
    {Activation::kHardSwish, "HardSwish"},
    {Activation::kSiLU, "SiLU"},
    {Activation::kGelu, "Gelu"},
    {Activation::kTanh, "Tanh"},
};

}  // namespace

Expected<Activation> parse_activation(const std::string& name) {
  for (const auto& n : kNames)
    if (name == n.name) return n.kind;
  return Status(StatusCode::kUnsupported, "activation '" + name + "' cannot be fused");
}

const char* activation_name(Activation a) noexcept {
  for (const auto& n : kNames)
    if (a == n.kind) return n.name;
  return "?";
}

void apply_activation(const ActivationParams& p, float* data, std::int64_t n) {
  if (p.kind == Activation::kNone) return;
  if (p.kind == Activation::kRelu) {
    for (std::int64_t i = 0; i < n; ++i) data[i] = data[i] > 0.f ? data[i] : 0.f;
    return;
  }
  for (std::int64_t i = 0; i < n; ++i) data[i] = apply_activation(p, data[i]);
}

}  // namespace edgert::cpu
