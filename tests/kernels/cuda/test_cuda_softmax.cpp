// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// CUDA softmax / log-softmax against the CPU Softmax and LogSoftmax ops (warp rows, block rows,
// strided axes; float32 and float16), and softmax_topk against the CPU SoftmaxTopK op in TopK
// and ArgMax modes, with duplicated logits so that exact ties occur.

#include <cuda_runtime_api.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "cuda_test_util.h"
#include "edgert/kernels/cuda_softmax.h"
#include "test_util.h"

namespace edgert {
namespace {

using test::gpu::DeviceMemory;
using test::gpu::run_cpu;

std::string shape_text(const Shape& s) { return s.to_string(); }

Tensor as_type(const Tensor& f, DataType t) {
  return t == DataType::kFloat16 ? test::gpu::to_half(f) : f;
}

/// Random logits in [-6, 6) with some values of each row copied to other places of the row
/// (exact ties), as float32.
Tensor logits_with_ties(std::int64_t rows, std::int64_t cols, std::mt19937& rng) {
  Tensor x = test::random_tensor(DataType::kFloat32, Shape{rows, cols}, rng, -6.0, 6.0);
  std::uniform_int_distribution<std::int64_t> pick(0, cols - 1);
  float* p = x.data<float>();
  for (std::int64_t r = 0; r < rows; ++r) {
    // Copy the row's maximum to another place (an ArgMax tie), then a few random values.
    std::int64_t best = 0;
    for (std::int64_t j = 1; j < cols; ++j)
      if (p[r * cols + j] > p[r * cols + best]) best = j;
    p[r * cols + pick(rng)] = p[r * cols + best];
    for (int t = 0; t < 3; ++t) p[r * cols + pick(rng)] = p[r * cols + pick(rng)];
  }
  return x;
}

}  // namespace

TEST_CASE("CUDA softmax matches the CPU Softmax and LogSoftmax", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  struct Case {
    Shape shape;
    std::int64_t axis;
  };
  // Warp rows (37, 1000), block rows (1500, 5000), strided (inner 45, inner 3), axis 1 with a
  // trailing 1 (inner 1), rows of one element.
  const Case cases[] = {{Shape{3, 37}, 1},   {Shape{4, 1000}, -1},   {Shape{2, 5, 1500}, 2},
                        {Shape{1, 5000}, 1}, {Shape{2, 7, 9, 5}, 1}, {Shape{6, 33, 1}, 1},
                        {Shape{5, 4, 3}, 0}, {Shape{9, 1}, 1}};
  test::gpu::Stream stream;
  std::mt19937 rng(555);
  for (const Case& c : cases) {
    const Tensor xf = test::random_tensor(DataType::kFloat32, c.shape, rng, -8.0, 8.0);
    const auto rank = static_cast<std::int64_t>(c.shape.rank());
    const std::int64_t axis = c.axis < 0 ? c.axis + rank : c.axis;
    std::int64_t outer = 1, inner = 1;
    for (std::int64_t d = 0; d < axis; ++d) outer *= c.shape[d];
    for (std::int64_t d = axis + 1; d < rank; ++d) inner *= c.shape[d];
    for (DataType t : {DataType::kFloat32, DataType::kFloat16}) {
      const Tensor x = as_type(xf, t);
      DeviceMemory dx = test::gpu::upload(x);
      for (bool log : {false, true}) {
        INFO(shape_text(c.shape) << " axis " << c.axis << " " << dtype_name(t)
                                 << (log ? " LogSoftmax" : " Softmax"));
        AttrMap a;
        a.set("axis", c.axis);
        const Tensor want = run_cpu(log ? "LogSoftmax" : "Softmax", a, {&x}, 1, 13)[0];
        DeviceMemory dy = test::gpu::poisoned(x.nbytes());
        const Status s =
            cuda::softmax(dx.get(), dy.get(), t, outer, c.shape[axis], inner, log, stream.get());
        INFO(s.to_string());
        REQUIRE(s.ok());
        test::gpu::sync(stream.get());
        const Tensor got = test::gpu::download(dy.get(), t, c.shape);
        const double err = test::rel_l2(got, want);
        INFO("rel L2 " << err << ", max abs " << test::max_abs_diff(got, want));
        CHECK(err < (t == DataType::kFloat16 ? 2e-3 : 1e-5));
      }
    }
  }
}

TEST_CASE("CUDA softmax in place and on large logits", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  std::mt19937 rng(6);
  // Logits near 1e4: without the max subtraction exp overflows.
  Tensor x = test::random_tensor(DataType::kFloat32, Shape{8, 300}, rng, 9990.0, 10000.0);
  AttrMap a;
  a.set("axis", std::int64_t{1});
  test::gpu::Stream stream;
  for (bool log : {false, true}) {
    const Tensor want = run_cpu(log ? "LogSoftmax" : "Softmax", a, {&x}, 1, 13)[0];
    DeviceMemory buf = test::gpu::upload(x);
    REQUIRE(
        cuda::softmax(buf.get(), buf.get(), DataType::kFloat32, 8, 300, 1, log, stream.get()).ok());
    test::gpu::sync(stream.get());
    const Tensor got = test::gpu::download(buf.get(), DataType::kFloat32, x.shape());
    INFO((log ? "LogSoftmax" : "Softmax") << " rel L2 " << test::rel_l2(got, want));
    CHECK(test::rel_l2(got, want) < 1e-5);
  }
}

TEST_CASE("CUDA softmax_topk matches the CPU SoftmaxTopK (TopK, ArgMax, ties)", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  struct Case {
    std::int64_t rows, cols;
    int k;
  };
  const Case cases[] = {{37, 100, 5}, {5, 1000, 64}, {40, 7, 7}, {3, 2000, 1}, {300, 80, 3}};
  test::gpu::Stream stream;
  std::mt19937 rng(1717);
  for (const Case& c : cases) {
    const Tensor xf = logits_with_ties(c.rows, c.cols, rng);
    for (DataType t : {DataType::kFloat32, DataType::kFloat16}) {
      const Tensor x = as_type(xf, t);
      DeviceMemory dx = test::gpu::upload(x);
      // The CPU softmax values, to tell a real mismatch from an order of near-equal values.
      AttrMap sa;
      sa.set("axis", std::int64_t{-1});
      const Tensor probs = test::gpu::to_float(run_cpu("Softmax", sa, {&x}, 1, 13)[0]);
      for (int mode = 0; mode < 4; ++mode) {  // TopK largest, TopK smallest, ArgMax, ArgMax last
        const bool argmax = mode >= 2, largest = mode != 1, last = mode == 3;
        const int k = argmax ? 1 : c.k;
        INFO(c.rows << "x" << c.cols << " " << dtype_name(t) << " k " << k << " mode "
                    << (argmax ? "ArgMax" : "TopK") << " largest " << largest << " select_last "
                    << last);
        AttrMap a;
        a.set("mode", std::string(argmax ? "ArgMax" : "TopK"));
        a.set("k", std::int64_t{k});
        a.set("largest", std::int64_t{largest});
        a.set("select_last_index", std::int64_t{last});
        const std::vector<Tensor> want = run_cpu("SoftmaxTopK", a, {&x}, argmax ? 1 : 2);
        const Tensor& want_idx = want[argmax ? 0 : 1];
        DeviceMemory dv = test::gpu::poisoned(static_cast<std::size_t>(c.rows * k) * dtype_size(t));
        DeviceMemory di = test::gpu::poisoned(static_cast<std::size_t>(c.rows * k) * 8);
        const Status s =
            cuda::softmax_topk(dx.get(), t, c.rows, c.cols, k, largest, last,
                               argmax ? nullptr : dv.get(), di.as<std::int64_t>(), stream.get());
        INFO(s.to_string());
        REQUIRE(s.ok());
        test::gpu::sync(stream.get());
        const Tensor got_idx = test::gpu::download(di.get(), DataType::kInt64, Shape{c.rows, k});
        // Indices: equal, or (an order the last-ulp rounding of the sum may flip) pointing at
        // CPU softmax values within 1e-6 relative of each other.
        std::int64_t exact = 0, near_ties = 0, wrong = 0;
        for (std::int64_t r = 0; r < c.rows; ++r)
          for (int j = 0; j < k; ++j) {
            const std::int64_t gi = got_idx.data<std::int64_t>()[r * k + j];
            const std::int64_t wi = want_idx.data<std::int64_t>()[r * k + j];
            if (gi == wi) {
              ++exact;
              continue;
            }
            const bool in_range = gi >= 0 && gi < c.cols;
            const float pg = in_range ? probs.data<float>()[r * c.cols + gi] : -1.f;
            const float pw = probs.data<float>()[r * c.cols + wi];
            if (in_range && std::fabs(pg - pw) <= 1e-6f * std::fabs(pw)) {
              ++near_ties;
            } else {
              ++wrong;
            }
          }
        INFO(exact << " indices equal, " << near_ties << " near-ties swapped, " << wrong
                   << " wrong");
        CHECK(wrong == 0);
        CHECK(near_ties <= c.rows * k / 100);
        if (!argmax) {
          const Tensor got_val = test::gpu::download(dv.get(), t, Shape{c.rows, k});
          const double err = test::rel_l2(got_val, want[0]);
          INFO("values rel L2 " << err);
          CHECK(err < (t == DataType::kFloat16 ? 2e-3 : 1e-5));
        }
      }
    }
  }
}

TEST_CASE("CUDA softmax: bad arguments are errors, not launches", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  DeviceMemory a(4096), b(4096);
  CHECK(cuda::softmax(a.get(), b.get(), DataType::kInt8, 2, 3, 1, false, nullptr).code() ==
        StatusCode::kUnsupported);
  CHECK(cuda::softmax(a.get(), b.get(), DataType::kFloat32, -1, 3, 1, false, nullptr).code() ==
        StatusCode::kInvalidArgument);
  CHECK(cuda::softmax_topk(a.get(), DataType::kFloat32, 2, 100, 65, true, false, b.get(), nullptr,
                           nullptr)
            .code() == StatusCode::kInvalidArgument);
  CHECK(cuda::softmax_topk(a.get(), DataType::kFloat32, 2, 4, 5, true, false, b.get(), nullptr,
                           nullptr)
            .code() == StatusCode::kInvalidArgument);
  CHECK(cudaGetLastError() == cudaSuccess);
}

}  // namespace edgert
