// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// CUDA, cuDNN and cuBLAS error handling and owned device memory for the CUDA backend. Internal:
// only sdk/backends/cuda includes this (it pulls in the CUDA headers).

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <cstddef>
#include <string>
#include <utility>

#include "edgert/memory.h"
#include "edgert/status.h"
#include "memory/tracked_memory.h"

namespace edgert::cuda_backend {

Status cuda_status(cudaError_t err, const std::string& what);
Status cudnn_status(cudnnStatus_t st, const std::string& what);
Status cublas_status(cublasStatus_t st, const std::string& what);

#define EDGERT_CUDA_TRY(expr)                                         \
  do {                                                                \
    cudaError_t edgert_err_ = (expr);                                 \
    if (edgert_err_ != cudaSuccess)                                   \
      return ::edgert::cuda_backend::cuda_status(edgert_err_, #expr); \
  } while (0)
#define EDGERT_CUDNN_TRY(expr)                                        \
  do {                                                                \
    cudnnStatus_t edgert_st_ = (expr);                                \
    if (edgert_st_ != CUDNN_STATUS_SUCCESS)                           \
      return ::edgert::cuda_backend::cudnn_status(edgert_st_, #expr); \
  } while (0)
#define EDGERT_CUBLAS_TRY(expr)                                        \
  do {                                                                 \
    cublasStatus_t edgert_st_ = (expr);                                \
    if (edgert_st_ != CUBLAS_STATUS_SUCCESS)                           \
      return ::edgert::cuda_backend::cublas_status(edgert_st_, #expr); \
  } while (0)

/// Status of allocating `bytes` (at least 1) of `kind` tagged `tag` into `m` on the current device;
/// `what` names the buffer in the tracker and in the out-of-memory message.
Status allocate_on_device(TrackedMemory& m, MemoryKind kind, std::size_t bytes,
                          const std::string& what, MemoryTag tag);

/// Memory of one kind owned by one object, from the tracking allocator: device memory, or pinned
/// (page-locked, mapped) host memory for asynchronous copies and zero-copy access.
template <MemoryKind kKind>
class CudaBuffer : public TrackedMemory {
 public:
  Status allocate(std::size_t bytes, const std::string& what, MemoryTag tag) {
    return allocate_on_device(*this, kKind, bytes, what, tag);
  }
  template <typename T>
  T* as() const {
    return static_cast<T*>(get());
  }
};
using DeviceBuffer = CudaBuffer<MemoryKind::kDevice>;
using PinnedBuffer = CudaBuffer<MemoryKind::kPinned>;

/// Restores the calling thread's current device on scope exit.
class DeviceGuard {
 public:
  explicit DeviceGuard(int device) {
    ok_ = cudaGetDevice(&saved_) == cudaSuccess;
    if (ok_ && saved_ != device) cudaSetDevice(device);
  }
  ~DeviceGuard() {
    if (ok_) cudaSetDevice(saved_);
  }
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int saved_ = 0;
  bool ok_ = false;
};

}  // namespace edgert::cuda_backend
