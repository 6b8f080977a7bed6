// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// edgert/device.h on the CUDA runtime, cuDNN and cuBLAS. Only symbols present in every cuDNN 9.x
// (cudnnGetVersion) and cuBLAS since CUDA 9 (cublasGetProperty) are used, so that a newer library
// on the device than on the build machine still loads.
#include "edgert/device.h"

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <string>

namespace edgert {
namespace {

Status cuda_error(const char* what, cudaError_t err) {
  return make_error(StatusCode::kCudaError, std::string(what) +
                                                " failed: " + cudaGetErrorName(err) + " (" +
                                                cudaGetErrorString(err) + ")");
}

// Restores the calling thread's current device: list_devices() must not change which GPU later
// CUDA calls of the application go to.
class CurrentDeviceGuard {
 public:
  CurrentDeviceGuard() { saved_ok_ = cudaGetDevice(&saved_) == cudaSuccess; }
  ~CurrentDeviceGuard() {
    if (saved_ok_) cudaSetDevice(saved_);
  }
  CurrentDeviceGuard(const CurrentDeviceGuard&) = delete;
  CurrentDeviceGuard& operator=(const CurrentDeviceGuard&) = delete;

 private:
  int saved_ = 0;
  bool saved_ok_ = false;
};

Status read_device(int index, int driver_version, int runtime_version, DeviceInfo* info) {
  cudaDeviceProp prop{};
  cudaError_t err = cudaGetDeviceProperties(&prop, index);
  if (err != cudaSuccess) return cuda_error("cudaGetDeviceProperties", err);
  info->index = index;
  info->name = prop.name;
  info->sm_major = prop.major;
  info->sm_minor = prop.minor;
  info->total_memory = prop.totalGlobalMem;
  info->multiprocessors = prop.multiProcessorCount;
  info->integrated = prop.integrated != 0;
  info->managed_memory = prop.managedMemory != 0;
  info->concurrent_managed_access = prop.concurrentManagedAccess != 0;
  info->driver_version = driver_version;
  info->runtime_version = runtime_version;

  // Free memory is only known inside a context of the device.
  err = cudaSetDevice(index);
  if (err != cudaSuccess) return cuda_error("cudaSetDevice", err);
  std::size_t free_bytes = 0, total_bytes = 0;
  err = cudaMemGetInfo(&free_bytes, &total_bytes);
  if (err != cudaSuccess) return cuda_error("cudaMemGetInfo", err);
  info->free_memory = free_bytes;
  return {};
}

std::string dotted(std::size_t major, std::size_t minor, std::size_t patch) {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

}  // namespace

bool cuda_backend_built() noexcept { return true; }

Expected<std::vector<DeviceInfo>> list_devices() {
  std::vector<DeviceInfo> devices;
  int driver_version = 0;
  int runtime_version = 0;
  // 0 means no NVIDIA driver is installed at all: a machine without a GPU, not an error.
  if (cudaDriverGetVersion(&driver_version) != cudaSuccess || driver_version == 0) {
    cudaGetLastError();  // leave no error behind for the application's next check
    return devices;
  }
  cudaError_t err = cudaRuntimeGetVersion(&runtime_version);
  if (err != cudaSuccess) return cuda_error("cudaRuntimeGetVersion", err);

  int count = 0;
  err = cudaGetDeviceCount(&count);
  if (err == cudaErrorNoDevice) {
    cudaGetLastError();
    return devices;
  }
  if (err != cudaSuccess) {
    cudaGetLastError();
    return cuda_error("cudaGetDeviceCount", err)
        .with_context("CUDA driver " + std::to_string(driver_version) + ", runtime " +
                      std::to_string(runtime_version));
  }

  CurrentDeviceGuard guard;
  devices.resize(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    Status s =
        read_device(i, driver_version, runtime_version, &devices[static_cast<std::size_t>(i)]);
    if (!s.ok()) return s.with_context("device " + std::to_string(i));
  }
  return devices;
}

std::string cudnn_version_string() {
  // cuDNN 9 encodes its version as major * 10000 + minor * 100 + patch.
  std::size_t v = cudnnGetVersion();
  return dotted(v / 10000, v / 100 % 100, v % 100) + " (built with " +
         dotted(CUDNN_MAJOR, CUDNN_MINOR, CUDNN_PATCHLEVEL) + ")";
}

std::string cublas_version_string() {
  int major = 0, minor = 0, patch = 0;
  if (cublasGetProperty(MAJOR_VERSION, &major) != CUBLAS_STATUS_SUCCESS ||
      cublasGetProperty(MINOR_VERSION, &minor) != CUBLAS_STATUS_SUCCESS ||
      cublasGetProperty(PATCH_LEVEL, &patch) != CUBLAS_STATUS_SUCCESS) {
    return "unknown";
  }
  return dotted(static_cast<std::size_t>(major), static_cast<std::size_t>(minor),
                static_cast<std::size_t>(patch));
}

}  // namespace edgert
