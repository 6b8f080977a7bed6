// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Data movement by strides: Transpose, Concat (one call per input), Slice, Expand, Split and
// similar layers are all "y[idx] = x[sum idx_i * x_strides_i]" over the output dims.

#include <cstddef>

#include "edgert/kernels/cuda_common.h"

namespace edgert::cuda {

constexpr int kMaxCopyRank = 8;

/// For every index idx over dims[0..rank): y[sum idx_i * y_strides_i] = x[sum idx_i *
/// x_strides_i], strides in elements (may be 0 on x for broadcasting). elem_size: 1, 2, 4 or 8.
/// x and y must not overlap.
Status strided_copy(const void* x, void* y, std::size_t elem_size, int rank,
                    const std::int64_t* dims, const std::int64_t* x_strides,
                    const std::int64_t* y_strides, cudaStream_t stream);

}  // namespace edgert::cuda
