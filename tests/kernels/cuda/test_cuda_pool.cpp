// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// CUDA pool2d and global_pool against the CPU MaxPool, AveragePool, GlobalAveragePool and
// GlobalMaxPool ops: pads, strides, dilations, ceil_mode and count_include_pad; NCHW and NHWC;
// float32, float16 (the CPU runs float32 on the float16 values) and int8 (max).

#include <cuda_runtime_api.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "cuda_test_util.h"
#include "edgert/kernels/cuda_pool.h"
#include "test_util.h"

namespace edgert {
namespace {

using cuda::Dims4;
using cuda::Layout;
using test::gpu::DeviceMemory;
using test::gpu::run_cpu;

struct PoolCase {
  Dims4 in;
  int kh, kw;
  int sh = 1, sw = 1;
  std::vector<std::int64_t> pads = {0, 0, 0, 0};  ///< top, left, bottom, right (ONNX order)
  int dh = 1, dw = 1;
  bool ceil_mode = false;
};

std::string describe(const PoolCase& c) {
  std::string s = "in " + std::to_string(c.in.n) + "x" + std::to_string(c.in.c) + "x" +
                  std::to_string(c.in.h) + "x" + std::to_string(c.in.w) + " k " +
                  std::to_string(c.kh) + "x" + std::to_string(c.kw) + " s " + std::to_string(c.sh) +
                  "," + std::to_string(c.sw) + " pads";
  for (auto p : c.pads) s += " " + std::to_string(p);
  return s + " dil " + std::to_string(c.dh) + "," + std::to_string(c.dw) + " ceil " +
         std::to_string(c.ceil_mode);
}

Shape nchw(const Dims4& d) { return Shape{d.n, d.c, d.h, d.w}; }
Shape physical(const Dims4& d, Layout l) {
  return l == Layout::kNCHW ? nchw(d) : Shape{d.n, d.h, d.w, d.c};
}
Tensor to_layout(const Tensor& t, Layout l) {
  return l == Layout::kNCHW ? t : test::gpu::nchw_to_nhwc(t);
}
Tensor from_layout(const Tensor& t, Layout l) {
  return l == Layout::kNCHW ? t : test::gpu::nhwc_to_nchw(t);
}

/// The device tensor in type t from float32 (or int8) NCHW data.
Tensor as_type(const Tensor& t, DataType dt) {
  return dt == DataType::kFloat16 ? test::gpu::to_half(t) : t;
}

/// Compares a GPU result of type dt with the CPU's (float32 for float16 inputs).
void check_close(const Tensor& got, const Tensor& want, DataType dt, bool exact) {
  const Tensor g = dt == DataType::kFloat16 ? test::gpu::to_float(got) : got;
  const Tensor w = dt == DataType::kFloat16 ? test::gpu::round_to_half(want) : want;
  const double err = test::rel_l2(g, w);
  INFO("rel L2 " << err << ", max abs " << test::max_abs_diff(g, w));
  if (exact) {
    CHECK(test::max_abs_diff(g, w) == 0.0);
  } else {
    CHECK(err < (dt == DataType::kFloat16 ? 2e-3 : 1e-5));
  }
}

}  // namespace

TEST_CASE("CUDA pool2d matches the CPU MaxPool and AveragePool", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  const std::vector<PoolCase> cases = {
      {{2, 5, 17, 19}, 3, 3, 2, 2, {1, 1, 1, 1}},
      {{1, 3, 16, 15}, 2, 3, 2, 1, {0, 0, 0, 0}, 1, 1, true},
      {{1, 4, 13, 14}, 3, 3, 2, 2, {1, 0, 2, 1}, 1, 1, true},
      {{3, 33, 7, 7}, 7, 7},
      {{1, 8, 12, 12}, 3, 3, 3, 3, {1, 1, 1, 1}, 1, 1, true},
      {{2, 67, 9, 10}, 2, 2, 2, 2},
      {{1, 6, 11, 13}, 3, 2, 1, 2, {2, 1, 0, 1}},
  };
  // Dilated windows: MaxPool only (the CPU AveragePool rejects dilations).
  const std::vector<PoolCase> dilated = {
      {{1, 4, 13, 14}, 3, 3, 2, 2, {1, 0, 2, 1}, 2, 2, true},
      {{2, 3, 10, 11}, 2, 3, 1, 1, {1, 1, 1, 1}, 2, 3},
  };
  test::gpu::Stream stream;
  std::mt19937 rng(77);
  auto run_case = [&](const PoolCase& pc, bool max, bool include_pad) {
    const Tensor xf = test::random_tensor(DataType::kFloat32, nchw(pc.in), rng, -3.0, 3.0);
    const Tensor xi8 = test::random_tensor(DataType::kInt8, nchw(pc.in), rng, -128, 127);
    AttrMap a;
    a.set("kernel_shape", std::vector<std::int64_t>{pc.kh, pc.kw});
    a.set("strides", std::vector<std::int64_t>{pc.sh, pc.sw});
    a.set("pads", pc.pads);
    if (pc.dh != 1 || pc.dw != 1) a.set("dilations", std::vector<std::int64_t>{pc.dh, pc.dw});
    if (pc.ceil_mode) a.set("ceil_mode", std::int64_t{1});
    if (include_pad) a.set("count_include_pad", std::int64_t{1});
    cuda::Pool2dParams p;
    p.max = max;
    p.kernel_h = pc.kh;
    p.kernel_w = pc.kw;
    p.stride_h = pc.sh;
    p.stride_w = pc.sw;
    p.pad_top = static_cast<int>(pc.pads[0]);
    p.pad_left = static_cast<int>(pc.pads[1]);
    p.dilation_h = pc.dh;
    p.dilation_w = pc.dw;
    p.count_include_pad = include_pad;
    // Without ceil_mode the output dims imply the end pads (-1, the default); with it pass them.
    if (pc.ceil_mode) {
      p.pad_bottom = static_cast<int>(pc.pads[2]);
      p.pad_right = static_cast<int>(pc.pads[3]);
    }
    std::vector<DataType> types = {DataType::kFloat32, DataType::kFloat16};
    if (max) types.push_back(DataType::kInt8);
    for (DataType dt : types) {
      // The CPU runs float32 (the float16 values) or int8.
      const Tensor cpu_in = dt == DataType::kInt8      ? xi8
                            : dt == DataType::kFloat16 ? test::gpu::round_to_half(xf)
                                                       : xf;
      const Tensor want = run_cpu(max ? "MaxPool" : "AveragePool", a, {&cpu_in})[0];
      const Dims4 out{want.shape()[0], want.shape()[1], want.shape()[2], want.shape()[3]};
      for (Layout l : {Layout::kNCHW, Layout::kNHWC}) {
        INFO(describe(pc) << (max ? " max" : " avg") << " include_pad " << include_pad << " "
                          << dtype_name(dt) << " " << cuda::layout_name(l) << " -> out " << out.h
                          << "x" << out.w);
        DeviceMemory dx = test::gpu::upload(to_layout(as_type(cpu_in, dt), l));
        DeviceMemory dy =
            test::gpu::poisoned(static_cast<std::size_t>(out.numel()) * dtype_size(dt));
        const Status s = cuda::pool2d(dx.get(), dy.get(), dt, l, pc.in, out, p, stream.get());
        INFO(s.to_string());
        REQUIRE(s.ok());
        test::gpu::sync(stream.get());
        const Tensor got = from_layout(test::gpu::download(dy.get(), dt, physical(out, l)), l);
        check_close(got, want, dt, max);
      }
    }
  };
  for (const PoolCase& pc : cases) {
    run_case(pc, true, false);
    run_case(pc, false, false);
    run_case(pc, false, true);
  }
  for (const PoolCase& pc : dilated) run_case(pc, true, false);
}

TEST_CASE("CUDA global_pool matches GlobalAveragePool and GlobalMaxPool", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  // Warp-per-plane (hw <= 2048), block-per-plane (hw = 4160), H = W = 1, NHWC channel groups
  // with a partial group (70 = 2 x 32 + 6).
  const Dims4 cases[] = {
      {2, 37, 7, 9}, {1, 5, 64, 65}, {3, 130, 1, 1}, {2, 70, 3, 3}, {1, 2048, 7, 7}};
  test::gpu::Stream stream;
  std::mt19937 rng(2024);
  for (const Dims4& d : cases) {
    const Tensor xf = test::random_tensor(DataType::kFloat32, nchw(d), rng, -3.0, 3.0);
    const Tensor xi8 = test::random_tensor(DataType::kInt8, nchw(d), rng, -128, 127);
    for (bool max : {false, true}) {
      std::vector<DataType> types = {DataType::kFloat32, DataType::kFloat16};
      if (max) types.push_back(DataType::kInt8);
      for (DataType dt : types) {
        const Tensor cpu_in = dt == DataType::kInt8      ? xi8
                              : dt == DataType::kFloat16 ? test::gpu::round_to_half(xf)
                                                         : xf;
        const Tensor want = run_cpu(max ? "GlobalMaxPool" : "GlobalAveragePool", {}, {&cpu_in})[0];
        for (Layout l : {Layout::kNCHW, Layout::kNHWC}) {
          INFO(d.n << "x" << d.c << "x" << d.h << "x" << d.w << (max ? " max " : " avg ")
                   << dtype_name(dt) << " " << cuda::layout_name(l));
          DeviceMemory dx = test::gpu::upload(to_layout(as_type(cpu_in, dt), l));
          DeviceMemory dy =
              test::gpu::poisoned(static_cast<std::size_t>(d.n * d.c) * dtype_size(dt));
          const Status s = cuda::global_pool(dx.get(), dy.get(), dt, l, d, max, stream.get());
          INFO(s.to_string());
          REQUIRE(s.ok());
          test::gpu::sync(stream.get());
          const Tensor got = test::gpu::download(dy.get(), dt, Shape{d.n, d.c, 1, 1});
          check_close(got, want, dt, max);
        }
      }
    }
  }
}

TEST_CASE("CUDA pool: bad arguments are errors, not launches", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  DeviceMemory a(4096), b(4096);
  const Dims4 in{1, 2, 4, 4}, out{1, 2, 2, 2};
  cuda::Pool2dParams p;
  p.kernel_h = p.kernel_w = 2;
  p.stride_h = p.stride_w = 2;
  p.max = false;
  CHECK(
      cuda::pool2d(a.get(), b.get(), DataType::kInt8, Layout::kNCHW, in, out, p, nullptr).code() ==
      StatusCode::kUnsupported);
  CHECK(cuda::global_pool(a.get(), b.get(), DataType::kInt8, Layout::kNCHW, in, false, nullptr)
            .code() == StatusCode::kUnsupported);
  p.max = true;
  p.stride_h = 0;
  CHECK(cuda::pool2d(a.get(), b.get(), DataType::kFloat32, Layout::kNCHW, in, out, p, nullptr)
            .code() == StatusCode::kInvalidArgument);
  p.stride_h = 2;
  const Dims4 other_c{1, 3, 2, 2};
  CHECK(cuda::pool2d(a.get(), b.get(), DataType::kFloat32, Layout::kNCHW, in, other_c, p, nullptr)
            .code() == StatusCode::kInvalidArgument);
  CHECK(cudaGetLastError() == cudaSuccess);
}

}  // namespace edgert
