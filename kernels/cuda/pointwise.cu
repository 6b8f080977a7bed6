// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include <cuda_runtime.h>

#include <string>

#include "edgert/kernels/cuda_pointwise.h"

namespace edgert::cuda {
namespace {

template <PointwiseOp kOp>
__device__ __forceinline__ float apply(float v, float alpha) {
  if constexpr (kOp == PointwiseOp::kRelu) return fmaxf(v, 0.f);
  if constexpr (kOp == PointwiseOp::kSigmoid) return 1.f / (1.f + __expf(-v));
  if constexpr (kOp == PointwiseOp::kTanh) return tanhf(v);
  if constexpr (kOp == PointwiseOp::kHardSwish) return v * fminf(fmaxf(v + 3.f, 0.f), 6.f) / 6.f;
  if constexpr (kOp == PointwiseOp::kLeakyRelu) return v >= 0.f ? v : alpha * v;
  return v;
}

template <PointwiseOp kOp>
__global__ void pointwise_kernel(const float* __restrict__ x, float* __restrict__ y, std::int64_t n,
                                 float alpha) {
  std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += stride)
    y[i] = apply<kOp>(x[i], alpha);
}

template <PointwiseOp kOp>
void launch(const float* x, float* y, std::int64_t n, float alpha, cudaStream_t stream) {
  constexpr int kThreads = 256;
  // Grid-stride loop: cap the grid at a few waves of a large GPU; more blocks only add overhead.
  std::int64_t blocks = (n + kThreads - 1) / kThreads;
  if (blocks > 4096) blocks = 4096;
  pointwise_kernel<kOp><<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(x, y, n, alpha);
}

}  // namespace

Status pointwise_f32(PointwiseOp op, const float* x, float* y, std::int64_t n, float alpha,
                     cudaStream_t stream) {
  if (n <= 0) return {};
  switch (op) {
    case PointwiseOp::kRelu: launch<PointwiseOp::kRelu>(x, y, n, alpha, stream); break;
    case PointwiseOp::kSigmoid: launch<PointwiseOp::kSigmoid>(x, y, n, alpha, stream); break;
    case PointwiseOp::kTanh: launch<PointwiseOp::kTanh>(x, y, n, alpha, stream); break;
    case PointwiseOp::kHardSwish: launch<PointwiseOp::kHardSwish>(x, y, n, alpha, stream); break;
    case PointwiseOp::kLeakyRelu: launch<PointwiseOp::kLeakyRelu>(x, y, n, alpha, stream); break;
    default: return Status(StatusCode::kInvalidArgument, "unknown pointwise op");
  }
  cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess)
    return Status(StatusCode::kCudaError,
                  std::string("pointwise kernel launch failed: ") + cudaGetErrorString(err));
  return {};
}

}  // namespace edgert::cuda
