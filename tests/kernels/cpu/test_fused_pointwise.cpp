// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The builder's pointwise layer ops (Pointwise, SoftmaxTopK, SiLU) against the separate ONNX ops
// they replace, run one by one through the CPU table, on seeded random shapes and data.

#include <cmath>
#include <functional>
#include <random>

#include <catch2/catch.hpp>

#include "edgert/half.h"
#include "kernels/cpu/op_def.h"
#include "test_util.h"

namespace edgert::cpu {
namespace {

NodeInfo make(const std::string& op, int opset = 17) {
  NodeInfo n;
  n.op_type = op;
  n.name = op == "Pointwise" ? "pw" : "ref_" + op;
  n.opset = opset;
  return n;
}

Tensor run(const NodeInfo& n, std::vector<const Tensor*> in, std::size_t outputs = 1,
           std::size_t pick = 0) {
  std::vector<Tensor> outs;
  Status s = run_node(n, in, outs, outputs);
  INFO(s.message());
  REQUIRE(s.ok());
  return outs[pick];
}

Tensor scalar(float v) {
  Tensor t = Tensor::allocate(DataType::kFloat32, Shape{}).value();
  t.data<float>()[0] = v;
  return t;
}

/// A shape that broadcasts into `main` without changing it: a suffix of its dims, some set to 1.
Shape operand_shape(const Shape& main, std::mt19937& rng) {
  std::uniform_int_distribution<std::size_t> rank(0, main.rank());
  std::vector<std::int64_t> dims(main.dims().end() - static_cast<std::ptrdiff_t>(rank(rng)),
                                 main.dims().end());
  for (auto& d : dims)
    if (rng() % 3 == 0) d = 1;
  return Shape(dims);
}

Shape random_shape(std::mt19937& rng) {
  std::uniform_int_distribution<int> rank(1, 4), dim(1, 6);
  std::vector<std::int64_t> dims(static_cast<std::size_t>(rank(rng)));
  for (auto& d : dims) d = dim(rng);
  return Shape(dims);
}

/// One step of a chain: its Pointwise attributes and how to compute it with the ONNX ops.
struct Step {
  std::string op;
  int operand = -1;  // input index in the Pointwise node
  bool reversed = false;
  float alpha = 0, beta = 0;
};

/// The chain computed op by op with the reference ops (operands as given).
Tensor reference_chain(const std::vector<Step>& steps, const std::vector<Tensor>& in) {
  Tensor acc = in[0];
  for (const Step& s : steps) {
    if (s.operand > 0) {
      const Tensor& b = in[static_cast<std::size_t>(s.operand)];
      acc = s.reversed ? run(make(s.op), {&b, &acc}) : run(make(s.op), {&acc, &b});
    } else if (s.op == "SiLU") {
      const Tensor sig = run(make("Sigmoid"), {&acc});
      acc = run(make("Mul"), {&acc, &sig});
    } else if (s.op == "Clip") {
      const Tensor lo = scalar(s.alpha), hi = scalar(s.beta);
      acc = run(make("Clip", 13), {&acc, &lo, &hi});
    } else {
      NodeInfo n = make(s.op, s.op == "Gelu" ? 20 : 17);
      if (s.op == "LeakyRelu") n.attrs.set("alpha", s.alpha);
      if (s.op == "HardSigmoid") {
        n.attrs.set("alpha", s.alpha);
        n.attrs.set("beta", s.beta);
      }
      acc = run(n, {&acc});
    }
  }
  return acc;
}

NodeInfo pointwise_node(const std::vector<Step>& steps) {
  NodeInfo n = make("Pointwise", 1);
  std::vector<std::string> ops;
  std::vector<std::int64_t> operands, reversed;
  std::vector<float> alphas, betas;
  for (const Step& s : steps) {
    ops.push_back(s.op);
    operands.push_back(s.operand);
    reversed.push_back(s.reversed ? 1 : 0);
    alphas.push_back(s.alpha);
    betas.push_back(s.beta);
  }
  n.attrs.set("ops", ops);
  n.attrs.set("operands", operands);
  n.attrs.set("reversed", reversed);
  n.attrs.set("alphas", alphas);
  n.attrs.set("betas", betas);
  return n;
}

const std::vector<std::vector<Step>>& chains() {
  static const std::vector<std::vector<Step>> kChains = {
      // Binary ops with operands on either side, one operand read twice.
      {{"Add", 1},
       {"Relu"},
       {"Mul", 2},
       {"Sub", 1, true},
       {"Sigmoid"},
       {"Div", 3},
       {"Max", 2},
       {"Min", 2, true},
       {"Sub", 3}},
      // Unary math: the same libm calls as the unary family.
      {{"Abs"}, {"Sqrt"}, {"Log"}, {"Neg"}, {"Exp"}, {"Reciprocal"}, {"Erf"}, {"Ceil"}},
      {{"Floor"}, {"Neg"}, {"Tanh"}},
      // Activations with attributes, Pow with the positive operand as base.
      {{"Clip", -1, false, -0.5f, 0.7f},
       {"LeakyRelu", -1, false, 0.1f},
       {"HardSigmoid", -1, false, 0.3f, 0.4f},
       {"HardSwish"},
       {"Gelu"},
       {"SiLU"},
       {"Pow", 1, true},
       {"Tanh"}},
  };
  return kChains;
}

}  // namespace

TEST_CASE("Pointwise equals its ops run one by one", "[cpu][fused_pointwise]") {
  std::mt19937 rng(7);
  for (std::size_t c = 0; c < chains().size(); ++c) {
    const auto& steps = chains()[c];
    for (int trial = 0; trial < 6; ++trial) {
      const Shape shape = random_shape(rng);
      std::vector<Tensor> in{test::random_tensor(DataType::kFloat32, shape, rng, -3, 3)};
      for (int k = 1; k <= 3; ++k)  // operands in [0.5, 2): safe divisors and Pow bases
        in.push_back(
            test::random_tensor(DataType::kFloat32, operand_shape(shape, rng), rng, 0.5, 2));
      INFO("chain " << c << " main " << shape.to_string() << " operands "
                    << in[1].shape().to_string() << " " << in[2].shape().to_string() << " "
                    << in[3].shape().to_string());
      int max_operand = 0;
      for (const Step& s : steps) max_operand = std::max(max_operand, s.operand);
      std::vector<const Tensor*> ptrs;
      for (int k = 0; k <= max_operand; ++k) ptrs.push_back(&in[static_cast<std::size_t>(k)]);
      const Tensor got = run(pointwise_node(steps), ptrs);
      const Tensor want = reference_chain(steps, in);
      REQUIRE(got.shape() == shape);
      // Float rounding only: the activation epilogue's Sigmoid/SiLU forms differ from the ops' by
      // an ulp or so.
      CHECK(test::rel_l2(got, want) < 1e-6);
    }
  }
}

TEST_CASE("Pointwise in float16 rounds once at the end; round_fp16", "[cpu][fused_pointwise]") {
  std::mt19937 rng(8);
  const std::vector<Step> steps{{"Mul", 1}, {"Add", 2, true}, {"Relu"}, {"Sub", 1, true}};
  const Shape shape{2, 3, 5};
  const Tensor x32 = test::random_tensor(DataType::kFloat32, shape, rng, -2, 2);
  const Tensor a32 = test::random_tensor(DataType::kFloat32, Shape{3, 1}, rng, 0.5, 2);
  const Tensor b32 = test::random_tensor(DataType::kFloat32, Shape{5}, rng, -1, 1);
  auto to_half = [](const Tensor& t) {
    Tensor h = Tensor::allocate(DataType::kFloat16, t.shape()).value();
    for (std::int64_t i = 0; i < t.numel(); ++i)
      h.data<std::uint16_t>()[i] = float_to_half(t.data<float>()[i]);
    return h;
  };
  auto to_float = [](const Tensor& h) {
    Tensor f = Tensor::allocate(DataType::kFloat32, h.shape()).value();
    for (std::int64_t i = 0; i < h.numel(); ++i)
      f.data<float>()[i] = half_to_float(h.data<std::uint16_t>()[i]);
    return f;
  };
  const Tensor x16 = to_half(x32), a16 = to_half(a32), b16 = to_half(b32);
  const Tensor got16 = run(pointwise_node(steps), {&x16, &a16, &b16});
  REQUIRE(got16.dtype() == DataType::kFloat16);
  // The float32 chain on the same (half-valued) inputs, rounded once, is what float16 gives.
  const Tensor xf = to_float(x16), af = to_float(a16), bf = to_float(b16);
  const Tensor want32 = reference_chain(steps, {xf, af, bf});
  const Tensor want16 = to_half(want32);
  for (std::int64_t i = 0; i < want16.numel(); ++i)
    CHECK(got16.data<std::uint16_t>()[i] == want16.data<std::uint16_t>()[i]);
  // round_fp16 on a float32 output gives the same values.
  NodeInfo n = pointwise_node(steps);
  n.attrs.set("round_fp16", std::int64_t{1});
  const Tensor rounded = run(n, {&xf, &af, &bf});
  REQUIRE(rounded.dtype() == DataType::kFloat32);
  CHECK(test::max_abs_diff(rounded, to_float(want16)) == 0.0);
}

TEST_CASE("Pointwise rejects malformed chains with the reason", "[cpu][fused_pointwise]") {
  std::mt19937 rng(9);
  const Tensor x = test::random_tensor(DataType::kFloat32, Shape{2, 3}, rng);
  const Tensor big = test::random_tensor(DataType::kFloat32, Shape{4, 2, 3}, rng);
  const Tensor bad = test::random_tensor(DataType::kFloat32, Shape{2}, rng);
  const Tensor i32 = test::random_tensor(DataType::kInt32, Shape{3}, rng, -5, 5);
  struct Case {
    std::vector<Step> steps;
    std::vector<const Tensor*> in;
    const char* message;
  };
  const std::vector<Case> cases = {
      {{{"Softmax"}}, {&x}, "not a Pointwise op"},
      {{{"Add", 2}}, {&x, &x}, "reads operand input 2"},
      {{{"Relu", 1}}, {&x, &x}, "unary"},
      {{{"Add", 1}}, {&x, &big}, "does not broadcast"},
      {{{"Add", 1}}, {&x, &bad}, "does not broadcast"},
      {{{"Add", 1}}, {&x, &i32}, "type"},
      {{{"Relu"}}, {&x, &x}, "read by no op"},
      {{}, {&x}, "at least one op"},
  };
  for (const Case& c : cases) {
    INFO(c.message);
    std::vector<Tensor> outs;
    Status s = run_node(pointwise_node(c.steps), c.in, outs, 1);
    REQUIRE_FALSE(s.ok());
    CHECK_THAT(s.message(), Catch::Contains(c.message) && Catch::Contains("'pw'"));
  }
  NodeInfo n = pointwise_node({{"Add", 1}, {"Relu"}});
  n.attrs.set("alphas", std::vector<float>{1.f});
  std::vector<Tensor> outs;
  Status s = run_node(n, {&x, &x}, outs, 1);
  CHECK_THAT(s.message(), Catch::Contains("'alphas' has 1 entries for 2 ops"));
}

TEST_CASE("SoftmaxTopK equals Softmax then TopK/ArgMax", "[cpu][fused_pointwise]") {
  std::mt19937 rng(10);
  for (int trial = 0; trial < 12; ++trial) {
    const Shape shape = random_shape(rng);
    const std::int64_t n = shape.dims().back();
    const DataType dt = trial % 4 == 3 ? DataType::kFloat16 : DataType::kFloat32;
    const Tensor x = test::random_tensor(dt, shape, rng, -6, 6);
    NodeInfo sm = make("Softmax", 13);
    sm.attrs.set("axis", std::int64_t{-1});
    const Tensor s = run(sm, {&x});
    const std::int64_t k = 1 + static_cast<std::int64_t>(rng() % static_cast<unsigned>(n));
    const std::int64_t largest = trial % 3 == 1 ? 0 : 1;
    INFO("shape " << shape.to_string() << " " << dtype_name(dt) << " k " << k << " largest "
                  << largest);
    {
      NodeInfo topk = make("TopK", 11);
      topk.attrs.set("axis", std::int64_t{-1});
      topk.attrs.set("largest", largest);
      Tensor kt = Tensor::allocate(DataType::kInt64, Shape{1}).value();
      kt.data<std::int64_t>()[0] = k;
      std::vector<Tensor> want;
      REQUIRE(run_node(topk, {&s, &kt}, want, 2).ok());
      NodeInfo f = make("SoftmaxTopK", 1);
      f.attrs.set("mode", std::string("TopK"));
      f.attrs.set("k", k);
      f.attrs.set("largest", largest);
      std::vector<Tensor> got;
      REQUIRE(run_node(f, {&x}, got, 2).ok());
      REQUIRE(got[0].shape() == want[0].shape());
      REQUIRE(got[0].dtype() == dt);
      CHECK(test::max_abs_diff(got[0], want[0]) <= 1e-7);
      CHECK(test::max_abs_diff(got[1], want[1]) == 0.0);
    }
    for (std::int64_t keep : {0, 1}) {
      NodeInfo am = make("ArgMax", 13);
      am.attrs.set("axis", std::int64_t{-1});
      am.attrs.set("keepdims", keep);
      am.attrs.set("select_last_index", largest == 0 ? std::int64_t{1} : std::int64_t{0});
      const Tensor want = run(am, {&s});
      NodeInfo f = make("SoftmaxTopK", 1);
      f.attrs.set("mode", std::string("ArgMax"));
      f.attrs.set("keepdims", keep);
      f.attrs.set("select_last_index", largest == 0 ? std::int64_t{1} : std::int64_t{0});
      const Tensor got = run(f, {&x});
      REQUIRE(got.shape() == want.shape());
      CHECK(test::max_abs_diff(got, want) == 0.0);
    }
  }
}

TEST_CASE("SoftmaxTopK errors name the problem", "[cpu][fused_pointwise]") {
  std::mt19937 rng(11);
  const Tensor x = test::random_tensor(DataType::kFloat32, Shape{2, 5}, rng);
  auto fails = [&](NodeInfo n, const char* what) {
    INFO(what);
    std::vector<Tensor> outs;
    Status s = run_node(n, {&x}, outs, n.attrs.has("k") ? 2 : 1);
    REQUIRE_FALSE(s.ok());
    CHECK_THAT(s.message(), Catch::Contains(what));
  };
  NodeInfo n = make("SoftmaxTopK", 1);
  n.attrs.set("mode", std::string("TopK"));
  n.attrs.set("k", std::int64_t{6});
  fails(n, "k=6");
  n.attrs.set("k", std::int64_t{2});
  n.attrs.set("axis", std::int64_t{0});
  fails(n, "not the last axis");
  n.attrs.set("axis", std::int64_t{-1});
  n.attrs.set("mode", std::string("Sort"));
  fails(n, "must be TopK or ArgMax");
}

TEST_CASE("SiLU equals Mul(x, Sigmoid(x))", "[cpu][fused_pointwise]") {
  std::mt19937 rng(12);
  for (DataType dt : {DataType::kFloat32, DataType::kFloat16}) {
    const Shape shape = random_shape(rng);
    INFO(dtype_name(dt) << " " << shape.to_string());
    const Tensor x = test::random_tensor(dt, shape, rng, -8, 8);
    const Tensor sig = run(make("Sigmoid"), {&x});
    const Tensor want = run(make("Mul"), {&x, &sig});
    const Tensor got = run(make("SiLU", 1), {&x});
    REQUIRE(got.dtype() == dt);
    // float16: the reference rounds sigmoid(x) to half before the product, SiLU rounds once.
    CHECK(test::rel_l2(got, want) < (dt == DataType::kFloat32 ? 1e-6 : 2e-3));
  }
  const Tensor i = test::random_tensor(DataType::kInt32, Shape{3}, rng, -3, 3);
  std::vector<Tensor> outs;
  CHECK_FALSE(run_node(make("SiLU", 1), {&i}, outs, 1).ok());
}

}  // namespace edgert::cpu
