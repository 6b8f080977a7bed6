// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// The int8 layers' epilogue for one element (private to kernels/cuda): shared by the separate
// epilogue kernel (epilogue.cu) and the int8 convolutions, which apply it in registers.

#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "activation.cuh"
#include "edgert/kernels/cuda_epilogue.h"
#include "kernel_util.cuh"

namespace edgert::cuda::detail {

/// In the CPU's order of operations (kernels/cpu/int8.cpp):
///   v = float(acc) * (x_scale * w_scale[c]) + bias[c];  v += z;  v = act(v).
/// The explicit _rn intrinsics keep nvcc from contracting the products into FMAs, so each
/// product and sum is rounded as the CPU's separate float operations are. quant_scaled is the
/// first step, quant_residual z's value, quant_value all of it (`zi`: z's element).
/// quant_scaled with channel ch's w_scale and bias already loaded (0 for no bias).
__device__ __forceinline__ float quant_scaled(float x_scale, std::int32_t acc, float w_scale,
                                              float bias) {
  return __fadd_rn(__fmul_rn(__int2float_rn(acc), __fmul_rn(x_scale, w_scale)), bias);
}
template <typename I>
__device__ __forceinline__ float quant_scaled(const QuantEpilogue& e, std::int32_t acc, I ch) {
  return quant_scaled(e.x_scale, acc, e.w_scale[ch], e.bias ? e.bias[ch] : 0.f);
}
__device__ __forceinline__ float quant_residual(const QuantEpilogue& e, std::int8_t z) {
  return __fmul_rn(static_cast<float>(z), e.z_scale);
}
template <typename I>
__device__ __forceinline__ float quant_value(const QuantEpilogue& e, std::int32_t acc, I ch, I zi) {
  float v = quant_scaled(e, acc, ch);
  if (e.z) {
    const float zv = e.z_is_float ? static_cast<const float*>(e.z)[zi]
                                  : quant_residual(e, static_cast<const std::int8_t*>(e.z)[zi]);
    v = __fadd_rn(v, zv);
  }
  return apply_act(e.act, v);
}

/// The launchers' check of the epilogue's scalars (the pointers are checked where they are read).
inline Status check_quant_epilogue(const char* what, const QuantEpilogue& ep) {
  auto finite_positive = [](float s) { return s > 0.f && std::isfinite(s); };
  if (!act_is_valid(ep.act)) return invalid_arg(what, "unknown activation");
  if (!finite_positive(ep.x_scale))
    return invalid_arg(what, "x_scale must be finite and > 0, got " + std::to_string(ep.x_scale));
  if (!(ep.y_scale >= 0.f) || !std::isfinite(ep.y_scale))
    return invalid_arg(what, "y_scale must be finite and >= 0 (0: float32 output), got " +
                                 std::to_string(ep.y_scale));
  if (ep.z && !ep.z_is_float && !finite_positive(ep.z_scale))
    return invalid_arg(
        what, "an int8 residual needs a finite z_scale > 0, got " + std::to_string(ep.z_scale));
  return {};
}

}  // namespace edgert::cuda::detail
