// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Tests of Gather, GatherElements, GatherND, ScatterElements, ScatterND and OneHot against naive
// index computations.
#include <cstring>
#include <random>

#include <catch2/catch.hpp>

#include "edgert/half.h"
#include "kernels/cpu/op_def.h"
#include "tensor_test_helpers.h"
#include "test_util.h"

namespace edgert::cpu {
namespace {

using namespace tensor_test;  // NOLINT: the shared helpers of this family

// Random indices in [-dim, dim) (negative ones included) of type t.
Tensor rand_indices(DataType t, const Shape& s, std::int64_t dim, std::mt19937& rng) {
  return test::random_tensor(t, s, rng, static_cast<double>(-dim), static_cast<double>(dim - 1));
}

Tensor ints(std::vector<std::int64_t> v, Shape s) {
  Tensor x = Tensor::allocate(DataType::kInt64, std::move(s)).value();
  std::copy(v.begin(), v.end(), x.data<std::int64_t>());
  return x;
}

constexpr std::int64_t kU = Shape::kUnknownDim;

}  // namespace

TEST_CASE("Gather: every axis, dtypes, negative and int32 indices", "[cpu][tensor]") {
  std::mt19937 rng(21);
  const std::vector<std::int64_t> dims = {3, 4, 5};
  for (DataType t : kAllTypes) {
    Tensor x = rand_data(t, Shape(dims), rng);
    for (std::int64_t axis : {0, 1, 2, -1}) {
      const std::int64_t a = axis < 0 ? axis + 3 : axis;
      DataType it = axis % 2 ? DataType::kInt32 : DataType::kInt64;
      Tensor idx = rand_indices(it, Shape{2, 3}, dims[a], rng);
      INFO(dtype_name(t) << " axis " << axis << " indices " << dtype_name(it));
      NodeInfo n = node("Gather", 13);
      n.attrs.set("axis", axis);
      Tensor out;
      REQUIRE(run1(n, {&x, &idx}, out).ok());
      std::vector<std::int64_t> od;
      for (std::int64_t d = 0; d < a; ++d) od.push_back(dims[d]);
      od.push_back(2);
      od.push_back(3);
      for (std::int64_t d = a + 1; d < 3; ++d) od.push_back(dims[d]);
      REQUIRE(out.shape() == Shape(od));
      bool ok = true;
      for (std::int64_t i = 0; i < out.numel(); ++i) {
        auto o = unravel(i, od);
        std::vector<std::int64_t> src;
        for (std::int64_t d = 0; d < a; ++d) src.push_back(o[d]);
        std::int64_t k = idx.get_as_int64(o[a] * 3 + o[a + 1]);
        src.push_back(k < 0 ? k + dims[a] : k);
        for (std::int64_t d = a + 1; d < 3; ++d) src.push_back(o[d + 1]);
        ok = ok && same_elem(out, i, x, ravel(src, dims));
      }
      CHECK(ok);
    }
  }
  Tensor x = rand_data(DataType::kFloat32, Shape{3, 4}, rng), out;
  Tensor bad = ints({1, 3}, Shape{2});
  CHECK(run1(node("Gather"), {&x, &bad}, out).code() == StatusCode::kInvalidArgument);
  Tensor neg = ints({-4}, Shape{1});
  CHECK(run1(node("Gather"), {&x, &neg}, out).code() == StatusCode::kInvalidArgument);
  Tensor fidx = rand_data(DataType::kFloat32, Shape{2}, rng);
  CHECK(run1(node("Gather"), {&x, &fidx}, out).code() == StatusCode::kInvalidArgument);
  NodeInfo n = node("Gather");
  n.attrs.set("axis", std::int64_t{2});
  Tensor ok_idx = ints({0}, Shape{});
  CHECK(run1(n, {&x, &ok_idx}, out).code() == StatusCode::kInvalidArgument);
  // Scalar index drops the axis; infer keeps unknown dims.
  REQUIRE(run1(node("Gather"), {&x, &ok_idx}, out).ok());
  CHECK(out.shape() == Shape{4});
  InferContext c{n,
                 {{DataType::kFloat32, Shape{kU, 4, 5}}, {DataType::kInt64, Shape{kU}}},
                 {true, true},
                 {nullptr, nullptr},
                 {}};
  c.outputs.resize(1);
  REQUIRE(find_op("Gather")->infer(c).ok());
  CHECK(c.outputs[0].shape == Shape{kU, 4, kU});
}

TEST_CASE("GatherElements and ScatterElements vs naive loops", "[cpu][tensor]") {
  std::mt19937 rng(22);
  const std::vector<std::int64_t> dims = {3, 4}, idims = {2, 4};
  for (DataType t : kAllTypes) {
    for (std::int64_t axis : {0, 1, -2}) {
      const std::int64_t a = axis < 0 ? axis + 2 : axis;
      INFO(dtype_name(t) << " axis " << axis);
      Tensor x = rand_data(t, Shape(dims), rng);
      Tensor idx = rand_indices(DataType::kInt64, Shape(idims), dims[a], rng);
      NodeInfo n = node("GatherElements", 13);
      n.attrs.set("axis", axis);
      Tensor out;
      REQUIRE(run1(n, {&x, &idx}, out).ok());
      REQUIRE(out.shape() == Shape(idims));
      bool ok = true;
      for (std::int64_t i = 0; i < out.numel(); ++i) {
        auto o = unravel(i, idims);
        std::int64_t k = idx.get_as_int64(i);
        o[a] = k < 0 ? k + dims[a] : k;
        ok = ok && same_elem(out, i, x, ravel(o, dims));
      }
      CHECK(ok);

      // Scatter with unique targets per column/row so the result does not depend on order.
      Tensor sidx = Tensor::allocate(DataType::kInt64, Shape(idims)).value();
      for (std::int64_t i = 0; i < sidx.numel(); ++i) {
        auto o = unravel(i, idims);
        std::int64_t other = a == 0 ? o[1] : o[0];
        std::int64_t k = (o[a] * 2 + other) % dims[a];
        if (a == 1) k = o[1];  // a permutation along the row
        sidx.data<std::int64_t>()[i] = (i % 2) ? k - dims[a] : k;
      }
      Tensor upd = rand_data(t, Shape(idims), rng);
      NodeInfo s = node("ScatterElements", 13);
      s.attrs.set("axis", axis);
      REQUIRE(run1(s, {&x, &sidx, &upd}, out).ok());
      Tensor expect = x.clone().value();
      const std::size_t es = dtype_size(t);
      for (std::int64_t i = 0; i < upd.numel(); ++i) {
        auto o = unravel(i, idims);
        std::int64_t k = sidx.get_as_int64(i);
        o[a] = k < 0 ? k + dims[a] : k;
        std::memcpy(static_cast<std::uint8_t*>(expect.raw()) + ravel(o, dims) * es,
                    static_cast<const std::uint8_t*>(upd.raw()) + i * es, es);
      }
      CHECK(std::memcmp(out.raw(), expect.raw(), expect.nbytes()) == 0);
    }
  }
  // Reduction add with duplicate indices (opset 16).
  Tensor x = rand_data(DataType::kInt32, Shape{1, 5}, rng), out;
  Tensor idx = ints({1, 1, 3}, Shape{1, 3});
  Tensor upd = rand_data(DataType::kInt32, Shape{1, 3}, rng);
  NodeInfo s = node("ScatterElements", 16);
  s.attrs.set("axis", std::int64_t{1});
  s.attrs.set("reduction", std::string("add"));
  REQUIRE(run1(s, {&x, &idx, &upd}, out).ok());
  CHECK(out.data<std::int32_t>()[1] ==
        x.data<std::int32_t>()[1] + upd.data<std::int32_t>()[0] + upd.data<std::int32_t>()[1]);
  CHECK(out.data<std::int32_t>()[0] == x.data<std::int32_t>()[0]);
  Tensor bad = ints({5}, Shape{1, 1});
  Tensor u1 = rand_data(DataType::kInt32, Shape{1, 1}, rng);
  CHECK(run1(s, {&x, &bad, &u1}, out).code() == StatusCode::kInvalidArgument);
  CHECK(run1(node("GatherElements"), {&x, &bad}, out).code() == StatusCode::kInvalidArgument);
}

TEST_CASE("GatherND and ScatterND", "[cpu][tensor]") {
  std::mt19937 rng(23);
  const std::vector<std::int64_t> dims = {2, 3, 4};
  for (DataType t : kAllTypes) {
    INFO(dtype_name(t));
    Tensor x = rand_data(t, Shape(dims), rng), out;
    // indices [3, 2] address [d0, d1] pairs -> output [3, 4].
    Tensor idx = ints({1, 2, 0, -1, 1, 0}, Shape{3, 2});
    REQUIRE(run1(node("GatherND", 13), {&x, &idx}, out).ok());
    REQUIRE(out.shape() == Shape{3, 4});
    const std::int64_t pairs[3][2] = {{1, 2}, {0, 2}, {1, 0}};
    bool ok = true;
    for (std::int64_t i = 0; i < 12; ++i)
      ok = ok && same_elem(out, i, x, ravel({pairs[i / 4][0], pairs[i / 4][1], i % 4}, dims));
    CHECK(ok);
    // batch_dims = 1: indices [2, 1] pick d1 per batch -> output [2, 4].
    NodeInfo b = node("GatherND", 13);
    b.attrs.set("batch_dims", std::int64_t{1});
    Tensor bidx = ints({2, 1}, Shape{2, 1});
    REQUIRE(run1(b, {&x, &bidx}, out).ok());
    REQUIRE(out.shape() == Shape{2, 4});
    ok = true;
    for (std::int64_t i = 0; i < 8; ++i)
      ok = ok && same_elem(out, i, x, ravel({i / 4, i / 4 == 0 ? 2 : 1, i % 4}, dims));
    CHECK(ok);

    Tensor upd = rand_data(t, Shape{2, 4}, rng);
    Tensor sidx = ints({1, 1, 0, 2}, Shape{2, 2});
    REQUIRE(run1(node("ScatterND", 13), {&x, &sidx, &upd}, out).ok());
    ok = true;
    for (std::int64_t i = 0; i < x.numel(); ++i) {
      auto o = unravel(i, dims);
      if (o[0] == 1 && o[1] == 1)
        ok = ok && same_elem(out, i, upd, o[2]);
      else if (o[0] == 0 && o[1] == 2)
        ok = ok && same_elem(out, i, upd, 4 + o[2]);
      else
        ok = ok && same_elem(out, i, x, i);
    }
    CHECK(ok);
  }
  Tensor x = rand_data(DataType::kFloat32, Shape{2, 3}, rng), out;
  Tensor bad = ints({0, 3}, Shape{1, 2});
  CHECK(run1(node("GatherND", 13), {&x, &bad}, out).code() == StatusCode::kInvalidArgument);
  Tensor too_long = ints({0, 0, 0}, Shape{1, 3});
  CHECK(run1(node("GatherND", 13), {&x, &too_long}, out).code() == StatusCode::kInvalidArgument);
}

TEST_CASE("OneHot: axes, negative indices, out of range", "[cpu][tensor]") {
  Tensor idx = ints({0, -1, 5, 2}, Shape{2, 2});
  Tensor depth = ints({4}, Shape{});
  Tensor vals = Tensor::allocate(DataType::kFloat16, Shape{2}).value();
  vals.data<std::uint16_t>()[0] = float_to_half(-1.f);
  vals.data<std::uint16_t>()[1] = float_to_half(3.f);
  for (std::int64_t axis : {-1, 0, 1}) {
    INFO("axis " << axis);
    NodeInfo n = node("OneHot", 11);
    n.attrs.set("axis", axis);
    Tensor out;
    REQUIRE(run1(n, {&idx, &depth, &vals}, out).ok());
    const std::int64_t a = axis < 0 ? 2 : axis;
    std::vector<std::int64_t> od = {2, 2};
    od.insert(od.begin() + a, 4);
    REQUIRE(out.shape() == Shape(od));
    bool ok = true;
    for (std::int64_t i = 0; i < out.numel(); ++i) {
      auto o = unravel(i, od);
      std::int64_t k = o[a];
      o.erase(o.begin() + a);
      std::int64_t v = idx.get_as_int64(o[0] * 2 + o[1]);
      if (v < 0) v += 4;
      ok = ok && half_to_float(out.data<std::uint16_t>()[i]) == (v == k ? 3.f : -1.f);
    }
    CHECK(ok);
  }
}

}  // namespace edgert::cpu
