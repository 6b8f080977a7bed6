// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Types shared by the host launchers of the CUDA kernels (kernels/cuda). No device syntax and no
// CUDA header: callable from plain C++. Every launcher takes an explicit stream (never the legacy
// default stream implicitly), checks its arguments, launches, and returns the launch status
// (cudaGetLastError) as a Status; it does not synchronize.

#include <cstdint>

#include "edgert/status.h"
#include "edgert/types.h"

typedef struct CUstream_st* cudaStream_t;  // NOLINT: the CUDA runtime's own opaque handle

namespace edgert::cuda {

/// Memory order of a 4-D activation tensor whose logical (ONNX) dims are N, C, H, W.
enum class Layout : std::uint8_t {
  kNCHW = 0,  ///< planes: the ONNX order, also "linear" for tensors of any rank
  kNHWC = 1,  ///< channels innermost: what tensor-core convolutions read and write
};
const char* layout_name(Layout l) noexcept;

/// Logical dims of a 4-D tensor (a tensor of rank < 4 is viewed as N x C x 1 x 1 or similar by
/// the caller). Always N, C, H, W whatever the layout.
struct Dims4 {
  std::int64_t n = 1, c = 1, h = 1, w = 1;
  std::int64_t numel() const { return n * c * h * w; }
};

/// Element offset of (n, c, h, w) in a tensor of dims d stored in layout l.
inline std::int64_t offset4(const Dims4& d, Layout l, std::int64_t n, std::int64_t c,
                            std::int64_t h, std::int64_t w) {
  return l == Layout::kNCHW ? ((n * d.c + c) * d.h + h) * d.w + w
                            : ((n * d.h + h) * d.w + w) * d.c + c;
}

/// The fused activations, numbered as cpu::Activation (kernels/cpu/activation_fn.h) so that a
/// layer's attribute maps to both without a table; the CUDA backend static_asserts the match.
enum class Act : std::uint8_t {
  kNone = 0,
  kRelu,
  kClip,       ///< alpha = min, beta = max
  kLeakyRelu,  ///< alpha
  kSigmoid,
  kHardSigmoid,  ///< alpha, beta
  kHardSwish,
  kSiLU,
  kGelu,  ///< erf form
  kTanh,
};
struct ActParams {
  Act kind = Act::kNone;
  float alpha = 0.f;
  float beta = 0.f;
};

/// Float types the float kernels take: kFloat32 or kFloat16 (arithmetic is float32 inside; a
/// float16 result is rounded once, to nearest even).
inline bool is_kernel_float(DataType t) {
  return t == DataType::kFloat32 || t == DataType::kFloat16;
}

}  // namespace edgert::cuda
