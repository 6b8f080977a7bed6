// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// FusedConv / FusedGemm against the unfused ops run one by one (Conv/Gemm/MatMul, Add, the
// activation op or its ONNX decomposition, MaxPool, Cast to float16 and back) on generated shapes.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "nn_test_helpers.h"
#include "test_util.h"

namespace edgert::test {
namespace {

using nn::dims_str;
using nn::make_node;

Tensor run1(const cpu::NodeInfo& node, const std::vector<const Tensor*>& in) {
  std::vector<Tensor> out;
  Status st = nn::run(node, in, out);
  INFO(node.op_type << ": " << st.to_string());
  REQUIRE(st.ok());
  return out[0];
}

Tensor scalar(float v) {
  Tensor t = Tensor::allocate(DataType::kFloat32, Shape{}).value();
  t.data<float>()[0] = v;
  return t;
}

struct Act {
  std::string name;  // "" none
  float alpha = 0.0f;
  float beta = 0.0f;
  bool set_params = false;  // false: the fused node leaves alpha/beta to their defaults
};

const std::vector<Act>& all_activations() {
  static const std::vector<Act> acts = {
      {""},
      {"Relu"},
      {"Clip", 0.0f, 6.0f, true},
      {"Clip", -0.3f, 0.4f, true},
      {"LeakyRelu", 0.1f, 0.0f, true},
      {"LeakyRelu"},  // default alpha 0.01
      {"Sigmoid"},
      {"HardSigmoid", 0.3f, 0.4f, true},
      {"HardSigmoid"},  // defaults 0.2, 0.5
      {"HardSwish"},
      {"Tanh"},
      {"SiLU"},
      {"Gelu"},
  };
  return acts;
}

/// The activation computed with the plain ONNX ops (SiLU and Gelu through their decompositions).
Tensor reference_activation(const Act& a, const Tensor& x) {
  if (a.name.empty()) return x;
  if (a.name == "Relu" || a.name == "Sigmoid" || a.name == "Tanh" || a.name == "HardSwish")
    return run1(make_node(a.name), {&x});
  if (a.name == "Clip") {
    Tensor lo = scalar(a.alpha), hi = scalar(a.beta);
    return run1(make_node("Clip", 13), {&x, &lo, &hi});
  }
  if (a.name == "LeakyRelu" || a.name == "HardSigmoid") {
    auto node = make_node(a.name);
    if (a.set_params) {
      node.attrs.set("alpha", a.alpha);
      if (a.name == "HardSigmoid") node.attrs.set("beta", a.beta);
    }
    return run1(node, {&x});
  }
  if (a.name == "SiLU") {
    Tensor s = run1(make_node("Sigmoid"), {&x});
    return run1(make_node("Mul"), {&x, &s});
  }
  if (a.name == "Gelu") {  // 0.5 * x * (1 + erf(x / sqrt(2)))
    Tensor r2 = scalar(std::sqrt(2.0f)), one = scalar(1.0f), half = scalar(0.5f);
    Tensor t = run1(make_node("Div"), {&x, &r2});
    t = run1(make_node("Erf"), {&t});
    t = run1(make_node("Add"), {&t, &one});
    t = run1(make_node("Mul"), {&x, &t});
    return run1(make_node("Mul"), {&t, &half});
  }
  FAIL("no reference for " << a.name);
  return x;
}

void set_activation(cpu::NodeInfo& node, const Act& a) {
  if (a.name.empty()) return;
  node.attrs.set("activation", a.name);
  if (a.set_params) {
    node.attrs.set("activation_alpha", a.alpha);
    node.attrs.set("activation_beta", a.beta);
  }
}

Tensor round_to_fp16(const Tensor& x) {
  auto to16 = make_node("Cast");
  to16.attrs.set("to", std::int64_t{10});
  auto to32 = make_node("Cast");
  to32.attrs.set("to", std::int64_t{1});
  Tensor h = run1(to16, {&x});
  return run1(to32, {&h});
}

struct ConvCase {
  std::vector<std::int64_t> x;  // N, C, H, W
  std::int64_t m;
  std::vector<std::int64_t> k;
  std::int64_t group = 1;
  std::vector<std::int64_t> strides{1, 1};
  std::vector<std::int64_t> dilations{1, 1};
  std::vector<std::int64_t> pads{0, 0, 0, 0};
  bool bias = true;
  bool residual = false;
  bool pool = false;
  std::vector<std::int64_t> pool_k{2, 2};
  std::vector<std::int64_t> pool_s{2, 2};
  std::vector<std::int64_t> pool_pads{0, 0, 0, 0};
  std::int64_t pool_ceil = 0;
  bool round = false;
};

std::string describe(const ConvCase& c, const Act& a) {
  std::string s = "x=" + dims_str(c.x) + " m=" + std::to_string(c.m) + " k=" + dims_str(c.k) +
                  " group=" + std::to_string(c.group) + " strides=" + dims_str(c.strides) +
                  " dilations=" + dims_str(c.dilations) + " pads=" + dims_str(c.pads) +
                  " bias=" + std::to_string(c.bias) + " residual=" + std::to_string(c.residual) +
                  " act=" + a.name + " round=" + std::to_string(c.round);
  if (c.pool)
    s += " pool k=" + dims_str(c.pool_k) + " s=" + dims_str(c.pool_s) +
         " pads=" + dims_str(c.pool_pads) + " ceil=" + std::to_string(c.pool_ceil);
  return s;
}

void check_fused_conv(const ConvCase& c, const Act& a, std::mt19937& rng) {
  INFO(describe(c, a));
  std::vector<std::int64_t> wd = {c.m, c.x[1] / c.group};
  wd.insert(wd.end(), c.k.begin(), c.k.end());
  Tensor x = random_tensor(DataType::kFloat32, Shape(c.x), rng);
  Tensor w = random_tensor(DataType::kFloat32, Shape(wd), rng, -0.5, 0.5);
  Tensor b = random_tensor(DataType::kFloat32, Shape({c.m}), rng);

  auto conv = make_node("Conv");
  conv.attrs.set("group", c.group);
  conv.attrs.set("strides", c.strides);
  conv.attrs.set("dilations", c.dilations);
  conv.attrs.set("pads", c.pads);
  conv.attrs.set("kernel_shape", c.k);
  std::vector<const Tensor*> conv_in = {&x, &w};
  if (c.bias) conv_in.push_back(&b);
  Tensor ref = run1(conv, conv_in);
  Tensor z;
  if (c.residual) {
    z = random_tensor(DataType::kFloat32, ref.shape(), rng);
    ref = run1(make_node("Add"), {&ref, &z});
  }
  ref = reference_activation(a, ref);
  if (c.round) ref = round_to_fp16(ref);
  auto pool = make_node("MaxPool");
  pool.attrs.set("kernel_shape", c.pool_k);
  pool.attrs.set("strides", c.pool_s);
  pool.attrs.set("pads", c.pool_pads);
  pool.attrs.set("ceil_mode", c.pool_ceil);
  if (c.pool) ref = run1(pool, {&ref});

  cpu::NodeInfo fused = conv;
  fused.op_type = "FusedConv";
  fused.name = "t_FusedConv";
  set_activation(fused, a);
  if (c.pool) {
    fused.attrs.set("pool", std::int64_t{1});
    fused.attrs.set("pool_kernel_shape", c.pool_k);
    fused.attrs.set("pool_strides", c.pool_s);
    fused.attrs.set("pool_pads", c.pool_pads);
    fused.attrs.set("pool_ceil_mode", c.pool_ceil);
  }
  if (c.round) fused.attrs.set("round_fp16", std::int64_t{1});
  std::vector<const Tensor*> in = {&x, &w, c.bias ? &b : nullptr};
  if (c.residual) in.push_back(&z);
  Tensor y = run1(fused, in);
  REQUIRE(y.shape() == ref.shape());
  // The same convolution code runs in both: only the activation formulas differ (Gelu, SiLU are
  // decomposed in the reference), so the difference is a few float roundings. With round_fp16
  // such a rounding may tip a value to the neighbouring float16 (one float16 ulp, 2^-11 relative):
  // it does on aarch64, where the compiler contracts a*b+c into FMAs.
  CHECK(rel_l2(y, ref) < (c.round ? 1e-4 : 1e-6));
  if (c.round) CHECK(max_abs_diff(y, ref) <= 1e-3);
}

}  // namespace

TEST_CASE("FusedConv matches Conv + Add + activation + MaxPool", "[fused][conv]") {
  std::mt19937 rng(2024);
  const std::vector<ConvCase> base = {
      {{1, 3, 9, 9}, 4, {3, 3}},
      {{2, 4, 10, 9}, 6, {3, 3}, 1, {2, 2}, {1, 1}, {1, 1, 1, 1}},
      {{1, 4, 12, 12}, 4, {3, 3}, 1, {1, 1}, {2, 2}, {2, 2, 2, 2}},    // dilation
      {{1, 6, 8, 8}, 4, {3, 3}, 2, {1, 1}, {1, 1}, {0, 1, 1, 0}},      // groups, asymmetric pads
      {{2, 8, 9, 9}, 8, {3, 3}, 8, {1, 1}, {1, 1}, {1, 1, 1, 1}},      // depthwise
      {{1, 8, 11, 11}, 16, {3, 3}, 8, {2, 2}, {1, 1}, {1, 1, 1, 1}},   // depthwise, multiplier 2
      {{2, 16, 7, 7}, 8, {1, 1}},                                      // pointwise GEMM path
      {{1, 16, 8, 8}, 8, {1, 1}, 2, {2, 2}},                           // strided grouped 1x1
      {{1, 32, 30, 30}, 24, {3, 3}, 1, {1, 1}, {1, 1}, {1, 1, 1, 1}},  // threaded epilogue
  };
  // Every activation on every geometry, with bias/residual/round toggled along the way.
  std::size_t i = 0;
  for (const auto& b : base)
    for (const auto& a : all_activations()) {
      ConvCase c = b;
      c.bias = i % 3 != 1;
      c.residual = i % 2 == 0;
      c.round = i % 5 == 3;
      ++i;
      check_fused_conv(c, a, rng);
    }
  // Pools after every kind of conv, with pads, strides, ceil mode.
  for (const auto& b : base) {
    ConvCase c = b;
    c.pool = true;
    c.residual = true;
    check_fused_conv(c, all_activations()[1], rng);
    c.pool_k = {3, 3};
    c.pool_s = {2, 2};
    c.pool_pads = {1, 1, 1, 1};
    c.residual = false;
    c.round = true;
    check_fused_conv(c, all_activations()[11], rng);
    c.pool_k = {2, 3};
    c.pool_s = {1, 2};
    c.pool_pads = {0, 0, 0, 0};
    c.pool_ceil = 1;
    c.round = false;
    check_fused_conv(c, all_activations()[0], rng);
  }
}

TEST_CASE("FusedConv round_fp16 rounds to float16 values", "[fused][conv]") {
  std::mt19937 rng(5);
  Tensor x = random_tensor(DataType::kFloat32, Shape({1, 2, 5, 5}), rng);
  Tensor w = random_tensor(DataType::kFloat32, Shape({3, 2, 3, 3}), rng);
  auto node = make_node("FusedConv");
  node.attrs.set("round_fp16", std::int64_t{1});
  Tensor y = run1(node, {&x, &w});
  Tensor r = round_to_fp16(y);
  CHECK(max_abs_diff(y, r) == 0.0);
  // And they are not float32 values that happen to be representable: some were rounded.
  node.attrs.set("round_fp16", std::int64_t{0});
  Tensor y32 = run1(node, {&x, &w});
  CHECK(max_abs_diff(y, y32) > 0.0);
  CHECK(max_abs_diff(y, y32) < 1e-2);
}

TEST_CASE("FusedConv reports bad attributes and shapes", "[fused][conv]") {
  std::mt19937 rng(9);
  Tensor x = random_tensor(DataType::kFloat32, Shape({1, 2, 6, 6}), rng);
  Tensor w = random_tensor(DataType::kFloat32, Shape({4, 2, 3, 3}), rng);
  auto node = make_node("FusedConv");
  std::vector<Tensor> out;
  SECTION("residual of another shape") {
    Tensor z = random_tensor(DataType::kFloat32, Shape({1, 4, 6, 6}), rng);
    Status st = nn::run(node, {&x, &w, nullptr, &z}, out);
    CHECK(st.code() == StatusCode::kInvalidArgument);
    CHECK_THAT(st.message(), Catch::Contains("residual Z") && Catch::Contains("t_FusedConv"));
  }
  SECTION("unknown activation") {
    node.attrs.set("activation", std::string("Softplus"));
    Status st = nn::run(node, {&x, &w}, out);
    CHECK(st.code() == StatusCode::kUnsupported);
    CHECK_THAT(st.message(), Catch::Contains("Softplus"));
  }
  SECTION("pool without a kernel") {
    node.attrs.set("pool", std::int64_t{1});
    Status st = nn::run(node, {&x, &w}, out);
    CHECK(st.code() == StatusCode::kInvalidArgument);
    CHECK_THAT(st.message(), Catch::Contains("pool_kernel_shape"));
  }
  SECTION("pool window larger than the conv output") {
    node.attrs.set("pool", std::int64_t{1});
    node.attrs.set("pool_kernel_shape", std::vector<std::int64_t>{5, 5});
    CHECK(nn::run(node, {&x, &w}, out).code() == StatusCode::kInvalidArgument);
  }
  SECTION("int8 input") {
    Tensor xi = random_tensor(DataType::kInt8, Shape({1, 2, 6, 6}), rng);
    CHECK(nn::run(node, {&xi, &w}, out).code() == StatusCode::kUnsupported);
  }
}

TEST_CASE("FusedConv infers shapes with unknown dims", "[fused][conv]") {
  auto node = make_node("FusedConv");
  node.attrs.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  node.attrs.set("pool", std::int64_t{1});
  node.attrs.set("pool_kernel_shape", std::vector<std::int64_t>{2, 2});
  node.attrs.set("pool_strides", std::vector<std::int64_t>{2, 2});
  const auto f = DataType::kFloat32;
  std::vector<cpu::TensorInfo> out;
  REQUIRE(nn::infer(node,
                    {{f, Shape({Shape::kUnknownDim, 3, 16, 16})},
                     {f, Shape({8, 3, 3, 3})},
                     {f, Shape({8})},
                     {f, Shape({Shape::kUnknownDim, 8, 16, 16})}},
                    out)
              .ok());
  CHECK(out[0].shape == Shape({Shape::kUnknownDim, 8, 8, 8}));
}

namespace {

struct GemmCase {
  std::vector<std::int64_t> a;  // A's shape (rank > 2 only with transA = 0)
  std::int64_t n;
  bool ta = false, tb = false;
  float alpha = 1.0f, beta = 1.0f;
  std::vector<std::int64_t> c;  // C's shape; empty: no C
  bool has_c = true;
};

}  // namespace

TEST_CASE("FusedGemm matches Gemm / MatMul + Add + activation", "[fused][gemm]") {
  std::mt19937 rng(77);
  const std::vector<GemmCase> cases = {
      {{5, 7}, 6, false, false, 1.0f, 1.0f, {6}},
      {{7, 5}, 6, true, false, 0.5f, 2.0f, {5, 6}},
      {{5, 7}, 6, false, true, 1.5f, 0.5f, {5, 1}},
      {{7, 5}, 6, true, true, 1.0f, 1.0f, {1, 6}},
      {{4, 9}, 3, false, false, 1.0f, 1.0f, {}, false},
      {{4, 9}, 3, false, false, 1.0f, -1.0f, {}},          // scalar C
      {{300, 64}, 1100, false, true, 1.0f, 1.0f, {1100}},  // several epilogue blocks, threads
      // MatMul semantics: rank-3 A, rows are the leading dims
      {{2, 3, 8}, 5, false, false, 1.0f, 1.0f, {5}},
      {{2, 3, 4, 8}, 5, false, false, 1.0f, 1.0f, {}, false},
  };
  std::size_t i = 0;
  for (const auto& c : cases)
    for (const auto& act : all_activations()) {
      const bool round = i++ % 4 == 2;
      INFO("A=" << dims_str(c.a) << " n=" << c.n << " transA=" << c.ta << " transB=" << c.tb
                << " alpha=" << c.alpha << " beta=" << c.beta << " C=" << dims_str(c.c)
                << " has_c=" << c.has_c << " act=" << act.name << " round=" << round);
      const std::int64_t k = c.ta ? c.a[0] : c.a.back();
      Tensor a = random_tensor(DataType::kFloat32, Shape(c.a), rng);
      Tensor b = random_tensor(DataType::kFloat32, c.tb ? Shape({c.n, k}) : Shape({k, c.n}), rng);
      Tensor ct = random_tensor(DataType::kFloat32, Shape(c.c), rng);
      Tensor ref;
      if (c.a.size() == 2) {
        auto gemm = make_node("Gemm");
        gemm.attrs.set("transA", std::int64_t{c.ta});
        gemm.attrs.set("transB", std::int64_t{c.tb});
        gemm.attrs.set("alpha", c.alpha);
        gemm.attrs.set("beta", c.beta);
        std::vector<const Tensor*> in = {&a, &b};
        if (c.has_c) in.push_back(&ct);
        ref = run1(gemm, in);
      } else {
        ref = run1(make_node("MatMul"), {&a, &b});
        if (c.has_c) ref = run1(make_node("Add"), {&ref, &ct});
      }
      ref = reference_activation(act, ref);
      if (round) ref = round_to_fp16(ref);

      auto fused = make_node("FusedGemm");
      fused.attrs.set("transA", std::int64_t{c.ta});
      fused.attrs.set("transB", std::int64_t{c.tb});
      fused.attrs.set("alpha", c.alpha);
      fused.attrs.set("beta", c.beta);
      set_activation(fused, act);
      if (round) fused.attrs.set("round_fp16", std::int64_t{1});
      std::vector<const Tensor*> in = {&a, &b};
      if (c.has_c) in.push_back(&ct);
      Tensor y = run1(fused, in);
      REQUIRE(y.shape() == ref.shape());
      CHECK(rel_l2(y, ref) < 1e-6);
    }
}

TEST_CASE("FusedGemm checks shapes", "[fused][gemm]") {
  std::mt19937 rng(3);
  auto node = make_node("FusedGemm");
  std::vector<Tensor> out;
  Tensor a3 = random_tensor(DataType::kFloat32, Shape({2, 3, 4}), rng);
  Tensor b = random_tensor(DataType::kFloat32, Shape({4, 5}), rng);
  SECTION("rank-3 A with transA") {
    node.attrs.set("transA", std::int64_t{1});
    CHECK(nn::run(node, {&a3, &b}, out).code() == StatusCode::kInvalidArgument);
  }
  SECTION("inner dims") {
    Tensor b2 = random_tensor(DataType::kFloat32, Shape({5, 5}), rng);
    Status st = nn::run(node, {&a3, &b2}, out);
    CHECK(st.code() == StatusCode::kInvalidArgument);
    CHECK_THAT(st.message(), Catch::Contains("inner dims"));
  }
  SECTION("C not broadcastable to [M, N]") {
    Tensor c = random_tensor(DataType::kFloat32, Shape({3, 5}), rng);  // M is 6
    CHECK(nn::run(node, {&a3, &b, &c}, out).code() == StatusCode::kInvalidArgument);
  }
  SECTION("unknown dims") {
    const auto f = DataType::kFloat32;
    std::vector<cpu::TensorInfo> info;
    REQUIRE(
        nn::infer(node, {{f, Shape({Shape::kUnknownDim, 7, 4})}, {f, Shape({4, 5})}}, info).ok());
    CHECK(info[0].shape == Shape({Shape::kUnknownDim, 7, 5}));
  }
}

TEST_CASE("FusedConv vs Conv + Add + Relu timing (informational)", "[fused][conv][timing]") {
  struct Layer {
    const char* name;
    std::vector<std::int64_t> x;
    std::int64_t m, k, group;
  };
  const std::vector<Layer> layers = {
      {"1x64x56x56 -> 64, 3x3", {1, 64, 56, 56}, 64, 3, 1},
      {"1x256x56x56 -> 64, 1x1", {1, 256, 56, 56}, 64, 1, 1},
      {"1x144x56x56 depthwise 3x3", {1, 144, 56, 56}, 144, 3, 144},
  };
  std::mt19937 rng(8);
  using Clock = std::chrono::steady_clock;
  auto best_of = [](int reps, const auto& fn) {
    double best = 1e30;
    for (int r = 0; r < reps; ++r) {
      const auto t0 = Clock::now();
      fn();
      best = std::min(best, std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    return best;
  };
  for (const auto& l : layers) {
    Tensor x = random_tensor(DataType::kFloat32, Shape(l.x), rng);
    Tensor w = random_tensor(DataType::kFloat32, Shape({l.m, l.x[1] / l.group, l.k, l.k}), rng);
    Tensor b = random_tensor(DataType::kFloat32, Shape({l.m}), rng);
    Tensor z = random_tensor(DataType::kFloat32, Shape({1, l.m, 56, 56}), rng);
    auto conv = make_node("Conv");
    conv.attrs.set("pads", std::vector<std::int64_t>(4, l.k / 2));
    conv.attrs.set("group", l.group);
    cpu::NodeInfo fused = conv;
    fused.op_type = "FusedConv";
    fused.attrs.set("activation", std::string("Relu"));
    auto add = make_node("Add");
    auto relu = make_node("Relu");
    std::vector<Tensor> o1, o2, o3, of;
    auto unfused_run = [&] {
      REQUIRE(nn::run(conv, {&x, &w, &b}, o1).ok());
      REQUIRE(nn::run(add, {&o1[0], &z}, o2).ok());
      REQUIRE(nn::run(relu, {&o2[0]}, o3).ok());
    };
    auto fused_run = [&] { REQUIRE(nn::run(fused, {&x, &w, &b, &z}, of).ok()); };
    const double conv_ms = best_of(7, [&] { REQUIRE(nn::run(conv, {&x, &w, &b}, o1).ok()); });
    const double unfused_ms = best_of(7, unfused_run);
    const double fused_ms = best_of(7, fused_run);
    std::printf("%-28s Conv %7.3f ms | Conv+Add+Relu %7.3f ms | FusedConv(Z, Relu) %7.3f ms\n",
                l.name, conv_ms, unfused_ms, fused_ms);
    CHECK(rel_l2(of[0], o3[0]) < 1e-6);
  }
}

}  // namespace edgert::test
