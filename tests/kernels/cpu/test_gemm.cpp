// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Gemm / MatMul against naive triple loops.

#include <random>

#include <catch2/catch.hpp>

#include "nn_test_helpers.h"
#include "test_util.h"

namespace edgert::test {
namespace {

using nn::dims_str;
using nn::make_node;

TEST_CASE("Gemm matches a naive product", "[nn][gemm]") {
  struct Case {
    std::int64_t m, n, k;
    bool ta, tb;
    float alpha, beta;
    std::vector<std::int64_t> c;  // {} = no C; else C's shape
    bool has_c;
  };
  const std::vector<Case> cases = {
      {3, 4, 5, false, false, 1.0f, 1.0f, {}, false},
      {3, 4, 5, true, false, 1.0f, 1.0f, {3, 4}, true},
      {3, 4, 5, false, true, 0.5f, 2.0f, {4}, true},
      {3, 4, 5, true, true, 0.25f, 0.35f, {3, 1}, true},
      {3, 4, 5, false, false, 1.0f, 1.0f, {1}, true},
      {3, 4, 5, false, false, 1.0f, 1.0f, {}, true},  // scalar C
      {3, 4, 5, false, true, 1.0f, 0.0f, {3, 4}, true},
      {1, 1000, 2048, false, true, 1.0f, 1.0f, {1000}, true},  // classifier head
      {64, 96, 80, true, true, -1.5f, 0.5f, {1, 96}, true},
  };
  std::mt19937 rng(21);
  for (const auto& c : cases) {
    INFO("M=" << c.m << " N=" << c.n << " K=" << c.k << " transA=" << c.ta << " transB=" << c.tb
              << " alpha=" << c.alpha << " beta=" << c.beta << " C=" << dims_str(c.c)
              << " hasC=" << c.has_c);
    Tensor a = random_tensor(DataType::kFloat32, c.ta ? Shape({c.k, c.m}) : Shape({c.m, c.k}), rng);
    Tensor b = random_tensor(DataType::kFloat32, c.tb ? Shape({c.n, c.k}) : Shape({c.k, c.n}), rng);
    Tensor cc = random_tensor(DataType::kFloat32, Shape(c.c), rng);
    auto node = make_node("Gemm");
    node.attrs.set("alpha", c.alpha);
    node.attrs.set("beta", c.beta);
    node.attrs.set("transA", std::int64_t{c.ta});
    node.attrs.set("transB", std::int64_t{c.tb});
    std::vector<const Tensor*> in = {&a, &b};
    if (c.has_c) in.push_back(&cc);
    std::vector<Tensor> out;
    REQUIRE(nn::run(node, in, out).ok());
    Tensor ref = Tensor::allocate(DataType::kFloat32, Shape({c.m, c.n})).value();
    for (std::int64_t i = 0; i < c.m; ++i)
      for (std::int64_t j = 0; j < c.n; ++j) {
        double s = 0;
        for (std::int64_t p = 0; p < c.k; ++p)
          s += double{a.data<float>()[c.ta ? p * c.m + i : i * c.k + p]} *
               b.data<float>()[c.tb ? j * c.k + p : p * c.n + j];
        double cv = 0;
        if (c.has_c) {
          const std::int64_t r = c.c.size() == 2 && c.c[0] != 1 ? i : 0;
          const std::int64_t col = !c.c.empty() && c.c.back() != 1 ? j : 0;
          cv = cc.data<float>()[r * (c.c.empty() ? 1 : c.c.back()) + col];
        }
        ref.data<float>()[i * c.n + j] = static_cast<float>(c.alpha * s + c.beta * cv);
      }
    CHECK(rel_l2(out[0], ref) < 1e-5);
  }
}

TEST_CASE("Gemm errors and inference", "[nn][gemm]") {
  std::mt19937 rng(22);
  std::vector<Tensor> out;
  Tensor a = random_tensor(DataType::kFloat32, Shape({3, 4}), rng);
  Tensor b = random_tensor(DataType::kFloat32, Shape({5, 6}), rng);
  CHECK(nn::run(make_node("Gemm"), {&a, &b}, out).code() == StatusCode::kInvalidArgument);
  Tensor b2 = random_tensor(DataType::kFloat32, Shape({4, 6}), rng);
  Tensor c_bad = random_tensor(DataType::kFloat32, Shape({2, 6}), rng);
  CHECK(nn::run(make_node("Gemm"), {&a, &b2, &c_bad}, out).code() == StatusCode::kInvalidArgument);
  Tensor a3 = random_tensor(DataType::kFloat32, Shape({1, 3, 4}), rng);
  CHECK(nn::run(make_node("Gemm"), {&a3, &b2}, out).code() == StatusCode::kInvalidArgument);
  Tensor ai = random_tensor(DataType::kInt32, Shape({3, 4}), rng, -3, 3);
  Tensor bi = random_tensor(DataType::kInt32, Shape({4, 6}), rng, -3, 3);
  CHECK(nn::run(make_node("Gemm"), {&ai, &bi}, out).code() == StatusCode::kUnsupported);
  std::vector<cpu::TensorInfo> outs;
  const std::int64_t u = Shape::kUnknownDim;
  auto node = make_node("Gemm");
  node.attrs.set("transB", std::int64_t{1});
  REQUIRE(nn::infer(node,
                    {{DataType::kFloat32, Shape({u, 2048})},
                     {DataType::kFloat32, Shape({1000, 2048})},
                     {DataType::kFloat32, Shape({1000})}},
                    outs)
              .ok());
  CHECK(outs[0].shape == Shape({u, 1000}));
}

TEST_CASE("MatMul matches naive batched products", "[nn][gemm]") {
  struct Case {
    std::vector<std::int64_t> a, b;
  };
  const std::vector<Case> cases = {
      {{3, 4}, {4, 5}},
      {{2, 3, 4}, {2, 4, 5}},
      {{2, 3, 4}, {4, 5}},         // shared B
      {{4}, {4, 5}},               // 1-D A
      {{3, 4}, {4}},               // 1-D B
      {{4}, {4}},                  // dot
      {{2, 1, 3, 4}, {5, 4, 2}},   // broadcast batch dims
      {{1, 3, 4}, {6, 4, 2}},      // broadcast A
      {{6}, {2, 3, 6, 5}},         // 1-D A against batches
      {{2, 3, 7, 6}, {6}},         // batches against 1-D B
      {{8, 64, 32}, {8, 32, 64}},  // attention-sized batches
      {{256, 512}, {512, 128}},
      {{3, 0, 4}, {4, 5}},  // empty
  };
  std::mt19937 rng(23);
  for (const auto& c : cases) {
    INFO("A=" << dims_str(c.a) << " B=" << dims_str(c.b));
    Tensor a = random_tensor(DataType::kFloat32, Shape(c.a), rng);
    Tensor b = random_tensor(DataType::kFloat32, Shape(c.b), rng);
    std::vector<Tensor> out;
    REQUIRE(nn::run(make_node("MatMul"), {&a, &b}, out).ok());
    // numpy semantics, written out: promote 1-D, broadcast batch dims, then strip.
    std::vector<std::int64_t> ad = c.a, bd = c.b;
    if (ad.size() == 1) ad.insert(ad.begin(), 1);
    if (bd.size() == 1) bd.push_back(1);
    const std::int64_t m = ad[ad.size() - 2], k = ad.back(), n = bd.back();
    const std::size_t br = std::max(ad.size(), bd.size()) - 2;
    std::vector<std::int64_t> abat(br, 1), bbat(br, 1), obat(br);
    for (std::size_t i = 0; i + 2 < ad.size(); ++i) abat[br - (ad.size() - 2) + i] = ad[i];
    for (std::size_t i = 0; i + 2 < bd.size(); ++i) bbat[br - (bd.size() - 2) + i] = bd[i];
    std::int64_t batches = 1;
    for (std::size_t i = 0; i < br; ++i) {
      obat[i] = std::max(abat[i], bbat[i]);
      batches *= obat[i];
    }
    std::vector<std::int64_t> expect_shape = obat;
    if (c.a.size() > 1) expect_shape.push_back(m);
    if (c.b.size() > 1) expect_shape.push_back(n);
    REQUIRE(out[0].shape() == Shape(expect_shape));
    Tensor ref = Tensor::allocate(DataType::kFloat32, Shape(expect_shape)).value();
    for (std::int64_t bi = 0; bi < batches; ++bi) {
      std::int64_t rem = bi, aoff = 0, boff = 0, astride = 1, bstride = 1;
      for (std::size_t d = br; d-- > 0;) {
        const std::int64_t idx = rem % obat[d];
        rem /= obat[d];
        aoff += (abat[d] == 1 ? 0 : idx) * astride;
        boff += (bbat[d] == 1 ? 0 : idx) * bstride;
        astride *= abat[d];
        bstride *= bbat[d];
      }
      for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t j = 0; j < n; ++j) {
          double s = 0;
          for (std::int64_t p = 0; p < k; ++p)
            s += double{a.data<float>()[aoff * m * k + i * k + p]} *
                 b.data<float>()[boff * k * n + p * n + j];
          ref.data<float>()[(bi * m + i) * n + j] = static_cast<float>(s);
        }
    }
    CHECK(rel_l2(out[0], ref) < 1e-5);
  }
}

TEST_CASE("MatMul errors and inference", "[nn][gemm]") {
  std::mt19937 rng(24);
  std::vector<Tensor> out;
  Tensor a = random_tensor(DataType::kFloat32, Shape({2, 3, 4}), rng);
  Tensor b = random_tensor(DataType::kFloat32, Shape({2, 5, 6}), rng);
  CHECK(nn::run(make_node("MatMul"), {&a, &b}, out).code() == StatusCode::kInvalidArgument);
  Tensor b2 = random_tensor(DataType::kFloat32, Shape({3, 4, 6}), rng);  // batch 2 vs 3
  CHECK(nn::run(make_node("MatMul"), {&a, &b2}, out).code() == StatusCode::kInvalidArgument);
  Tensor s = random_tensor(DataType::kFloat32, Shape({}), rng);
  CHECK(nn::run(make_node("MatMul"), {&s, &b}, out).code() == StatusCode::kInvalidArgument);
  std::vector<cpu::TensorInfo> outs;
  const std::int64_t u = Shape::kUnknownDim;
  REQUIRE(nn::infer(
              make_node("MatMul"),
              {{DataType::kFloat32, Shape({u, u, 768})}, {DataType::kFloat32, Shape({768, 3072})}},
              outs)
              .ok());
  CHECK(outs[0].shape == Shape({u, u, 3072}));
  REQUIRE(
      nn::infer(make_node("MatMul"),
                {{DataType::kFloat32, Shape::unknown()}, {DataType::kFloat32, Shape({768, 3072})}},
                outs)
          .ok());
  CHECK(outs[0].shape.unknown_rank());
}

}  // namespace
}  // namespace edgert::test
