// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The shared GEMM helper against a naive product, on sizes large enough to take the threaded path
// and with lengths that do not divide by the thread count or the block alignment.

#include <cmath>
#include <random>

#include <catch2/catch.hpp>

#include "kernels/cpu/gemm_eigen.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace edgert::test {

TEST_CASE("sgemm covers all of C on the threaded path", "[cpu][gemm]") {
  struct Case {
    std::int64_t m, n, k;
    bool ta, tb;
  };
  // 40x6625x120 is the PP-OCR recognizer's classifier head; the others split along M or N into
  // blocks that are not multiples of the 16-element alignment.
  const Case cases[] = {{40, 6625, 120, false, false},
                        {6625, 40, 120, false, true},
                        {1001, 1003, 33, true, false},
                        {17, 70001, 5, true, true}};
#ifdef _OPENMP
  const int saved = omp_get_max_threads();
#endif
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  for (int threads : {2, 3}) {
#ifdef _OPENMP
    omp_set_num_threads(threads);
#endif
    for (const Case& c : cases) {
      INFO("threads " << threads << " M=" << c.m << " N=" << c.n << " K=" << c.k << " ta=" << c.ta
                      << " tb=" << c.tb);
      std::vector<float> a(c.m * c.k), b(c.k * c.n), out(c.m * c.n, std::nanf(""));
      for (auto& v : a) v = dist(rng);
      for (auto& v : b) v = dist(rng);
      const std::int64_t lda = c.ta ? c.m : c.k, ldb = c.tb ? c.k : c.n;
      cpu::sgemm(c.ta, c.tb, c.m, c.n, c.k, 1.0f, a.data(), lda, b.data(), ldb, 0.0f, out.data(),
                 c.n);
      double num = 0, den = 0;
      for (std::int64_t i = 0; i < c.m; ++i)
        for (std::int64_t j = 0; j < c.n; ++j) {
          double ref = 0;
          for (std::int64_t p = 0; p < c.k; ++p)
            ref += static_cast<double>(c.ta ? a[p * lda + i] : a[i * lda + p]) *
                   (c.tb ? b[j * ldb + p] : b[p * ldb + j]);
          const double d = out[i * c.n + j] - ref;  // NaN (an unwritten element) poisons num
          num += d * d;
          den += ref * ref;
        }
      CHECK(std::sqrt(num / den) < 1e-5);
    }
  }
#ifdef _OPENMP
  omp_set_num_threads(saved);
#endif
}

}  // namespace edgert::test
