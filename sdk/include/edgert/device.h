// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file CUDA devices visible to this process and the CUDA library versions in use. CUDA-free: the
/// same header serves a build without the CUDA backend, where every list is empty.

#include <cstddef>
#include <string>
#include <vector>

#include "edgert/status.h"

namespace edgert {

/// One CUDA device, as the CUDA runtime reports it.
struct DeviceInfo {
  int index = 0;     ///< the CUDA device ordinal (after CUDA_VISIBLE_DEVICES)
  std::string name;  ///< "Orin", "NVIDIA H100 80GB HBM3", ...
  int sm_major = 0;  ///< compute capability, e.g. 8.7 on Orin, 9.0 on H100
  int sm_minor = 0;
  std::size_t total_memory = 0;  ///< bytes; on an integrated GPU this is the shared system memory
  std::size_t free_memory = 0;   ///< bytes free when listed
  int multiprocessors = 0;
  bool integrated = false;                 ///< shares memory with the CPU (Jetson)
  bool managed_memory = false;             ///< supports cudaMallocManaged
  bool concurrent_managed_access = false;  ///< CPU and GPU may touch managed memory at once
  int driver_version = 0;   ///< CUDA driver API version, 1000 * major + 10 * minor (13000)
  int runtime_version = 0;  ///< CUDA runtime version the SDK was linked with, same encoding
};

/// True when this build of the SDK contains the CUDA backend.
bool cuda_backend_built() noexcept;

/// The CUDA devices this process can use. An empty list, not an error, when there is none: no GPU,
/// no NVIDIA driver, or a build without CUDA. An error (kCudaError) when the driver is present but
/// unusable (too old for the runtime, a device that fails to answer).
///
/// Creates the CUDA context of each device to read its free memory (tens to hundreds of
/// milliseconds each); the calling thread's current device is left as it was.
Expected<std::vector<DeviceInfo>> list_devices();

/// "9.3.0 (built with 9.3.0)": the cuDNN library loaded at run time and the headers the SDK was
/// compiled with. Empty in a build without CUDA.
std::string cudnn_version_string();
/// "13.0.0": the cuBLAS library loaded at run time. Empty in a build without CUDA.
std::string cublas_version_string();

}  // namespace edgert
