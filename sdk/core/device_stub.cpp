// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// edgert/device.h for a build without the CUDA backend (sdk/backends/cuda/device.cpp otherwise).
// It lives in core/ because core/ is always compiled; the guard turns it off in a CUDA build.
#include "edgert/device.h"

#if !EDGERT_HAVE_CUDA

namespace edgert {

bool cuda_backend_built() noexcept { return false; }

Expected<std::vector<DeviceInfo>> list_devices() { return std::vector<DeviceInfo>{}; }

std::string cudnn_version_string() { return {}; }

std::string cublas_version_string() { return {}; }

}  // namespace edgert

#endif  // !EDGERT_HAVE_CUDA
