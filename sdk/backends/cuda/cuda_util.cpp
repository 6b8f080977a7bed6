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

Status DeviceBuffer::allocate(std::size_t bytes, const std::string& what) {
  reset();
  if (bytes == 0) bytes = 1;
  cudaError_t err = cudaMalloc(&ptr_, bytes);
  if (err != cudaSuccess) {
    ptr_ = nullptr;
    cudaGetLastError();
    return cuda_status(
        err, "allocating " + std::to_string(bytes) + " bytes of device memory for " + what);
  }
  bytes_ = bytes;
  return {};
}

void DeviceBuffer::reset() {
  if (ptr_) cudaFree(ptr_);
  ptr_ = nullptr;
  bytes_ = 0;
}

Status PinnedBuffer::allocate(std::size_t bytes, const std::string& what) {
  reset();
  if (bytes == 0) bytes = 1;
  cudaError_t err = cudaMallocHost(&ptr_, bytes);
  if (err != cudaSuccess) {
    ptr_ = nullptr;
    cudaGetLastError();
    return cuda_status(
        err, "allocating " + std::to_string(bytes) + " bytes of pinned memory for " + what);
  }
  bytes_ = bytes;
  return {};
}

void PinnedBuffer::reset() {
  if (ptr_) cudaFreeHost(ptr_);
  ptr_ = nullptr;
  bytes_ = 0;
}

}  // namespace edgert::cuda_backend
