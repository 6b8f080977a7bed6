// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Softmax / LogSoftmax over one axis, and the builder's SoftmaxTopK layer (softmax then TopK or
// ArgMax over the last axis without materialising the softmax). Float32 arithmetic.

#include "edgert/kernels/cuda_common.h"

namespace edgert::cuda {

/// x viewed as [outer, axis, inner]: y[o, :, i] = softmax(x[o, :, i]) (log_softmax when log).
/// t: kFloat32 or kFloat16 (x and y). y may equal x.
Status softmax(const void* x, void* y, DataType t, std::int64_t outer, std::int64_t axis,
               std::int64_t inner, bool log, cudaStream_t stream);

/// Per row of x [rows, cols]: softmax, then the k best values (largest or smallest; ties: the
/// lower index first, as the CPU op) written sorted to values [rows, k] (type t; null for ArgMax)
/// and their indices to indices [rows, k] (int64). ArgMax is k = 1 with values null;
/// select_last_index picks the last of equal maxima. k <= 64.
Status softmax_topk(const void* x, DataType t, std::int64_t rows, std::int64_t cols, int k,
                    bool largest, bool select_last_index, void* values, std::int64_t* indices,
                    cudaStream_t stream);

}  // namespace edgert::cuda
