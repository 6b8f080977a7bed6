// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// The fused activations on the device: exactly the formulas of the CPU's apply_activation
// (kernels/cpu/activation_fn.h), written the same way so that NaN, the clamps and the branch
// points behave alike. Private to kernels/cuda (device syntax).

#include <cuda_runtime.h>

#include "edgert/kernels/cuda_common.h"

namespace edgert::cuda {

/// act(x) in float32. expf/erff/tanhf are CUDA's accurate versions (not the __expf intrinsics):
/// within 2 ulp of the CPU's std::exp/erf/tanh.
__device__ __forceinline__ float apply_act(const ActParams& p, float x) {
  switch (p.kind) {
    case Act::kNone: return x;
    case Act::kRelu: return x > 0.f ? x : 0.f;
    case Act::kClip: return x < p.alpha ? p.alpha : (x > p.beta ? p.beta : x);
    case Act::kLeakyRelu: return x >= 0.f ? x : p.alpha * x;
    case Act::kSigmoid: return 1.f / (1.f + expf(-x));
    case Act::kHardSigmoid: {
      const float y = p.alpha * x + p.beta;
      return y < 0.f ? 0.f : (y > 1.f ? 1.f : y);
    }
    case Act::kHardSwish: {
      const float y = x / 6.f + 0.5f;
      return x * (y < 0.f ? 0.f : (y > 1.f ? 1.f : y));
    }
    case Act::kSiLU: return x / (1.f + expf(-x));
    case Act::kGelu: return 0.5f * x * (1.f + erff(x * 0.70710678118654752f));
    case Act::kTanh: return tanhf(x);
  }
  return x;
}

/// True for the kinds apply_act knows (a launcher rejects the others before launching).
inline bool act_is_valid(const ActParams& p) {
  return static_cast<unsigned>(p.kind) <= static_cast<unsigned>(Act::kTanh);
}

}  // namespace edgert::cuda
