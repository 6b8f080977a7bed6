// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// CUDA reformat and cast against the CPU ops: Transpose for the layout change, Cast for float16,
// DequantizeLinear for int8 -> float and QuantizeLinear for float -> int8 (whose range is
// [-128, 127]: the symmetric int8 rule clamps to -127, so the reference maps -128 to -127).
// Conversions are exact on both sides, so every comparison is bit-exact.

#include <cuda_runtime_api.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "cuda_test_util.h"
#include "edgert/kernels/cuda_reformat.h"
#include "test_util.h"

namespace edgert {
namespace {

using cuda::Dims4;
using cuda::Layout;
using test::gpu::DeviceMemory;
using test::gpu::run_cpu;

Tensor scalar(float v) {
  Tensor t = Tensor::allocate(DataType::kFloat32, Shape{}).value();
  t.data<float>()[0] = v;
  return t;
}

Tensor int8_zero() { return Tensor::allocate(DataType::kInt8, Shape{}).value(); }

/// The logical float32 values of a tensor of type t (int8: dequantized with `scale`).
Tensor reference_float(const Tensor& t, float scale) {
  if (t.dtype() == DataType::kFloat32) return t;
  if (t.dtype() == DataType::kFloat16) return test::gpu::to_float(t);
  Tensor s = scalar(scale), zp = int8_zero();
  return run_cpu("DequantizeLinear", {}, {&t, &s, &zp})[0];
}

/// float32 values converted to type t by the CPU ops (int8: clamped to [-127, 127]).
Tensor reference_convert(const Tensor& f, DataType t, float scale) {
  if (t == DataType::kFloat32) return f;
  if (t == DataType::kFloat16) {
    AttrMap a;
    a.set("to", std::int64_t{10});  // TensorProto FLOAT16
    return run_cpu("Cast", a, {&f})[0];
  }
  Tensor s = scalar(scale), zp = int8_zero();
  Tensor q = run_cpu("QuantizeLinear", {}, {&f, &s, &zp})[0];
  for (std::int64_t i = 0; i < q.numel(); ++i)
    if (q.data<std::int8_t>()[i] == -128) q.data<std::int8_t>()[i] = -127;
  return q;
}

/// NCHW -> `l` through the CPU Transpose op.
Tensor to_layout(const Tensor& nchw, Layout l) {
  if (l == Layout::kNCHW) return nchw;
  AttrMap a;
  a.set("perm", std::vector<std::int64_t>{0, 2, 3, 1});
  return run_cpu("Transpose", a, {&nchw})[0];
}

Shape physical_shape(const Dims4& d, Layout l) {
  return l == Layout::kNCHW ? Shape{d.n, d.c, d.h, d.w} : Shape{d.n, d.h, d.w, d.c};
}

/// Bytes that differ between two tensors of one type and shape (-1 on a mismatch of either).
std::int64_t differing(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return -1;
  const std::size_t es = dtype_size(a.dtype());
  std::int64_t n = 0;
  for (std::int64_t i = 0; i < a.numel(); ++i)
    n += std::memcmp(static_cast<const char*>(a.raw()) + i * es,
                     static_cast<const char*>(b.raw()) + i * es, es) != 0;
  return n;
}

/// A source tensor of type t in NCHW: float data in [-4, 4), int8 in [-127, 127].
Tensor random_source(DataType t, const Shape& s, std::mt19937& rng) {
  if (t == DataType::kInt8) return test::random_tensor(DataType::kInt8, s, rng, -127, 127);
  Tensor f = test::random_tensor(DataType::kFloat32, s, rng, -4.0, 4.0);
  return t == DataType::kFloat16 ? test::gpu::to_half(f) : f;
}

}  // namespace

TEST_CASE("CUDA reformat matches Transpose + Cast/QuantizeLinear/DequantizeLinear", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  // Partial 32 x 32 tiles both ways, one channel, one pixel, a batch > 1, a long plane.
  const Dims4 cases[] = {{2, 37, 5, 7}, {1, 3, 33, 65}, {3, 64, 1, 1},
                         {1, 1, 9, 11}, {2, 33, 17, 1}, {1, 96, 40, 41}};
  const DataType types[] = {DataType::kFloat32, DataType::kFloat16, DataType::kInt8};
  const Layout layouts[] = {Layout::kNCHW, Layout::kNHWC};
  // y_scale: |v / y_scale| reaches 160 for v in [-4, 4), so the int8 clamp is exercised.
  const float x_scale = 0.03125f, y_scale = 0.025f;
  test::gpu::Stream stream;
  std::mt19937 rng(20261122);

  for (const Dims4& d : cases) {
    const Shape nchw{d.n, d.c, d.h, d.w};
    for (DataType xt : types) {
      const Tensor src = random_source(xt, nchw, rng);
      const Tensor src_float = reference_float(src, x_scale);
      for (Layout xl : layouts) {
        DeviceMemory dx = test::gpu::upload(to_layout(src, xl));
        for (DataType yt : types) {
          const Tensor want_nchw = reference_convert(src_float, yt, y_scale);
          for (Layout yl : layouts) {
            INFO("dims " << d.n << "x" << d.c << "x" << d.h << "x" << d.w << ": " << dtype_name(xt)
                         << " " << cuda::layout_name(xl) << " -> " << dtype_name(yt) << " "
                         << cuda::layout_name(yl));
            const Tensor want = to_layout(want_nchw, yl);
            DeviceMemory dy = test::gpu::poisoned(want.nbytes());
            const Status s = cuda::reformat(dx.get(), xt, xl, dy.get(), yt, yl, d, x_scale, y_scale,
                                            stream.get());
            INFO(s.to_string());
            REQUIRE(s.ok());
            test::gpu::sync(stream.get());
            const Tensor got = test::gpu::download(dy.get(), yt, physical_shape(d, yl));
            CHECK(differing(got, want) == 0);
          }
        }
      }
    }
  }
}

TEST_CASE("CUDA reformat: int8 requantization in place", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  const Dims4 d{2, 5, 7, 3};
  std::mt19937 rng(7);
  const Tensor q = test::random_tensor(DataType::kInt8, Shape{d.n, d.c, d.h, d.w}, rng, -127, 127);
  const float xs = 0.05f, ys = 0.0625f;
  const Tensor want = reference_convert(reference_float(q, xs), DataType::kInt8, ys);
  test::gpu::Stream stream;
  DeviceMemory buf = test::gpu::upload(q);
  REQUIRE(cuda::reformat(buf.get(), DataType::kInt8, Layout::kNCHW, buf.get(), DataType::kInt8,
                         Layout::kNCHW, d, xs, ys, stream.get())
              .ok());
  test::gpu::sync(stream.get());
  CHECK(differing(test::gpu::download(buf.get(), DataType::kInt8, q.shape()), want) == 0);
}

TEST_CASE("CUDA cast matches the CPU ops, uint8 sources and copies included", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  // More elements than one grid-stride pass covers (4096 blocks x 256 threads).
  const std::int64_t sizes[] = {1, 255, 1048577 + 3};
  const float x_scale = 0.0078125f, y_scale = 0.02f;
  test::gpu::Stream stream;
  std::mt19937 rng(99);
  for (std::int64_t n : sizes) {
    const Shape s{n};
    const Tensor u8 = test::random_tensor(DataType::kUInt8, s, rng, 0, 255);
    const Tensor f32 = random_source(DataType::kFloat32, s, rng);
    const Tensor f16 = random_source(DataType::kFloat16, s, rng);
    const Tensor i8 = random_source(DataType::kInt8, s, rng);
    const Tensor* sources[] = {&f32, &f16, &i8, &u8};
    for (const Tensor* src : sources) {
      DeviceMemory dx = test::gpu::upload(*src);
      // uint8 -> float: u * x_scale, as DequantizeLinear with a uint8 zero point of 0.
      Tensor src_float;
      if (src->dtype() == DataType::kUInt8) {
        Tensor sc = scalar(x_scale);
        Tensor zp = Tensor::allocate(DataType::kUInt8, Shape{}).value();
        src_float = run_cpu("DequantizeLinear", {}, {src, &sc, &zp})[0];
      } else {
        src_float = reference_float(*src, x_scale);
      }
      for (DataType yt : {DataType::kFloat32, DataType::kFloat16, DataType::kInt8}) {
        INFO(n << " elements: " << dtype_name(src->dtype()) << " -> " << dtype_name(yt));
        // Same type: a plain copy whatever the scales.
        const Tensor want = src->dtype() == yt ? *src : reference_convert(src_float, yt, y_scale);
        DeviceMemory dy = test::gpu::poisoned(want.nbytes());
        const Status st =
            cuda::cast(dx.get(), src->dtype(), dy.get(), yt, n, x_scale, y_scale, stream.get());
        INFO(st.to_string());
        REQUIRE(st.ok());
        test::gpu::sync(stream.get());
        CHECK(differing(test::gpu::download(dy.get(), yt, s), want) == 0);
      }
    }
  }
  // Any dtype copies when the types agree.
  const Tensor i64 = test::random_tensor(DataType::kInt64, Shape{1001}, rng, -1000000, 1000000);
  DeviceMemory dx = test::gpu::upload(i64);
  DeviceMemory dy = test::gpu::poisoned(i64.nbytes());
  REQUIRE(cuda::cast(dx.get(), DataType::kInt64, dy.get(), DataType::kInt64, 1001, 0.f, 0.f,
                     stream.get())
              .ok());
  test::gpu::sync(stream.get());
  CHECK(differing(test::gpu::download(dy.get(), DataType::kInt64, i64.shape()), i64) == 0);
}

TEST_CASE("CUDA cast: the int8 rounding, clamping and NaN rules", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // Scale 0.5 divides exactly: v / 0.5 = 2v, so the halves below are exact ties.
  const std::vector<float> v = {nan,    inf,    -inf,  0.25f, 0.75f,  1.25f,
                                -0.25f, -0.75f, 63.5f, -64.f, 63.75f, 1e30f};
  const std::vector<int> want = {-127, 127, -127, 0, 2, 2, 0, -2, 127, -127, 127, 127};
  Tensor x =
      Tensor::allocate(DataType::kFloat32, Shape{static_cast<std::int64_t>(v.size())}).value();
  for (std::size_t i = 0; i < v.size(); ++i) x.data<float>()[i] = v[i];
  test::gpu::Stream stream;
  DeviceMemory dx = test::gpu::upload(x);
  DeviceMemory dy = test::gpu::poisoned(v.size());
  REQUIRE(cuda::cast(dx.get(), DataType::kFloat32, dy.get(), DataType::kInt8,
                     static_cast<std::int64_t>(v.size()), 1.f, 0.5f, stream.get())
              .ok());
  test::gpu::sync(stream.get());
  const Tensor got = test::gpu::download(dy.get(), DataType::kInt8, x.shape());
  for (std::size_t i = 0; i < v.size(); ++i) {
    INFO("value " << v[i]);
    CHECK(static_cast<int>(got.data<std::int8_t>()[i]) == want[i]);
  }
}

TEST_CASE("CUDA reformat/cast: bad arguments are errors, not launches", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  DeviceMemory a(1024), b(1024);
  REQUIRE(a.get() != nullptr);
  REQUIRE(b.get() != nullptr);
  const Dims4 d{1, 4, 2, 2};
  const auto f32 = DataType::kFloat32;
  CHECK(cuda::reformat(a.get(), DataType::kInt32, Layout::kNCHW, b.get(), f32, Layout::kNHWC, d,
                       1.f, 1.f, nullptr)
            .code() == StatusCode::kUnsupported);
  // int8 without a scale
  CHECK(cuda::reformat(a.get(), DataType::kInt8, Layout::kNCHW, b.get(), f32, Layout::kNCHW, d, 0.f,
                       1.f, nullptr)
            .code() == StatusCode::kInvalidArgument);
  CHECK(cuda::reformat(a.get(), f32, Layout::kNCHW, b.get(), DataType::kInt8, Layout::kNCHW, d, 1.f,
                       std::numeric_limits<float>::quiet_NaN(), nullptr)
            .code() == StatusCode::kInvalidArgument);
  // a layout change cannot run in place
  CHECK(
      cuda::reformat(a.get(), f32, Layout::kNCHW, a.get(), f32, Layout::kNHWC, d, 1.f, 1.f, nullptr)
          .code() == StatusCode::kInvalidArgument);
  CHECK(cuda::cast(a.get(), f32, b.get(), DataType::kInt64, 4, 1.f, 1.f, nullptr).code() ==
        StatusCode::kUnsupported);
  CHECK(cuda::cast(nullptr, f32, b.get(), DataType::kFloat16, 4, 1.f, 1.f, nullptr).code() ==
        StatusCode::kInvalidArgument);
  CHECK(cuda::cast(nullptr, f32, nullptr, DataType::kFloat16, 0, 1.f, 1.f, nullptr).ok());
  CHECK(std::string(cuda::layout_name(Layout::kNHWC)) == "NHWC");
  CHECK(cudaGetLastError() == cudaSuccess);
}

}  // namespace edgert
