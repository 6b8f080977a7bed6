// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "kernels/cpu/gemm_eigen.h"

#include <algorithm>

#include <Eigen/Core>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace edgert::cpu {
namespace {

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMap = Eigen::Map<const RowMat, Eigen::Unaligned, Eigen::OuterStride<>>;
using MutMap = Eigen::Map<RowMat, Eigen::Unaligned, Eigen::OuterStride<>>;

template <typename OpA, typename OpB>
void run(const OpA& a, const OpB& b, float alpha, float beta, MutMap& c) {
  if (beta == 0.0f) {
    if (alpha == 1.0f)
      c.noalias() = a * b;
    else
      c.noalias() = alpha * (a * b);
  } else {
    if (beta != 1.0f) c *= beta;
    if (alpha == 1.0f)
      c.noalias() += a * b;
    else
      c.noalias() += alpha * (a * b);
  }
}

void sgemm_serial(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
                  const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta,
                  float* c, std::int64_t ldc) {
  MutMap cm(c, m, n, Eigen::OuterStride<>(ldc));
  if (k <= 0) {  // empty sum: C = beta * C
    if (beta == 0.0f)
      cm.setZero();
    else
      cm *= beta;
    return;
  }
  ConstMap am(a, ta ? k : m, ta ? m : k, Eigen::OuterStride<>(lda));
  ConstMap bm(b, tb ? n : k, tb ? k : n, Eigen::OuterStride<>(ldb));
  if (!ta && !tb) run(am, bm, alpha, beta, cm);
  if (!ta && tb) run(am, bm.transpose(), alpha, beta, cm);
  if (ta && !tb) run(am.transpose(), bm, alpha, beta, cm);
  if (ta && tb) run(am.transpose(), bm.transpose(), alpha, beta, cm);
}

}  // namespace

void sgemm(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
           const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c,
           std::int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  int threads = 1;
#ifdef _OPENMP
  if (!omp_in_parallel() && m * n * std::max<std::int64_t>(k, 1) >= (std::int64_t{1} << 20))
    threads = omp_get_max_threads();
#endif
  if (threads <= 1) {
    sgemm_serial(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  // Threads take disjoint blocks of C (along its larger side), each running a single-threaded
  // Eigen GEMM. Eigen's own OpenMP GEMM shares packed panels between threads through spin-waits,
  // which collapses (5x slower than one thread, measured) when the cores are oversubscribed, as on
  // a busy 2-core edge box; independent blocks only meet at the final barrier.
  const bool split_n = n >= m;
  const std::int64_t len = split_n ? n : m;
  const std::int64_t align = 16;
  // ceil(len / threads) rounded up to the alignment, so the blocks cover all of C.
  const std::int64_t chunk = ((len + threads - 1) / threads + align - 1) / align * align;
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int t = 0; t < threads; ++t) {
    const std::int64_t lo = std::min(len, t * chunk), hi = std::min(len, lo + chunk);
    if (hi <= lo) continue;
    if (split_n) {
      sgemm_serial(ta, tb, m, hi - lo, k, alpha, a, lda, tb ? b + lo * ldb : b + lo, ldb, beta,
                   c + lo, ldc);
    } else {
      sgemm_serial(ta, tb, hi - lo, n, k, alpha, ta ? a + lo : a + lo * lda, lda, b, ldb, beta,
                   c + lo * ldc, ldc);
    }
  }
}

bool in_parallel_region() {
#ifdef _OPENMP
  return omp_in_parallel() != 0;
#else
  return false;
#endif
}

}  // namespace edgert::cpu
