// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "backends/cuda/cuda_util.h"

namespace edgert::cuda_backend {

Status cuda_status(cudaError_t err, const std::string& what) {
  const StatusCode code =
      err == cudaErrorMemoryAllocation ? StatusCode::kOutOfMemory : StatusCode::kCudaError;
  return Status(code,
                what + " failed: " + cudaGetErrorName(err) + " (" + cudaGetErrorString(err) + ")");
}

Status cudnn_status(cudnnStatus_t st, const std::string& what) {
  const StatusCode code =
      st == CUDNN_STATUS_NOT_SUPPORTED ? StatusCode::kUnsupported : StatusCode::kCudaError;
  return Status(code, what + " failed: " + cudnnGetErrorString(st));
}

Status cublas_status(cublasStatus_t st, const std::string& what) {
  const StatusCode code =
      st == CUBLAS_STATUS_NOT_SUPPORTED ? StatusCode::kUnsupported : StatusCode::kCudaError;
  return Status(code, what + " failed: cuBLAS status " + std::to_string(static_cast<int>(st)));
}

Status allocate_on_device(TrackedMemory& m, MemoryKind kind, std::size_t bytes,
                          const std::string& what, MemoryTag tag) {
  AllocationRequest r;
  r.kind = kind;
  r.bytes = bytes ? bytes : 1;
  r.tag = tag;
  r.label = what;
  if (cudaGetDevice(&r.device) != cudaSuccess) {
    cudaGetLastError();
    r.device = 0;
  }
  return m.allocate(r);
}

}  // namespace edgert::cuda_backend
