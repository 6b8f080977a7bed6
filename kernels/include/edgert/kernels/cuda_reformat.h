// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Reformat: between NCHW and NHWC, and between float32, float16 and int8, in one pass. This is
// the layer the builder inserts where a producer and a consumer disagree on format.
//
// Int8 is symmetric with a per-tensor scale (docs/precision.md): int8 -> float: q * x_scale;
// float -> int8: clamp(round_half_even(v / y_scale), -127, 127) (NaN -> -127), exactly the CPU's
// ConvInt8 input quantization (kernels/cpu/int8.cpp). Scales are ignored for float -> float.

#include "edgert/kernels/cuda_common.h"

namespace edgert::cuda {

/// y (yt, yl) = x (xt, xl) over the logical dims d. x and y must not overlap unless the call is a
/// same-size in-place type change with xl == yl. Types: kFloat32, kFloat16, kInt8.
Status reformat(const void* x, DataType xt, Layout xl, void* y, DataType yt, Layout yl,
                const Dims4& d, float x_scale, float y_scale, cudaStream_t stream);

/// Flat element-wise type conversion of n elements (any of kFloat32, kFloat16, kInt8, kUInt8 ->
/// kFloat32, kFloat16, kInt8; same rules as reformat, a kUInt8 source read as u * x_scale: pass
/// 1 for a plain Cast), or a plain copy when xt == yt (any dtype). In place only when the two
/// types have one size.
Status cast(const void* x, DataType xt, void* y, DataType yt, std::int64_t n, float x_scale,
            float y_scale, cudaStream_t stream);

}  // namespace edgert::cuda
