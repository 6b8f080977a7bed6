// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Int8 convolutions (cuda_conv_int8.h).
//
// int8_conv is an implicit GEMM: rows are output pixels (n, oy, ox), columns output channels,
// and the reduction runs over (ky, kx, c), gathered from the NHWC input on the fly with zero
// padding. A block computes a BM x BN tile; each of its warps a WM x WN piece with
// mma.sync.m16n8k32 (int8 in, int32 accumulators). The reduction advances 64 bytes per stage
// through a 3-stage cp.async pipeline; shared-memory rows of 64 bytes are XOR-swizzled in 16-byte
// chunks so that both the cp.async stores and the ldmatrix loads are free of bank conflicts.
// The epilogue (quant_epilogue.cuh) runs on the accumulators in registers and stores int8 or
// float32 NHWC directly.
//
// int8_depthwise_conv: one thread per output pixel and group of VEC channels, int32 sums, the
// same epilogue.

#include <cuda_runtime.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

#include "edgert/kernels/cuda_conv_int8.h"
#include "kernel_util.cuh"
#include "quant_epilogue.cuh"

namespace edgert::cuda {
namespace {

constexpr int kBK = 64;  ///< reduction bytes per pipeline stage
constexpr int kStages = 3;

/// The geometry as the kernels read it (dims in int: every per-image extent fits).
struct I8Geom {
  int c, h, w, k, oh, ow;
  int kh, kw, sh, sw, pt, pl, dh, dw;
  int kred;            ///< kh * kw * c
  int kpad;            ///< packed filter row length (multiple of kBK)
  bool vec_epilogue;   ///< k % 16 == 0 and y, z, w_scale, bias 16-byte aligned (finish_chunk)
  std::int64_t m;      ///< output pixels n * oh * ow
  std::int64_t image;  ///< h * w * c: one input image
};

I8Geom dev_geom(const ConvGeom& g) {
  I8Geom d{};
  d.c = static_cast<int>(g.c);
  d.h = static_cast<int>(g.h);
  d.w = static_cast<int>(g.w);
  d.k = static_cast<int>(g.k);
  d.oh = static_cast<int>(g.oh);
  d.ow = static_cast<int>(g.ow);
  d.kh = g.kh;
  d.kw = g.kw;
  d.sh = g.stride_h;
  d.sw = g.stride_w;
  d.pt = g.pad_top;
  d.pl = g.pad_left;
  d.dh = g.dilation_h;
  d.dw = g.dilation_w;
  d.kred = static_cast<int>(g.kh * g.kw * g.c);
  d.kpad = static_cast<int>(int8_conv_packed_k(g));
  d.m = g.n * g.oh * g.ow;
  d.image = g.h * g.w * g.c;
  return d;
}

bool aligned(const void* p, int bytes) {
  return reinterpret_cast<std::uintptr_t>(p) % static_cast<std::uintptr_t>(bytes) == 0;
}

__device__ __forceinline__ unsigned smem_u32(const void* p) {
  return static_cast<unsigned>(__cvta_generic_to_shared(p));
}

/// Copies N bytes global -> shared without blocking; zero-fills when !ok (src is not read).
template <int N>
__device__ __forceinline__ void cp_async(unsigned dst, const void* src, bool ok) {
  const int bytes = ok ? N : 0;
  if constexpr (N == 16) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src),
                 "r"(bytes));
  } else {
    asm volatile("cp.async.ca.shared.global [%0], [%1], %2, %3;\n" ::"r"(dst), "l"(src), "n"(N),
                 "r"(bytes));
  }
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

__device__ __forceinline__ void ldmatrix_x4(unsigned (&r)[4], unsigned addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}

__device__ __forceinline__ void mma_s8(int (&d)[4], const unsigned (&a)[4], unsigned b0,
                                       unsigned b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, "
      "{%8, %9}, {%0, %1, %2, %3};\n"
      : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

/// Byte offset of 16-byte chunk `chunk` (0..3) of tile row `row` (64 bytes a row): the chunk
/// index is XORed with bits 1..2 of the row, so that 8 consecutive rows' same chunk fall in 8
/// different 16-byte bank groups.
__device__ __forceinline__ int swizzle(int row, int chunk) {
  return row * kBK + ((chunk ^ ((row >> 1) & 3)) << 4);
}

template <int VEC>
struct alignas(VEC) Bytes {
  std::int8_t b[VEC];
};

/// What the implicit GEMM writes: the epilogue's float32 or int8, or (split reduction) its int32
/// partial sums added into a zeroed buffer, which bias_act_quant finishes.
enum OutMode : int { kOutFloat = 0, kOutInt8 = 1, kOutPartial = 2 };

/// One output element through the epilogue and the store.
template <int kOut>
__device__ __forceinline__ void store_out(void* y, const QuantEpilogue& ep, std::int32_t acc,
                                          std::int64_t ch, std::int64_t off) {
  if constexpr (kOut == kOutPartial) {
    atomicAdd(static_cast<int*>(y) + off, acc);  // integer sums: exact in any order
  } else {
    const float v = detail::quant_value(ep, acc, ch, off);
    if constexpr (kOut == kOutInt8) {
      static_cast<std::int8_t*>(y)[off] = detail::quantize_int8(v, ep.y_scale);
    } else {
      static_cast<float*>(y)[off] = v;
    }
  }
}

template <int kOut>
__device__ __forceinline__ void finish_vector(void* y, const QuantEpilogue& ep, const int* acc,
                                              std::int64_t off, int ch0);

/// apply_act on 16 values with the kind fixed at compile time (its switch folds away).
template <Act K>
__device__ __forceinline__ void act16(float (&v)[16], ActParams p) {
  p.kind = K;
#pragma unroll
  for (int e = 0; e < 16; ++e) v[e] = apply_act(p, v[e]);
}

/// The epilogue of 16 consecutive channels ch0.. of output pixel p from their int32 sums: 16-byte
/// loads of the channels' scales, biases and an int8 z and stores of an int8 y (64-byte for
/// float32) when g.vec_epilogue, else one element at a time.
template <int kOut>
__device__ __forceinline__ void finish_chunk(void* y, const QuantEpilogue& ep, const int* acc,
                                             std::int64_t p, int ch0, const I8Geom& g) {
  const std::int64_t off = p * g.k + ch0;
  const int n = min(16, g.k - ch0);
  if (n < 16 || !g.vec_epilogue) {
    for (int e = 0; e < n; ++e) store_out<kOut>(y, ep, acc[e], std::int64_t{ch0 + e}, off + e);
    return;
  }
  if constexpr (kOut == kOutPartial) {
    for (int e = 0; e < 16; ++e) store_out<kOut>(y, ep, acc[e], std::int64_t{ch0 + e}, off + e);
  } else {
    finish_vector<kOut>(y, ep, acc, off, ch0);
  }
}

/// finish_chunk's 16-wide path (k % 16 == 0, all 16 channels in range).
template <int kOut>
__device__ __forceinline__ void finish_vector(void* y, const QuantEpilogue& ep, const int* acc,
                                              std::int64_t off, int ch0) {
  // The 16 channels' weight scales and biases in four 16-byte loads each (ch0 % 16 == 0).
  float ws[16], bs[16];
#pragma unroll
  for (int q = 0; q < 4; ++q) {
    const float4 w4 = reinterpret_cast<const float4*>(ep.w_scale + ch0)[q];
    const float4 b4 = ep.bias ? reinterpret_cast<const float4*>(ep.bias + ch0)[q]
                              : make_float4(0.f, 0.f, 0.f, 0.f);
    ws[4 * q] = w4.x;
    ws[4 * q + 1] = w4.y;
    ws[4 * q + 2] = w4.z;
    ws[4 * q + 3] = w4.w;
    bs[4 * q] = b4.x;
    bs[4 * q + 1] = b4.y;
    bs[4 * q + 2] = b4.z;
    bs[4 * q + 3] = b4.w;
  }
  float v[16];
#pragma unroll
  for (int e = 0; e < 16; ++e) v[e] = detail::quant_scaled(ep.x_scale, acc[e], ws[e], bs[e]);
  if (ep.z) {
    if (ep.z_is_float) {
      const auto* z = reinterpret_cast<const float4*>(static_cast<const float*>(ep.z) + off);
#pragma unroll
      for (int q = 0; q < 4; ++q) {
        const float4 f = z[q];
        v[4 * q] = __fadd_rn(v[4 * q], f.x);
        v[4 * q + 1] = __fadd_rn(v[4 * q + 1], f.y);
        v[4 * q + 2] = __fadd_rn(v[4 * q + 2], f.z);
        v[4 * q + 3] = __fadd_rn(v[4 * q + 3], f.w);
      }
    } else {
      const Bytes<16> zb =
          *reinterpret_cast<const Bytes<16>*>(static_cast<const std::int8_t*>(ep.z) + off);
#pragma unroll
      for (int e = 0; e < 16; ++e) v[e] = __fadd_rn(v[e], detail::quant_residual(ep, zb.b[e]));
    }
  }
  // One switch on the activation for all 16 values (act16's kind is a constant).
  switch (ep.act.kind) {
    case Act::kNone: break;
    case Act::kRelu: act16<Act::kRelu>(v, ep.act); break;
    case Act::kClip: act16<Act::kClip>(v, ep.act); break;
    case Act::kLeakyRelu: act16<Act::kLeakyRelu>(v, ep.act); break;
    case Act::kSigmoid: act16<Act::kSigmoid>(v, ep.act); break;
    case Act::kHardSigmoid: act16<Act::kHardSigmoid>(v, ep.act); break;
    case Act::kHardSwish: act16<Act::kHardSwish>(v, ep.act); break;
    case Act::kSiLU: act16<Act::kSiLU>(v, ep.act); break;
    case Act::kGelu: act16<Act::kGelu>(v, ep.act); break;
    case Act::kTanh: act16<Act::kTanh>(v, ep.act); break;
  }
  if constexpr (kOut == kOutInt8) {
    Bytes<16> out;
#pragma unroll
    for (int e = 0; e < 16; ++e) out.b[e] = detail::quantize_int8(v[e], ep.y_scale);
    *reinterpret_cast<Bytes<16>*>(static_cast<std::int8_t*>(y) + off) = out;
  } else {
    auto* dst = reinterpret_cast<float4*>(static_cast<float*>(y) + off);
#pragma unroll
    for (int q = 0; q < 4; ++q)
      dst[q] = make_float4(v[4 * q], v[4 * q + 1], v[4 * q + 2], v[4 * q + 3]);
  }
}

template <int BM, int BN, int WM, int WN, int VEC, int kOut>
__global__ void __launch_bounds__((BM / WM) * (BN / WN) * 32)
    int8_conv_kernel(const std::int8_t* __restrict__ x, const std::int8_t* __restrict__ w,
                     void* __restrict__ y, const I8Geom g, const QuantEpilogue ep) {
  constexpr int kWarpsM = BM / WM, kWarpsN = BN / WN;
  constexpr int kThreads = kWarpsM * kWarpsN * 32;
  constexpr int kRowsPerPass = kThreads / 4;  // 4 chunks of 16 bytes per 64-byte row
  constexpr int kAPasses = BM / kRowsPerPass, kBPasses = BN / kRowsPerPass;
  constexpr int kMT = WM / 16, kNT = WN / 8;
  static_assert(BM % kRowsPerPass == 0 && BN % kRowsPerPass == 0, "tile rows per pass");
  static_assert(kNT % 2 == 0, "B fragments load two n-tiles per ldmatrix.x4");
  static_assert(VEC == 1 || VEC == 4 || VEC == 8 || VEC == 16, "gather width");
  __shared__ __align__(128) std::int8_t smem[kStages][(BM + BN) * kBK];

  const int tid = static_cast<int>(threadIdx.x);
  const int lane = tid & 31, warp = tid >> 5;
  const int wm = warp % kWarpsM, wn = warp / kWarpsM;
  const std::int64_t m0 = static_cast<std::int64_t>(blockIdx.x) * BM;
  const int n0 = static_cast<int>(blockIdx.y) * BN;
  const int chunk = tid & 3, row0 = tid >> 2;

  // The output pixels whose input rows this thread gathers: image base and window origin.
  const std::int8_t* a_base[kAPasses];
  int a_iy[kAPasses], a_ix[kAPasses];
#pragma unroll
  for (int i = 0; i < kAPasses; ++i) {
    const std::int64_t p = m0 + row0 + i * kRowsPerPass;
    a_base[i] = x;
    a_iy[i] = INT_MIN / 2;  // never in range: rows past the end gather zeros
    a_ix[i] = 0;
    if (p < g.m) {
      const int ox = static_cast<int>(p % g.ow);
      const std::int64_t t = p / g.ow;
      const int oy = static_cast<int>(t % g.oh);
      a_base[i] = x + (t / g.oh) * g.image;
      a_iy[i] = oy * g.sh - g.pt;
      a_ix[i] = ox * g.sw - g.pl;
    }
  }
  const std::int8_t* b_src[kBPasses];
  bool b_ok[kBPasses];
#pragma unroll
  for (int i = 0; i < kBPasses; ++i) {
    const int ch = n0 + row0 + i * kRowsPerPass;
    b_ok[i] = ch < g.k;
    b_src[i] = w + static_cast<std::int64_t>(b_ok[i] ? ch : 0) * g.kpad + chunk * 16;
  }

  // Gathers reduction bytes k..k+15 (k = (r * kw + s) * c + ch) of each of this thread's rows
  // into its chunk of tile `sa`: VEC bytes per copy, all from one tap (c % VEC == 0); zeros for
  // padding, rows past the end and k >= kred.
  auto gather = [&](std::int8_t* sa, int k) {
    int tap = k / g.c;
    int ch = k - tap * g.c;
    int r = tap / g.kw;
    int s = tap - r * g.kw;
#pragma unroll
    for (int v = 0; v < 16; v += VEC) {
      const bool kin = k + v < g.kred;
#pragma unroll
      for (int i = 0; i < kAPasses; ++i) {
        const int iy = a_iy[i] + r * g.dh, ix = a_ix[i] + s * g.dw;
        const bool ok = kin && static_cast<unsigned>(iy) < static_cast<unsigned>(g.h) &&
                        static_cast<unsigned>(ix) < static_cast<unsigned>(g.w);
        const std::int8_t* src =
            ok ? a_base[i] + (static_cast<std::int64_t>(iy) * g.w + ix) * g.c + ch : x;
        std::int8_t* dst = sa + swizzle(row0 + i * kRowsPerPass, chunk) + v;
        if constexpr (VEC == 1) {
          *dst = ok ? *src : std::int8_t{0};
        } else {
          cp_async<VEC>(smem_u32(dst), src, ok);
        }
      }
      // The next VEC bytes: the next channels of this tap, or the next tap (no division).
      ch += VEC;
      if (ch == g.c) {
        ch = 0;
        if (++s == g.kw) {
          s = 0;
          ++r;
        }
      }
    }
  };

  auto load_stage = [&](int stage, int kb) {
    std::int8_t* sa = smem[stage];
    std::int8_t* sb = sa + BM * kBK;
    gather(sa, kb * kBK + chunk * 16);
#pragma unroll
    for (int i = 0; i < kBPasses; ++i)
      cp_async<16>(smem_u32(sb + swizzle(row0 + i * kRowsPerPass, chunk)), b_src[i] + kb * kBK,
                   b_ok[i]);
  };

  int acc[kMT][kNT][4];
#pragma unroll
  for (int i = 0; i < kMT; ++i)
#pragma unroll
    for (int j = 0; j < kNT; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[i][j][e] = 0;

  // This block's share of the reduction steps (all of them unless split over blockIdx.z).
  const int steps = g.kpad / kBK, splits = static_cast<int>(gridDim.z);
  const int kb0 = static_cast<int>(blockIdx.z) * steps / splits;
  const int kt = (static_cast<int>(blockIdx.z) + 1) * steps / splits - kb0;
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < kt) load_stage(s, kb0 + s);
    cp_async_commit();
  }
  for (int kb = 0; kb < kt; ++kb) {
    cp_async_wait<kStages - 2>();
    __syncthreads();
    const int next = kb + kStages - 1;
    if (next < kt) load_stage(next % kStages, kb0 + next);
    cp_async_commit();
    const std::int8_t* sa = smem[kb % kStages];
    const std::int8_t* sb = sa + BM * kBK;
#pragma unroll
    for (int ks = 0; ks < 2; ++ks) {  // two k32 steps per 64-byte stage
      unsigned af[kMT][4], bf[kNT][2];
#pragma unroll
      for (int i = 0; i < kMT; ++i) {
        // Matrices: rows 0-7 / 8-15 x bytes 0-15, then rows 0-7 / 8-15 x bytes 16-31.
        const int row = wm * WM + i * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
        ldmatrix_x4(af[i], smem_u32(sa + swizzle(row, ks * 2 + (lane >> 4))));
      }
#pragma unroll
      for (int j = 0; j < kNT; j += 2) {
        // Matrices: n-tile j bytes 0-15, 16-31; n-tile j + 1 bytes 0-15, 16-31.
        const int mi = lane >> 3;
        const int row = wn * WN + (j + (mi >> 1)) * 8 + (lane & 7);
        unsigned r[4];
        ldmatrix_x4(r, smem_u32(sb + swizzle(row, ks * 2 + (mi & 1))));
        bf[j][0] = r[0];
        bf[j][1] = r[1];
        bf[j + 1][0] = r[2];
        bf[j + 1][1] = r[3];
      }
#pragma unroll
      for (int i = 0; i < kMT; ++i)
#pragma unroll
        for (int j = 0; j < kNT; ++j) mma_s8(acc[i][j], af[i], bf[j][0], bf[j][1]);
    }
  }
  cp_async_wait<0>();

  // The epilogue goes through shared memory (the pipeline's, now idle), one row of warps at a
  // time: the warps of row `pass` store their int32 sums as a WM x BN tile, then every thread
  // finishes 16 consecutive channels of one pixel with vector loads and stores.
  // Accumulator e of mma tile (i, j): row lane / 4 (+ 8 for e >= 2), column 2 * (lane % 4) + e % 2.
  constexpr int kPitch = BN + 8;  // int32 per staged row (the pad spreads the banks)
  constexpr int kChunks = BN / 16;
  static_assert(WM * kPitch * 4 <= kStages * (BM + BN) * kBK, "staging fits the pipeline's smem");
  int* stage = reinterpret_cast<int*>(&smem[0][0]);
  const int gr = lane >> 2, gc = (lane & 3) * 2;
  __syncthreads();  // every warp is done with the pipeline's tiles
#pragma unroll 1
  for (int pass = 0; pass < kWarpsM; ++pass) {
    if (wm == pass) {
#pragma unroll
      for (int i = 0; i < kMT; ++i)
#pragma unroll
        for (int half = 0; half < 2; ++half)
#pragma unroll
          for (int j = 0; j < kNT; ++j)
            *reinterpret_cast<int2*>(stage + (i * 16 + gr + half * 8) * kPitch + wn * WN + j * 8 +
                                     gc) = make_int2(acc[i][j][half * 2], acc[i][j][half * 2 + 1]);
    }
    __syncthreads();
    for (int idx = tid; idx < WM * kChunks; idx += kThreads) {
      const int r = idx / kChunks, cc = (idx % kChunks) * 16;
      const std::int64_t p = m0 + pass * WM + r;
      if (p < g.m && n0 + cc < g.k)
        finish_chunk<kOut>(y, ep, stage + r * kPitch + cc, p, n0 + cc, g);
    }
    __syncthreads();
  }
}

template <int BM, int BN, int WM, int WN>
Status launch_tile(const std::int8_t* x, const std::int8_t* w, void* y, const I8Geom& g,
                   const QuantEpilogue& ep, int splits, cudaStream_t stream) {
  constexpr int kThreads = (BM / WM) * (BN / WN) * 32;
  const std::int64_t gx = (g.m + BM - 1) / BM, gy = (g.k + BN - 1) / BN;
  if (gx > INT_MAX || gy > 65535)
    return detail::invalid_arg("int8_conv", "output too large for one launch");
  const int mode = splits > 1 ? kOutPartial : ep.y_scale > 0.f ? kOutInt8 : kOutFloat;
  const int z = std::min(splits, g.kpad / kBK);  // no block without reduction steps
  const dim3 grid(static_cast<unsigned>(gx), static_cast<unsigned>(gy), static_cast<unsigned>(z));
  auto go = [&](auto vec) {
    constexpr int V = decltype(vec)::value;
    if (mode == kOutPartial)
      int8_conv_kernel<BM, BN, WM, WN, V, kOutPartial>
          <<<grid, kThreads, 0, stream>>>(x, w, y, g, ep);
    else if (mode == kOutInt8)
      int8_conv_kernel<BM, BN, WM, WN, V, kOutInt8><<<grid, kThreads, 0, stream>>>(x, w, y, g, ep);
    else
      int8_conv_kernel<BM, BN, WM, WN, V, kOutFloat><<<grid, kThreads, 0, stream>>>(x, w, y, g, ep);
  };
  // The widest gather that c and x's address allow (cp.async copies are naturally aligned).
  auto fits = [&](int v) { return g.c % v == 0 && aligned(x, v); };
  if (fits(16))
    go(std::integral_constant<int, 16>{});
  else if (fits(8))
    go(std::integral_constant<int, 8>{});
  else if (fits(4))
    go(std::integral_constant<int, 4>{});
  else
    go(std::integral_constant<int, 1>{});
  return detail::launch_status("int8_conv");
}

// ---- depthwise ----

template <int VEC, bool kInt8Out>
__global__ void int8_depthwise_kernel(const std::int8_t* __restrict__ x,
                                      const std::int8_t* __restrict__ w, void* __restrict__ y,
                                      const I8Geom g, const QuantEpilogue ep, std::int64_t total) {
  const int groups = g.c / VEC;
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += stride) {
    const int c0 = static_cast<int>(i % groups) * VEC;
    const std::int64_t p = i / groups;
    const int ox = static_cast<int>(p % g.ow);
    const std::int64_t t = p / g.ow;
    const int oy = static_cast<int>(t % g.oh);
    const std::int8_t* xi = x + (t / g.oh) * g.image + c0;
    int acc[VEC];
#pragma unroll
    for (int v = 0; v < VEC; ++v) acc[v] = 0;
    for (int ky = 0; ky < g.kh; ++ky) {
      const int iy = oy * g.sh - g.pt + ky * g.dh;
      if (static_cast<unsigned>(iy) >= static_cast<unsigned>(g.h)) continue;
      for (int kx = 0; kx < g.kw; ++kx) {
        const int ix = ox * g.sw - g.pl + kx * g.dw;
        if (static_cast<unsigned>(ix) >= static_cast<unsigned>(g.w)) continue;
        const Bytes<VEC> xv = *reinterpret_cast<const Bytes<VEC>*>(
            xi + (static_cast<std::int64_t>(iy) * g.w + ix) * g.c);
        const Bytes<VEC> wv = *reinterpret_cast<const Bytes<VEC>*>(w + (ky * g.kw + kx) * g.c + c0);
#pragma unroll
        for (int v = 0; v < VEC; ++v) acc[v] += int{xv.b[v]} * int{wv.b[v]};
      }
    }
    const std::int64_t off = p * g.c + c0;
    if constexpr (kInt8Out) {
      Bytes<VEC> out;
#pragma unroll
      for (int v = 0; v < VEC; ++v)
        out.b[v] = detail::quantize_int8(
            detail::quant_value(ep, acc[v], std::int64_t{c0 + v}, off + v), ep.y_scale);
      *reinterpret_cast<Bytes<VEC>*>(static_cast<std::int8_t*>(y) + off) = out;
    } else {
#pragma unroll
      for (int v = 0; v < VEC; ++v)
        static_cast<float*>(y)[off + v] =
            detail::quant_value(ep, acc[v], std::int64_t{c0 + v}, off + v);
    }
  }
}

Status check_common(const char* what, const void* x, const void* w, const void* y,
                    const ConvGeom& g, const QuantEpilogue& ep) {
  EDGERT_RETURN_IF_ERROR(detail::check_quant_epilogue(what, ep));
  if (g.n < 0 || g.c < 1 || g.h < 1 || g.w < 1 || g.k < 1 || g.oh < 0 || g.ow < 0 || g.kh < 1 ||
      g.kw < 1 || g.stride_h < 1 || g.stride_w < 1 || g.dilation_h < 1 || g.dilation_w < 1 ||
      g.pad_top < 0 || g.pad_left < 0)
    return detail::invalid_arg(what, "invalid geometry");
  if (g.h * g.w * g.c > INT_MAX || g.oh * g.ow > INT_MAX || g.k > INT_MAX)
    return detail::invalid_arg(what, "an image is too large for 32-bit indexing");
  if (g.n * g.oh * g.ow == 0) return {};
  if (!x || !w || !y || !ep.w_scale) return detail::invalid_arg(what, "null x, w, y or w_scale");
  return {};
}

}  // namespace

const char* int8_tile_name(Int8Tile t) noexcept {
  switch (t) {
    case Int8Tile::k128x128: return "128x128";
    case Int8Tile::k128x64: return "128x64";
    case Int8Tile::k64x64: return "64x64";
  }
  return "?";
}

std::int64_t int8_conv_packed_k(const ConvGeom& g) {
  const std::int64_t kred = static_cast<std::int64_t>(g.kh) * g.kw * g.c;
  return (kred + kBK - 1) / kBK * kBK;
}

void pack_int8_filter(const std::int8_t* kcrs, const ConvGeom& g, std::int8_t* packed) {
  const std::int64_t kp = int8_conv_packed_k(g);
  std::memset(packed, 0, static_cast<std::size_t>(g.k * kp));
  for (std::int64_t k = 0; k < g.k; ++k)
    for (std::int64_t c = 0; c < g.c; ++c)
      for (int r = 0; r < g.kh; ++r)
        for (int s = 0; s < g.kw; ++s)
          packed[k * kp + (r * g.kw + s) * g.c + c] = kcrs[((k * g.c + c) * g.kh + r) * g.kw + s];
}

std::size_t int8_conv_workspace_bytes(const ConvGeom& g, int split_k) {
  if (split_k <= 1) return 0;
  return static_cast<std::size_t>(g.n * g.oh * g.ow * g.k) * sizeof(std::int32_t);
}

Status int8_conv(const std::int8_t* x, const std::int8_t* w_packed, void* y, const ConvGeom& g,
                 const QuantEpilogue& ep, Int8Tile tile, cudaStream_t stream, int split_k,
                 void* workspace) {
  constexpr const char* kWhat = "int8_conv";
  EDGERT_RETURN_IF_ERROR(check_common(kWhat, x, w_packed, y, g, ep));
  if (g.groups != 1) return detail::invalid_arg(kWhat, "grouped convolution");
  if (static_cast<std::int64_t>(g.kh) * g.kw * g.c > kInt8MaxReduction)
    return detail::invalid_arg(
        kWhat, "reduction KH * KW * C exceeds " + std::to_string(kInt8MaxReduction));
  if (split_k < 1 || split_k > kInt8MaxSplitK)
    return detail::invalid_arg(kWhat, "split_k must be 1.." + std::to_string(kInt8MaxSplitK));
  if (split_k > 1 && !workspace)
    return detail::invalid_arg(kWhat, "split_k > 1 needs int8_conv_workspace_bytes of workspace");
  if (!aligned(w_packed, 16) || (split_k > 1 && !aligned(workspace, 16)))
    return detail::invalid_arg(kWhat,
                               "the packed filter and the workspace must be 16-byte aligned");
  if (g.n * g.oh * g.ow == 0) return {};
  I8Geom d = dev_geom(g);
  d.vec_epilogue = g.k % 16 == 0 && aligned(y, 16) && (!ep.z || aligned(ep.z, 16)) &&
                   aligned(ep.w_scale, 16) && (!ep.bias || aligned(ep.bias, 16));
  void* dst = split_k > 1 ? workspace : y;
  if (split_k > 1) {
    const cudaError_t err =
        cudaMemsetAsync(workspace, 0, int8_conv_workspace_bytes(g, split_k), stream);
    if (err != cudaSuccess)
      return Status(StatusCode::kCudaError,
                    std::string(kWhat) + ": clearing the partial sums: " + cudaGetErrorString(err));
  }
  auto launch = [&]() -> Status {
    switch (tile) {
      case Int8Tile::k128x128:
        return launch_tile<128, 128, 64, 64>(x, w_packed, dst, d, ep, split_k, stream);
      case Int8Tile::k128x64:
        return launch_tile<128, 64, 64, 32>(x, w_packed, dst, d, ep, split_k, stream);
      case Int8Tile::k64x64:
        return launch_tile<64, 64, 32, 32>(x, w_packed, dst, d, ep, split_k, stream);
    }
    return detail::invalid_arg(kWhat, "unknown tile");
  };
  EDGERT_RETURN_IF_ERROR(launch());
  if (split_k == 1) return {};
  return bias_act_quant(static_cast<const std::int32_t*>(workspace), y, Layout::kNHWC,
                        Dims4{g.n, g.k, g.oh, g.ow}, ep, stream);
}

void pack_int8_depthwise_filter(const std::int8_t* kcrs, const ConvGeom& g, std::int8_t* rsc) {
  for (std::int64_t k = 0; k < g.k; ++k)
    for (int r = 0; r < g.kh; ++r)
      for (int s = 0; s < g.kw; ++s)
        rsc[(r * g.kw + s) * g.k + k] = kcrs[(k * g.kh + r) * g.kw + s];
}

Status int8_depthwise_conv(const std::int8_t* x, const std::int8_t* w_rsc, void* y,
                           const ConvGeom& g, const QuantEpilogue& ep, cudaStream_t stream) {
  constexpr const char* kWhat = "int8_depthwise_conv";
  EDGERT_RETURN_IF_ERROR(check_common(kWhat, x, w_rsc, y, g, ep));
  if (!(g.groups == g.c && g.k == g.c))
    return detail::invalid_arg(kWhat, "not depthwise (groups == c == k)");
  const std::int64_t pixels = g.n * g.oh * g.ow;
  if (pixels == 0) return {};
  const I8Geom d = dev_geom(g);
  const bool q = ep.y_scale > 0.f;
  auto go = [&](auto vec) {
    constexpr int V = decltype(vec)::value;
    const std::int64_t total = pixels * (g.c / V);
    const unsigned blocks = detail::grid_stride_blocks(total);
    if (q)
      int8_depthwise_kernel<V, true>
          <<<blocks, detail::kThreads, 0, stream>>>(x, w_rsc, y, d, ep, total);
    else
      int8_depthwise_kernel<V, false>
          <<<blocks, detail::kThreads, 0, stream>>>(x, w_rsc, y, d, ep, total);
  };
  // V channels per thread move as one V-byte access of x, w and an int8 y: c and the
  // addresses must allow it.
  auto fits = [&](int v) {
    return g.c % v == 0 && aligned(x, v) && aligned(w_rsc, v) && (!q || aligned(y, v));
  };
  if (fits(8))
    go(std::integral_constant<int, 8>{});
  else if (fits(4))
    go(std::integral_constant<int, 4>{});
  else
    go(std::integral_constant<int, 1>{});
  return detail::launch_status(kWhat);
}

}  // namespace edgert::cuda
