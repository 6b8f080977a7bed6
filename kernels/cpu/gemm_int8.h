// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// The CPU backend's int8 GEMM: int8 x int8 -> int32, exact (no saturation anywhere), shared by
// ConvInt8 and GemmInt8.
//
// How: both operands are packed to int16 with pairs of consecutive k interleaved, so that one
// multiply-add of int16 pairs into an int32 lane (x86 vpmaddwd, 16 MACs per AVX2 instruction; a
// widening multiply-accumulate elsewhere) does two k steps. The packed panels are blocked for the
// caches (MR x NR register tile, KC x NR micro-panel of B in L1, MC x KC block of A in L2) and the
// MC x NC blocks of C are spread over OpenMP threads. AVX2 gets an intrinsics micro-kernel,
// aarch64 with the dot-product extension an sdot kernel (int8 operands in groups of 4 k); other
// targets a portable one written with GCC/Clang vector extensions.

#include <cstdint>

namespace edgert::cpu {

/// The largest K for which the int32 accumulation cannot overflow: K * 128 * 128 <= 2^31 - 1.
constexpr std::int64_t kGemmInt8MaxK = 131071;

enum class GemmInt8Path : std::uint8_t {
  kBest,      ///< the SIMD micro-kernel where the build has one, else the portable one
  kPortable,  ///< the plain-C++ micro-kernel (for tests of that path on every target)
};

/// C = op(A) * op(B): int8 A, B; int32 C. Matrices row-major with leading dimensions (elements
/// between consecutive rows). op(A) is M x K (A is K x M when ta), op(B) is K x N (N x K when tb).
/// C's previous contents are ignored. Requires k <= kGemmInt8MaxK (checked by the callers, which
/// report an error); m, n, k may be 0. Runs on OpenMP threads unless called inside a parallel
/// region.
void gemm_int8(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k,
               const std::int8_t* a, std::int64_t lda, const std::int8_t* b, std::int64_t ldb,
               std::int32_t* c, std::int64_t ldc, GemmInt8Path path = GemmInt8Path::kBest);

/// "avx2", "neon-sdot" or "portable": the micro-kernel kBest selects in this build.
const char* gemm_int8_kernel_name();

}  // namespace edgert::cpu
