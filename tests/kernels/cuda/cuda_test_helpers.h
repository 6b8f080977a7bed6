// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Helpers shared by the CUDA kernel tests: device buffers, float16 conversion of host data.

#include <cuda_runtime_api.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "edgert/half.h"

namespace edgert::test {

/// Device memory freed on scope exit, so that a failed REQUIRE does not leak it.
class CudaBuffer {
 public:
  explicit CudaBuffer(std::size_t bytes) : bytes_(bytes) {
    if (cudaMalloc(&ptr_, bytes == 0 ? 1 : bytes) != cudaSuccess) ptr_ = nullptr;
  }
  ~CudaBuffer() { cudaFree(ptr_); }
  CudaBuffer(const CudaBuffer&) = delete;
  CudaBuffer& operator=(const CudaBuffer&) = delete;
  void* get() const { return ptr_; }
  std::size_t bytes() const { return bytes_; }
  bool upload(const void* src) const {
    return cudaMemcpy(ptr_, src, bytes_, cudaMemcpyHostToDevice) == cudaSuccess;
  }
  bool download(void* dst) const {
    return cudaMemcpy(dst, ptr_, bytes_, cudaMemcpyDeviceToHost) == cudaSuccess;
  }
  /// All-ones bytes: a NaN in float32 and float16, so an element a kernel does not write fails
  /// the comparison.
  bool poison() const { return cudaMemset(ptr_, 0xff, bytes_) == cudaSuccess; }

 private:
  void* ptr_ = nullptr;
  std::size_t bytes_ = 0;
};

/// float32 values as float16 bit patterns (round to nearest even), and back.
inline std::vector<std::uint16_t> to_half(const std::vector<float>& v) {
  std::vector<std::uint16_t> h(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) h[i] = float_to_half(v[i]);
  return h;
}
inline std::vector<float> from_half(const std::vector<std::uint16_t>& h) {
  std::vector<float> v(h.size());
  for (std::size_t i = 0; i < h.size(); ++i) v[i] = half_to_float(h[i]);
  return v;
}

}  // namespace edgert::test
