// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// CUDA strided_copy against the CPU ops it implements: Transpose (the element kernel, every
// element size), Concat (one call per input: the contiguous and 2-D copy-engine paths) and
// Expand (zero strides). Data movement is exact, so every comparison is bit-exact.

#include <cuda_runtime_api.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "cuda_test_util.h"
#include "edgert/kernels/cuda_copy.h"
#include "test_util.h"

namespace edgert {
namespace {

using test::gpu::DeviceMemory;
using test::gpu::run_cpu;

std::string ints_text(const std::vector<std::int64_t>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

Tensor random_of(DataType t, const Shape& s, std::mt19937& rng) {
  switch (t) {
    case DataType::kInt8: return test::random_tensor(t, s, rng, -128, 127);
    case DataType::kInt64: return test::random_tensor(t, s, rng, -1000000000, 1000000000);
    case DataType::kFloat16:
      return test::gpu::to_half(test::random_tensor(DataType::kFloat32, s, rng, -8.0, 8.0));
    default: return test::random_tensor(t, s, rng, -8.0, 8.0);
  }
}

}  // namespace

TEST_CASE("CUDA strided_copy as Transpose matches the CPU op (element sizes 1, 2, 4, 8)",
          "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  struct Case {
    Shape shape;
    std::vector<std::int64_t> perm;
  };
  const Case cases[] = {
      {Shape{2, 3, 4, 5}, {0, 2, 3, 1}},
      {Shape{7, 33, 65}, {2, 0, 1}},
      {Shape{5, 1, 9, 2, 3}, {4, 2, 0, 3, 1}},
      {Shape{2, 3, 2, 3, 2, 3, 2, 2}, {7, 6, 5, 4, 3, 2, 1, 0}},
      {Shape{64, 48}, {1, 0}},
      {Shape{300, 257}, {1, 0}},
  };
  const DataType types[] = {DataType::kInt8, DataType::kFloat16, DataType::kFloat32,
                            DataType::kInt64};
  test::gpu::Stream stream;
  std::mt19937 rng(404);
  for (const Case& c : cases) {
    const int rank = static_cast<int>(c.shape.rank());
    const std::vector<std::int64_t> in_strides = contiguous_strides(c.shape);
    for (DataType t : types) {
      INFO(c.shape.to_string() << " perm " << ints_text(c.perm) << " " << dtype_name(t));
      const Tensor x = random_of(t, c.shape, rng);
      AttrMap a;
      a.set("perm", c.perm);
      const Tensor want = run_cpu("Transpose", a, {&x})[0];
      // Output dims in y's (contiguous) order; x walked through its permuted strides.
      std::vector<std::int64_t> dims(rank), xs(rank);
      for (int d = 0; d < rank; ++d) {
        dims[d] = c.shape[static_cast<std::size_t>(c.perm[d])];
        xs[d] = in_strides[static_cast<std::size_t>(c.perm[d])];
      }
      const std::vector<std::int64_t> ys = contiguous_strides(want.shape());
      DeviceMemory dx = test::gpu::upload(x);
      DeviceMemory dy = test::gpu::poisoned(want.nbytes());
      const Status s = cuda::strided_copy(dx.get(), dy.get(), dtype_size(t), rank, dims.data(),
                                          xs.data(), ys.data(), stream.get());
      INFO(s.to_string());
      REQUIRE(s.ok());
      test::gpu::sync(stream.get());
      CHECK(same_bytes(test::gpu::download(dy.get(), t, want.shape()), want));
    }
  }
}

TEST_CASE("CUDA strided_copy as Concat matches the CPU op", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  struct Case {
    std::vector<Shape> inputs;
    std::int64_t axis;
  };
  const Case cases[] = {
      {{Shape{2, 3, 5}, Shape{2, 7, 5}, Shape{2, 1, 5}}, 1},  // rows at a pitch (2-D copies)
      {{Shape{1, 4, 6}, Shape{3, 4, 6}}, 0},                  // contiguous blocks
      {{Shape{3, 2, 4}, Shape{3, 2, 1}, Shape{3, 2, 7}}, 2},  // the last axis
      {{Shape{2, 3, 1, 5}, Shape{2, 3, 2, 5}}, 2},
  };
  test::gpu::Stream stream;
  std::mt19937 rng(505);
  for (const Case& c : cases) {
    for (DataType t : {DataType::kInt8, DataType::kFloat32, DataType::kInt64}) {
      INFO("axis " << c.axis << " " << dtype_name(t) << " first input " << c.inputs[0].to_string());
      std::vector<Tensor> xs;
      std::vector<const Tensor*> ptrs;
      for (const Shape& s : c.inputs) xs.push_back(random_of(t, s, rng));
      for (const Tensor& x : xs) ptrs.push_back(&x);
      AttrMap a;
      a.set("axis", c.axis);
      const Tensor want = run_cpu("Concat", a, ptrs)[0];
      const std::vector<std::int64_t> out_strides = contiguous_strides(want.shape());
      const auto es = static_cast<std::int64_t>(dtype_size(t));
      const auto axis = static_cast<std::size_t>(c.axis);
      DeviceMemory dy = test::gpu::poisoned(want.nbytes());
      std::vector<DeviceMemory> dxs;
      std::int64_t offset = 0;  // along the axis
      for (const Tensor& x : xs) {
        dxs.push_back(test::gpu::upload(x));
        const std::vector<std::int64_t> in_strides = contiguous_strides(x.shape());
        char* dst = dy.as<char>() + offset * out_strides[axis] * es;
        const Status s = cuda::strided_copy(
            dxs.back().get(), dst, dtype_size(t), static_cast<int>(x.shape().rank()),
            x.shape().dims().data(), in_strides.data(), out_strides.data(), stream.get());
        INFO(s.to_string());
        REQUIRE(s.ok());
        offset += x.shape()[axis];
      }
      test::gpu::sync(stream.get());
      CHECK(same_bytes(test::gpu::download(dy.get(), t, want.shape()), want));
    }
  }
}

TEST_CASE("CUDA strided_copy with zero strides matches the CPU Expand", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  std::mt19937 rng(606);
  const Tensor x = random_of(DataType::kFloat32, Shape{3, 1, 5}, rng);
  Tensor shape = Tensor::allocate(DataType::kInt64, Shape{4}).value();
  const std::int64_t out_dims[] = {2, 3, 4, 5};
  std::memcpy(shape.raw(), out_dims, sizeof(out_dims));
  const Tensor want = run_cpu("Expand", {}, {&x, &shape})[0];
  // x [3, 1, 5] over [2, 3, 4, 5]: no stride for the new leading dim and the size-1 dim.
  const std::int64_t xs[] = {0, 5, 0, 1};
  const std::vector<std::int64_t> ys = contiguous_strides(want.shape());
  test::gpu::Stream stream;
  DeviceMemory dx = test::gpu::upload(x);
  DeviceMemory dy = test::gpu::poisoned(want.nbytes());
  REQUIRE(cuda::strided_copy(dx.get(), dy.get(), 4, 4, out_dims, xs, ys.data(), stream.get()).ok());
  test::gpu::sync(stream.get());
  CHECK(same_bytes(test::gpu::download(dy.get(), DataType::kFloat32, want.shape()), want));
}

TEST_CASE("CUDA strided_copy: bad arguments are errors, empty copies no-ops", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  DeviceMemory a(4096), b(4096);
  const std::int64_t dims[] = {4, 4}, st[] = {4, 1}, zero_dims[] = {4, 0};
  CHECK(cuda::strided_copy(a.get(), b.get(), 3, 2, dims, st, st, nullptr).code() ==
        StatusCode::kInvalidArgument);
  CHECK(cuda::strided_copy(a.get(), b.get(), 4, cuda::kMaxCopyRank + 1, dims, st, st, nullptr)
            .code() == StatusCode::kInvalidArgument);
  CHECK(cuda::strided_copy(a.as<char>() + 2, b.get(), 4, 2, dims, st, st, nullptr).code() ==
        StatusCode::kInvalidArgument);
  CHECK(cuda::strided_copy(nullptr, nullptr, 4, 2, zero_dims, st, st, nullptr).ok());
  CHECK(cudaGetLastError() == cudaSuccess);
}

}  // namespace edgert
