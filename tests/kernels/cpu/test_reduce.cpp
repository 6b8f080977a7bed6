// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Reduce*, ArgMax/ArgMin, TopK against naive per-element loops written here.

#include <algorithm>
#include <cmath>
#include <numeric>

#include <catch2/catch.hpp>

#include "kernels/cpu/op_def.h"
#include "test_util.h"

namespace edgert::cpu {
namespace {

Tensor make_i64(const std::vector<std::int64_t>& v) {
  Tensor t = Tensor::allocate(DataType::kInt64, Shape{static_cast<std::int64_t>(v.size())}).value();
  std::copy(v.begin(), v.end(), t.data<std::int64_t>());
  return t;
}

NodeInfo node_of(const std::string& op, int opset) {
  NodeInfo n;
  n.op_type = op;
  n.name = "t";
  n.opset = opset;
  return n;
}

// Naive reduction: every input element is mapped to its output slot by dropping/zeroing the
// reduced coordinates; accumulation in double.
std::vector<double> naive_reduce(const std::string& op, const Tensor& x,
                                 const std::vector<bool>& red) {
  const Shape& s = x.shape();
  std::vector<std::int64_t> od;
  for (std::size_t d = 0; d < s.rank(); ++d) od.push_back(red[d] ? 1 : s[d]);
  const auto ost = contiguous_strides(Shape(od));
  std::int64_t out_n = 1;
  for (auto v : od) out_n *= v;
  std::vector<std::vector<double>> groups(static_cast<std::size_t>(out_n));
  std::vector<std::int64_t> idx(s.rank(), 0);
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    std::int64_t o = 0;
    for (std::size_t d = 0; d < s.rank(); ++d) o += red[d] ? 0 : idx[d] * ost[d];
    groups[o].push_back(x.get_as_double(i));
    for (std::size_t d = s.rank(); d-- > 0;) {
      if (++idx[d] < s[d]) break;
      idx[d] = 0;
    }
  }
  std::vector<double> out;
  for (auto& g : groups) {
    double r = 0;
    if (op == "ReduceSum") {
      for (double v : g) r += v;
    } else if (op == "ReduceMean") {
      for (double v : g) r += v;
      r /= static_cast<double>(g.size());
    } else if (op == "ReduceMax")
      r = *std::max_element(g.begin(), g.end());
    else if (op == "ReduceMin")
      r = *std::min_element(g.begin(), g.end());
    else if (op == "ReduceProd") {
      r = 1;
      for (double v : g) r *= v;
    } else if (op == "ReduceL1") {
      for (double v : g) r += std::fabs(v);
    } else if (op == "ReduceL2") {
      for (double v : g) r += v * v;
      r = std::sqrt(r);
    } else if (op == "ReduceLogSum") {
      for (double v : g) r += v;
      r = std::log(r);
    } else if (op == "ReduceLogSumExp") {
      for (double v : g) r += std::exp(v);
      r = std::log(r);
    } else if (op == "ReduceSumSquare") {
      for (double v : g) r += v * v;
    }
    out.push_back(r);
  }
  return out;
}

const char* const kReduceOps[] = {"ReduceSum",       "ReduceMean",     "ReduceMax", "ReduceMin",
                                  "ReduceProd",      "ReduceL1",       "ReduceL2",  "ReduceLogSum",
                                  "ReduceLogSumExp", "ReduceSumSquare"};

}  // namespace

TEST_CASE("Reduce ops match a naive loop for every axes subset and keepdims", "[cpu][reduce]") {
  std::mt19937 rng(7);
  const std::vector<Shape> shapes = {Shape{5}, Shape{2, 3, 4}, Shape{3, 1, 5, 2},
                                     Shape{2, 4, 7, 7}};
  for (const char* op : kReduceOps) {
    const std::string ops(op);
    // LogSum needs positive sums; Prod stays well-conditioned in [0.5, 1.5].
    const bool positive = ops == "ReduceLogSum" || ops == "ReduceProd";
    for (const auto& shape : shapes) {
      const Tensor x = test::random_tensor(DataType::kFloat32, shape, rng, positive ? 0.5 : -1.0,
                                           positive ? 1.5 : 1.0);
      const auto rank = static_cast<std::int64_t>(shape.rank());
      for (std::int64_t mask = 0; mask < (1 << rank); ++mask) {
        for (int keep = 0; keep <= 1; ++keep) {
          for (int variant = 0; variant < 3; ++variant) {
            // variant 0: attribute (opset 13, or 11 for ReduceSum); 1: negative axes attribute;
            // 2: axes input (opset 13 for ReduceSum, 18 otherwise).
            std::vector<std::int64_t> axes;
            std::vector<bool> red(static_cast<std::size_t>(rank), false);
            for (std::int64_t d = 0; d < rank; ++d)
              if (mask & (1 << d)) {
                axes.push_back(variant == 1 ? d - rank : d);
                red[d] = true;
              }
            if (axes.empty()) std::fill(red.begin(), red.end(), true);  // default: all axes
            const int opset =
                variant == 2 ? (ops == "ReduceSum" ? 13 : 18) : (ops == "ReduceSum" ? 11 : 13);
            NodeInfo n = node_of(ops, opset);
            n.attrs.set("keepdims", std::int64_t{keep});
            Tensor axes_t = make_i64(axes);
            std::vector<const Tensor*> ins = {&x};
            if (variant == 2) {
              if (!axes.empty()) ins.push_back(&axes_t);
            } else if (!axes.empty()) {
              n.attrs.set("axes", axes);
            }
            INFO(ops << " shape " << shape.to_string() << " mask " << mask << " keepdims " << keep
                     << " variant " << variant);
            std::vector<Tensor> outs;
            Status st = run_node(n, ins, outs, 1);
            REQUIRE(st.ok());
            std::vector<std::int64_t> expect_shape;
            for (std::int64_t d = 0; d < rank; ++d) {
              if (!red[d])
                expect_shape.push_back(shape[d]);
              else if (keep)
                expect_shape.push_back(1);
            }
            REQUIRE(outs[0].shape() == Shape(expect_shape));
            const auto ref = naive_reduce(ops, x, red);
            REQUIRE(outs[0].numel() == static_cast<std::int64_t>(ref.size()));
            for (std::size_t i = 0; i < ref.size(); ++i)
              REQUIRE(outs[0].get_as_double(static_cast<std::int64_t>(i)) ==
                      Approx(ref[i]).epsilon(1e-4).margin(1e-5));
          }
        }
      }
    }
  }
}

TEST_CASE("Reduce noop_with_empty_axes, int types, fp16", "[cpu][reduce]") {
  std::mt19937 rng(3);
  const Tensor x = test::random_tensor(DataType::kFloat32, Shape{2, 3}, rng);
  Tensor empty_axes = make_i64({});
  {
    NodeInfo n = node_of("ReduceSum", 13);
    n.attrs.set("noop_with_empty_axes", std::int64_t{1});
    std::vector<Tensor> outs;
    REQUIRE(run_node(n, {&x, &empty_axes}, outs, 1).ok());
    REQUIRE(outs[0].shape() == x.shape());
    REQUIRE(test::max_abs_diff(outs[0], x) == 0.0);
    // Without noop, empty axes reduce everything.
    NodeInfo m = node_of("ReduceSum", 13);
    REQUIRE(run_node(m, {&x, &empty_axes}, outs, 1).ok());
    REQUIRE(outs[0].shape() == Shape({1, 1}));
    double s = 0;
    for (int i = 0; i < 6; ++i) s += x.get_as_double(i);
    REQUIRE(outs[0].get_as_double(0) == Approx(s).margin(1e-5));
  }
  for (DataType t : {DataType::kInt32, DataType::kInt64}) {
    const Tensor xi = test::random_tensor(t, Shape{3, 4, 5}, rng, -50, 50);
    for (const char* op : {"ReduceSum", "ReduceMax", "ReduceMin", "ReduceSumSquare", "ReduceL1"}) {
      NodeInfo n = node_of(op, 13);
      n.attrs.set("axes", std::vector<std::int64_t>{0, 2});
      n.attrs.set("keepdims", std::int64_t{0});
      std::vector<Tensor> outs;
      INFO(op << " " << dtype_name(t));
      REQUIRE(run_node(n, {&xi}, outs, 1).ok());
      REQUIRE(outs[0].dtype() == t);
      const auto ref = naive_reduce(op, xi, {true, false, true});
      for (std::size_t i = 0; i < ref.size(); ++i)
        REQUIRE(outs[0].get_as_double(static_cast<std::int64_t>(i)) == ref[i]);
    }
  }
  {
    const Tensor xh = test::random_tensor(DataType::kFloat16, Shape{4, 6}, rng);
    NodeInfo n = node_of("ReduceMean", 13);
    n.attrs.set("axes", std::vector<std::int64_t>{1});
    std::vector<Tensor> outs;
    REQUIRE(run_node(n, {&xh}, outs, 1).ok());
    REQUIRE(outs[0].dtype() == DataType::kFloat16);
    const auto ref = naive_reduce("ReduceMean", xh, {false, true});
    for (std::size_t i = 0; i < ref.size(); ++i)
      REQUIRE(outs[0].get_as_double(static_cast<std::int64_t>(i)) == Approx(ref[i]).margin(2e-3));
  }
}

TEST_CASE("Reduce errors and shape inference", "[cpu][reduce]") {
  std::mt19937 rng(5);
  const Tensor x = test::random_tensor(DataType::kFloat32, Shape{2, 3}, rng);
  std::vector<Tensor> outs;
  NodeInfo n = node_of("ReduceMean", 13);
  n.attrs.set("axes", std::vector<std::int64_t>{2});
  REQUIRE(run_node(n, {&x}, outs, 1).code() == StatusCode::kInvalidArgument);
  n.attrs.set("axes", std::vector<std::int64_t>{1, -1});  // repeated
  REQUIRE(run_node(n, {&x}, outs, 1).code() == StatusCode::kInvalidArgument);
  const Tensor b = test::random_tensor(DataType::kBool, Shape{2, 3}, rng);
  REQUIRE(run_node(node_of("ReduceSum", 13), {&b}, outs, 1).code() == StatusCode::kUnsupported);
  const Tensor i8 = test::random_tensor(DataType::kInt8, Shape{2, 3}, rng, -5, 5);
  REQUIRE(run_node(node_of("ReduceSum", 13), {&i8}, outs, 1).code() == StatusCode::kUnsupported);
  REQUIRE(run_node(node_of("ReduceMax", 13), {&i8}, outs, 1).ok());
  Tensor axes = make_i64({0});
  // Axes as an input before opset 18 (ReduceMean) is malformed.
  REQUIRE(run_node(node_of("ReduceMean", 13), {&x, &axes}, outs, 1).code() ==
          StatusCode::kInvalidArgument);

  // Static inference with unknown dims and unknown axes values.
  const OpDef* def = find_op("ReduceSum");
  REQUIRE(def);
  NodeInfo m = node_of("ReduceSum", 13);
  m.attrs.set("keepdims", std::int64_t{0});
  InferContext c1{
      m,
      {TensorInfo{DataType::kFloat32, Shape{-1, 3, -1}}, TensorInfo{DataType::kInt64, Shape{1}}},
      {true, true},
      {nullptr, &axes},
      {}};
  REQUIRE(def->infer(c1).ok());
  REQUIRE(c1.outputs[0].shape == Shape({3, -1}));
  InferContext c2{
      m,
      {TensorInfo{DataType::kFloat32, Shape{-1, 3, -1}}, TensorInfo{DataType::kInt64, Shape{1}}},
      {true, true},
      {nullptr, nullptr},
      {}};
  REQUIRE(def->infer(c2).ok());
  REQUIRE(c2.outputs[0].shape.unknown_rank());
  NodeInfo k = node_of("ReduceSum", 13);  // keepdims=1: rank known
  InferContext c3{
      k,
      {TensorInfo{DataType::kFloat32, Shape{-1, 3, -1}}, TensorInfo{DataType::kInt64, Shape{1}}},
      {true, true},
      {nullptr, nullptr},
      {}};
  REQUIRE(def->infer(c3).ok());
  REQUIRE(c3.outputs[0].shape == Shape({-1, -1, -1}));
}

TEST_CASE("ArgMax/ArgMin with ties, select_last_index, keepdims, negative axis", "[cpu][reduce]") {
  std::mt19937 rng(11);
  // Small integer range: many ties.
  for (DataType t : {DataType::kFloat32, DataType::kInt32}) {
    const Tensor x = t == DataType::kFloat32
                         ? test::random_tensor(DataType::kInt32, Shape{3, 4, 5}, rng, 0, 3)
                         : test::random_tensor(t, Shape{3, 4, 5}, rng, 0, 3);
    Tensor xf = x;
    if (t == DataType::kFloat32) {
      xf = Tensor::allocate(DataType::kFloat32, x.shape()).value();
      for (std::int64_t i = 0; i < x.numel(); ++i)
        xf.data<float>()[i] = static_cast<float>(x.get_as_double(i));
    }
    for (const char* op : {"ArgMax", "ArgMin"}) {
      for (std::int64_t axis = -3; axis < 3; ++axis) {
        for (int keep = 0; keep <= 1; ++keep) {
          for (int last = 0; last <= 1; ++last) {
            NodeInfo n = node_of(op, 12);
            n.attrs.set("axis", axis);
            n.attrs.set("keepdims", std::int64_t{keep});
            n.attrs.set("select_last_index", std::int64_t{last});
            INFO(op << " axis " << axis << " keep " << keep << " last " << last);
            std::vector<Tensor> outs;
            REQUIRE(run_node(n, {&xf}, outs, 1).ok());
            const std::int64_t a = axis < 0 ? axis + 3 : axis;
            std::vector<std::int64_t> es = {3, 4, 5};
            if (keep)
              es[a] = 1;
            else
              es.erase(es.begin() + a);
            REQUIRE(outs[0].shape() == Shape(es));
            REQUIRE(outs[0].dtype() == DataType::kInt64);
            const std::int64_t dims[3] = {3, 4, 5};
            std::int64_t o = 0;
            std::int64_t idx[3];
            // Iterate the reduced-output positions in row-major order.
            for (idx[0] = 0; idx[0] < (a == 0 ? 1 : 3); ++idx[0])
              for (idx[1] = 0; idx[1] < (a == 1 ? 1 : 4); ++idx[1])
                for (idx[2] = 0; idx[2] < (a == 2 ? 1 : 5); ++idx[2]) {
                  std::int64_t best = -1;
                  double bv = 0;
                  for (std::int64_t j = 0; j < dims[a]; ++j) {
                    std::int64_t p[3] = {idx[0], idx[1], idx[2]};
                    p[a] = j;
                    const double v = xf.get_as_double(p[0] * 20 + p[1] * 5 + p[2]);
                    const bool is_max = std::string(op) == "ArgMax";
                    bool better = best < 0 || (is_max ? v > bv : v < bv) || (last && v == bv);
                    if (better) {
                      best = j;
                      bv = v;
                    }
                  }
                  REQUIRE(outs[0].get_as_int64(o++) == best);
                }
          }
        }
      }
    }
  }
  const Tensor x = test::random_tensor(DataType::kFloat32, Shape{2, 3}, rng);
  NodeInfo n = node_of("ArgMax", 13);
  n.attrs.set("axis", std::int64_t{2});
  std::vector<Tensor> outs;
  REQUIRE(run_node(n, {&x}, outs, 1).code() == StatusCode::kInvalidArgument);
}

TEST_CASE("TopK values and indices, ties lower index first", "[cpu][reduce]") {
  std::mt19937 rng(13);
  const Tensor x = test::random_tensor(DataType::kInt64, Shape{3, 6, 4}, rng, 0, 4);
  for (int largest = 0; largest <= 1; ++largest) {
    for (std::int64_t axis : {0, 1, -1, 2}) {
      for (int opset : {1, 11}) {
        const std::int64_t a = axis < 0 ? axis + 3 : axis;
        const std::int64_t dims[3] = {3, 6, 4};
        const std::int64_t k = dims[a] - 1;
        if (opset == 1 && !largest) continue;  // 'largest' arrives in opset 11
        NodeInfo n = node_of("TopK", opset);
        n.attrs.set("axis", axis);
        if (opset >= 11) n.attrs.set("largest", std::int64_t{largest});
        Tensor kt = make_i64({k});
        std::vector<const Tensor*> ins = {&x};
        if (opset >= 10)
          ins.push_back(&kt);
        else
          n.attrs.set("k", k);
        INFO("axis " << axis << " largest " << largest << " opset " << opset);
        std::vector<Tensor> outs;
        REQUIRE(run_node(n, ins, outs, 2).ok());
        std::vector<std::int64_t> es = {3, 6, 4};
        es[a] = k;
        REQUIRE(outs[0].shape() == Shape(es));
        REQUIRE(outs[1].dtype() == DataType::kInt64);
        const auto ost = contiguous_strides(Shape(es));
        for (std::int64_t i0 = 0; i0 < (a == 0 ? 1 : 3); ++i0)
          for (std::int64_t i1 = 0; i1 < (a == 1 ? 1 : 6); ++i1)
            for (std::int64_t i2 = 0; i2 < (a == 2 ? 1 : 4); ++i2) {
              std::vector<std::pair<std::int64_t, std::int64_t>> v;  // (value, index)
              for (std::int64_t j = 0; j < dims[a]; ++j) {
                std::int64_t p[3] = {i0, i1, i2};
                p[a] = j;
                v.push_back({x.get_as_int64(p[0] * 24 + p[1] * 4 + p[2]), j});
              }
              std::stable_sort(v.begin(), v.end(), [&](auto& l, auto& r) {
                return largest ? l.first > r.first : l.first < r.first;
              });
              for (std::int64_t j = 0; j < k; ++j) {
                std::int64_t p[3] = {i0, i1, i2};
                p[a] = j;
                const std::int64_t off = p[0] * ost[0] + p[1] * ost[1] + p[2] * ost[2];
                REQUIRE(outs[0].get_as_int64(off) == v[j].first);
                REQUIRE(outs[1].get_as_int64(off) == v[j].second);
              }
            }
      }
    }
  }
  Tensor big = make_i64({7});
  std::vector<Tensor> outs;
  REQUIRE(run_node(node_of("TopK", 11), {&x, &big}, outs, 2).code() ==
          StatusCode::kInvalidArgument);
  // Unknown k: the axis dim is unknown, the rest stays.
  const OpDef* def = find_op("TopK");
  NodeInfo n = node_of("TopK", 11);
  InferContext c{
      n,
      {TensorInfo{DataType::kFloat32, Shape{-1, 5}}, TensorInfo{DataType::kInt64, Shape{1}}},
      {true, true},
      {nullptr, nullptr},
      {}};
  REQUIRE(def->infer(c).ok());
  REQUIRE(c.outputs[0].shape == Shape({-1, -1}));
  REQUIRE(c.outputs[1].dtype == DataType::kInt64);
}

}  // namespace edgert::cpu
