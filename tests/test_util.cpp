// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "test_util.h"

#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>

#include "edgert/half.h"

#if EDGERT_HAVE_CUDA
#include <cuda_runtime_api.h>
#endif

namespace edgert::test {

Tensor random_tensor(DataType t, const Shape& shape, std::mt19937& rng, double lo, double hi) {
  Tensor x = Tensor::allocate(t, shape).value();
  std::uniform_real_distribution<double> real(lo, hi);
  std::uniform_int_distribution<long long> integer(static_cast<long long>(lo),
                                                   static_cast<long long>(hi));
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    switch (t) {
      case DataType::kFloat32: x.data<float>()[i] = static_cast<float>(real(rng)); break;
      case DataType::kFloat16:
        x.data<std::uint16_t>()[i] = float_to_half(static_cast<float>(real(rng)));
        break;
      case DataType::kInt8:
        x.data<std::int8_t>()[i] = static_cast<std::int8_t>(integer(rng));
        break;
      case DataType::kUInt8:
        x.data<std::uint8_t>()[i] = static_cast<std::uint8_t>(integer(rng));
        break;
      case DataType::kInt32:
        x.data<std::int32_t>()[i] = static_cast<std::int32_t>(integer(rng));
        break;
      case DataType::kInt64: x.data<std::int64_t>()[i] = integer(rng); break;
      case DataType::kBool:
        x.data<std::uint8_t>()[i] = static_cast<std::uint8_t>(rng() & 1u);
        break;
      case DataType::kUndefined: break;
    }
  }
  return x;
}

double rel_l2(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) return std::numeric_limits<double>::infinity();
  double num = 0, den = 0;
  for (std::int64_t i = 0; i < a.numel(); ++i) {
    double x = a.get_as_double(i), y = b.get_as_double(i);
    if (std::isnan(x) || std::isnan(y)) return std::numeric_limits<double>::infinity();
    num += (x - y) * (x - y);
    den += y * y;
  }
  if (den == 0) return num == 0 ? 0.0 : std::numeric_limits<double>::infinity();
  return std::sqrt(num / den);
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) return std::numeric_limits<double>::infinity();
  double m = 0;
  for (std::int64_t i = 0; i < a.numel(); ++i)
    m = std::max(m, std::fabs(a.get_as_double(i) - b.get_as_double(i)));
  return m;
}

void report_skip(const std::string& why) {
  std::printf("EDGERT_SKIPPED: %s\n", why.c_str());
  std::fflush(stdout);
}

bool cuda_device_available() {
#if EDGERT_HAVE_CUDA
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
#else
  return false;
#endif
}

std::string python() {
  const char* env = std::getenv("EDGERT_PYTHON");
  return env && *env ? env : "/usr/bin/python3";
}

namespace {

/// `prefix` when <prefix>.onnx, <prefix>_input.npy and <prefix>_output.npy exist, after running
/// `cmd` when they do not.
Expected<std::string> generated_model(const std::string& prefix, const std::string& cmd) {
  auto present = [&] {
    for (const char* suffix : {".onnx", "_input.npy", "_output.npy"})
      if (!std::ifstream(prefix + suffix).good()) return false;
    return true;
  };
  if (present()) return prefix;
  std::printf("generating test data: %s\n", cmd.c_str());
  std::fflush(stdout);
  const int raw = std::system(cmd.c_str());
  if (raw == -1 || !WIFEXITED(raw) || WEXITSTATUS(raw) != 0 || !present())
    return Status(StatusCode::kIoError, "generating " + prefix + ".onnx failed: " + cmd);
  return prefix;
}

const std::string kModelsDir = std::string(EDGERT_TEST_DATA_DIR) + "/models";

}  // namespace

Expected<std::string> torchvision_model(const std::string& name) {
  return generated_model(kModelsDir + "/" + name, python() + " '" + std::string(EDGERT_SOURCE_DIR) +
                                                      "/tests/models/export_torchvision.py' '" +
                                                      kModelsDir + "' " + name);
}

Expected<std::string> ppocr_model(const std::string& which) {
  const std::string dir = kModelsDir + "/ppocr";
  return generated_model(
      dir + "/ppocr_" + which,
      "bash '" + std::string(EDGERT_SOURCE_DIR) + "/tests/models/setup_ppocr.sh' '" + dir + "'");
}

}  // namespace edgert::test
