// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// The fused-layer epilogue as a kernel of its own, for convolutions and GEMMs whose library call
// cannot fuse it: y = act(x + bias[c] + z), per element, arithmetic in float32, rounded once to
// y's type. Channel c of element (n, c, h, w) follows the layout; a GEMM output [M, N] is dims
// {M, N, 1, 1} with bias per column (either layout gives the same order for h = w = 1).

#include "edgert/kernels/cuda_common.h"

namespace edgert::cuda {

/// x and y: type t (kFloat32, kFloat16), layout l, dims d; y may equal x (in place). bias: float32
/// [d.c] or null. z: type t, same dims and layout, or null; may equal y. Int8 output: see
/// bias_act_quant.
Status bias_act(const void* x, void* y, DataType t, Layout l, const Dims4& d, const float* bias,
                const void* z, const ActParams& act, cudaStream_t stream);

/// The int8 epilogue of int8 layers: v = acc[i] * (x_scale * w_scale[c]) + bias[c] + z, z read
/// as int8 times z_scale (or float32 when z_is_float), then the activation, then either float32
/// y (y_scale == 0) or int8 y = clamp(round_half_even(v / y_scale), -127, 127). acc: int32.
/// Matches the CPU ConvInt8/GemmInt8 epilogue (kernels/cpu/int8.cpp) exactly up to float
/// rounding of the products.
struct QuantEpilogue {
  float x_scale = 1.f;
  const float* w_scale = nullptr;  ///< [c]
  const float* bias = nullptr;     ///< [c] or null
  const void* z = nullptr;         ///< residual, same dims and layout, or null
  bool z_is_float = false;
  float z_scale = 1.f;
  float y_scale = 0.f;  ///< 0: float32 output
  ActParams act;
};
Status bias_act_quant(const std::int32_t* acc, void* y, Layout l, const Dims4& d,
                      const QuantEpilogue& ep, cudaStream_t stream);

}  // namespace edgert::cuda
