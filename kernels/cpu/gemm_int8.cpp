// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "kernels/cpu/gemm_int8.h"

#include <algorithm>
#include <cstring>
#include <vector>

#if defined(__AVX2__)
#include <immintrin.h>
#define EDGERT_GEMM_INT8_AVX2 1
#elif defined(__aarch64__) && defined(__ARM_FEATURE_DOTPROD)
#include <arm_neon.h>
#define EDGERT_GEMM_INT8_SDOT 1
#endif

#ifdef _OPENMP
#include <omp.h>
#endif

namespace edgert::cpu {
namespace {

// Register tile: MR rows of C by NR columns. AVX2: 6 x 16 int32 = 12 ymm accumulators, plus 2
// for B and 1 for the broadcast A pair (15 of the 16 ymm registers).
constexpr std::int64_t kMR = 6;
constexpr std::int64_t kNR = 16;
// Cache blocking, in k pairs / rows / columns. A KC x NR micro-panel of B (256 pairs x 64 bytes =
// 16 KiB) stays in a 32 KiB L1 while MC / MR register tiles of A stream past it; the MC x KC block
// of A (72 x 512 int16 = 72 KiB) stays in L2 across the NC / NR micro-panels.
constexpr std::int64_t kKCPairs = 256;
constexpr std::int64_t kMC = 72;
constexpr std::int64_t kNC = 256;
// Below this many multiply-adds the work runs on one thread (thread start-up would dominate).
constexpr std::int64_t kParallelMacs = std::int64_t{1} << 18;

// Packed A: per panel of MR rows, [KP][MR] int32, each holding the int16 pair (A(i, 2p),
// A(i, 2p + 1)) as low and high half. Rows past M and the k past K are zero.
void pack_a_panel_scalar(const std::int8_t* a, std::int64_t rs, std::int64_t cs, std::int64_t m,
                         std::int64_t k, std::int64_t i0, std::int64_t p0, std::int32_t* dst) {
  const std::int64_t kp = (k + 1) / 2;
  for (std::int64_t r = 0; r < kMR; ++r) {
    const std::int64_t i = i0 + r;
    if (i >= m) {
      for (std::int64_t p = p0; p < kp; ++p) dst[p * kMR + r] = 0;
      continue;
    }
    const std::int8_t* row = a + i * rs;
    for (std::int64_t p = p0; p < kp; ++p) {
      const std::int64_t k0 = 2 * p;
      const auto lo = static_cast<std::uint16_t>(static_cast<std::int16_t>(row[k0 * cs]));
      const auto hi =
          k0 + 1 < k ? static_cast<std::uint16_t>(static_cast<std::int16_t>(row[(k0 + 1) * cs]))
                     : std::uint16_t{0};
      dst[p * kMR + r] = static_cast<std::int32_t>(static_cast<std::uint32_t>(lo) |
                                                   (static_cast<std::uint32_t>(hi) << 16));
    }
  }
}

// Packed B: per panel of NR columns, [KP][NR][2] int16: (B(2p, j), B(2p + 1, j)). Columns past N
// and the k past K are zero.
void pack_b_panel_scalar(const std::int8_t* b, std::int64_t rs, std::int64_t cs, std::int64_t n,
                         std::int64_t k, std::int64_t j0, std::int64_t p0, std::int16_t* dst) {
  const std::int64_t kp = (k + 1) / 2;
  const std::int64_t cols = std::min(kNR, n - j0);
  if (cs == 1 && cols == kNR && p0 == 0) {
    // B row-major (the im2col case): two contiguous rows of 16 interleaved; vectorised by the
    // compiler.
    for (std::int64_t p = 0; p < kp; ++p) {
      const std::int8_t* r0 = b + (2 * p) * rs + j0;
      const std::int8_t* r1 = 2 * p + 1 < k ? r0 + rs : nullptr;
      std::int16_t* d = dst + p * kNR * 2;
      if (r1) {
        for (std::int64_t c = 0; c < kNR; ++c) {
          d[2 * c] = r0[c];
          d[2 * c + 1] = r1[c];
        }
      } else {
        for (std::int64_t c = 0; c < kNR; ++c) {
          d[2 * c] = r0[c];
          d[2 * c + 1] = 0;
        }
      }
    }
    return;
  }
  for (std::int64_t p = p0; p < kp; ++p) {
    std::int16_t* d = dst + p * kNR * 2;
    const std::int64_t k0 = 2 * p;
    for (std::int64_t c = 0; c < kNR; ++c) {
      if (c >= cols) {
        d[2 * c] = d[2 * c + 1] = 0;
        continue;
      }
      const std::int8_t* col = b + (j0 + c) * cs;
      d[2 * c] = col[k0 * rs];
      d[2 * c + 1] = k0 + 1 < k ? col[(k0 + 1) * rs] : std::int8_t{0};
    }
  }
}

#if EDGERT_GEMM_INT8_AVX2
/// Transposes 8 rows of 8 int32 in place (v[q] becomes column q).
inline void transpose8x8_epi32(__m256i v[8]) {
  __m256i t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_epi32(v[i], v[i + 1]);
    t[i + 1] = _mm256_unpackhi_epi32(v[i], v[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_unpacklo_epi64(t[i], t[i + 2]);
    u[i + 1] = _mm256_unpackhi_epi64(t[i], t[i + 2]);
    u[i + 2] = _mm256_unpacklo_epi64(t[i + 1], t[i + 3]);
    u[i + 3] = _mm256_unpackhi_epi64(t[i + 1], t[i + 3]);
  }
  for (int i = 0; i < 4; ++i) {
    v[i] = _mm256_permute2x128_si256(u[i], u[i + 4], 0x20);
    v[i + 4] = _mm256_permute2x128_si256(u[i], u[i + 4], 0x31);
  }
}

/// 16 int8 at p sign-extended to 16 int16: 8 consecutive k pairs as int32 lanes.
inline __m256i load_pairs(const std::int8_t* p) {
  return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

/// pack_a_panel for a row-major A: 8 pairs of 6 rows at a time through an 8 x 8 transpose.
/// Returns the number of pairs done (the caller packs the rest).
std::int64_t pack_a_panel_avx2(const std::int8_t* a, std::int64_t rs, std::int64_t m,
                               std::int64_t k, std::int64_t i0, std::int32_t* dst) {
  const __m256i zero = _mm256_setzero_si256();
  std::int64_t p = 0;
  for (; 2 * p + 16 <= k; p += 8) {
    __m256i v[8];
    for (std::int64_t r = 0; r < 8; ++r)
      v[r] = r < kMR && i0 + r < m ? load_pairs(a + (i0 + r) * rs + 2 * p) : zero;
    transpose8x8_epi32(v);
    for (std::int64_t q = 0; q < 8; ++q) {
      // Exactly MR = 6 lanes: 4 + 2 (the panel next door may belong to another thread).
      std::int32_t* d = dst + (p + q) * kMR;
      _mm_storeu_si128(reinterpret_cast<__m128i*>(d), _mm256_castsi256_si128(v[q]));
      _mm_storel_epi64(reinterpret_cast<__m128i*>(d + 4), _mm256_extracti128_si256(v[q], 1));
    }
  }
  return p;
}

/// pack_b_panel for B = W^T stored row-major (each column of B contiguous in k). Returns the
/// pairs done.
std::int64_t pack_b_panel_trans_avx2(const std::int8_t* b, std::int64_t cs, std::int64_t n,
                                     std::int64_t k, std::int64_t j0, std::int16_t* dst) {
  const __m256i zero = _mm256_setzero_si256();
  std::int64_t p = 0;
  for (; 2 * p + 16 <= k; p += 8)
    for (std::int64_t half = 0; half < 2; ++half) {
      __m256i v[8];
      for (std::int64_t c = 0; c < 8; ++c) {
        const std::int64_t j = j0 + half * 8 + c;
        v[c] = j < n ? load_pairs(b + j * cs + 2 * p) : zero;
      }
      transpose8x8_epi32(v);
      for (std::int64_t q = 0; q < 8; ++q)
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + (p + q) * kNR * 2 + half * 16), v[q]);
    }
  return p;
}

/// pack_b_panel for a row-major B and a full panel: rows 2p and 2p + 1 interleaved bytewise,
/// then sign-extended.
void pack_b_panel_rows_avx2(const std::int8_t* b, std::int64_t rs, std::int64_t k, std::int64_t j0,
                            std::int16_t* dst) {
  const std::int64_t kp = (k + 1) / 2;
  for (std::int64_t p = 0; p < kp; ++p) {
    const __m128i r0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 2 * p * rs + j0));
    const __m128i r1 =
        2 * p + 1 < k ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + (2 * p + 1) * rs + j0))
                      : _mm_setzero_si128();
    auto* d = reinterpret_cast<__m256i*>(dst + p * kNR * 2);
    _mm256_storeu_si256(d, _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(r0, r1)));
    _mm256_storeu_si256(d + 1, _mm256_cvtepi8_epi16(_mm_unpackhi_epi8(r0, r1)));
  }
}
#endif

// Writes (or adds, when `accumulate`) a rows x cols corner of an MR x NR tile into C.
void store_tile(const std::int32_t* tile, std::int32_t* c, std::int64_t ldc, std::int64_t rows,
                std::int64_t cols, bool accumulate) {
  for (std::int64_t r = 0; r < rows; ++r) {
    std::int32_t* dst = c + r * ldc;
    const std::int32_t* src = tile + r * kNR;
    if (accumulate) {
      for (std::int64_t j = 0; j < cols; ++j) dst[j] += src[j];
    } else {
      std::memcpy(dst, src, static_cast<std::size_t>(cols) * sizeof(std::int32_t));
    }
  }
}

void pack_a_panel(const std::int8_t* a, std::int64_t rs, std::int64_t cs, std::int64_t m,
                  std::int64_t k, std::int64_t i0, bool simd, std::int32_t* dst) {
  std::int64_t p0 = 0;
#if EDGERT_GEMM_INT8_AVX2
  if (simd && cs == 1) p0 = pack_a_panel_avx2(a, rs, m, k, i0, dst);
#else
  (void)simd;
#endif
  pack_a_panel_scalar(a, rs, cs, m, k, i0, p0, dst);
}

void pack_b_panel(const std::int8_t* b, std::int64_t rs, std::int64_t cs, std::int64_t n,
                  std::int64_t k, std::int64_t j0, bool simd, std::int16_t* dst) {
  std::int64_t p0 = 0;
#if EDGERT_GEMM_INT8_AVX2
  if (simd && cs == 1 && n - j0 >= kNR) {
    pack_b_panel_rows_avx2(b, rs, k, j0, dst);
    return;
  }
  if (simd && rs == 1) p0 = pack_b_panel_trans_avx2(b, cs, n, k, j0, dst);
#else
  (void)simd;
#endif
  pack_b_panel_scalar(b, rs, cs, n, k, j0, p0, dst);
}

// The portable micro-kernel: kp k-pairs of one A panel times one B micro-panel, with GCC/Clang
// vector extensions (4 x int32 lanes: NEON on aarch64, SSE2 on x86) so that it vectorises
// whatever the target. Each 8-column half of the tile is done separately so that its 6 x 2
// accumulators and 4 B vectors stay in registers (NEON has 32; a 6 x 16 tile at once spilled).
#if defined(__GNUC__)
using V4i32 = std::int32_t __attribute__((vector_size(16)));

void kernel_portable(std::int64_t kp, const std::int32_t* a, const std::int16_t* b, std::int32_t* c,
                     std::int64_t ldc, std::int64_t rows, std::int64_t cols, bool accumulate) {
  alignas(64) std::int32_t tile[kMR][kNR];
  for (std::int64_t half = 0; half < 2; ++half) {
    V4i32 acc[kMR][2] = {};
    const std::int32_t* ap = a;
    const std::int16_t* bp = b + half * 16;
    for (std::int64_t p = 0; p < kp; ++p, ap += kMR, bp += 2 * kNR) {
      // B(2p, j) at bp[2j], B(2p + 1, j) at bp[2j + 1], for the half's 8 columns.
      const V4i32 e0 = {bp[0], bp[2], bp[4], bp[6]}, e1 = {bp[8], bp[10], bp[12], bp[14]};
      const V4i32 o0 = {bp[1], bp[3], bp[5], bp[7]}, o1 = {bp[9], bp[11], bp[13], bp[15]};
      for (std::int64_t r = 0; r < kMR; ++r) {
        const auto pair = static_cast<std::uint32_t>(ap[r]);
        const std::int32_t a0 = static_cast<std::int16_t>(pair & 0xFFFFu);
        const std::int32_t a1 = static_cast<std::int16_t>(pair >> 16);
        acc[r][0] += a0 * e0 + a1 * o0;
        acc[r][1] += a0 * e1 + a1 * o1;
      }
    }
    for (std::int64_t r = 0; r < kMR; ++r)
      std::memcpy(&tile[r][half * 8], &acc[r][0], sizeof(acc[r]));
  }
  store_tile(&tile[0][0], c, ldc, rows, cols, accumulate);
}
#else
void kernel_portable(std::int64_t kp, const std::int32_t* a, const std::int16_t* b, std::int32_t* c,
                     std::int64_t ldc, std::int64_t rows, std::int64_t cols, bool accumulate) {
  std::int32_t acc[kMR][kNR] = {};
  for (std::int64_t p = 0; p < kp; ++p) {
    const std::int16_t* bp = b + p * kNR * 2;
    for (std::int64_t r = 0; r < kMR; ++r) {
      const auto pair = static_cast<std::uint32_t>(a[p * kMR + r]);
      const std::int32_t a0 = static_cast<std::int16_t>(pair & 0xFFFFu);
      const std::int32_t a1 = static_cast<std::int16_t>(pair >> 16);
      for (std::int64_t j = 0; j < kNR; ++j) acc[r][j] += a0 * bp[2 * j] + a1 * bp[2 * j + 1];
    }
  }
  store_tile(&acc[0][0], c, ldc, rows, cols, accumulate);
}
#endif

#if EDGERT_GEMM_INT8_AVX2
// One k pair for one row: the broadcast A pair times both B vectors, into the row's accumulators.
#define EDGERT_INT8_ROW_(r)                                         \
  {                                                                 \
    const __m256i av = _mm256_set1_epi32(a[r]);                     \
    c##r##0 = _mm256_add_epi32(c##r##0, _mm256_madd_epi16(av, b0)); \
    c##r##1 = _mm256_add_epi32(c##r##1, _mm256_madd_epi16(av, b1)); \
  }

void kernel_avx2(std::int64_t kp, const std::int32_t* a, const std::int16_t* b, std::int32_t* c,
                 std::int64_t ldc, std::int64_t rows, std::int64_t cols, bool accumulate) {
  __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256i c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  for (std::int64_t p = 0; p < kp; ++p, a += kMR, b += 2 * kNR) {
    const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b));
    const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + kNR));
    EDGERT_INT8_ROW_(0)
    EDGERT_INT8_ROW_(1)
    EDGERT_INT8_ROW_(2)
    EDGERT_INT8_ROW_(3)
    EDGERT_INT8_ROW_(4)
    EDGERT_INT8_ROW_(5)
  }
  // Through a tile in L1: keeps the loop free of the stores' branches, which made GCC spill the
  // accumulators to the stack inside the loop.
  alignas(32) std::int32_t tile[kMR][kNR];
  auto* t = reinterpret_cast<__m256i*>(&tile[0][0]);
  _mm256_store_si256(t + 0, c00);
  _mm256_store_si256(t + 1, c01);
  _mm256_store_si256(t + 2, c10);
  _mm256_store_si256(t + 3, c11);
  _mm256_store_si256(t + 4, c20);
  _mm256_store_si256(t + 5, c21);
  _mm256_store_si256(t + 6, c30);
  _mm256_store_si256(t + 7, c31);
  _mm256_store_si256(t + 8, c40);
  _mm256_store_si256(t + 9, c41);
  _mm256_store_si256(t + 10, c50);
  _mm256_store_si256(t + 11, c51);
  store_tile(&tile[0][0], c, ldc, rows, cols, accumulate);
}
#undef EDGERT_INT8_ROW_
#endif

using KernelFn = void (*)(std::int64_t, const std::int32_t*, const std::int16_t*, std::int32_t*,
                          std::int64_t, std::int64_t, std::int64_t, bool);

KernelFn select_kernel(GemmInt8Path path) {
#if EDGERT_GEMM_INT8_AVX2
  if (path == GemmInt8Path::kBest) return kernel_avx2;
#else
  (void)path;
#endif
  return kernel_portable;
}

bool use_threads(std::int64_t macs) {
#ifdef _OPENMP
  return macs >= kParallelMacs && !omp_in_parallel() && omp_get_max_threads() > 1;
#else
  (void)macs;
  return false;
#endif
}

/// Per-thread scratch that only grows: packing buffers are reused across calls instead of being
/// allocated (and page-faulted) every time. Holds the largest packed size this thread has used.
template <typename T>
T* scratch(std::vector<T>& buf, std::int64_t n) {
  if (buf.size() < static_cast<std::size_t>(n)) buf.resize(static_cast<std::size_t>(n));
  return buf.data();
}

/// Few rows (a matrix-vector product, e.g. a batch-1 classifier): packing B would cost as much as
/// the product, so B is read in place. Rows of op(A) must be contiguous (the caller copies them
/// when ta).
void gemm_int8_small_m(bool tb, std::int64_t m, std::int64_t n, std::int64_t k,
                       const std::int8_t* a, std::int64_t lda, const std::int8_t* b,
                       std::int64_t ldb, std::int32_t* c, std::int64_t ldc, bool threads) {
  constexpr std::int64_t kCols = 64;  // columns per task
  const std::int64_t blocks = (n + kCols - 1) / kCols;
#pragma omp parallel for schedule(static) if (threads)
  for (std::int64_t blk = 0; blk < blocks; ++blk) {
    const std::int64_t j0 = blk * kCols, j1 = std::min(n, j0 + kCols);
    for (std::int64_t i = 0; i < m; ++i) {
      const std::int8_t* ai = a + i * lda;
      std::int32_t* ci = c + i * ldc;
      if (tb) {
        // Column j of B is row j of the stored matrix: int8 dot products (vectorised as
        // widening multiply-adds).
        for (std::int64_t j = j0; j < j1; ++j) {
          const std::int8_t* bj = b + j * ldb;
          std::int32_t sum = 0;
          for (std::int64_t p = 0; p < k; ++p)
            sum += static_cast<std::int32_t>(ai[p]) * static_cast<std::int32_t>(bj[p]);
          ci[j] = sum;
        }
      } else {
        alignas(64) std::int32_t acc[kCols] = {};
        const std::int64_t w = j1 - j0;
        for (std::int64_t p = 0; p < k; ++p) {
          const std::int32_t av = ai[p];
          const std::int8_t* bp = b + p * ldb + j0;
          for (std::int64_t j = 0; j < w; ++j) acc[j] += av * static_cast<std::int32_t>(bp[j]);
        }
        std::memcpy(ci + j0, acc, static_cast<std::size_t>(w) * sizeof(std::int32_t));
      }
    }
  }
}

#if EDGERT_GEMM_INT8_SDOT
// aarch64 with the dot-product extension (ARMv8.2 dotprod: Cortex-A55/A76/A78, Jetson Orin):
// sdot multiplies four int8 pairs into each int32 lane (16 multiply-adds per instruction), so
// the operands stay int8, packed in groups of 4 consecutive k. An 8 x 12 register tile: 24
// accumulators, 3 B and 2 A vectors of NEON's 32.
namespace sdot {

constexpr std::int64_t kMR = 8;
constexpr std::int64_t kNR = 12;
constexpr std::int64_t kKCQuads = 256;  // 1024 k: a 12 KiB micro-panel of B stays in L1
constexpr std::int64_t kMC = 96;
constexpr std::int64_t kNC = 240;

// Packed A: per panel of MR rows, [KQ][MR][4] int8; packed B: per panel of NR columns,
// [KQ][NR][4] int8. Past M, N or K: zeros.
void pack_a(const std::int8_t* a, std::int64_t rs, std::int64_t cs, std::int64_t m, std::int64_t k,
            std::int64_t i0, std::int8_t* dst) {
  const std::int64_t kq = (k + 3) / 4;
  for (std::int64_t q = 0; q < kq; ++q)
    for (std::int64_t r = 0; r < kMR; ++r)
      for (std::int64_t t = 0; t < 4; ++t) {
        const std::int64_t i = i0 + r, kk = 4 * q + t;
        dst[(q * kMR + r) * 4 + t] = i < m && kk < k ? a[i * rs + kk * cs] : std::int8_t{0};
      }
}

void pack_b(const std::int8_t* b, std::int64_t rs, std::int64_t cs, std::int64_t n, std::int64_t k,
            std::int64_t j0, std::int8_t* dst) {
  const std::int64_t kq = (k + 3) / 4;
  for (std::int64_t q = 0; q < kq; ++q)
    for (std::int64_t c = 0; c < kNR; ++c)
      for (std::int64_t t = 0; t < 4; ++t) {
        const std::int64_t j = j0 + c, kk = 4 * q + t;
        dst[(q * kNR + c) * 4 + t] = j < n && kk < k ? b[kk * rs + j * cs] : std::int8_t{0};
      }
}

// Row r of the tile: the 4 k of row r (lane r % 4 of A vector r / 4) against 3 x 4 columns.
#define EDGERT_SDOT_ROW_(r, av, lane)               \
  c##r##0 = vdotq_laneq_s32(c##r##0, b0, av, lane); \
  c##r##1 = vdotq_laneq_s32(c##r##1, b1, av, lane); \
  c##r##2 = vdotq_laneq_s32(c##r##2, b2, av, lane);
#define EDGERT_SDOT_STORE_(r)      \
  vst1q_s32(tile[r] + 0, c##r##0); \
  vst1q_s32(tile[r] + 4, c##r##1); \
  vst1q_s32(tile[r] + 8, c##r##2);

void kernel(std::int64_t kq, const std::int8_t* a, const std::int8_t* b, std::int32_t* c,
            std::int64_t ldc, std::int64_t rows, std::int64_t cols, bool accumulate) {
  int32x4_t c00 = vdupq_n_s32(0), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
  int32x4_t c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
  int32x4_t c40 = c00, c41 = c00, c42 = c00, c50 = c00, c51 = c00, c52 = c00;
  int32x4_t c60 = c00, c61 = c00, c62 = c00, c70 = c00, c71 = c00, c72 = c00;
  for (std::int64_t q = 0; q < kq; ++q, a += kMR * 4, b += kNR * 4) {
    const int8x16_t b0 = vld1q_s8(b), b1 = vld1q_s8(b + 16), b2 = vld1q_s8(b + 32);
    const int8x16_t a0 = vld1q_s8(a), a1 = vld1q_s8(a + 16);
    EDGERT_SDOT_ROW_(0, a0, 0)
    EDGERT_SDOT_ROW_(1, a0, 1)
    EDGERT_SDOT_ROW_(2, a0, 2)
    EDGERT_SDOT_ROW_(3, a0, 3)
    EDGERT_SDOT_ROW_(4, a1, 0)
    EDGERT_SDOT_ROW_(5, a1, 1)
    EDGERT_SDOT_ROW_(6, a1, 2)
    EDGERT_SDOT_ROW_(7, a1, 3)
  }
  std::int32_t tile[kMR][kNR];
  EDGERT_SDOT_STORE_(0)
  EDGERT_SDOT_STORE_(1)
  EDGERT_SDOT_STORE_(2)
  EDGERT_SDOT_STORE_(3)
  EDGERT_SDOT_STORE_(4)
  EDGERT_SDOT_STORE_(5)
  EDGERT_SDOT_STORE_(6)
  EDGERT_SDOT_STORE_(7)
  for (std::int64_t r = 0; r < rows; ++r) {
    std::int32_t* dst = c + r * ldc;
    for (std::int64_t j = 0; j < cols; ++j) dst[j] = accumulate ? dst[j] + tile[r][j] : tile[r][j];
  }
}
#undef EDGERT_SDOT_ROW_
#undef EDGERT_SDOT_STORE_

/// One thread's block of C (see gemm_int8: threads take disjoint blocks).
void gemm_serial(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k,
                 const std::int8_t* a, std::int64_t lda, const std::int8_t* b, std::int64_t ldb,
                 std::int32_t* c, std::int64_t ldc) {
  const std::int64_t ars = ta ? 1 : lda, acs = ta ? lda : 1;
  const std::int64_t brs = tb ? 1 : ldb, bcs = tb ? ldb : 1;
  const std::int64_t kq = (k + 3) / 4;
  const std::int64_t a_panels = (m + kMR - 1) / kMR, b_panels = (n + kNR - 1) / kNR;
  thread_local std::vector<std::int8_t> pa_buf, pb_buf;
  std::int8_t* pa = scratch(pa_buf, a_panels * kq * kMR * 4);
  std::int8_t* pb = scratch(pb_buf, b_panels * kq * kNR * 4);
  for (std::int64_t ip = 0; ip < a_panels; ++ip)
    pack_a(a, ars, acs, m, k, ip * kMR, pa + ip * kq * kMR * 4);
  for (std::int64_t jp = 0; jp < b_panels; ++jp)
    pack_b(b, brs, bcs, n, k, jp * kNR, pb + jp * kq * kNR * 4);
  for (std::int64_t i0 = 0; i0 < m; i0 += kMC)
    for (std::int64_t j0 = 0; j0 < n; j0 += kNC) {
      const std::int64_t i1 = std::min(m, i0 + kMC), j1 = std::min(n, j0 + kNC);
      for (std::int64_t q0 = 0; q0 < kq; q0 += kKCQuads) {
        const std::int64_t qc = std::min(kKCQuads, kq - q0);
        for (std::int64_t j = j0; j < j1; j += kNR)
          for (std::int64_t i = i0; i < i1; i += kMR)
            kernel(qc, pa + ((i / kMR) * kq + q0) * kMR * 4, pb + ((j / kNR) * kq + q0) * kNR * 4,
                   c + i * ldc + j, ldc, std::min(kMR, i1 - i), std::min(kNR, j1 - j), q0 > 0);
      }
    }
}

}  // namespace sdot
#endif

/// The int16-pair path for one thread's block of C: pack A and B whole (O(MK + KN) against
/// O(MNK) multiply-adds), then walk MC x NC blocks of C and KC slices of K.
void gemm_pairs_serial(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k,
                       const std::int8_t* a, std::int64_t lda, const std::int8_t* b,
                       std::int64_t ldb, std::int32_t* c, std::int64_t ldc, KernelFn kernel,
                       bool simd) {
  // Element (i, k) of op(A) is a[i * ars + k * acs]; (k, j) of op(B) is b[k * brs + j * bcs].
  const std::int64_t ars = ta ? 1 : lda, acs = ta ? lda : 1;
  const std::int64_t brs = tb ? 1 : ldb, bcs = tb ? ldb : 1;
  const std::int64_t kp = (k + 1) / 2;
  const std::int64_t a_panels = (m + kMR - 1) / kMR, b_panels = (n + kNR - 1) / kNR;
  thread_local std::vector<std::int32_t> pa_buf;
  thread_local std::vector<std::int16_t> pb_buf;
  std::int32_t* pa = scratch(pa_buf, a_panels * kp * kMR);
  std::int16_t* pb = scratch(pb_buf, b_panels * kp * kNR * 2);
  for (std::int64_t ip = 0; ip < a_panels; ++ip)
    pack_a_panel(a, ars, acs, m, k, ip * kMR, simd, pa + ip * kp * kMR);
  for (std::int64_t jp = 0; jp < b_panels; ++jp)
    pack_b_panel(b, brs, bcs, n, k, jp * kNR, simd, pb + jp * kp * kNR * 2);
  for (std::int64_t i0 = 0; i0 < m; i0 += kMC)
    for (std::int64_t j0 = 0; j0 < n; j0 += kNC) {
      const std::int64_t i1 = std::min(m, i0 + kMC), j1 = std::min(n, j0 + kNC);
      for (std::int64_t p0 = 0; p0 < kp; p0 += kKCPairs) {
        const std::int64_t pc = std::min(kKCPairs, kp - p0);
        for (std::int64_t j = j0; j < j1; j += kNR) {
          const std::int16_t* bpanel = pb + (j / kNR) * kp * kNR * 2 + p0 * kNR * 2;
          for (std::int64_t i = i0; i < i1; i += kMR) {
            const std::int32_t* apanel = pa + (i / kMR) * kp * kMR + p0 * kMR;
            kernel(pc, apanel, bpanel, c + i * ldc + j, ldc, std::min(kMR, i1 - i),
                   std::min(kNR, j1 - j), p0 > 0);
          }
        }
      }
    }
}

}  // namespace

const char* gemm_int8_kernel_name() {
#if EDGERT_GEMM_INT8_AVX2
  return "avx2";
#elif EDGERT_GEMM_INT8_SDOT
  return "neon-sdot";
#else
  return "portable";
#endif
}

void gemm_int8(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k,
               const std::int8_t* a, std::int64_t lda, const std::int8_t* b, std::int64_t ldb,
               std::int32_t* c, std::int64_t ldc, GemmInt8Path path) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    for (std::int64_t i = 0; i < m; ++i) std::fill(c + i * ldc, c + i * ldc + n, 0);
    return;
  }
  const bool threads = use_threads(m * n * k);
  const KernelFn kernel = select_kernel(path);
  const bool simd = path == GemmInt8Path::kBest;
  if (m < kMR) {
    const std::int8_t* rows = a;
    std::int64_t ld = lda;
    std::vector<std::int8_t> copy;
    if (ta) {  // gather the few rows of op(A) into contiguous memory
      copy.resize(static_cast<std::size_t>(m * k));
      for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t p = 0; p < k; ++p) copy[i * k + p] = a[p * lda + i];
      rows = copy.data();
      ld = k;
    }
    gemm_int8_small_m(tb, m, n, k, rows, ld, b, ldb, c, ldc, threads);
    return;
  }
  auto serial = [&](std::int64_t bm, std::int64_t bn, const std::int8_t* ba, const std::int8_t* bb,
                    std::int32_t* bc) {
#if EDGERT_GEMM_INT8_SDOT
    if (simd) return sdot::gemm_serial(ta, tb, bm, bn, k, ba, lda, bb, ldb, bc, ldc);
#endif
    gemm_pairs_serial(ta, tb, bm, bn, k, ba, lda, bb, ldb, bc, ldc, kernel, simd);
  };
  if (!threads) {
    serial(m, n, a, b, c);
    return;
  }
#ifdef _OPENMP
  // Threads take disjoint blocks of C along its larger side, each packing what it reads: no
  // barrier before the final one. Shared packed panels would make every thread wait for the
  // slowest packer, which collapses on a busy machine whose cores are oversubscribed (measured 3x
  // slower than one thread on the 2-core build box; the same lesson as sgemm's).
  const int nt = omp_get_max_threads();
  const bool split_n = n >= m;
  const std::int64_t len = split_n ? n : m;
  const std::int64_t align = split_n ? 16 : 24;  // NR; a multiple of both MRs (6, 8)
  const std::int64_t chunk = ((len + nt - 1) / nt + align - 1) / align * align;
  const std::int64_t ars = ta ? 1 : lda, bcs = tb ? ldb : 1;
#pragma omp parallel for schedule(static) num_threads(nt)
  for (int t = 0; t < nt; ++t) {
    const std::int64_t lo = std::min(len, t * chunk), hi = std::min(len, lo + chunk);
    if (lo >= hi) continue;
    if (split_n) {
      serial(m, hi - lo, a, b + lo * bcs, c + lo);
    } else {
      serial(hi - lo, n, a + lo * ars, b, c + lo * ldc);
    }
  }
#endif
}

}  // namespace edgert::cpu
