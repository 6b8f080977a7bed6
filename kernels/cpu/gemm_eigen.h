// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// The CPU backend's single-precision GEMM (Eigen, OpenMP-threaded), shared by Gemm, MatMul, Conv,
// ConvTranspose and later fused/quantized kernels so that they all get the same fast path.

#include <cstdint>

namespace edgert::cpu {

/// C = alpha * op(A) * op(B) + beta * C, all matrices row-major with leading dimensions (elements
/// between consecutive rows). op(A) is M x K (A is K x M when ta), op(B) is K x N (N x K when tb).
/// beta == 0 ignores C's previous contents (it may be uninitialised or NaN).
void sgemm(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
           const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c,
           std::int64_t ldc);

/// Whether the caller is already inside an OpenMP parallel region (Eigen then runs on one thread).
bool in_parallel_region();

}  // namespace edgert::cpu
