// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Tests of the tensor family's shape and layout ops against naive index computations.
#include <algorithm>
#include <cstring>
#include <numeric>
#include <random>

#include <catch2/catch.hpp>

#include "kernels/cpu/op_def.h"
#include "tensor_test_helpers.h"
#include "test_util.h"

namespace edgert::cpu {
namespace {

using namespace tensor_test;  // NOLINT: the shared helpers of this family

Tensor ints(std::vector<std::int64_t> v, DataType t = DataType::kInt64) {
  Tensor x = Tensor::allocate(t, Shape{static_cast<std::int64_t>(v.size())}).value();
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (t == DataType::kInt64)
      x.data<std::int64_t>()[i] = v[i];
    else
      x.data<std::int32_t>()[i] = static_cast<std::int32_t>(v[i]);
  }
  return x;
}

Tensor scalar_f(float v) {
  Tensor x = Tensor::allocate(DataType::kFloat32, Shape{}).value();
  *x.data<float>() = v;
  return x;
}

bool same(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

// Runs the op's static shape inference (values: constant inputs, null when unknown).
Status infer(const NodeInfo& n, std::vector<TensorInfo> infos, std::vector<const Tensor*> values,
             std::vector<TensorInfo>& outs, std::size_t num_outputs = 1) {
  InferContext c{n, std::move(infos), {}, std::move(values), {}};
  c.present.assign(c.inputs.size(), true);
  c.values.resize(c.inputs.size(), nullptr);
  c.outputs.resize(num_outputs);
  Status s = find_op(n.op_type)->infer(c);
  outs = c.outputs;
  return s;
}

constexpr std::int64_t kU = Shape::kUnknownDim;

std::string str(const std::vector<std::int64_t>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

}  // namespace

TEST_CASE("Reshape: 0 and -1, allowzero, attribute form, errors", "[cpu][tensor]") {
  std::vector<TensorInfo> io;
  std::mt19937 rng(1);
  for (DataType t : kAllTypes) {
    INFO(dtype_name(t));
    Tensor x = rand_data(t, Shape{2, 3, 4}, rng), out;
    Tensor shape = ints({0, -1});
    REQUIRE(run1(node("Reshape"), {&x, &shape}, out).ok());
    CHECK(out.shape() == Shape{2, 12});
    CHECK(std::memcmp(out.raw(), x.raw(), x.nbytes()) == 0);
  }
  Tensor x = rand_data(DataType::kFloat32, Shape{2, 3, 4}, rng), out;
  Tensor s2 = ints({4, -1, 2}, DataType::kInt32);
  REQUIRE(run1(node("Reshape"), {&x, &s2}, out).ok());
  CHECK(out.shape() == Shape{4, 3, 2});
  // Attribute form (opset < 5).
  NodeInfo old = node("Reshape", 4);
  old.attrs.set("shape", std::vector<std::int64_t>{3, 8});
  REQUIRE(run1(old, {&x}, out).ok());
  CHECK(out.shape() == Shape{3, 8});
  // allowzero: 0 is a real zero dim.
  Tensor empty = Tensor::allocate(DataType::kFloat32, Shape{0, 3}).value();
  Tensor s0 = ints({3, 0});
  NodeInfo az = node("Reshape", 14);
  az.attrs.set("allowzero", std::int64_t{1});
  REQUIRE(run1(az, {&empty, &s0}, out).ok());
  CHECK(out.shape() == Shape{3, 0});
  // Errors.
  Tensor bad = ints({5, 5});
  CHECK(run1(node("Reshape"), {&x, &bad}, out).code() == StatusCode::kInvalidArgument);
  Tensor two_neg = ints({-1, -1});
  CHECK(run1(node("Reshape"), {&x, &two_neg}, out).code() == StatusCode::kInvalidArgument);
  Tensor not_div = ints({5, -1});
  CHECK(run1(node("Reshape"), {&x, &not_div}, out).code() == StatusCode::kInvalidArgument);

  // Infer: unknown batch with a constant shape.
  NodeInfo n = node("Reshape");
  Tensor s3 = ints({0, -1});
  REQUIRE(infer(n, {{DataType::kFloat32, Shape{kU, 3, 4}}, {DataType::kInt64, Shape{2}}},
                {nullptr, &s3}, io)
              .ok());
  CHECK(io[0].shape == Shape{kU, 12});
  Tensor s4 = ints({-1, 12});
  REQUIRE(infer(n, {{DataType::kFloat32, Shape{kU, 3, 4}}, {DataType::kInt64, Shape{2}}},
                {nullptr, &s4}, io)
              .ok());
  CHECK(io[0].shape == Shape{kU, 12});
  // Non-constant shape of known length: rank known.
  REQUIRE(
      infer(n, {{DataType::kFloat32, Shape{kU, 3, 4}}, {DataType::kInt64, Shape{3}}}, {}, io).ok());
  CHECK(io[0].shape == Shape{kU, kU, kU});
}

TEST_CASE("Flatten: axes including negative; infer", "[cpu][tensor]") {
  std::vector<TensorInfo> io;
  std::mt19937 rng(2);
  Tensor x = rand_data(DataType::kInt8, Shape{2, 3, 4, 5}, rng), out;
  const std::pair<std::int64_t, Shape> cases[] = {{0, Shape{1, 120}}, {1, Shape{2, 60}},
                                                  {3, Shape{24, 5}},  {4, Shape{120, 1}},
                                                  {-1, Shape{24, 5}}, {-4, Shape{1, 120}}};
  for (const auto& [axis, expect] : cases) {
    INFO("axis " << axis);
    NodeInfo n = node("Flatten");
    n.attrs.set("axis", axis);
    REQUIRE(run1(n, {&x}, out).ok());
    CHECK(out.shape() == expect);
    CHECK(std::memcmp(out.raw(), x.raw(), x.nbytes()) == 0);
  }
  NodeInfo n = node("Flatten");
  n.attrs.set("axis", std::int64_t{5});
  CHECK(run1(n, {&x}, out).code() == StatusCode::kInvalidArgument);
  n.attrs.set("axis", std::int64_t{2});
  REQUIRE(infer(n, {{DataType::kFloat32, Shape{kU, 3, 4, 5}}}, {}, io).ok());
  CHECK(io[0].shape == Shape{kU, 20});
}

TEST_CASE("Transpose: random permutations vs naive indexing", "[cpu][tensor]") {
  std::vector<TensorInfo> io;
  std::mt19937 rng(3);
  for (DataType t : kAllTypes) {
    std::vector<std::int64_t> dims = {2, 3, 4, 5};
    Tensor x = rand_data(t, Shape(dims), rng), out;
    std::vector<std::int64_t> perm = {0, 1, 2, 3};
    for (int trial = 0; trial < 4; ++trial) {
      std::shuffle(perm.begin(), perm.end(), rng);
      INFO(dtype_name(t) << " perm " << Shape(perm).to_string());
      NodeInfo n = node("Transpose");
      n.attrs.set("perm", perm);
      REQUIRE(run1(n, {&x}, out).ok());
      std::vector<std::int64_t> od;
      for (auto p : perm) od.push_back(dims[p]);
      REQUIRE(out.shape() == Shape(od));
      bool ok = true;
      for (std::int64_t i = 0; i < out.numel(); ++i) {
        auto oi = unravel(i, od);
        std::vector<std::int64_t> ii(4);
        for (std::size_t d = 0; d < 4; ++d) ii[perm[d]] = oi[d];
        ok = ok && same_elem(out, i, x, ravel(ii, dims));
      }
      CHECK(ok);
    }
  }
  // Default: reversed.
  Tensor x = rand_data(DataType::kFloat32, Shape{3, 7}, rng), out;
  REQUIRE(run1(node("Transpose"), {&x}, out).ok());
  REQUIRE(out.shape() == Shape{7, 3});
  CHECK(out.data<float>()[1 * 3 + 2] == x.data<float>()[2 * 7 + 1]);
  // Bad perms.
  NodeInfo n = node("Transpose");
  n.attrs.set("perm", std::vector<std::int64_t>{0, 0});
  CHECK(run1(n, {&x}, out).code() == StatusCode::kInvalidArgument);
  n.attrs.set("perm", std::vector<std::int64_t>{0, 1, 2});
  CHECK(run1(n, {&x}, out).code() == StatusCode::kInvalidArgument);
  n.attrs.set("perm", std::vector<std::int64_t>{1, 0});
  REQUIRE(infer(n, {{DataType::kFloat32, Shape{kU, 3}}}, {}, io).ok());
  CHECK(io[0].shape == Shape{3, kU});
}

TEST_CASE("Squeeze / Unsqueeze: attribute and input forms, negative axes", "[cpu][tensor]") {
  std::vector<TensorInfo> io;
  std::mt19937 rng(4);
  Tensor x = rand_data(DataType::kFloat16, Shape{1, 3, 1, 5}, rng), out;
  NodeInfo sq11 = node("Squeeze", 11);
  sq11.attrs.set("axes", std::vector<std::int64_t>{-2});
  REQUIRE(run1(sq11, {&x}, out).ok());
  CHECK(out.shape() == Shape{1, 3, 5});
  CHECK(std::memcmp(out.raw(), x.raw(), x.nbytes()) == 0);
  REQUIRE(run1(node("Squeeze", 13), {&x}, out).ok());
  CHECK(out.shape() == Shape{3, 5});
  Tensor axes = ints({0, 2});
  REQUIRE(run1(node("Squeeze", 13), {&x, &axes}, out).ok());
  CHECK(out.shape() == Shape{3, 5});
  Tensor bad = ints({1});
  CHECK(run1(node("Squeeze", 13), {&x, &bad}, out).code() == StatusCode::kInvalidArgument);

  Tensor y = rand_data(DataType::kInt64, Shape{3, 5}, rng);
  Tensor ua = ints({-1, 0});
  REQUIRE(run1(node("Unsqueeze", 13), {&y, &ua}, out).ok());
  CHECK(out.shape() == Shape{1, 3, 5, 1});
  CHECK(std::memcmp(out.raw(), y.raw(), y.nbytes()) == 0);
  NodeInfo u11 = node("Unsqueeze", 11);
  u11.attrs.set("axes", std::vector<std::int64_t>{1, 3});
  REQUIRE(run1(u11, {&y}, out).ok());
  CHECK(out.shape() == Shape{3, 1, 5, 1});
  Tensor dup = ints({1, 1});
  CHECK(run1(node("Unsqueeze", 13), {&y, &dup}, out).code() == StatusCode::kInvalidArgument);

  // Infer with unknown dims: Squeeze without axes cannot know, with axes it can.
  REQUIRE(infer(node("Squeeze", 13), {{DataType::kFloat32, Shape{kU, 1, 4}}}, {}, io).ok());
  CHECK(io[0].shape.unknown_rank());
  Tensor a1 = ints({1});
  REQUIRE(infer(node("Squeeze", 13),
                {{DataType::kFloat32, Shape{kU, 1, 4}}, {DataType::kInt64, Shape{1}}},
                {nullptr, &a1}, io)
              .ok());
  CHECK(io[0].shape == Shape{kU, 4});
}

TEST_CASE("Concat: dtypes, negative axis, infer with unknown dims", "[cpu][tensor]") {
  std::vector<TensorInfo> io;
  std::mt19937 rng(5);
  for (DataType t : kAllTypes) {
    for (std::int64_t axis : {0, 1, -1}) {
      INFO(dtype_name(t) << " axis " << axis);
      const std::int64_t a = axis < 0 ? axis + 3 : axis;
      std::vector<std::int64_t> d0 = {2, 3, 4}, d1 = d0, d2 = d0;
      d1[a] = 1;
      d2[a] = 5;
      Tensor x0 = rand_data(t, Shape(d0), rng), x1 = rand_data(t, Shape(d1), rng),
             x2 = rand_data(t, Shape(d2), rng);
      NodeInfo n = node("Concat");
      n.attrs.set("axis", axis);
      Tensor out;
      REQUIRE(run1(n, {&x0, &x1, &x2}, out).ok());
      std::vector<std::int64_t> od = d0;
      od[a] = d0[a] + 1 + 5;
      REQUIRE(out.shape() == Shape(od));
      bool ok = true;
      for (std::int64_t i = 0; i < out.numel(); ++i) {
        auto idx = unravel(i, od);
        const Tensor* src = &x0;
        const std::vector<std::int64_t>* sd = &d0;
        if (idx[a] >= d0[a] + 1) {
          idx[a] -= d0[a] + 1;
          src = &x2;
          sd = &d2;
        } else if (idx[a] >= d0[a]) {
          idx[a] -= d0[a];
          src = &x1;
          sd = &d1;
        }
        ok = ok && same_elem(out, i, *src, ravel(idx, *sd));
      }
      CHECK(ok);
    }
  }
  NodeInfo n = node("Concat");
  n.attrs.set("axis", std::int64_t{0});
  Tensor a = rand_data(DataType::kFloat32, Shape{2, 3}, rng),
         b = rand_data(DataType::kFloat32, Shape{2, 4}, rng);
  Tensor out;
  CHECK(run1(n, {&a, &b}, out).code() == StatusCode::kInvalidArgument);
  Tensor c32 = rand_data(DataType::kInt32, Shape{2, 3}, rng);
  CHECK(run1(n, {&a, &c32}, out).code() == StatusCode::kInvalidArgument);
  // Concat of shapes with unknown dims.
  REQUIRE(infer(n, {{DataType::kInt64, Shape{kU}}, {DataType::kInt64, Shape{2}}}, {}, io).ok());
  CHECK(io[0].shape == Shape{kU});
  n.attrs.set("axis", std::int64_t{1});
  REQUIRE(infer(n, {{DataType::kFloat32, Shape{kU, 3}}, {DataType::kFloat32, Shape{2, 4}}}, {}, io)
              .ok());
  CHECK(io[0].shape == Shape{2, 7});
}

TEST_CASE("Split: equal, attribute, input and num_outputs forms", "[cpu][tensor]") {
  std::vector<TensorInfo> io;
  std::mt19937 rng(6);
  Tensor x = rand_data(DataType::kInt32, Shape{3, 6}, rng);
  auto check_parts = [&](const std::vector<Tensor>& outs, const std::vector<std::int64_t>& sizes) {
    std::int64_t col = 0;
    bool ok = outs.size() == sizes.size();
    for (std::size_t k = 0; ok && k < outs.size(); ++k) {
      ok = outs[k].shape() == Shape{3, sizes[k]};
      for (std::int64_t r = 0; ok && r < 3; ++r)
        for (std::int64_t j = 0; j < sizes[k]; ++j)
          ok = ok && same_elem(outs[k], r * sizes[k] + j, x, r * 6 + col + j);
      col += sizes[k];
    }
    return ok;
  };
  std::vector<Tensor> outs;
  NodeInfo n = node("Split", 13);
  n.attrs.set("axis", std::int64_t{-1});
  REQUIRE(run_node(n, {&x}, outs, 3).ok());
  CHECK(check_parts(outs, {2, 2, 2}));
  Tensor sp = ints({1, 5});
  REQUIRE(run_node(n, {&x, &sp}, outs, 2).ok());
  CHECK(check_parts(outs, {1, 5}));
  NodeInfo n11 = node("Split", 11);
  n11.attrs.set("axis", std::int64_t{1});
  n11.attrs.set("split", std::vector<std::int64_t>{4, 0, 2});
  REQUIRE(run_node(n11, {&x}, outs, 3).ok());
  CHECK(check_parts(outs, {4, 0, 2}));
  NodeInfo n18 = node("Split", 18);
  n18.attrs.set("axis", std::int64_t{1});
  n18.attrs.set("num_outputs", std::int64_t{4});
  REQUIRE(run_node(n18, {&x}, outs, 4).ok());
  CHECK(check_parts(outs, {2, 2, 2, 0}));
  // Errors: not divisible, sizes not summing up.
  CHECK(run_node(n, {&x}, outs, 4).code() == StatusCode::kInvalidArgument);
  Tensor bad = ints({1, 2});
  CHECK(run_node(n, {&x, &bad}, outs, 2).code() == StatusCode::kInvalidArgument);
  // Infer with unknown axis dim.
  REQUIRE(infer(n, {{DataType::kFloat32, Shape{4, kU}}}, {}, io, 2).ok());
  CHECK(io[1].shape == Shape{4, kU});
}

TEST_CASE("Slice: random starts/ends/steps incl. negative and out of range", "[cpu][tensor]") {
  std::mt19937 rng(7);
  // Python slice semantics, written as in CPython's PySlice_AdjustIndices, except that the ONNX
  // spec clamps a start still negative after adding len to 0 for negative steps too (Python
  // would give an empty slice; onnxruntime follows the spec).
  auto py_indices = [](std::int64_t start, std::int64_t stop, std::int64_t step, std::int64_t len) {
    std::vector<std::int64_t> r;
    if (start < 0)
      start = std::max<std::int64_t>(start + len, 0);
    else if (start >= len)
      start = step < 0 ? len - 1 : len;
    if (stop < 0)
      stop = std::max<std::int64_t>(stop + len, step < 0 ? -1 : 0);
    else if (stop >= len)
      stop = step < 0 ? len - 1 : len;
    for (std::int64_t i = start; step > 0 ? i < stop : i > stop; i += step) r.push_back(i);
    return r;
  };
  std::vector<std::int64_t> dims = {4, 5, 6};
  std::uniform_int_distribution<std::int64_t> pos(-9, 9), stp(-3, 3);
  for (DataType t : {DataType::kFloat32, DataType::kUInt8, DataType::kInt64}) {
    Tensor x = rand_data(t, Shape(dims), rng);
    for (int trial = 0; trial < 30; ++trial) {
      std::vector<std::int64_t> st, en, ax, sp;
      for (std::int64_t a : {0, 1, 2}) {
        if (rng() % 3 == 0) continue;
        std::int64_t s = pos(rng), e = pos(rng), k = 0;
        while (k == 0) k = stp(rng);
        if (rng() % 5 == 0)
          e = k > 0 ? std::numeric_limits<std::int64_t>::max()
                    : std::numeric_limits<std::int64_t>::min();
        st.push_back(s);
        en.push_back(e);
        ax.push_back(rng() % 2 ? a : a - 3);
        sp.push_back(k);
      }
      INFO(dtype_name(t) << " starts " << str(st) << " ends " << str(en) << " axes " << str(ax)
                         << " steps " << str(sp));
      Tensor ts = ints(st), te = ints(en), ta = ints(ax), tp = ints(sp), out;
      REQUIRE(run1(node("Slice", 13), {&x, &ts, &te, &ta, &tp}, out).ok());
      std::vector<std::vector<std::int64_t>> sel(3);
      for (std::int64_t d = 0; d < 3; ++d) sel[d] = py_indices(0, dims[d], 1, dims[d]);
      for (std::size_t i = 0; i < st.size(); ++i) {
        std::int64_t a = ax[i] < 0 ? ax[i] + 3 : ax[i];
        sel[a] = py_indices(st[i], en[i], sp[i], dims[a]);
      }
      std::vector<std::int64_t> od = {static_cast<std::int64_t>(sel[0].size()),
                                      static_cast<std::int64_t>(sel[1].size()),
                                      static_cast<std::int64_t>(sel[2].size())};
      INFO("expected " << str(od) << " got " << out.shape().to_string());
      REQUIRE(out.shape() == Shape(od));
      bool ok = true;
      for (std::int64_t i = 0; i < out.numel(); ++i) {
        auto idx = unravel(i, od);
        ok = ok &&
             same_elem(out, i, x, ravel({sel[0][idx[0]], sel[1][idx[1]], sel[2][idx[2]]}, dims));
      }
      CHECK(ok);
    }
  }
  // Attribute form (opset < 10).
  Tensor x = rand_data(DataType::kFloat32, Shape{4, 5}, rng), out;
  NodeInfo n = node("Slice", 9);
  n.attrs.set("starts", std::vector<std::int64_t>{1});
  n.attrs.set("ends", std::vector<std::int64_t>{-1});
  n.attrs.set("axes", std::vector<std::int64_t>{1});
  REQUIRE(run1(n, {&x}, out).ok());
  REQUIRE(out.shape() == Shape{4, 3});
  CHECK(out.data<float>()[4] == x.data<float>()[7]);
  Tensor s0 = ints({0}), e0 = ints({2}), a0 = ints({0}), zero = ints({0});
  CHECK(run1(node("Slice", 13), {&x, &s0, &e0, &a0, &zero}, out).code() ==
        StatusCode::kInvalidArgument);
  // Infer: unknown dim stays unknown only on the sliced axis.
  std::vector<TensorInfo> io;
  Tensor a1 = ints({1});
  REQUIRE(infer(node("Slice", 13),
                {{DataType::kFloat32, Shape{kU, 5}},
                 {DataType::kInt64, Shape{1}},
                 {DataType::kInt64, Shape{1}},
                 {DataType::kInt64, Shape{1}}},
                {nullptr, &s0, &e0, &a1}, io)
              .ok());
  CHECK(io[0].shape == Shape{kU, 2});
}

TEST_CASE("Pad: constant/reflect/edge, attribute and input forms", "[cpu][tensor]") {
  std::mt19937 rng(8);
  std::vector<std::int64_t> dims = {3, 4};
  std::vector<std::int64_t> pads = {2, 1, 1, 3};  // begin0, begin1, end0, end1
  for (const char* mode : {"constant", "reflect", "edge"}) {
    for (DataType t : {DataType::kFloat32, DataType::kInt8, DataType::kFloat16}) {
      INFO(mode << " " << dtype_name(t));
      Tensor x = rand_data(t, Shape(dims), rng), out;
      Tensor cv = rand_data(t, Shape{}, rng);
      Tensor tp = ints(pads);
      NodeInfo n = node("Pad", 13);
      n.attrs.set("mode", std::string(mode));
      REQUIRE(run1(n, {&x, &tp, &cv}, out).ok());
      std::vector<std::int64_t> od = {3 + 2 + 1, 4 + 1 + 3};
      REQUIRE(out.shape() == Shape(od));
      bool ok = true;
      for (std::int64_t i = 0; i < out.numel(); ++i) {
        auto idx = unravel(i, od);
        std::vector<std::int64_t> src(2);
        bool fill = false;
        for (int d = 0; d < 2; ++d) {
          std::int64_t k = idx[d] - pads[d];
          if (k < 0 || k >= dims[d]) {
            if (std::string(mode) == "constant")
              fill = true;
            else if (std::string(mode) == "edge")
              k = k < 0 ? 0 : dims[d] - 1;
            else
              k = k < 0 ? -k : 2 * (dims[d] - 1) - k;
          }
          src[d] = k;
        }
        ok = ok && (fill ? same_elem(out, i, cv, 0) : same_elem(out, i, x, ravel(src, dims)));
      }
      CHECK(ok);
    }
  }
  // Opset 2 attributes with a float value; negative pads crop.
  Tensor x = rand_data(DataType::kFloat32, Shape{2, 3}, rng), out;
  NodeInfo n = node("Pad", 2);
  n.attrs.set("pads", std::vector<std::int64_t>{0, -1, 1, 0});
  n.attrs.set("value", 2.5f);
  REQUIRE(run1(n, {&x}, out).ok());
  REQUIRE(out.shape() == Shape{3, 2});
  CHECK(out.data<float>()[0] == x.data<float>()[1]);
  CHECK(out.data<float>()[5] == 2.5f);
  // Opset 18 axes input.
  Tensor p18 = ints({1, 1}), ax = ints({-1});
  REQUIRE(run1(node("Pad", 18), {&x, &p18, nullptr, &ax}, out).ok());
  REQUIRE(out.shape() == Shape{2, 5});
  CHECK(out.data<float>()[1] == x.data<float>()[0]);
  CHECK(out.data<float>()[0] == 0.f);
  NodeInfo w = node("Pad", 19);
  w.attrs.set("mode", std::string("wrap"));
  CHECK(run1(w, {&x, &p18, nullptr, &ax}, out).code() == StatusCode::kUnsupported);
  Tensor bad = ints({1, 1});
  CHECK(run1(node("Pad", 13), {&x, &bad}, out).code() == StatusCode::kInvalidArgument);
  std::vector<TensorInfo> io;
  Tensor p4 = ints({0, 1, 0, 1});
  REQUIRE(infer(node("Pad", 13), {{DataType::kFloat32, Shape{kU, 3}}, {DataType::kInt64, Shape{4}}},
                {nullptr, &p4}, io)
              .ok());
  CHECK(io[0].shape == Shape{kU, 5});
}

TEST_CASE("Expand and Tile vs naive indexing", "[cpu][tensor]") {
  std::mt19937 rng(9);
  for (DataType t : kAllTypes) {
    INFO(dtype_name(t));
    Tensor x = rand_data(t, Shape{3, 1}, rng), out;
    Tensor shape = ints({2, 1, 4});
    REQUIRE(run1(node("Expand", 13), {&x, &shape}, out).ok());
    REQUIRE(out.shape() == Shape{2, 3, 4});
    bool ok = true;
    for (std::int64_t i = 0; i < out.numel(); ++i) ok = ok && same_elem(out, i, x, (i / 4) % 3);
    CHECK(ok);

    Tensor y = rand_data(t, Shape{2, 3}, rng);
    Tensor reps = ints({2, 3});
    REQUIRE(run1(node("Tile", 13), {&y, &reps}, out).ok());
    REQUIRE(out.shape() == Shape{4, 9});
    ok = true;
    for (std::int64_t i = 0; i < out.numel(); ++i)
      ok = ok && same_elem(out, i, y, ((i / 9) % 2) * 3 + (i % 9) % 3);
    CHECK(ok);
  }
  Tensor x = rand_data(DataType::kFloat32, Shape{3, 2}, rng), out;
  Tensor bad = ints({4, 4});
  CHECK(run1(node("Expand", 13), {&x, &bad}, out).code() == StatusCode::kInvalidArgument);
  Tensor reps = ints({2});
  CHECK(run1(node("Tile", 13), {&x, &reps}, out).code() == StatusCode::kInvalidArgument);
  std::vector<TensorInfo> io;
  Tensor s = ints({1, 4});
  REQUIRE(infer(node("Expand", 13),
                {{DataType::kFloat32, Shape{kU, 1}}, {DataType::kInt64, Shape{2}}}, {nullptr, &s},
                io)
              .ok());
  CHECK(io[0].shape == Shape{kU, 4});
}

TEST_CASE("DepthToSpace (DCR, CRD) and SpaceToDepth vs spec formulas", "[cpu][tensor]") {
  std::mt19937 rng(10);
  const std::int64_t b = 2, n = 2, c = 8, h = 3, w = 2, co = c / (b * b);
  for (DataType t : {DataType::kFloat32, DataType::kUInt8}) {
    Tensor x = rand_data(t, Shape{n, c, h, w}, rng), out;
    for (const char* mode : {"DCR", "CRD"}) {
      INFO(mode << " " << dtype_name(t));
      NodeInfo nd = node("DepthToSpace", 13);
      nd.attrs.set("blocksize", b);
      nd.attrs.set("mode", std::string(mode));
      REQUIRE(run1(nd, {&x}, out).ok());
      REQUIRE(out.shape() == Shape{n, co, h * b, w * b});
      bool ok = true;
      for (std::int64_t i = 0; i < out.numel(); ++i) {
        auto o = unravel(i, {n, co, h * b, w * b});
        std::int64_t bi = o[2] % b, bj = o[3] % b;
        std::int64_t ch =
            std::string(mode) == "DCR" ? (bi * b + bj) * co + o[1] : o[1] * b * b + bi * b + bj;
        ok = ok && same_elem(out, i, x, ravel({o[0], ch, o[2] / b, o[3] / b}, {n, c, h, w}));
      }
      CHECK(ok);
    }
    Tensor y = rand_data(t, Shape{n, 3, 4, 6}, rng);
    NodeInfo ns = node("SpaceToDepth", 13);
    ns.attrs.set("blocksize", b);
    REQUIRE(run1(ns, {&y}, out).ok());
    REQUIRE(out.shape() == Shape{n, 12, 2, 3});
    bool ok = true;
    for (std::int64_t i = 0; i < out.numel(); ++i) {
      auto o = unravel(i, {n, 12, 2, 3});
      std::int64_t blk = o[1] / 3, ch = o[1] % 3;
      ok = ok && same_elem(out, i, y,
                           ravel({o[0], ch, o[2] * b + blk / b, o[3] * b + blk % b}, {n, 3, 4, 6}));
    }
    CHECK(ok);
  }
  Tensor x = rand_data(DataType::kFloat32, Shape{1, 3, 2, 2}, rng), out;
  NodeInfo nd = node("DepthToSpace", 13);
  nd.attrs.set("blocksize", b);
  CHECK(run1(nd, {&x}, out).code() == StatusCode::kInvalidArgument);
}

TEST_CASE("Shape, Size, Constant, ConstantOfShape", "[cpu][tensor]") {
  std::mt19937 rng(11);
  Tensor x = rand_data(DataType::kBool, Shape{2, 3, 5}, rng), out;
  REQUIRE(run1(node("Shape", 15), {&x}, out).ok());
  CHECK(same(out, ints({2, 3, 5})));
  NodeInfo n = node("Shape", 15);
  n.attrs.set("start", std::int64_t{-2});
  REQUIRE(run1(n, {&x}, out).ok());
  CHECK(same(out, ints({3, 5})));
  n.attrs.set("end", std::int64_t{-5});  // clamps to an empty range
  REQUIRE(run1(n, {&x}, out).ok());
  CHECK(out.shape() == Shape{0});
  std::vector<TensorInfo> io;
  REQUIRE(infer(node("Shape", 15), {{DataType::kFloat32, Shape{kU, 3}}}, {}, io).ok());
  CHECK(io[0].shape == Shape{2});
  CHECK(io[0].dtype == DataType::kInt64);
  REQUIRE(infer(node("Shape", 15), {{DataType::kFloat32, Shape::unknown()}}, {}, io).ok());
  CHECK(io[0].shape == Shape{kU});
  REQUIRE(run1(node("Size"), {&x}, out).ok());
  CHECK(out.shape() == Shape{});
  CHECK(*out.data<std::int64_t>() == 30);

  Tensor v = rand_data(DataType::kFloat16, Shape{2, 2}, rng);
  NodeInfo c = node("Constant", 13);
  c.attrs.set("value", v);
  REQUIRE(run1(c, {}, out).ok());
  CHECK(same(out, v));
  NodeInfo cf = node("Constant", 13);
  cf.attrs.set("value_floats", std::vector<float>{1.5f, -2.f});
  REQUIRE(run1(cf, {}, out).ok());
  CHECK((out.shape() == Shape{2} && out.data<float>()[1] == -2.f));
  NodeInfo ci = node("Constant", 13);
  ci.attrs.set("value_int", std::int64_t{7});
  REQUIRE(run1(ci, {}, out).ok());
  CHECK((out.shape() == Shape{} && out.dtype() == DataType::kInt64 &&
         *out.data<std::int64_t>() == 7));
  NodeInfo cs = node("Constant", 13);
  cs.attrs.set("value_string", std::string("x"));
  CHECK(run1(cs, {}, out).code() == StatusCode::kUnsupported);

  Tensor s = ints({2, 3});
  Tensor fill = Tensor::allocate(DataType::kInt32, Shape{1}).value();
  *fill.data<std::int32_t>() = -4;
  NodeInfo k = node("ConstantOfShape");
  k.attrs.set("value", fill);
  REQUIRE(run1(k, {&s}, out).ok());
  REQUIRE((out.shape() == Shape{2, 3} && out.dtype() == DataType::kInt32));
  for (std::int64_t i = 0; i < 6; ++i) CHECK(out.data<std::int32_t>()[i] == -4);
  REQUIRE(run1(node("ConstantOfShape"), {&s}, out).ok());
  CHECK((out.dtype() == DataType::kFloat32 && out.data<float>()[5] == 0.f));
  REQUIRE(infer(node("ConstantOfShape"), {{DataType::kInt64, Shape{3}}}, {}, io).ok());
  CHECK(io[0].shape == Shape{kU, kU, kU});
}

TEST_CASE("Range, EyeLike, Trilu, NonZero", "[cpu][tensor]") {
  std::mt19937 rng(12);
  Tensor out;
  Tensor s = scalar_f(1.f), l = scalar_f(2.5f), d = scalar_f(0.4f);
  REQUIRE(run1(node("Range"), {&s, &l, &d}, out).ok());
  REQUIRE(out.shape() == Shape{4});
  for (int i = 0; i < 4; ++i) CHECK(out.data<float>()[i] == Approx(1.f + 0.4f * i));
  Tensor si = Tensor::allocate(DataType::kInt32, Shape{}).value();
  Tensor li = si.clone().value(), di = si.clone().value();
  *si.data<std::int32_t>() = 10;
  *li.data<std::int32_t>() = 3;
  *di.data<std::int32_t>() = -3;
  REQUIRE(run1(node("Range"), {&si, &li, &di}, out).ok());
  CHECK(same(out, ints({10, 7, 4}, DataType::kInt32)));
  *di.data<std::int32_t>() = 0;
  CHECK(run1(node("Range"), {&si, &li, &di}, out).code() == StatusCode::kInvalidArgument);

  Tensor x = rand_data(DataType::kInt32, Shape{3, 4}, rng);
  NodeInfo e = node("EyeLike");
  e.attrs.set("k", std::int64_t{1});
  e.attrs.set("dtype", std::int64_t{1});
  REQUIRE(run1(e, {&x}, out).ok());
  REQUIRE((out.dtype() == DataType::kFloat32 && out.shape() == Shape{3, 4}));
  for (std::int64_t i = 0; i < 12; ++i)
    CHECK(out.data<float>()[i] == ((i % 4) - (i / 4) == 1 ? 1.f : 0.f));

  for (std::int64_t upper : {0, 1}) {
    for (std::int64_t k : {-1, 0, 2}) {
      INFO("upper " << upper << " k " << k);
      Tensor m = rand_data(DataType::kInt64, Shape{2, 3, 4}, rng), kt = ints({k});
      kt = kt.reshaped(Shape{}).value();
      NodeInfo tn = node("Trilu");
      tn.attrs.set("upper", upper);
      REQUIRE(run1(tn, {&m, &kt}, out).ok());
      bool ok = true;
      for (std::int64_t i = 0; i < 24; ++i) {
        std::int64_t r = (i / 4) % 3, c = i % 4;
        bool keep = upper ? c - r >= k : c - r <= k;
        ok = ok && out.data<std::int64_t>()[i] == (keep ? m.data<std::int64_t>()[i] : 0);
      }
      CHECK(ok);
    }
  }

  Tensor z = rand_data(DataType::kFloat32, Shape{3, 4}, rng);
  z.data<float>()[1] = 0.f;
  z.data<float>()[6] = -0.f;
  REQUIRE(run1(node("NonZero"), {&z}, out).ok());
  REQUIRE(out.shape() == Shape{2, 10});
  std::int64_t k = 0;
  bool ok = true;
  for (std::int64_t i = 0; i < 12; ++i) {
    if (z.data<float>()[i] == 0.f) continue;
    ok = ok && out.data<std::int64_t>()[k] == i / 4 && out.data<std::int64_t>()[10 + k] == i % 4;
    ++k;
  }
  CHECK(ok);
  std::vector<TensorInfo> io;
  REQUIRE(infer(node("NonZero"), {{DataType::kFloat32, Shape{kU, 4}}}, {}, io).ok());
  CHECK(io[0].shape == Shape{2, kU});
}

}  // namespace edgert::cpu

namespace edgert::cpu {

TEST_CASE("Transpose and Slice on a large tensor (parallel copy path)", "[cpu][tensor]") {
  std::mt19937 rng(13);
  const std::vector<std::int64_t> dims = {40, 70, 120};
  Tensor x = rand_data(DataType::kFloat32, Shape(dims), rng), out;
  NodeInfo n = node("Transpose");
  n.attrs.set("perm", std::vector<std::int64_t>{2, 0, 1});
  REQUIRE(run1(n, {&x}, out).ok());
  const std::vector<std::int64_t> od = {120, 40, 70};
  bool ok = true;
  for (std::int64_t i = 0; i < out.numel(); ++i) {
    auto o = unravel(i, od);
    ok = ok && out.data<float>()[i] == x.data<float>()[ravel({o[1], o[2], o[0]}, dims)];
  }
  CHECK(ok);
  Tensor st = ints({-1, 1}), en = ints({-100000, 119}), ax = ints({0, 2}), sp = ints({-1, 2});
  REQUIRE(run1(node("Slice", 13), {&x, &st, &en, &ax, &sp}, out).ok());
  REQUIRE(out.shape() == Shape{40, 70, 59});
  ok = true;
  for (std::int64_t i = 0; i < out.numel(); ++i) {
    auto o = unravel(i, {40, 70, 59});
    ok =
        ok && out.data<float>()[i] == x.data<float>()[ravel({39 - o[0], o[1], 1 + 2 * o[2]}, dims)];
  }
  CHECK(ok);
}

}  // namespace edgert::cpu
