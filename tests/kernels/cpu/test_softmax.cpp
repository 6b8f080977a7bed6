// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Softmax, LogSoftmax, Hardmax (opset < 13 coerced to 2-D, opset >= 13 one axis) against naive
// loops.

#include <cmath>

#include <catch2/catch.hpp>

#include "kernels/cpu/op_def.h"
#include "test_util.h"

namespace edgert::cpu {

TEST_CASE("Softmax family matches naive per-group loops", "[cpu][softmax]") {
  std::mt19937 rng(21);
  const Shape shape{2, 3, 4};
  // Larger magnitudes check the max shift (exp(80) alone would overflow float).
  const Tensor x = test::random_tensor(DataType::kFloat32, shape, rng, -80.0, 80.0);
  for (const char* op : {"Softmax", "LogSoftmax", "Hardmax"}) {
    for (int opset : {11, 13}) {
      for (std::int64_t axis = -3; axis <= 3; ++axis) {
        if (axis == 3 && opset >= 13) continue;
        NodeInfo n;
        n.op_type = op;
        n.opset = opset;
        n.attrs.set("axis", axis);
        INFO(op << " opset " << opset << " axis " << axis);
        std::vector<Tensor> outs;
        Status st = run_node(n, {&x}, outs, 1);
        if (axis == 3) {  // out of range for rank 3
          REQUIRE(st.code() == StatusCode::kInvalidArgument);
          continue;
        }
        REQUIRE(st.ok());
        REQUIRE(outs[0].shape() == shape);
        const std::int64_t a = axis < 0 ? axis + 3 : axis;
        // Group id of each element: elements normalised together share one.
        auto group = [&](std::int64_t i) {
          const std::int64_t idx[3] = {i / 12, (i / 4) % 3, i % 4};
          if (opset < 13) {  // flattened to [prod(dims[:a]), prod(dims[a:])]
            std::int64_t g = 0;
            for (std::int64_t d = 0; d < a; ++d) g = g * shape[d] + idx[d];
            return g;
          }
          std::int64_t g = 0;
          for (std::int64_t d = 0; d < 3; ++d)
            if (d != a) g = g * 10 + idx[d];
          return g;
        };
        for (std::int64_t i = 0; i < x.numel(); ++i) {
          double mx = -1e30, sum = 0;
          std::int64_t first_max = -1;
          for (std::int64_t j = 0; j < x.numel(); ++j)
            if (group(j) == group(i) && x.get_as_double(j) > mx) {
              mx = x.get_as_double(j);
              first_max = j;
            }
          for (std::int64_t j = 0; j < x.numel(); ++j)
            if (group(j) == group(i)) sum += std::exp(x.get_as_double(j) - mx);
          const double xi = x.get_as_double(i);
          double ref = 0;
          if (std::string(op) == "Softmax")
            ref = std::exp(xi - mx) / sum;
          else if (std::string(op) == "LogSoftmax")
            ref = xi - mx - std::log(sum);
          else
            ref = i == first_max ? 1.0 : 0.0;
          REQUIRE(outs[0].get_as_double(i) == Approx(ref).epsilon(1e-5).margin(1e-4));
        }
      }
    }
  }
}

TEST_CASE("Softmax fp16, dtype errors, unknown shapes", "[cpu][softmax]") {
  std::mt19937 rng(22);
  const Tensor xh = test::random_tensor(DataType::kFloat16, Shape{3, 5}, rng, -2, 2);
  NodeInfo n;
  n.op_type = "Softmax";
  n.opset = 13;
  std::vector<Tensor> outs;
  REQUIRE(run_node(n, {&xh}, outs, 1).ok());
  REQUIRE(outs[0].dtype() == DataType::kFloat16);
  for (std::int64_t r = 0; r < 3; ++r) {
    double s = 0;
    for (std::int64_t c = 0; c < 5; ++c) s += std::exp(xh.get_as_double(r * 5 + c));
    for (std::int64_t c = 0; c < 5; ++c)
      REQUIRE(outs[0].get_as_double(r * 5 + c) ==
              Approx(std::exp(xh.get_as_double(r * 5 + c)) / s).margin(2e-3));
  }
  const Tensor xi = test::random_tensor(DataType::kInt32, Shape{3, 5}, rng, -2, 2);
  REQUIRE(run_node(n, {&xi}, outs, 1).code() == StatusCode::kUnsupported);
  const OpDef* def = find_op("LogSoftmax");
  REQUIRE(def);
  InferContext c{n, {TensorInfo{DataType::kFloat32, Shape{-1, 7}}}, {true}, {nullptr}, {}};
  REQUIRE(def->infer(c).ok());
  REQUIRE(c.outputs[0].shape == Shape({-1, 7}));
  InferContext u{n, {TensorInfo{DataType::kFloat32, Shape::unknown()}}, {true}, {nullptr}, {}};
  REQUIRE(def->infer(u).ok());
  REQUIRE(u.outputs[0].shape.unknown_rank());
}

}  // namespace edgert::cpu
