// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The int8 layer ops: the int8 GEMM exactly against an int64 reference; ConvInt8 / GemmInt8
// against the float Conv / Gemm (and Add, the activation ops, MaxPool) run on the dequantized int8
// data ("fake quantization"), which they must match up to float rounding; and the quantization
// error against the true float32 op within the bound docs/precision.md derives.

#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>

#include <catch2/catch.hpp>

#include "kernels/cpu/gemm_eigen.h"
#include "kernels/cpu/gemm_int8.h"
#include "nn_test_helpers.h"
#include "test_util.h"

namespace edgert::test {
namespace {

using nn::dims_str;
using nn::make_node;

// ---- Quantization written independently of the kernels (docs/precision.md's definitions).

std::int8_t q8(float v, float s) {
  const float q = std::nearbyint(v / s);
  return static_cast<std::int8_t>(std::max(-127.f, std::min(127.f, q)));
}

float max_abs(const Tensor& t) {
  float m = 0.f;
  for (std::int64_t i = 0; i < t.numel(); ++i) m = std::max(m, std::fabs(t.data<float>()[i]));
  return m;
}

Tensor quant(const Tensor& x, float s) {
  Tensor q = Tensor::allocate(DataType::kInt8, x.shape()).value();
  for (std::int64_t i = 0; i < x.numel(); ++i) q.data<std::int8_t>()[i] = q8(x.data<float>()[i], s);
  return q;
}

Tensor dequant(const Tensor& q, float s) {
  Tensor x = Tensor::allocate(DataType::kFloat32, q.shape()).value();
  for (std::int64_t i = 0; i < q.numel(); ++i)
    x.data<float>()[i] = static_cast<float>(q.data<std::int8_t>()[i]) * s;
  return x;
}

/// Symmetric per-channel quantization of `w` along `axis` (0 or 1 of a rank >= 2 tensor).
struct ChannelQuant {
  Tensor q, scales, dq;
};

ChannelQuant quant_channels(const Tensor& w, std::size_t axis) {
  const auto& d = w.shape().dims();
  std::int64_t outer = 1, inner = 1;
  for (std::size_t i = 0; i < axis; ++i) outer *= d[i];
  for (std::size_t i = axis + 1; i < d.size(); ++i) inner *= d[i];
  const std::int64_t ch = d[axis];
  ChannelQuant r{Tensor::allocate(DataType::kInt8, w.shape()).value(),
                 Tensor::allocate(DataType::kFloat32, Shape({ch})).value(),
                 Tensor::allocate(DataType::kFloat32, w.shape()).value()};
  auto at = [&](std::int64_t o, std::int64_t c, std::int64_t i) {
    return (o * ch + c) * inner + i;
  };
  for (std::int64_t c = 0; c < ch; ++c) {
    float m = 0.f;
    for (std::int64_t o = 0; o < outer; ++o)
      for (std::int64_t i = 0; i < inner; ++i)
        m = std::max(m, std::fabs(w.data<float>()[at(o, c, i)]));
    const float s = m / 127.f;
    r.scales.data<float>()[c] = s;
    for (std::int64_t o = 0; o < outer; ++o)
      for (std::int64_t i = 0; i < inner; ++i) {
        const std::int8_t q = q8(w.data<float>()[at(o, c, i)], s);
        r.q.data<std::int8_t>()[at(o, c, i)] = q;
        r.dq.data<float>()[at(o, c, i)] = static_cast<float>(q) * s;
      }
  }
  return r;
}

Tensor run_ok(const cpu::NodeInfo& node, const std::vector<const Tensor*>& in) {
  std::vector<Tensor> out;
  const Status st = nn::run(node, in, out);
  INFO(st.to_string());
  REQUIRE(st.ok());
  return out[0];
}

Tensor scalar(float v) {
  Tensor t = Tensor::allocate(DataType::kFloat32, Shape()).value();
  t.data<float>()[0] = v;
  return t;
}

/// The activation as the unfused ONNX op(s) compute it.
Tensor ref_activation(const std::string& act, float alpha, float beta, const Tensor& x) {
  if (act.empty()) return x;
  if (act == "SiLU") {
    Tensor s = run_ok(make_node("Sigmoid"), {&x});
    return run_ok(make_node("Mul"), {&x, &s});
  }
  auto node = make_node(act, act == "Gelu" ? 20 : 17);
  if (act == "Clip") {
    Tensor lo = scalar(alpha), hi = scalar(beta);
    return run_ok(node, {&x, &lo, &hi});
  }
  if (act == "LeakyRelu") node.attrs.set("alpha", alpha);
  if (act == "HardSigmoid") {
    node.attrs.set("alpha", alpha);
    node.attrs.set("beta", beta);
  }
  return run_ok(node, {&x});
}

void set_activation(cpu::NodeInfo& node, const std::string& act, float alpha, float beta) {
  if (act.empty()) return;
  node.attrs.set("activation", act);
  node.attrs.set("activation_alpha", alpha);
  node.attrs.set("activation_beta", beta);
}

/// An int8 output against the float reference quantized with `ys`: equal, except by one step
/// where the reference lies within float rounding of a rounding boundary (x.5).
void check_int8_output(const Tensor& out, const Tensor& ref, float ys) {
  REQUIRE(out.dtype() == DataType::kInt8);
  REQUIRE(out.shape() == ref.shape());
  std::int64_t boundary = 0;
  for (std::int64_t i = 0; i < out.numel(); ++i) {
    const float r = ref.data<float>()[i];
    const int expect = q8(r, ys), got = out.data<std::int8_t>()[i];
    if (got == expect) continue;
    const double t = std::fabs(static_cast<double>(r) / ys);
    INFO("element " << i << ": got " << got << ", expected " << expect << " (ref " << r
                    << " / y_scale " << ys << ")");
    REQUIRE(std::abs(got - expect) == 1);
    REQUIRE(std::fabs(t - std::floor(t) - 0.5) < 2e-3);
    ++boundary;
  }
  CHECK(boundary <= 1 + out.numel() / 1000);
}

// ---- The int8 GEMM

std::vector<std::int64_t> ref_gemm(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k,
                                   const std::int8_t* a, std::int64_t lda, const std::int8_t* b,
                                   std::int64_t ldb) {
  std::vector<std::int64_t> c(static_cast<std::size_t>(m * n), 0);
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      std::int64_t s = 0;
      for (std::int64_t p = 0; p < k; ++p)
        s += std::int64_t{ta ? a[p * lda + i] : a[i * lda + p]} *
             std::int64_t{tb ? b[j * ldb + p] : b[p * ldb + j]};
      c[i * n + j] = s;
    }
  return c;
}

void check_gemm_int8(std::int64_t m, std::int64_t n, std::int64_t k, bool ta, bool tb,
                     cpu::GemmInt8Path path, std::mt19937& rng, int lo = -128, int hi = 127) {
  INFO("m=" << m << " n=" << n << " k=" << k << " ta=" << ta << " tb=" << tb << " path="
            << (path == cpu::GemmInt8Path::kBest ? cpu::gemm_int8_kernel_name() : "portable"));
  // Leading dimensions larger than the rows, to catch stride mix-ups.
  const std::int64_t lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 2, ldc = n + 1;
  Tensor a = random_tensor(DataType::kInt8, Shape({ta ? k : m, lda}), rng, lo, hi);
  Tensor b = random_tensor(DataType::kInt8, Shape({tb ? n : k, ldb}), rng, lo, hi);
  std::vector<std::int32_t> c(static_cast<std::size_t>(m * ldc), 0x5a5a5a5a);
  cpu::gemm_int8(ta, tb, m, n, k, a.data<std::int8_t>(), lda, b.data<std::int8_t>(), ldb, c.data(),
                 ldc, path);
  const auto ref =
      ref_gemm(ta, tb, m, n, k, a.data<std::int8_t>(), lda, b.data<std::int8_t>(), ldb);
  std::int64_t bad = 0;
  for (std::int64_t i = 0; i < m; ++i) {
    for (std::int64_t j = 0; j < n; ++j) bad += c[i * ldc + j] != ref[i * n + j];
    bad += c[i * ldc + n] != 0x5a5a5a5a;  // the padding column stays untouched
  }
  CHECK(bad == 0);
}

TEST_CASE("gemm_int8 equals an int64 reference exactly", "[cpu][int8][gemm]") {
  struct Size {
    std::int64_t m, n, k;
  };
  // Odd sizes around the 6 x 16 register tile, the 256-pair K block and the 72 x 256 C blocks.
  const Size sizes[] = {{1, 1, 1},       {7, 13, 5},    {6, 16, 2},     {5, 17, 33},
                        {13, 31, 3},     {67, 45, 129}, {1, 1000, 257}, {300, 7, 600},
                        {77, 300, 1100}, {150, 513, 31}};
  std::mt19937 rng(11);
  for (auto path : {cpu::GemmInt8Path::kBest, cpu::GemmInt8Path::kPortable})
    for (const Size& s : sizes)
      for (int t = 0; t < 4; ++t) check_gemm_int8(s.m, s.n, s.k, t & 1, t & 2, path, rng);
}

TEST_CASE("gemm_int8 does not saturate at the int8 extremes", "[cpu][int8][gemm]") {
  // All -128 (the int16 pair sums reach 2 * 128 * 128 = 32768, one past int16) and all 127.
  std::mt19937 rng(3);
  for (auto path : {cpu::GemmInt8Path::kBest, cpu::GemmInt8Path::kPortable}) {
    check_gemm_int8(7, 21, 4001, false, false, path, rng, -128, -128);
    check_gemm_int8(7, 21, 4001, false, true, path, rng, 127, 127);
    check_gemm_int8(9, 40, 999, true, false, path, rng, -128, -127);
  }
}

TEST_CASE("gemm_int8 handles empty sizes", "[cpu][int8][gemm]") {
  std::vector<std::int32_t> c(6, 7);
  const std::int8_t a[6] = {1, 2, 3, 4, 5, 6};
  cpu::gemm_int8(false, false, 2, 3, 0, a, 1, a, 3, c.data(), 3);
  for (auto v : c) CHECK(v == 0);
  cpu::gemm_int8(false, false, 0, 3, 2, a, 2, a, 3, c.data(), 3);  // no rows: nothing written
}

// ---- ConvInt8 against the fake-quantized float ops

struct ConvQCase {
  std::vector<std::int64_t> x;  // N, C, spatial...
  std::int64_t m;
  std::vector<std::int64_t> k;
  std::int64_t group = 1;
  std::vector<std::int64_t> strides{};
  std::vector<std::int64_t> pads{};
  std::vector<std::int64_t> dilations{};
  bool bias = true;
  bool residual = false;
  std::string act{};
  float alpha = 0.f, beta = 0.f;
  std::vector<std::int64_t> pool_k{};  // empty: no pool
  std::vector<std::int64_t> pool_s{};
  std::vector<std::int64_t> pool_p{};
  bool pool_ceil = false;
};

std::string describe(const ConvQCase& c) {
  return "x=" + dims_str(c.x) + " m=" + std::to_string(c.m) + " k=" + dims_str(c.k) +
         " group=" + std::to_string(c.group) + " strides=" + dims_str(c.strides) +
         " pads=" + dims_str(c.pads) + " dilations=" + dims_str(c.dilations) +
         " bias=" + std::to_string(c.bias) + " residual=" + std::to_string(c.residual) +
         " act=" + c.act + " pool=" + dims_str(c.pool_k) + "/" + dims_str(c.pool_s) + "/" +
         dims_str(c.pool_p) + (c.pool_ceil ? " ceil" : "");
}

void set_conv_attrs(cpu::NodeInfo& n, const ConvQCase& c) {
  if (c.group != 1) n.attrs.set("group", c.group);
  if (!c.strides.empty()) n.attrs.set("strides", c.strides);
  if (!c.pads.empty()) n.attrs.set("pads", c.pads);
  if (!c.dilations.empty()) n.attrs.set("dilations", c.dilations);
}

cpu::NodeInfo max_pool_node(const ConvQCase& c) {
  auto n = make_node("MaxPool");
  n.attrs.set("kernel_shape", c.pool_k);
  if (!c.pool_s.empty()) n.attrs.set("strides", c.pool_s);
  if (!c.pool_p.empty()) n.attrs.set("pads", c.pool_p);
  if (c.pool_ceil) n.attrs.set("ceil_mode", std::int64_t{1});
  return n;
}

const std::vector<ConvQCase>& conv_cases() {
  static const std::vector<ConvQCase> cases = {
      {{1, 3, 9, 9}, 5, {3, 3}, 1, {}, {1, 1, 1, 1}},
      {{2, 16, 12, 11}, 24, {3, 3}, 1, {2, 2}, {1, 1, 1, 1}, {}, true, true, "Relu"},
      {{1, 8, 10, 10}, 8, {3, 3}, 8, {1, 1}, {1, 1, 1, 1}, {}, true, false, "Clip", 0.f, 6.f},
      {{1, 8, 11, 11}, 16, {3, 3}, 8, {2, 2}, {1, 1, 1, 1}, {}, false, true, "LeakyRelu", 0.1f},
      {{1, 12, 9, 8}, 6, {3, 3}, 3, {1, 1}, {2, 1, 0, 1}, {2, 2}, true, false, "HardSwish"},
      {{2, 32, 7, 7}, 40, {1, 1}, 1, {}, {}, {}, true, true, "Sigmoid"},
      {{1, 32, 8, 8}, 16, {1, 1}, 2, {2, 2}, {}, {}, true, false, "Tanh"},
      {{1, 16, 14, 14},
       8,
       {3, 3},
       1,
       {1, 1},
       {1, 1, 1, 1},
       {},
       true,
       false,
       "Relu",
       0,
       0,
       {2, 2},
       {2, 2}},
      {{1, 8, 13, 13},
       8,
       {3, 3},
       1,
       {1, 1},
       {1, 1, 1, 1},
       {},
       true,
       true,
       "HardSigmoid",
       0.2f,
       0.5f,
       {3, 3},
       {2, 2},
       {1, 1, 1, 1}},
      {{1, 4, 9, 10},
       6,
       {3, 3},
       2,
       {1, 1},
       {0, 0, 0, 0},
       {},
       true,
       false,
       "SiLU",
       0,
       0,
       {2, 2},
       {2, 2},
       {},
       true},
      {{1, 6, 10, 10}, 6, {5, 5}, 6, {1, 1}, {2, 2, 2, 2}, {}, true, true, "Gelu"},
      {{2, 5, 30}, 7, {3}, 1, {2}, {1, 1}, {}, true, true, "Relu", 0, 0, {2}, {2}},  // 1-D
      {{1, 3, 5, 6, 5}, 4, {3, 3, 3}, 1, {1, 1, 1}, {1, 1, 1, 1, 1, 1}},             // 3-D
      // Wide enough for the tiled im2col (K = 576), several C blocks and threads.
      {{1, 64, 30, 30}, 80, {3, 3}, 1, {1, 1}, {1, 1, 1, 1}, {}, true, true, "Relu"},
  };
  return cases;
}

TEST_CASE("ConvInt8 equals the float ops on dequantized data", "[cpu][int8][conv]") {
  std::mt19937 rng(2024);
  for (const ConvQCase& c : conv_cases()) {
    std::vector<std::int64_t> wd = {c.m, c.x[1] / c.group};
    wd.insert(wd.end(), c.k.begin(), c.k.end());
    Tensor x = random_tensor(DataType::kFloat32, Shape(c.x), rng);
    Tensor w = random_tensor(DataType::kFloat32, Shape(wd), rng);
    Tensor b = random_tensor(DataType::kFloat32, Shape({c.m}), rng, -0.5, 0.5);
    const float xs = max_abs(x) / 127.f;
    Tensor xq = quant(x, xs), xdq = dequant(xq, xs);
    ChannelQuant wq = quant_channels(w, 0);

    auto conv = make_node("Conv");
    set_conv_attrs(conv, c);
    std::vector<const Tensor*> cin = {&xdq, &wq.dq};
    if (c.bias) cin.push_back(&b);
    Tensor conv_out = run_ok(conv, cin);
    Tensor z = random_tensor(DataType::kFloat32, conv_out.shape(), rng);
    const float zs = max_abs(z) / 127.f;
    Tensor zq = quant(z, zs), zdq = dequant(zq, zs);

    for (int variant = 0; variant < 4; ++variant) {
      const bool x_int8 = variant & 1, y_int8 = variant & 2, z_int8 = !x_int8;
      INFO(describe(c) << " x " << (x_int8 ? "int8" : "float") << " y "
                       << (y_int8 ? "int8" : "float") << " z " << (z_int8 ? "int8" : "float"));
      Tensor ref = conv_out;
      if (c.residual) ref = run_ok(make_node("Add"), {&ref, z_int8 ? &zdq : &z});
      ref = ref_activation(c.act, c.alpha, c.beta, ref);
      if (!c.pool_k.empty()) ref = run_ok(max_pool_node(c), {&ref});

      auto node = make_node("ConvInt8");
      set_conv_attrs(node, c);
      set_activation(node, c.act, c.alpha, c.beta);
      if (!c.pool_k.empty()) {
        node.attrs.set("pool", std::int64_t{1});
        node.attrs.set("pool_kernel_shape", c.pool_k);
        if (!c.pool_s.empty()) node.attrs.set("pool_strides", c.pool_s);
        if (!c.pool_p.empty()) node.attrs.set("pool_pads", c.pool_p);
        if (c.pool_ceil) node.attrs.set("pool_ceil_mode", std::int64_t{1});
      }
      node.attrs.set("x_scale", xs);
      if (c.residual && z_int8) node.attrs.set("z_scale", zs);
      // 0.8 of the range: some outputs saturate, which the test must see too.
      const float ys = 0.8f * max_abs(ref) / 127.f;
      if (y_int8) node.attrs.set("y_scale", ys);
      std::vector<const Tensor*> in = {x_int8 ? &xq : &x, &wq.q, &wq.scales, c.bias ? &b : nullptr};
      if (c.residual) in.push_back(z_int8 ? &zq : &z);
      Tensor out = run_ok(node, in);
      REQUIRE(out.shape() == ref.shape());
      if (y_int8) {
        check_int8_output(out, ref, ys);
      } else {
        REQUIRE(out.dtype() == DataType::kFloat32);
        CHECK(rel_l2(out, ref) < 1e-5);
      }
    }
  }
}

// ---- GemmInt8 against the fake-quantized Gemm

struct GemmQCase {
  std::vector<std::int64_t> a;  // A's shape as given (transposed when ta)
  std::int64_t n;
  bool ta = false, tb = false;
  float alpha = 1.f, beta = 1.f;
  std::vector<std::int64_t> c{};  // empty: no C
  std::string act{};
  float act_alpha = 0.f, act_beta = 0.f;
};

TEST_CASE("GemmInt8 equals Gemm on dequantized data", "[cpu][int8][gemm]") {
  const std::vector<GemmQCase> cases = {
      {{1, 64}, 10},
      {{5, 33}, 17, false, true, 1.f, 1.f, {17}},
      {{33, 5}, 17, true, false, 0.5f, 2.f, {5, 17}, "Relu"},
      {{40, 70}, 29, true, true, 1.f, 0.5f, {1, 29}, "Tanh"},
      {{7, 300}, 1000, false, true, 1.f, 1.f, {1000}, "Clip", -0.5f, 0.5f},
      {{2, 3, 48}, 20, false, true, 1.f, 1.f, {20}, "LeakyRelu", 0.2f},  // MatMul semantics
      {{2, 4, 5, 16}, 9, false, false, 2.f, 1.f, {1, 9}, "Sigmoid"},
      {{64, 257}, 130, false, false, 1.f, 1.f, {64, 1}},
  };
  std::mt19937 rng(99);
  for (const GemmQCase& c : cases) {
    const std::int64_t k = c.ta ? c.a[0] : c.a.back();
    Tensor a = random_tensor(DataType::kFloat32, Shape(c.a), rng);
    Tensor b = random_tensor(DataType::kFloat32, c.tb ? Shape({c.n, k}) : Shape({k, c.n}), rng);
    Tensor bias = c.c.empty() ? Tensor() : random_tensor(DataType::kFloat32, Shape(c.c), rng);
    const float xs = max_abs(a) / 127.f;
    Tensor aq = quant(a, xs), adq = dequant(aq, xs);
    ChannelQuant bq = quant_channels(b, c.tb ? 0 : 1);
    // The reference Gemm is 2-D: leading dims of A fold into rows (MatMul semantics).
    std::int64_t rows = 1;
    for (std::size_t d = 0; d + 1 < c.a.size(); ++d) rows *= c.a[d];
    Tensor a2 = c.ta ? adq : adq.reshaped(Shape({rows, k})).value();
    auto gemm = make_node("Gemm");
    gemm.attrs.set("transA", std::int64_t{c.ta});
    gemm.attrs.set("transB", std::int64_t{c.tb});
    gemm.attrs.set("alpha", c.alpha);
    gemm.attrs.set("beta", c.beta);
    std::vector<const Tensor*> gin = {&a2, &bq.dq};
    if (!c.c.empty()) gin.push_back(&bias);
    Tensor ref = run_ok(gemm, gin);
    std::vector<std::int64_t> od = c.a;
    if (c.ta) {
      od = {c.a[1], c.n};
    } else {
      od.back() = c.n;
    }
    ref = ref.reshaped(Shape(od)).value();
    ref = ref_activation(c.act, c.act_alpha, c.act_beta, ref);
    for (int variant = 0; variant < 4; ++variant) {
      const bool x_int8 = variant & 1, y_int8 = variant & 2;
      INFO("A=" << dims_str(c.a) << " n=" << c.n << " ta=" << c.ta << " tb=" << c.tb
                << " C=" << dims_str(c.c) << " act=" << c.act << " x_int8=" << x_int8
                << " y_int8=" << y_int8);
      auto node = make_node("GemmInt8");
      node.attrs.set("transA", std::int64_t{c.ta});
      node.attrs.set("transB", std::int64_t{c.tb});
      node.attrs.set("alpha", c.alpha);
      node.attrs.set("beta", c.beta);
      set_activation(node, c.act, c.act_alpha, c.act_beta);
      node.attrs.set("x_scale", xs);
      const float ys = 0.8f * max_abs(ref) / 127.f;
      if (y_int8) node.attrs.set("y_scale", ys);
      std::vector<const Tensor*> in = {x_int8 ? &aq : &a, &bq.q, &bq.scales};
      if (!c.c.empty()) in.push_back(&bias);
      Tensor out = run_ok(node, in);
      REQUIRE(out.shape() == ref.shape());
      if (y_int8) {
        check_int8_output(out, ref, ys);
      } else {
        CHECK(rel_l2(out, ref) < 1e-5);
      }
    }
  }
}

// ---- Quantization error against the true float32 ops

TEST_CASE("int8 layers stay within the stated error of float32", "[cpu][int8]") {
  // docs/precision.md: per-tensor max-abs activation scales and per-channel weight scales on
  // uniform data give a relative L2 error of about sqrt(2 / 12) * 2 / 127 * sqrt(3) / 2 ~ 0.56%
  // (input and weight rounding, each uniform in half a step); requantizing the output adds a
  // third such term. Bounds: 1% for float outputs, 1.5% for int8 outputs.
  std::mt19937 rng(8);
  Tensor x = random_tensor(DataType::kFloat32, Shape({1, 32, 20, 20}), rng);
  Tensor w = random_tensor(DataType::kFloat32, Shape({48, 32, 3, 3}), rng);
  Tensor b = random_tensor(DataType::kFloat32, Shape({48}), rng, -0.1, 0.1);
  auto conv = make_node("Conv");
  conv.attrs.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  Tensor ref = run_ok(conv, {&x, &w, &b});
  ChannelQuant wq = quant_channels(w, 0);
  auto node = make_node("ConvInt8");
  node.attrs.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  node.attrs.set("x_scale", max_abs(x) / 127.f);
  Tensor out = run_ok(node, {&x, &wq.q, &wq.scales, &b});
  const double err = rel_l2(out, ref);
  node.attrs.set("y_scale", max_abs(ref) / 127.f);
  Tensor out8 = run_ok(node, {&x, &wq.q, &wq.scales, &b});
  const double err8 = rel_l2(dequant(out8, max_abs(ref) / 127.f), ref);

  Tensor a = random_tensor(DataType::kFloat32, Shape({16, 256}), rng);
  Tensor wb = random_tensor(DataType::kFloat32, Shape({100, 256}), rng);
  auto gemm = make_node("Gemm");
  gemm.attrs.set("transB", std::int64_t{1});
  Tensor gref = run_ok(gemm, {&a, &wb});
  ChannelQuant bq = quant_channels(wb, 0);
  auto gnode = make_node("GemmInt8");
  gnode.attrs.set("transB", std::int64_t{1});
  gnode.attrs.set("x_scale", max_abs(a) / 127.f);
  const double gerr = rel_l2(run_ok(gnode, {&a, &bq.q, &bq.scales}), gref);
  std::printf("int8 vs float32 rel L2: conv %.4f, conv int8 out %.4f, gemm %.4f\n", err, err8,
              gerr);
  CHECK(err < 1e-2);
  CHECK(err8 < 1.5e-2);
  CHECK(gerr < 1e-2);
  CHECK(err > 1e-4);  // it is int8: an error of 0 would mean the test compared float with float
}

// ---- Errors and shape inference

TEST_CASE("ConvInt8 and GemmInt8 reject malformed inputs", "[cpu][int8]") {
  std::mt19937 rng(5);
  Tensor x = random_tensor(DataType::kFloat32, Shape({1, 4, 6, 6}), rng);
  Tensor xq = random_tensor(DataType::kInt8, Shape({1, 4, 6, 6}), rng, -127, 127);
  Tensor w = random_tensor(DataType::kInt8, Shape({6, 4, 3, 3}), rng, -127, 127);
  Tensor wf = random_tensor(DataType::kFloat32, Shape({6, 4, 3, 3}), rng);
  Tensor s6 = random_tensor(DataType::kFloat32, Shape({6}), rng, 0.01, 0.02);
  Tensor s5 = random_tensor(DataType::kFloat32, Shape({5}), rng, 0.01, 0.02);
  Tensor zbad = random_tensor(DataType::kFloat32, Shape({1, 6, 5, 5}), rng);
  Tensor zq = random_tensor(DataType::kInt8, Shape({1, 6, 4, 4}), rng, -127, 127);
  auto node = make_node("ConvInt8");
  node.attrs.set("x_scale", 0.01f);
  std::vector<Tensor> out;
  auto fails = [&](const cpu::NodeInfo& n, std::vector<const Tensor*> in, StatusCode code,
                   const char* needle) {
    const Status st = nn::run(n, in, out);
    INFO(st.to_string());
    CHECK(st.code() == code);
    CHECK(st.message().find(needle) != std::string::npos);
  };
  fails(node, {&x, &wf, &s6}, StatusCode::kUnsupported, "input 1 must be int8");
  fails(node, {&x, &w, &s5}, StatusCode::kInvalidArgument, "w_scale");
  fails(node, {&x, &w, &s6, &s6, &zbad}, StatusCode::kInvalidArgument, "residual Z");
  fails(node, {&x, &w, &s6, nullptr, &zq}, StatusCode::kInvalidArgument, "z_scale");
  auto no_scale = make_node("ConvInt8");
  fails(no_scale, {&xq, &w, &s6}, StatusCode::kInvalidArgument, "x_scale");
  auto bad_act = node;
  bad_act.attrs.set("activation", "Softmax");
  fails(bad_act, {&x, &w, &s6}, StatusCode::kUnsupported, "Softmax");
  auto bad_pool = node;
  bad_pool.attrs.set("pool", std::int64_t{1});
  fails(bad_pool, {&x, &w, &s6}, StatusCode::kInvalidArgument, "pool_kernel_shape");
  auto neg = node;
  neg.attrs.set("y_scale", -1.f);
  fails(neg, {&x, &w, &s6}, StatusCode::kInvalidArgument, "y_scale");

  auto g = make_node("GemmInt8");
  g.attrs.set("x_scale", 0.01f);
  Tensor a = random_tensor(DataType::kFloat32, Shape({3, 8}), rng);
  Tensor b = random_tensor(DataType::kInt8, Shape({8, 6}), rng, -127, 127);
  Tensor c = random_tensor(DataType::kFloat32, Shape({4, 6}), rng);
  fails(g, {&a, &b, &s5}, StatusCode::kInvalidArgument, "w_scale");
  fails(g, {&a, &b, &s6, &c}, StatusCode::kInvalidArgument, "cannot be broadcast");
  auto g_no_scale = make_node("GemmInt8");
  fails(g_no_scale, {&a, &b, &s6}, StatusCode::kInvalidArgument, "x_scale");
  Tensor b3 = random_tensor(DataType::kInt8, Shape({7, 6}), rng, -127, 127);
  fails(g, {&a, &b3, &s6}, StatusCode::kInvalidArgument, "inner dims");
}

TEST_CASE("ConvInt8 and GemmInt8 infer shapes with unknown dims", "[cpu][int8]") {
  const std::int64_t u = Shape::kUnknownDim;
  auto node = make_node("ConvInt8");
  node.attrs.set("x_scale", 0.1f);
  node.attrs.set("y_scale", 0.2f);
  node.attrs.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  node.attrs.set("pool", std::int64_t{1});
  node.attrs.set("pool_kernel_shape", std::vector<std::int64_t>{2, 2});
  node.attrs.set("pool_strides", std::vector<std::int64_t>{2, 2});
  std::vector<cpu::TensorInfo> out;
  REQUIRE(nn::infer(node,
                    {{DataType::kFloat32, Shape({u, 8, 16, u})},
                     {DataType::kInt8, Shape({12, 8, 3, 3})},
                     {DataType::kFloat32, Shape({12})}},
                    out)
              .ok());
  CHECK(out[0].dtype == DataType::kInt8);
  CHECK(out[0].shape == Shape({u, 12, 8, u}));

  auto g = make_node("GemmInt8");
  g.attrs.set("x_scale", 0.1f);
  g.attrs.set("transB", std::int64_t{1});
  REQUIRE(nn::infer(g,
                    {{DataType::kInt8, Shape({u, 7, 32})},
                     {DataType::kInt8, Shape({10, 32})},
                     {DataType::kFloat32, Shape({10})}},
                    out)
              .ok());
  CHECK(out[0].dtype == DataType::kFloat32);
  CHECK(out[0].shape == Shape({u, 7, 10}));
}

// ---- Timing (informational): the int8 GEMM against sgemm on a ResNet-sized conv GEMM

TEST_CASE("gemm_int8 timing against sgemm (informational)", "[cpu][int8][timing]") {
  struct Size {
    std::int64_t m, n, k;
  };
  const Size sizes[] = {{256, 3136, 576}, {64, 3136, 576}, {512, 196, 4608}, {1, 1000, 1280}};
  std::mt19937 rng(1);
  for (const Size& s : sizes) {
    Tensor a = random_tensor(DataType::kInt8, Shape({s.m, s.k}), rng, -127, 127);
    Tensor b = random_tensor(DataType::kInt8, Shape({s.k, s.n}), rng, -127, 127);
    Tensor af = random_tensor(DataType::kFloat32, Shape({s.m, s.k}), rng);
    Tensor bf = random_tensor(DataType::kFloat32, Shape({s.k, s.n}), rng);
    std::vector<std::int32_t> c(static_cast<std::size_t>(s.m * s.n));
    std::vector<float> cf(c.size());
    auto best_of = [](int reps, auto&& f) {
      double best = 1e30;
      for (int r = 0; r < reps; ++r) {
        auto t0 = std::chrono::steady_clock::now();
        f();
        best = std::min(
            best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      }
      return best;
    };
    const double ti = best_of(5, [&] {
      cpu::gemm_int8(false, false, s.m, s.n, s.k, a.data<std::int8_t>(), s.k, b.data<std::int8_t>(),
                     s.n, c.data(), s.n);
    });
    const double tp = best_of(3, [&] {
      cpu::gemm_int8(false, false, s.m, s.n, s.k, a.data<std::int8_t>(), s.k, b.data<std::int8_t>(),
                     s.n, c.data(), s.n, cpu::GemmInt8Path::kPortable);
    });
    const double tf = best_of(5, [&] {
      cpu::sgemm(false, false, s.m, s.n, s.k, 1.f, af.data<float>(), s.k, bf.data<float>(), s.n,
                 0.f, cf.data(), s.n);
    });
    const double macs = static_cast<double>(s.m * s.n * s.k);
    std::printf(
        "%4lldx%5lldx%5lld  int8 %s %7.2f ms (%6.1f GMAC/s)  portable %7.2f ms  "
        "sgemm %7.2f ms (%6.1f GMAC/s)  int8/sgemm speed-up %.2fx\n",
        static_cast<long long>(s.m), static_cast<long long>(s.n), static_cast<long long>(s.k),
        cpu::gemm_int8_kernel_name(), ti * 1e3, macs / ti * 1e-9, tp * 1e3, tf * 1e3,
        macs / tf * 1e-9, tf / ti);
    CHECK(ti > 0);
  }
}

TEST_CASE("ConvInt8 timing against Conv (informational)", "[cpu][int8][timing]") {
  struct Layer {
    const char* name;
    std::vector<std::int64_t> x;
    std::int64_t m, k, stride, group;
  };
  const Layer layers[] = {
      {"1x64x56x56 -> 64, 3x3", {1, 64, 56, 56}, 64, 3, 1, 1},
      {"1x256x56x56 -> 64, 1x1", {1, 256, 56, 56}, 64, 1, 1, 1},
      {"1x512x7x7 -> 512, 3x3", {1, 512, 7, 7}, 512, 3, 1, 1},
      {"1x96x56x56 depthwise 3x3", {1, 96, 56, 56}, 96, 3, 1, 96},
  };
  std::mt19937 rng(2);
  for (const Layer& l : layers) {
    const std::int64_t pad = l.k / 2;
    Tensor x = random_tensor(DataType::kFloat32, Shape(l.x), rng);
    Tensor w = random_tensor(DataType::kFloat32, Shape({l.m, l.x[1] / l.group, l.k, l.k}), rng);
    Tensor b = random_tensor(DataType::kFloat32, Shape({l.m}), rng);
    ChannelQuant wq = quant_channels(w, 0);
    auto conv = make_node("Conv");
    conv.attrs.set("pads", std::vector<std::int64_t>{pad, pad, pad, pad});
    conv.attrs.set("group", l.group);
    auto q = make_node("ConvInt8");
    q.attrs = conv.attrs;
    q.attrs.set("x_scale", max_abs(x) / 127.f);
    std::vector<Tensor> out;
    auto best_of = [&](const cpu::NodeInfo& n, std::vector<const Tensor*> in) {
      REQUIRE(nn::run(n, in, out).ok());
      double best = 1e30;
      for (int r = 0; r < 5; ++r) {
        auto t0 = std::chrono::steady_clock::now();
        REQUIRE(nn::run(n, in, out).ok());
        best = std::min(
            best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      }
      return best;
    };
    const double tf = best_of(conv, {&x, &w, &b});
    const double tq = best_of(q, {&x, &wq.q, &wq.scales, &b});
    std::printf("%-28s Conv %7.3f ms  ConvInt8 (float in/out) %7.3f ms  speed-up %.2fx\n", l.name,
                tf * 1e3, tq * 1e3, tf / tq);
    CHECK(tq > 0);
  }
}

}  // namespace
}  // namespace edgert::test
