// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// The small graphs the engine tests lower and run: each mixes ops of several families and
// exercises one part of lowering (views, in-place layers, weights, several outputs, dead outputs).

#include <memory>
#include <random>

#include "engine_test_util.h"

namespace edgert::test {

/// conv -> relu -> maxpool -> conv -> sigmoid -> avgpool -> flatten -> gemm -> softmax.
inline std::unique_ptr<ir::Graph> conv_net_graph(std::mt19937& rng, std::int64_t hw = 16) {
  GraphMaker m;
  m.input("x", Shape{1, 3, hw, hw});
  m.weight("w1", Shape{8, 3, 3, 3}, rng).weight("b1", Shape{8}, rng);
  m.weight("w2", Shape{4, 8, 3, 3}, rng).weight("b2", Shape{4}, rng);
  const std::int64_t flat = 4 * (hw / 8) * (hw / 8);
  m.weight("wg", Shape{10, flat}, rng).weight("bg", Shape{10}, rng);
  m.node("Conv", "conv1", {"x", "w1", "b1"}, {"c1"},
         attrs({{"kernel_shape", std::vector<std::int64_t>{3, 3}},
                {"pads", std::vector<std::int64_t>{1, 1, 1, 1}}}));
  m.node("Relu", "relu1", {"c1"}, {"r1"});
  m.node("MaxPool", "pool1", {"r1"}, {"p1"},
         attrs({{"kernel_shape", std::vector<std::int64_t>{2, 2}},
                {"strides", std::vector<std::int64_t>{2, 2}}}));
  m.node("Conv", "conv2", {"p1", "w2", "b2"}, {"c2"},
         attrs({{"kernel_shape", std::vector<std::int64_t>{3, 3}},
                {"strides", std::vector<std::int64_t>{2, 2}},
                {"pads", std::vector<std::int64_t>{1, 1, 1, 1}}}));
  m.node("Sigmoid", "sig", {"c2"}, {"s2"});
  m.node("AveragePool", "pool2", {"s2"}, {"p2"},
         attrs({{"kernel_shape", std::vector<std::int64_t>{2, 2}},
                {"strides", std::vector<std::int64_t>{2, 2}}}));
  m.node("Flatten", "flat", {"p2"}, {"f"}, attrs({{"axis", std::int64_t{1}}}));
  m.node("Gemm", "fc", {"f", "wg", "bg"}, {"logits"}, attrs({{"transB", std::int64_t{1}}}));
  m.node("Softmax", "softmax", {"logits"}, {"probs"}, attrs({{"axis", std::int64_t{-1}}}));
  m.output("probs");
  return m.finish();
}

/// relu/neg -> concat -> reshape -> reshape -> unsqueeze -> squeeze -> softmax, with a graph
/// output read by later layers and a residual add over a view.
inline std::unique_ptr<ir::Graph> reshape_chain_graph() {
  GraphMaker m;
  m.input("x", Shape{2, 4, 6});
  m.ints("shape_a", {2, 48}).ints("shape_b", {4, 24}).ints("axes0", {0});
  m.node("Relu", "relu", {"x"}, {"a"});
  m.node("Neg", "neg", {"x"}, {"b"});
  m.node("Concat", "concat", {"a", "b"}, {"c"}, attrs({{"axis", std::int64_t{1}}}));
  m.node("Reshape", "reshape1", {"c", "shape_a"}, {"d"});
  m.node("Reshape", "reshape2", {"d", "shape_b"}, {"e"});
  m.node("Unsqueeze", "unsq", {"e", "axes0"}, {"f"});
  m.node("Squeeze", "sq", {"f", "axes0"}, {"g"});
  m.node("Softmax", "softmax", {"g"}, {"probs"}, attrs({{"axis", std::int64_t{1}}}));
  m.node("Transpose", "transpose", {"probs"}, {"t"},
         attrs({{"perm", std::vector<std::int64_t>{1, 0}}}));
  m.node("Tanh", "tanh", {"t"}, {"u"});
  m.node("Add", "residual", {"g", "probs"}, {"sum"});
  m.output("probs").output("u").output("sum");
  return m.finish();
}

/// gemm -> tanh -> matmul -> add bias -> relu.
inline std::unique_ptr<ir::Graph> gemm_graph(std::mt19937& rng) {
  GraphMaker m;
  m.input("x", Shape{5, 7});
  m.weight("w", Shape{7, 9}, rng).weight("c", Shape{9}, rng);
  m.weight("w2", Shape{9, 3}, rng).weight("bias", Shape{3}, rng);
  m.node("Gemm", "gemm", {"x", "w", "c"}, {"y"}, attrs({{"alpha", 0.5f}, {"beta", 2.0f}}));
  m.node("Tanh", "tanh", {"y"}, {"z"});
  m.node("MatMul", "matmul", {"z", "w2"}, {"mm"});
  m.node("Add", "add_bias", {"mm", "bias"}, {"pre"});
  m.node("Relu", "relu", {"pre"}, {"out"});
  m.output("out");
  return m.finish();
}

/// split (one output unused) -> clip -> * (int8 weight cast to float); two inputs.
inline std::unique_ptr<ir::Graph> split_int8_graph(std::mt19937& rng) {
  GraphMaker m;
  m.input("x", Shape{3, 8});
  m.input("scale", Shape{1, 4});
  m.ints("split", {4, 4});
  auto lo = Tensor::allocate(DataType::kFloat32, Shape{});
  auto hi = Tensor::allocate(DataType::kFloat32, Shape{});
  REQUIRE((lo.ok() && hi.ok()));
  lo->data<float>()[0] = -0.25f;
  hi->data<float>()[0] = 0.5f;
  m.constant("lo", *lo).constant("hi", *hi);
  m.constant("q", random_tensor(DataType::kInt8, Shape{3, 4}, rng, -127, 127));
  m.node("Split", "split", {"x", "split"}, {"s0", "s1"}, attrs({{"axis", std::int64_t{1}}}));
  m.node("Clip", "clip", {"s0", "lo", "hi"}, {"clipped"});
  m.node("Cast", "dequant", {"q"}, {"qf"}, attrs({{"to", std::int64_t{1}}}));
  m.node("Mul", "mul", {"clipped", "qf"}, {"prod"});
  m.node("Mul", "mul_scale", {"prod", "scale"}, {"out"});
  m.output("out");
  return m.finish();
}

}  // namespace edgert::test
