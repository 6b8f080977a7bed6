// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// BatchNormalization / InstanceNormalization / LayerNormalization / LRN /
// MeanVarianceNormalization against per-element std:: math.

#include <cmath>
#include <random>

#include <catch2/catch.hpp>

#include "nn_test_helpers.h"
#include "test_util.h"

namespace edgert::test {
namespace {

using nn::dims_str;
using nn::make_node;

TEST_CASE("BatchNormalization (inference) matches the formula", "[nn][norm]") {
  std::mt19937 rng(31);
  for (auto dims : {std::vector<std::int64_t>{2, 3, 4, 5}, std::vector<std::int64_t>{3, 4},
                    std::vector<std::int64_t>{1, 5, 7}, std::vector<std::int64_t>{1, 2, 2, 3, 3}}) {
    INFO("x=" << dims_str(dims));
    const std::int64_t c = dims[1];
    Tensor x = random_tensor(DataType::kFloat32, Shape(dims), rng);
    Tensor scale = random_tensor(DataType::kFloat32, Shape({c}), rng);
    Tensor bias = random_tensor(DataType::kFloat32, Shape({c}), rng);
    Tensor mean = random_tensor(DataType::kFloat32, Shape({c}), rng);
    Tensor var = random_tensor(DataType::kFloat32, Shape({c}), rng, 0.5, 2.0);
    auto node = make_node("BatchNormalization", 15);
    node.attrs.set("epsilon", 1e-3f);
    std::vector<Tensor> out;
    REQUIRE(nn::run(node, {&x, &scale, &bias, &mean, &var}, out).ok());
    Tensor ref = Tensor::allocate(DataType::kFloat32, Shape(dims)).value();
    const std::int64_t plane = x.numel() / (dims[0] * c);
    for (std::int64_t i = 0; i < x.numel(); ++i) {
      const std::int64_t ch = (i / plane) % c;
      ref.data<float>()[i] = static_cast<float>(
          (x.data<float>()[i] - mean.data<float>()[ch]) /
              std::sqrt(double{var.data<float>()[ch]} + 1e-3) * scale.data<float>()[ch] +
          bias.data<float>()[ch]);
    }
    CHECK(rel_l2(out[0], ref) < 1e-5);
  }
}

TEST_CASE("BatchNormalization errors", "[nn][norm]") {
  std::mt19937 rng(32);
  Tensor x = random_tensor(DataType::kFloat32, Shape({1, 3, 2, 2}), rng);
  Tensor v3 = random_tensor(DataType::kFloat32, Shape({3}), rng, 0.5, 1);
  Tensor v4 = random_tensor(DataType::kFloat32, Shape({4}), rng, 0.5, 1);
  std::vector<Tensor> out;
  auto node = make_node("BatchNormalization", 15);
  CHECK(nn::run(node, {&x, &v3, &v3, &v4, &v3}, out).code() == StatusCode::kInvalidArgument);
  node.attrs.set("training_mode", std::int64_t{1});
  CHECK(nn::run(node, {&x, &v3, &v3, &v3, &v3}, out, 3).code() == StatusCode::kUnsupported);
  Tensor xi = random_tensor(DataType::kInt32, Shape({1, 3, 2, 2}), rng, -3, 3);
  CHECK(nn::run(make_node("BatchNormalization", 15), {&xi, &v3, &v3, &v3, &v3}, out).code() ==
        StatusCode::kUnsupported);
  std::vector<cpu::TensorInfo> outs;
  const std::int64_t u = Shape::kUnknownDim;
  REQUIRE(nn::infer(make_node("BatchNormalization", 15),
                    {{DataType::kFloat32, Shape({u, 3, u, u})},
                     {DataType::kFloat32, Shape({3})},
                     {DataType::kFloat32, Shape({3})},
                     {DataType::kFloat32, Shape({3})},
                     {DataType::kFloat32, Shape({3})}},
                    outs)
              .ok());
  CHECK(outs[0].shape == Shape({u, 3, u, u}));
}

TEST_CASE("InstanceNormalization matches per-plane statistics", "[nn][norm]") {
  std::mt19937 rng(33);
  for (auto dims : {std::vector<std::int64_t>{2, 3, 4, 5}, std::vector<std::int64_t>{1, 4, 9},
                    std::vector<std::int64_t>{2, 2, 3, 2, 4}}) {
    INFO("x=" << dims_str(dims));
    const std::int64_t c = dims[1];
    Tensor x = random_tensor(DataType::kFloat32, Shape(dims), rng, -2, 3);
    Tensor scale = random_tensor(DataType::kFloat32, Shape({c}), rng);
    Tensor bias = random_tensor(DataType::kFloat32, Shape({c}), rng);
    std::vector<Tensor> out;
    REQUIRE(nn::run(make_node("InstanceNormalization"), {&x, &scale, &bias}, out).ok());
    Tensor ref = Tensor::allocate(DataType::kFloat32, Shape(dims)).value();
    const std::int64_t plane = x.numel() / (dims[0] * c);
    for (std::int64_t p = 0; p < dims[0] * c; ++p) {
      double s = 0, s2 = 0;
      for (std::int64_t j = 0; j < plane; ++j) s += x.data<float>()[p * plane + j];
      const double mu = s / static_cast<double>(plane);
      for (std::int64_t j = 0; j < plane; ++j)
        s2 += std::pow(x.data<float>()[p * plane + j] - mu, 2);
      const double sd = std::sqrt(s2 / static_cast<double>(plane) + 1e-5);
      for (std::int64_t j = 0; j < plane; ++j)
        ref.data<float>()[p * plane + j] = static_cast<float>(
            (x.data<float>()[p * plane + j] - mu) / sd * scale.data<float>()[p % c] +
            bias.data<float>()[p % c]);
    }
    CHECK(rel_l2(out[0], ref) < 1e-5);
  }
  Tensor x = random_tensor(DataType::kFloat32, Shape({1, 3, 4}), rng);
  Tensor s2 = random_tensor(DataType::kFloat32, Shape({2}), rng);
  std::vector<Tensor> out;
  CHECK(nn::run(make_node("InstanceNormalization"), {&x, &s2, &s2}, out).code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("LayerNormalization matches per-row statistics", "[nn][norm]") {
  struct Case {
    std::vector<std::int64_t> x;
    std::int64_t axis;
    std::vector<std::int64_t> scale;  // shape of Scale (and B)
    bool bias;
  };
  const std::vector<Case> cases = {
      {{2, 3, 8}, -1, {8}, true},       {{2, 3, 8}, 1, {3, 8}, true},
      {{2, 3, 8}, 0, {2, 3, 8}, false}, {{4, 5}, -2, {4, 5}, true},
      {{2, 3, 4, 5}, 2, {1, 5}, true},  // Scale broadcast over the normalized dims
      {{1, 7, 768}, -1, {768}, true},
  };
  std::mt19937 rng(34);
  for (const auto& c : cases) {
    INFO("x=" << dims_str(c.x) << " axis=" << c.axis << " scale=" << dims_str(c.scale));
    Tensor x = random_tensor(DataType::kFloat32, Shape(c.x), rng, -2, 2);
    Tensor scale = random_tensor(DataType::kFloat32, Shape(c.scale), rng);
    Tensor bias = random_tensor(DataType::kFloat32, Shape(c.scale), rng);
    auto node = make_node("LayerNormalization");
    node.attrs.set("axis", c.axis);
    node.attrs.set("epsilon", 1e-4f);
    std::vector<const Tensor*> in = {&x, &scale};
    if (c.bias) in.push_back(&bias);
    std::vector<Tensor> out;
    REQUIRE(nn::run(node, in, out, 3).ok());
    const std::size_t axis = static_cast<std::size_t>(
        c.axis < 0 ? c.axis + static_cast<std::int64_t>(c.x.size()) : c.axis);
    std::int64_t inner = 1;
    for (std::size_t d = axis; d < c.x.size(); ++d) inner *= c.x[d];
    const std::int64_t rows = x.numel() / inner;
    const std::int64_t sn = scale.numel();
    Tensor ref = Tensor::allocate(DataType::kFloat32, Shape(c.x)).value();
    std::vector<std::int64_t> stat_dims = c.x;
    for (std::size_t d = axis; d < c.x.size(); ++d) stat_dims[d] = 1;
    Tensor mref = Tensor::allocate(DataType::kFloat32, Shape(stat_dims)).value();
    Tensor iref = Tensor::allocate(DataType::kFloat32, Shape(stat_dims)).value();
    for (std::int64_t r = 0; r < rows; ++r) {
      double s = 0, s2 = 0;
      for (std::int64_t j = 0; j < inner; ++j) s += x.data<float>()[r * inner + j];
      const double mu = s / static_cast<double>(inner);
      for (std::int64_t j = 0; j < inner; ++j)
        s2 += std::pow(x.data<float>()[r * inner + j] - mu, 2);
      const double inv = 1.0 / std::sqrt(s2 / static_cast<double>(inner) + 1e-4);
      mref.data<float>()[r] = static_cast<float>(mu);
      iref.data<float>()[r] = static_cast<float>(inv);
      for (std::int64_t j = 0; j < inner; ++j) {
        // Scale shape is a suffix of the normalized dims (possibly with 1s): index by the
        // trailing position, with size-1 dims pinned to 0.
        std::int64_t si = 0, rem = j, mul = 1;
        for (std::size_t d = c.x.size(); d-- > axis;) {
          const std::int64_t idx = rem % c.x[d];
          rem /= c.x[d];
          const std::size_t sd = d - (c.x.size() - c.scale.size());
          if (d >= c.x.size() - c.scale.size()) {
            si += (c.scale[sd] == 1 ? 0 : idx) * mul;
            mul *= c.scale[sd];
          }
        }
        REQUIRE(si < sn);
        ref.data<float>()[r * inner + j] = static_cast<float>(
            (x.data<float>()[r * inner + j] - mu) * inv * scale.data<float>()[si] +
            (c.bias ? bias.data<float>()[si] : 0.0f));
      }
    }
    CHECK(rel_l2(out[0], ref) < 1e-5);
    CHECK(rel_l2(out[1], mref) < 1e-5);
    CHECK(rel_l2(out[2], iref) < 1e-5);
  }
}

TEST_CASE("LayerNormalization errors and inference", "[nn][norm]") {
  std::mt19937 rng(35);
  Tensor x = random_tensor(DataType::kFloat32, Shape({2, 3, 4}), rng);
  Tensor s_bad = random_tensor(DataType::kFloat32, Shape({3}), rng);
  std::vector<Tensor> out;
  CHECK(nn::run(make_node("LayerNormalization"), {&x, &s_bad}, out).code() ==
        StatusCode::kInvalidArgument);
  auto node = make_node("LayerNormalization");
  node.attrs.set("axis", std::int64_t{3});
  Tensor s = random_tensor(DataType::kFloat32, Shape({4}), rng);
  CHECK(nn::run(node, {&x, &s}, out).code() == StatusCode::kInvalidArgument);
  std::vector<cpu::TensorInfo> outs;
  const std::int64_t u = Shape::kUnknownDim;
  REQUIRE(nn::infer(make_node("LayerNormalization"),
                    {{DataType::kFloat32, Shape({u, u, 768})}, {DataType::kFloat32, Shape({768})}},
                    outs, 3)
              .ok());
  CHECK(outs[0].shape == Shape({u, u, 768}));
  CHECK(outs[1].shape == Shape({u, u, 1}));
}

TEST_CASE("LRN matches the cross-channel formula", "[nn][norm]") {
  std::mt19937 rng(36);
  for (std::int64_t size : {1, 2, 3, 5}) {
    INFO("size=" << size);
    Tensor x = random_tensor(DataType::kFloat32, Shape({2, 6, 3, 4}), rng);
    auto node = make_node("LRN");
    node.attrs.set("size", size);
    node.attrs.set("alpha", 0.002f);
    node.attrs.set("beta", 0.5f);
    node.attrs.set("bias", 2.0f);
    std::vector<Tensor> out;
    REQUIRE(nn::run(node, {&x}, out).ok());
    Tensor ref = Tensor::allocate(DataType::kFloat32, x.shape()).value();
    const std::int64_t c = 6, plane = 12;
    for (std::int64_t i = 0; i < x.numel(); ++i) {
      const std::int64_t n = i / (c * plane), ch = (i / plane) % c, j = i % plane;
      double sq = 0;
      for (std::int64_t cc = ch - (size - 1) / 2; cc <= ch + size / 2; ++cc)
        if (cc >= 0 && cc < c) sq += std::pow(x.data<float>()[(n * c + cc) * plane + j], 2);
      ref.data<float>()[i] =
          static_cast<float>(x.data<float>()[i] / std::pow(2.0 + 0.002 / size * sq, 0.5));
    }
    CHECK(rel_l2(out[0], ref) < 1e-5);
  }
  Tensor x = random_tensor(DataType::kFloat32, Shape({1, 2, 2, 2}), rng);
  std::vector<Tensor> out;
  CHECK(nn::run(make_node("LRN"), {&x}, out).code() == StatusCode::kInvalidArgument);  // no size
}

TEST_CASE("MeanVarianceNormalization matches the ONNX function", "[nn][norm]") {
  std::mt19937 rng(37);
  for (auto axes : {std::vector<std::int64_t>{0, 2, 3}, std::vector<std::int64_t>{1},
                    std::vector<std::int64_t>{-1, -2}}) {
    INFO("axes=" << dims_str(axes));
    Tensor x = random_tensor(DataType::kFloat32, Shape({2, 3, 4, 5}), rng, -1, 3);
    auto node = make_node("MeanVarianceNormalization", 13);
    node.attrs.set("axes", axes);
    std::vector<Tensor> out;
    REQUIRE(nn::run(node, {&x}, out).ok());
    const std::int64_t dims[4] = {2, 3, 4, 5};
    bool red[4] = {false, false, false, false};
    for (auto a : axes) red[a < 0 ? a + 4 : a] = true;
    auto key = [&](std::int64_t i) {
      std::int64_t k = 0, rem = i, idx[4];
      for (int d = 3; d >= 0; --d) {
        idx[d] = rem % dims[d];
        rem /= dims[d];
      }
      for (int d = 0; d < 4; ++d) k = k * dims[d] + (red[d] ? 0 : idx[d]);
      return k;
    };
    std::vector<double> sum(120, 0), sq(120, 0), cnt(120, 0);
    for (std::int64_t i = 0; i < 120; ++i) {
      sum[key(i)] += x.data<float>()[i];
      cnt[key(i)] += 1;
    }
    for (std::int64_t i = 0; i < 120; ++i) {
      const double mu = sum[key(i)] / cnt[key(i)];
      sq[key(i)] += std::pow(x.data<float>()[i] - mu, 2);
    }
    Tensor ref = Tensor::allocate(DataType::kFloat32, x.shape()).value();
    for (std::int64_t i = 0; i < 120; ++i) {
      const double mu = sum[key(i)] / cnt[key(i)];
      ref.data<float>()[i] = static_cast<float>((x.data<float>()[i] - mu) /
                                                (std::sqrt(sq[key(i)] / cnt[key(i)]) + 1e-9));
    }
    CHECK(rel_l2(out[0], ref) < 1e-5);
  }
  Tensor x = random_tensor(DataType::kFloat32, Shape({2, 3}), rng);
  auto node = make_node("MeanVarianceNormalization", 13);
  node.attrs.set("axes", std::vector<std::int64_t>{2});
  std::vector<Tensor> out;
  CHECK(nn::run(node, {&x}, out).code() == StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace edgert::test
