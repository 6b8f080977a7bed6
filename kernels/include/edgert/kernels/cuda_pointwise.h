// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Host launchers of the CUDA pointwise kernels. No device syntax here: callable from plain C++.
// Every launcher takes an explicit stream and returns the launch status.

#include <cstdint>

#include "edgert/status.h"

typedef struct CUstream_st* cudaStream_t;  // NOLINT: the CUDA runtime's own opaque handle

namespace edgert::cuda {

enum class PointwiseOp : int { kRelu = 0, kSigmoid, kTanh, kHardSwish, kLeakyRelu };

/// y[i] = op(x[i]) over n float32 elements in device memory; `alpha` is LeakyRelu's slope.
Status pointwise_f32(PointwiseOp op, const float* x, float* y, std::int64_t n, float alpha,
                     cudaStream_t stream);

}  // namespace edgert::cuda
