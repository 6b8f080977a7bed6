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

/// Device memory owned by one object, allocated through the tracking allocator.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  ~DeviceBuffer() { reset(); }
  DeviceBuffer(DeviceBuffer&& o) noexcept
      : ptr_(std::exchange(o.ptr_, nullptr)), bytes_(o.bytes_) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      reset();
      ptr_ = std::exchange(o.ptr_, nullptr);
      bytes_ = o.bytes_;
    }
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  /// Allocates `bytes` (at least 1) of device memory tagged `tag`; `what` names the buffer in the
  /// tracker and in the out-of-memory message.
  Status allocate(std::size_t bytes, const std::string& what, MemoryTag tag);
  void reset();
  void* get() const { return ptr_; }
  std::size_t size() const { return bytes_; }
  template <typename T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }

 private:
  void* ptr_ = nullptr;
  std::size_t bytes_ = 0;
};

/// Pinned (page-locked, mapped) host memory for asynchronous copies and zero-copy access, allocated
/// through the tracking allocator.
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  ~PinnedBuffer() { reset(); }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  PinnedBuffer(PinnedBuffer&& o) noexcept
      : ptr_(std::exchange(o.ptr_, nullptr)), bytes_(o.bytes_) {}
  PinnedBuffer& operator=(PinnedBuffer&& o) noexcept {
    if (this != &o) {
      reset();
      ptr_ = std::exchange(o.ptr_, nullptr);
      bytes_ = o.bytes_;
    }
    return *this;
  }
  Status allocate(std::size_t bytes, const std::string& what, MemoryTag tag);
  void reset();
  void* get() const { return ptr_; }
  std::size_t size() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  std::size_t bytes_ = 0;
};

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
