// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// 2-D pooling (MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool) in NCHW or NHWC, float32,
// float16 and (max only) int8. The output dims are computed by the caller (the CPU op's shape
// inference, so ceil_mode and auto_pad are resolved once, in one place).

#include "edgert/kernels/cuda_common.h"

namespace edgert::cuda {

struct Pool2dParams {
  bool max = true;
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int pad_top = 0, pad_left = 0;
  int dilation_h = 1, dilation_w = 1;
  /// AveragePool: count the padded positions in the divisor (ONNX count_include_pad). Positions
  /// beyond the padded input (ceil_mode) never count.
  bool count_include_pad = false;
  /// The end pads, which only count_include_pad reads: a window position at row >= in.h +
  /// pad_bottom (column >= in.w + pad_right) lies beyond the padded input and is not counted.
  /// -1: every position the output dims reach counts (right without ceil_mode; with ceil_mode
  /// and count_include_pad pass the attribute's end pads, since the output dims cannot tell an
  /// end pad from a ceil_mode overhang).
  int pad_bottom = -1, pad_right = -1;
};

/// y[n, c, oh, ow] = max / mean over the window; padding never wins a max. A window with no
/// valid position gives the type's lowest finite value (max; float32 -FLT_MAX, float16 -65504,
/// int8 -128) or 0 (average), as the CPU op. Max ignores NaN unless it is the window's first
/// valid value, as the CPU op's `v > best` scan.
Status pool2d(const void* x, void* y, DataType t, Layout l, const Dims4& in, const Dims4& out,
              const Pool2dParams& p, cudaStream_t stream);

/// y[n, c] = mean (or max) of x[n, c, :, :]; y has dims {n, c, 1, 1} (the same bytes in either
/// layout). float32 accumulation.
Status global_pool(const void* x, void* y, DataType t, Layout l, const Dims4& in, bool max,
                   cudaStream_t stream);

}  // namespace edgert::cuda
