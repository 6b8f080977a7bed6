// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// EdgeRT's int8 convolutions: int8 x int8 products summed exactly in int32 on the tensor cores
// (mma.sync m16n8k32, sm_80 and newer: Orin's sm_87 and Hopper's sm_90 alike), with the int8
// layers' epilogue (cuda_epilogue.h QuantEpilogue: per-channel weight scale, bias, int8 or
// float32 residual, activation, requantization to int8 or a float32 output) applied to the
// accumulators in registers: an int8 tensor goes from layer to layer without a float32 copy.
//
// Activations are NHWC int8 (x, an int8 z, an int8 y) or NHWC float32 (a float z, a float y).
// The arithmetic is that of the CPU's ConvInt8 (kernels/cpu/int8.cpp); the kernel tests compare
// the two on random data.

#include <cstddef>

#include "edgert/kernels/cuda_conv.h"
#include "edgert/kernels/cuda_epilogue.h"

namespace edgert::cuda {

/// Block tiles of the implicit GEMM (output pixels x output channels). The builder times each
/// as its own tactic: large tiles for large layers, small ones where large tiles leave SMs idle.
enum class Int8Tile : std::uint8_t {
  k128x128 = 0,
  k128x64 = 1,
  k64x64 = 2,
};
constexpr int kInt8TileCount = 3;
const char* int8_tile_name(Int8Tile t) noexcept;

/// Longest reduction (KH * KW * C) whose int32 sums cannot overflow (as the CPU's GEMM).
constexpr std::int64_t kInt8MaxReduction = 131071;

/// Bytes per output channel of a packed filter: KH * KW * C rounded up to a multiple of 64.
std::int64_t int8_conv_packed_k(const ConvGeom& g);
/// Packs an ungrouped KCRS int8 filter into g.k rows of int8_conv_packed_k(g) bytes, each in
/// (r, s, c) order and zero-padded: the layout int8_conv reads. Host code.
void pack_int8_filter(const std::int8_t* kcrs, const ConvGeom& g, std::int8_t* packed);

/// Most reduction splits int8_conv takes.
constexpr int kInt8MaxSplitK = 32;
/// Device workspace int8_conv needs for split_k (int32 partial sums of the whole output; 0 for 1).
std::size_t int8_conv_workspace_bytes(const ConvGeom& g, int split_k);

/// y = epilogue(conv(x, w)) for an ungrouped 2-D convolution of any kernel size, stride,
/// padding and dilation (a GEMM is the 1 x 1 case with h = w = 1). x: int8 NHWC; w: packed as
/// above, 16-byte aligned (as cudaMalloc returns); y and ep.z: NHWC, int8 when ep.y_scale > 0 (z
/// when !ep.z_is_float), else float32. x is read 16 bytes at a time when c % 16 == 0 and x is
/// 16-byte aligned (8, 4 when c and x allow; byte by byte otherwise); the epilogue moves 16
/// channels at a time when k % 16 == 0 and y, z, w_scale and bias are 16-byte aligned.
/// split_k > 1 splits the reduction over that many blocks per tile (for layers with too few
/// tiles to fill the GPU, such as batch 1's late layers): their int32 partial sums are added in
/// `workspace` (exact, so the result does not depend on the order) and bias_act_quant applies
/// the epilogue.
Status int8_conv(const std::int8_t* x, const std::int8_t* w_packed, void* y, const ConvGeom& g,
                 const QuantEpilogue& ep, Int8Tile tile, cudaStream_t stream, int split_k = 1,
                 void* workspace = nullptr);

/// Packs a depthwise K x 1 x KH x KW int8 filter as KH x KW x K (RSC). Host code.
void pack_int8_depthwise_filter(const std::int8_t* kcrs, const ConvGeom& g, std::int8_t* rsc);

/// Depthwise convolution (groups == c == k), int8 NHWC in, same epilogue and output types as
/// int8_conv; the filter packed by pack_int8_depthwise_filter. Several channels per thread.
Status int8_depthwise_conv(const std::int8_t* x, const std::int8_t* w_rsc, void* y,
                           const ConvGeom& g, const QuantEpilogue& ep, cudaStream_t stream);

}  // namespace edgert::cuda
