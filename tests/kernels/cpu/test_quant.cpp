// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// QuantizeLinear / DequantizeLinear / DynamicQuantizeLinear: rounding half to even, saturation,
// per-axis parameters, round trips.

#include <cmath>

#include <catch2/catch.hpp>

#include "kernels/cpu/op_def.h"
#include "test_util.h"

namespace edgert::cpu {
namespace {

template <class T>
Tensor make(DataType t, const Shape& s, const std::vector<T>& v) {
  Tensor r = Tensor::allocate(t, s).value();
  std::copy(v.begin(), v.end(), r.data<T>());
  return r;
}

NodeInfo qnode(const std::string& op, int opset) {
  NodeInfo n;
  n.op_type = op;
  n.opset = opset;
  return n;
}

}  // namespace

TEST_CASE("QuantizeLinear rounds half to even and saturates", "[cpu][quant]") {
  const Tensor x = make<float>(DataType::kFloat32, Shape{8},
                               {0.5f, 1.5f, 2.5f, -2.5f, -0.5f, 3.5f, 1000.f, -1000.f});
  const Tensor s = make<float>(DataType::kFloat32, Shape{}, {1.f});
  std::vector<Tensor> outs;
  {  // default: uint8, zero point 0
    REQUIRE(run_node(qnode("QuantizeLinear", 10), {&x, &s}, outs, 1).ok());
    REQUIRE(outs[0].dtype() == DataType::kUInt8);
    const int e[] = {0, 2, 2, 0, 0, 4, 255, 0};
    for (int i = 0; i < 8; ++i) REQUIRE(outs[0].get_as_int64(i) == e[i]);
  }
  {  // int8 with zero point 1: round(x) + 1
    const Tensor zp = make<std::int8_t>(DataType::kInt8, Shape{}, {1});
    REQUIRE(run_node(qnode("QuantizeLinear", 13), {&x, &s, &zp}, outs, 1).ok());
    REQUIRE(outs[0].dtype() == DataType::kInt8);
    const int e[] = {1, 3, 3, -1, 1, 5, 127, -128};
    for (int i = 0; i < 8; ++i) REQUIRE(outs[0].get_as_int64(i) == e[i]);
  }
}

TEST_CASE("Quantize/Dequantize per-tensor and per-axis round trip", "[cpu][quant]") {
  std::mt19937 rng(41);
  const Tensor x = test::random_tensor(DataType::kFloat32, Shape{2, 3, 4}, rng, -2.0, 2.0);
  for (std::int64_t axis : {0, 1, -1}) {
    const std::int64_t a = axis < 0 ? axis + 3 : axis;
    const std::int64_t ch = x.shape()[a];
    std::vector<float> sv;
    std::vector<std::uint8_t> zv;
    for (std::int64_t c = 0; c < ch; ++c) {
      sv.push_back(0.01f + 0.005f * static_cast<float>(c));
      zv.push_back(static_cast<std::uint8_t>(120 + 3 * c));
    }
    const Tensor s = make<float>(DataType::kFloat32, Shape{ch}, sv);
    const Tensor zp = make<std::uint8_t>(DataType::kUInt8, Shape{ch}, zv);
    NodeInfo q = qnode("QuantizeLinear", 13);
    q.attrs.set("axis", axis);
    NodeInfo dq = qnode("DequantizeLinear", 13);
    dq.attrs.set("axis", axis);
    INFO("axis " << axis);
    std::vector<Tensor> qo, dqo;
    REQUIRE(run_node(q, {&x, &s, &zp}, qo, 1).ok());
    REQUIRE(run_node(dq, {&qo[0], &s, &zp}, dqo, 1).ok());
    REQUIRE(dqo[0].dtype() == DataType::kFloat32);
    const auto st = contiguous_strides(x.shape());
    for (std::int64_t i = 0; i < x.numel(); ++i) {
      const std::int64_t c = (i / st[a]) % ch;
      const double xs = x.get_as_double(i) / sv[c];
      double qv = std::nearbyint(xs) + zv[c];
      qv = std::min(255.0, std::max(0.0, qv));
      REQUIRE(qo[0].get_as_int64(i) == static_cast<std::int64_t>(qv));
      REQUIRE(dqo[0].get_as_double(i) == Approx((qv - zv[c]) * sv[c]).margin(1e-6));
      // The round trip is within half a step, where it does not saturate.
      if (qv > 0 && qv < 255)
        REQUIRE(std::fabs(dqo[0].get_as_double(i) - x.get_as_double(i)) <= sv[c] * 0.5 + 1e-6);
    }
  }
  // DequantizeLinear of int32 (no zero point) and int8.
  const Tensor xi = make<std::int32_t>(DataType::kInt32, Shape{3}, {-7, 0, 100000});
  const Tensor s = make<float>(DataType::kFloat32, Shape{}, {0.5f});
  std::vector<Tensor> outs;
  REQUIRE(run_node(qnode("DequantizeLinear", 13), {&xi, &s}, outs, 1).ok());
  REQUIRE(outs[0].get_as_double(0) == -3.5);
  REQUIRE(outs[0].get_as_double(2) == 50000.0);
  const Tensor x8 = make<std::int8_t>(DataType::kInt8, Shape{2}, {-128, 127});
  const Tensor z8 = make<std::int8_t>(DataType::kInt8, Shape{}, {-1});
  REQUIRE(run_node(qnode("DequantizeLinear", 13), {&x8, &s, &z8}, outs, 1).ok());
  REQUIRE(outs[0].get_as_double(0) == -63.5);
  REQUIRE(outs[0].get_as_double(1) == 64.0);
}

TEST_CASE("Quant errors and inference", "[cpu][quant]") {
  std::mt19937 rng(42);
  const Tensor x = test::random_tensor(DataType::kFloat32, Shape{2, 3}, rng);
  const Tensor s2 = make<float>(DataType::kFloat32, Shape{2}, {0.1f, 0.2f});
  std::vector<Tensor> outs;
  // Per-axis scale of the wrong length for axis 1.
  REQUIRE(run_node(qnode("QuantizeLinear", 13), {&x, &s2}, outs, 1).code() ==
          StatusCode::kInvalidArgument);
  // Per-axis before opset 13.
  NodeInfo q10 = qnode("QuantizeLinear", 10);
  REQUIRE(run_node(q10, {&x, &s2}, outs, 1).code() == StatusCode::kInvalidArgument);
  // int32 zero point for QuantizeLinear: outside our types.
  const Tensor s = make<float>(DataType::kFloat32, Shape{}, {0.1f});
  const Tensor z32 = make<std::int32_t>(DataType::kInt32, Shape{}, {0});
  REQUIRE(run_node(qnode("QuantizeLinear", 13), {&x, &s, &z32}, outs, 1).code() ==
          StatusCode::kUnsupported);
  // DequantizeLinear with a zero point of another type.
  const Tensor xu = make<std::uint8_t>(DataType::kUInt8, Shape{2}, {1, 2});
  const Tensor z8 = make<std::int8_t>(DataType::kInt8, Shape{}, {0});
  REQUIRE(run_node(qnode("DequantizeLinear", 13), {&xu, &s, &z8}, outs, 1).code() ==
          StatusCode::kInvalidArgument);
  const OpDef* def = find_op("QuantizeLinear");
  REQUIRE(def);
  NodeInfo n = qnode("QuantizeLinear", 13);
  InferContext c{n,
                 {TensorInfo{DataType::kFloat32, Shape{-1, 4}},
                  TensorInfo{DataType::kFloat32, Shape{}}, TensorInfo{DataType::kInt8, Shape{}}},
                 {true, true, true},
                 {nullptr, nullptr, nullptr},
                 {}};
  REQUIRE(def->infer(c).ok());
  REQUIRE(c.outputs[0].dtype == DataType::kInt8);
  REQUIRE(c.outputs[0].shape == Shape({-1, 4}));
}

TEST_CASE("DynamicQuantizeLinear", "[cpu][quant]") {
  // The ONNX example: x = [0, 2, -3, -2.5, 1.34, 0.5] -> scale 5/255, zp 153.
  const Tensor x = make<float>(DataType::kFloat32, Shape{6}, {0, 2, -3, -2.5f, 1.34f, 0.5f});
  std::vector<Tensor> outs;
  REQUIRE(run_node(qnode("DynamicQuantizeLinear", 11), {&x}, outs, 3).ok());
  const float scale = 5.f / 255.f;
  REQUIRE(outs[1].get_as_double(0) == Approx(scale));
  REQUIRE(outs[2].get_as_int64(0) == 153);
  const int e[] = {153, 255, 0, 26, 221, 179};
  for (int i = 0; i < 6; ++i) REQUIRE(outs[0].get_as_int64(i) == e[i]);
}

}  // namespace edgert::cpu
