// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// EdgeRT's own convolution and GEMM kernels, each with the fused epilogue (bias, residual,
// activation) built in. They are tactics beside cuDNN and cuBLAS (the builder times them all) and
// what an engine built with --tactic-sources=-cudnn,-cublas runs on.

#include "edgert/kernels/cuda_common.h"

namespace edgert::cuda {

/// A 2-D convolution's geometry: input N x C x H x W, output N x K x OH x OW, filter
/// K x (C / groups) x KH x KW (always stored KCRS, the ONNX order, in the layer's float type).
struct ConvGeom {
  std::int64_t n = 1, c = 1, h = 1, w = 1;
  std::int64_t k = 1, oh = 1, ow = 1;
  int kh = 1, kw = 1;
  int stride_h = 1, stride_w = 1;
  int pad_top = 0, pad_left = 0;
  int dilation_h = 1, dilation_w = 1;
  int groups = 1;
  Dims4 in() const { return {n, c, h, w}; }
  Dims4 out() const { return {n, k, oh, ow}; }
};

/// The fused parts of a convolution or GEMM: y = act(conv(x) + bias[k] + z).
struct ConvEpilogue {
  const float* bias = nullptr;  ///< float32 [k] or null
  const void* z = nullptr;      ///< the output's type, dims and layout, or null (may not be y)
  ActParams act;
};

/// Depthwise convolution (groups == c == k, any kernel size, stride, padding, dilation): one
/// thread per output element, float32 accumulation. x, w, z, y of type t (kFloat32, kFloat16);
/// x, z and y in layout l. The workhorse of MobileNet-style models.
Status depthwise_conv(const void* x, const void* w, void* y, DataType t, Layout l,
                      const ConvGeom& g, const ConvEpilogue& ep, cudaStream_t stream);

/// Any 2-D convolution (groups included): a direct, shared-memory tiled kernel with float32
/// accumulation. Correct for every geometry; fast only for small ones. Same types as above.
Status direct_conv(const void* x, const void* w, void* y, DataType t, Layout l, const ConvGeom& g,
                   const ConvEpilogue& ep, cudaStream_t stream);

/// y[m, n] = act(sum_k a[m, k] * b'[k, n] + bias[n] + z[m, n]), with b' = b [K, N] or, when
/// trans_b, b [N, K] transposed (the layout of ONNX Gemm's transB and of a Linear layer's
/// weight). Row-major, type t (kFloat32, kFloat16), float32 accumulation; tiled in shared memory.
/// `ep.z`, when set, is [M, N] of type t.
Status gemm(const void* a, const void* b, void* y, DataType t, std::int64_t m, std::int64_t n,
            std::int64_t k, bool trans_b, const ConvEpilogue& ep, cudaStream_t stream);

}  // namespace edgert::cuda
