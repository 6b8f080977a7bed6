// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// edgert/device.h: listing devices never fails on a machine without a GPU, and agrees with the
// test harness's own CUDA probe.
#include <catch2/catch.hpp>

#include "edgert/device.h"
#include "test_util.h"

namespace edgert {

TEST_CASE("list_devices agrees with cuda_device_available", "[core][device]") {
  Expected<std::vector<DeviceInfo>> devices = list_devices();
  INFO(devices.status().to_string());
  REQUIRE(devices.ok());
  CHECK(devices->empty() == !test::cuda_device_available());
  if (!cuda_backend_built()) CHECK(devices->empty());

  for (std::size_t i = 0; i < devices->size(); ++i) {
    const DeviceInfo& d = (*devices)[i];
    INFO("device " << i << ": " << d.name);
    CHECK(d.index == static_cast<int>(i));
    CHECK_FALSE(d.name.empty());
    CHECK(d.sm_major >= 5);
    CHECK(d.multiprocessors > 0);
    CHECK(d.total_memory > 0);
    CHECK(d.free_memory <= d.total_memory);
    CHECK(d.driver_version > 0);
    CHECK(d.runtime_version > 0);
  }
}

TEST_CASE("list_devices can be called again", "[core][device]") {
  auto a = list_devices();
  auto b = list_devices();
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->size() == b->size());
}

TEST_CASE("library versions are reported exactly when CUDA is built", "[core][device]") {
  if (cuda_backend_built()) {
    // "9.x.y (built with 9.x.y)": cuDNN 9 or later, whatever the machine.
    const std::string cudnn = cudnn_version_string();
    CHECK(cudnn.find(" (built with ") != std::string::npos);
    CHECK(cudnn.rfind("0.", 0) != 0);
    CHECK_FALSE(cublas_version_string().empty());
    CHECK(cublas_version_string() != "unknown");
  } else {
    CHECK(cudnn_version_string().empty());
    CHECK(cublas_version_string().empty());
  }
}

}  // namespace edgert
