// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The CUDA pointwise kernels against a double-precision CPU computation written here, on random
// data of sizes that leave partial blocks and that exceed one grid (the grid-stride loop).
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "edgert/kernels/cuda_pointwise.h"
#include "test_util.h"

namespace edgert {
namespace {

using cuda::PointwiseOp;

// Device memory freed on scope exit, so that a failed REQUIRE does not leak it.
class DeviceBuffer {
 public:
  explicit DeviceBuffer(std::size_t bytes) {
    if (cudaMalloc(&ptr_, bytes) != cudaSuccess) ptr_ = nullptr;
  }
  ~DeviceBuffer() { cudaFree(ptr_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  float* get() const { return static_cast<float*>(ptr_); }

 private:
  void* ptr_ = nullptr;
};

double reference(PointwiseOp op, double v, double alpha) {
  switch (op) {
    case PointwiseOp::kRelu: return v > 0 ? v : 0.0;
    case PointwiseOp::kSigmoid: return 1.0 / (1.0 + std::exp(-v));
    case PointwiseOp::kTanh: return std::tanh(v);
    case PointwiseOp::kHardSwish: return v * std::min(std::max(v + 3.0, 0.0), 6.0) / 6.0;
    case PointwiseOp::kLeakyRelu: return v >= 0 ? v : alpha * v;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

const char* op_name(PointwiseOp op) {
  switch (op) {
    case PointwiseOp::kRelu: return "Relu";
    case PointwiseOp::kSigmoid: return "Sigmoid";
    case PointwiseOp::kTanh: return "Tanh";
    case PointwiseOp::kHardSwish: return "HardSwish";
    case PointwiseOp::kLeakyRelu: return "LeakyRelu";
  }
  return "?";
}

std::string cuda_text(cudaError_t err) { return cudaGetErrorString(err); }

}  // namespace

TEST_CASE("CUDA pointwise kernels match a CPU computation", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");

  const PointwiseOp ops[] = {PointwiseOp::kRelu, PointwiseOp::kSigmoid, PointwiseOp::kTanh,
                             PointwiseOp::kHardSwish, PointwiseOp::kLeakyRelu};
  // 1 element, partial blocks (255, 257, odd), exactly one block, and more elements than the
  // launcher's capped grid covers (4096 blocks x 256 threads = 1048576), so that the grid-stride
  // loop runs more than once.
  const std::int64_t sizes[] = {1, 7, 255, 256, 257, 100003, 3000017};
  constexpr float kAlpha = 0.1f;

  cudaStream_t stream = nullptr;
  REQUIRE(cudaStreamCreate(&stream) == cudaSuccess);
  std::mt19937 rng(1234);

  for (std::int64_t n : sizes) {
    // [-8, 8) covers both saturations of sigmoid/tanh and all three pieces of HardSwish.
    Tensor x = test::random_tensor(DataType::kFloat32, Shape{n}, rng, -8.0, 8.0);
    const std::size_t bytes = x.nbytes();
    DeviceBuffer dx(bytes), dy(bytes);
    REQUIRE(dx.get() != nullptr);
    REQUIRE(dy.get() != nullptr);
    REQUIRE(cudaMemcpy(dx.get(), x.raw(), bytes, cudaMemcpyHostToDevice) == cudaSuccess);

    for (PointwiseOp op : ops) {
      INFO(op_name(op) << " over " << n << " elements");
      // All-ones bytes are a NaN: an element the kernel does not write fails the comparison.
      REQUIRE(cudaMemset(dy.get(), 0xff, bytes) == cudaSuccess);

      Status launched = cuda::pointwise_f32(op, dx.get(), dy.get(), n, kAlpha, stream);
      REQUIRE(launched.ok());
      cudaError_t done = cudaStreamSynchronize(stream);
      INFO("CUDA: " << cuda_text(done));
      REQUIRE(done == cudaSuccess);

      Tensor got = Tensor::allocate(DataType::kFloat32, Shape{n}).value();
      REQUIRE(cudaMemcpy(got.raw(), dy.get(), bytes, cudaMemcpyDeviceToHost) == cudaSuccess);
      Tensor want = Tensor::allocate(DataType::kFloat32, Shape{n}).value();
      for (std::int64_t i = 0; i < n; ++i)
        want.data<float>()[i] = static_cast<float>(reference(op, x.data<float>()[i], kAlpha));

      // Sigmoid uses __expf (2 + 1.16|x| ulp, so at most ~12 ulp over [-8, 8]); rel L2 stays
      // far below 1e-5 even so, and so does tanhf (2 ulp).
      const double err = test::rel_l2(got, want);
      INFO("rel L2 " << err << ", max abs " << test::max_abs_diff(got, want));
      CHECK(err < 1e-5);
    }
  }
  CHECK(cudaStreamDestroy(stream) == cudaSuccess);
}

TEST_CASE("CUDA pointwise: an empty input launches nothing and succeeds", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  DeviceBuffer y(sizeof(float));
  REQUIRE(y.get() != nullptr);
  REQUIRE(cudaMemset(y.get(), 0xff, sizeof(float)) == cudaSuccess);
  Status s = cuda::pointwise_f32(PointwiseOp::kRelu, y.get(), y.get(), 0, 0.f, nullptr);
  CHECK(s.ok());
  float v = 0.f;
  REQUIRE(cudaMemcpy(&v, y.get(), sizeof(float), cudaMemcpyDeviceToHost) == cudaSuccess);
  CHECK(std::isnan(v));  // untouched
}

TEST_CASE("CUDA pointwise: an unknown op is an error, not a launch", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  DeviceBuffer x(4 * sizeof(float)), y(4 * sizeof(float));
  REQUIRE(x.get() != nullptr);
  REQUIRE(y.get() != nullptr);
  Status s = cuda::pointwise_f32(static_cast<PointwiseOp>(99), x.get(), y.get(), 4, 0.f, nullptr);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(cudaGetLastError() == cudaSuccess);
}

}  // namespace edgert
