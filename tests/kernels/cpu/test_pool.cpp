// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// MaxPool / AveragePool / LpPool / Global*Pool against naive loops.

#include <cmath>
#include <limits>
#include <random>

#include <catch2/catch.hpp>

#include "nn_test_helpers.h"
#include "test_util.h"

namespace edgert::test {
namespace {

using nn::dims_str;
using nn::make_node;

struct PoolCase {
  std::vector<std::int64_t> x;
  std::vector<std::int64_t> k;
  std::vector<std::int64_t> strides{};
  std::vector<std::int64_t> pads{};
  std::vector<std::int64_t> dilations{};
  std::string auto_pad = "NOTSET";
  bool ceil_mode = false;
  bool count_include_pad = false;
};

std::string describe(const PoolCase& c) {
  return "x=" + dims_str(c.x) + " k=" + dims_str(c.k) + " strides=" + dims_str(c.strides) +
         " pads=" + dims_str(c.pads) + " dilations=" + dims_str(c.dilations) +
         " auto_pad=" + c.auto_pad + " ceil=" + std::to_string(c.ceil_mode) +
         " include_pad=" + std::to_string(c.count_include_pad);
}

struct Dim {
  std::int64_t in, k, s, d, pb, pe, out;
};

// Output sizes per the ONNX spec (ceil_mode drops a window starting in the end padding, as ORT).
std::vector<Dim> pool_dims(const PoolCase& c) {
  const std::size_t nd = c.k.size();
  std::vector<Dim> dims(nd);
  for (std::size_t i = 0; i < nd; ++i) {
    Dim& d = dims[i];
    d.in = c.x[i + 2];
    d.k = c.k[i];
    d.s = c.strides.empty() ? 1 : c.strides[i];
    d.d = c.dilations.empty() ? 1 : c.dilations[i];
    const std::int64_t ek = (d.k - 1) * d.d + 1;
    if (c.auto_pad == "SAME_UPPER" || c.auto_pad == "SAME_LOWER") {
      d.out = (d.in + d.s - 1) / d.s;
      const std::int64_t total = std::max<std::int64_t>(0, (d.out - 1) * d.s + ek - d.in);
      d.pb = c.auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      d.pe = total - d.pb;
    } else if (c.auto_pad == "VALID") {
      d.pb = d.pe = 0;
      d.out = (d.in - ek) / d.s + 1;
    } else {
      d.pb = c.pads.empty() ? 0 : c.pads[i];
      d.pe = c.pads.empty() ? 0 : c.pads[i + nd];
      const double span = static_cast<double>(d.in + d.pb + d.pe - ek) / static_cast<double>(d.s);
      d.out = static_cast<std::int64_t>(c.ceil_mode ? std::ceil(span) : std::floor(span)) + 1;
      if (c.ceil_mode && (d.out - 1) * d.s >= d.in + d.pb) --d.out;
    }
  }
  return dims;
}

void set_attrs(cpu::NodeInfo& node, const PoolCase& c) {
  node.attrs.set("kernel_shape", c.k);
  if (!c.strides.empty()) node.attrs.set("strides", c.strides);
  if (!c.pads.empty()) node.attrs.set("pads", c.pads);
  if (!c.dilations.empty()) node.attrs.set("dilations", c.dilations);
  if (c.auto_pad != "NOTSET") node.attrs.set("auto_pad", c.auto_pad);
  if (c.ceil_mode) node.attrs.set("ceil_mode", std::int64_t{1});
  if (c.count_include_pad) node.attrs.set("count_include_pad", std::int64_t{1});
}

enum class Kind { kMax, kAvg, kLp };

// Naive pool over 3-D-lifted dims; also returns argmax indices (row-major, whole tensor).
Tensor naive_pool(const PoolCase& c, Kind kind, const Tensor& x, Tensor* indices, double p = 2) {
  auto dims = pool_dims(c);
  std::vector<std::int64_t> out_dims = {c.x[0], c.x[1]};
  for (auto& d : dims) out_dims.push_back(d.out);
  while (dims.size() < 3) dims.insert(dims.begin(), Dim{1, 1, 1, 1, 0, 0, 1});
  Tensor y = Tensor::allocate(DataType::kFloat32, Shape(out_dims)).value();
  if (indices) *indices = Tensor::allocate(DataType::kInt64, Shape(out_dims)).value();
  const float* xp = x.data<float>();
  const std::int64_t planes = c.x[0] * c.x[1];
  const std::int64_t is = dims[0].in * dims[1].in * dims[2].in;
  std::int64_t o = 0;
  for (std::int64_t pl = 0; pl < planes; ++pl)
    for (std::int64_t oz = 0; oz < dims[0].out; ++oz)
      for (std::int64_t oy = 0; oy < dims[1].out; ++oy)
        for (std::int64_t ox = 0; ox < dims[2].out; ++ox, ++o) {
          double best = -std::numeric_limits<double>::infinity(), sum = 0;
          std::int64_t arg = -1, valid = 0, padded = 0;
          for (std::int64_t kz = 0; kz < dims[0].k; ++kz)
            for (std::int64_t ky = 0; ky < dims[1].k; ++ky)
              for (std::int64_t kx = 0; kx < dims[2].k; ++kx) {
                const std::int64_t pos[3] = {oz * dims[0].s - dims[0].pb + kz * dims[0].d,
                                             oy * dims[1].s - dims[1].pb + ky * dims[1].d,
                                             ox * dims[2].s - dims[2].pb + kx * dims[2].d};
                bool in = true, in_pad = true;
                for (int a = 0; a < 3; ++a) {
                  in = in && pos[a] >= 0 && pos[a] < dims[a].in;
                  in_pad = in_pad && pos[a] < dims[a].in + dims[a].pe;
                }
                if (in_pad) ++padded;
                if (!in) continue;
                ++valid;
                const std::int64_t i = (pos[0] * dims[1].in + pos[1]) * dims[2].in + pos[2];
                const double v = xp[pl * is + i];
                if (v > best) {
                  best = v;
                  arg = pl * is + i;
                }
                sum += kind == Kind::kLp ? std::pow(std::fabs(v), p) : v;
              }
          float r = 0;
          if (kind == Kind::kMax) r = static_cast<float>(best);
          if (kind == Kind::kAvg)
            r = static_cast<float>(sum / static_cast<double>(c.count_include_pad ? padded : valid));
          if (kind == Kind::kLp) r = static_cast<float>(std::pow(sum, 1.0 / p));
          y.data<float>()[o] = r;
          if (indices) indices->data<std::int64_t>()[o] = arg;
        }
  return y;
}

const std::vector<PoolCase>& pool_cases() {
  static const std::vector<PoolCase> cases = {
      {{1, 3, 8, 8}, {2, 2}, {2, 2}},
      {{2, 2, 7, 9}, {3, 3}, {2, 2}, {1, 1, 1, 1}},
      {{1, 2, 7, 7}, {3, 3}, {2, 2}, {0, 1, 2, 0}},            // asymmetric pads
      {{1, 2, 6, 6}, {3, 3}, {2, 2}, {}, {}, "NOTSET", true},  // ceil_mode
      {{1, 2, 7, 8}, {3, 2}, {2, 3}, {1, 1, 1, 1}, {}, "NOTSET", true},
      {{1, 2, 7, 7}, {3, 3}, {2, 2}, {1, 1, 1, 1}, {}, "NOTSET", false, true},  // include pad
      {{1, 2, 6, 7}, {3, 3}, {2, 2}, {1, 1, 1, 1}, {}, "NOTSET", true, true},
      {{1, 3, 7, 8}, {3, 3}, {2, 2}, {}, {}, "SAME_UPPER"},
      {{1, 3, 7, 8}, {2, 2}, {1, 1}, {}, {}, "SAME_LOWER"},
      {{1, 3, 7, 8}, {3, 3}, {2, 2}, {}, {}, "VALID"},
      {{1, 2, 20}, {4}, {3}, {1, 2}},                               // 1-D
      {{1, 2, 5, 6, 7}, {2, 3, 2}, {1, 2, 2}, {1, 0, 1, 0, 1, 1}},  // 3-D
      {{4, 16, 28, 28}, {3, 3}, {2, 2}, {1, 1, 1, 1}},              // larger, threaded
  };
  return cases;
}

TEST_CASE("MaxPool matches a naive max with indices", "[nn][pool]") {
  std::mt19937 rng(11);
  auto cases = pool_cases();
  cases.push_back({{1, 2, 9, 9}, {3, 3}, {1, 1}, {1, 1, 1, 1}, {2, 2}});  // dilations
  cases.push_back({{1, 1, 10, 10}, {2, 2}, {2, 2}, {}, {3, 2}, "NOTSET", true});
  for (const auto& c : cases) {
    INFO(describe(c));
    Tensor x = random_tensor(DataType::kFloat32, Shape(c.x), rng);
    auto node = make_node("MaxPool");
    set_attrs(node, c);
    std::vector<Tensor> out;
    REQUIRE(nn::run(node, {&x}, out, 2).ok());
    Tensor idx;
    Tensor ref = naive_pool(c, Kind::kMax, x, &idx);
    REQUIRE(out[0].shape() == ref.shape());
    CHECK(rel_l2(out[0], ref) < 1e-6);
    REQUIRE(out[1].dtype() == DataType::kInt64);
    CHECK(max_abs_diff(out[1], idx) == 0);
  }
}

TEST_CASE("MaxPool storage_order=1 gives column-major indices", "[nn][pool]") {
  std::mt19937 rng(12);
  Tensor x = random_tensor(DataType::kFloat32, Shape({1, 1, 4, 5}), rng);
  auto node = make_node("MaxPool");
  node.attrs.set("kernel_shape", std::vector<std::int64_t>{2, 2});
  node.attrs.set("storage_order", std::int64_t{1});
  std::vector<Tensor> out;
  REQUIRE(nn::run(node, {&x}, out, 2).ok());
  for (std::int64_t oy = 0; oy < 3; ++oy)
    for (std::int64_t ox = 0; ox < 4; ++ox) {
      float best = -2;
      std::int64_t arg = -1;
      for (std::int64_t y = oy; y < oy + 2; ++y)
        for (std::int64_t xx = ox; xx < ox + 2; ++xx)
          if (x.data<float>()[y * 5 + xx] > best) {
            best = x.data<float>()[y * 5 + xx];
            arg = xx * 4 + y;  // column-major over (H=4, W=5)
          }
      CHECK(out[1].data<std::int64_t>()[oy * 4 + ox] == arg);
    }
}

TEST_CASE("MaxPool on uint8 and int8", "[nn][pool]") {
  std::mt19937 rng(13);
  for (DataType t : {DataType::kUInt8, DataType::kInt8}) {
    INFO(dtype_name(t));
    Tensor x = random_tensor(t, Shape({1, 2, 5, 5}), rng, t == DataType::kInt8 ? -100 : 0, 200);
    Tensor xf = Tensor::allocate(DataType::kFloat32, x.shape()).value();
    for (std::int64_t i = 0; i < x.numel(); ++i)
      xf.data<float>()[i] = static_cast<float>(x.get_as_double(i));
    PoolCase c{{1, 2, 5, 5}, {3, 3}, {2, 2}, {1, 1, 1, 1}};
    auto node = make_node("MaxPool");
    set_attrs(node, c);
    std::vector<Tensor> out;
    REQUIRE(nn::run(node, {&x}, out).ok());
    REQUIRE(out[0].dtype() == t);
    Tensor ref = naive_pool(c, Kind::kMax, xf, nullptr);
    CHECK(max_abs_diff(out[0], ref) == 0);
  }
}

TEST_CASE("AveragePool and LpPool match naive loops", "[nn][pool]") {
  std::mt19937 rng(14);
  for (const auto& c : pool_cases()) {
    INFO(describe(c));
    Tensor x = random_tensor(DataType::kFloat32, Shape(c.x), rng);
    auto node = make_node("AveragePool");
    set_attrs(node, c);
    std::vector<Tensor> out;
    REQUIRE(nn::run(node, {&x}, out).ok());
    Tensor ref = naive_pool(c, Kind::kAvg, x, nullptr);
    REQUIRE(out[0].shape() == ref.shape());
    CHECK(rel_l2(out[0], ref) < 1e-5);
    if (c.ceil_mode || c.count_include_pad) continue;  // LpPool: opset-11 attribute set
    auto lp = make_node("LpPool", 11);
    set_attrs(lp, c);
    lp.attrs.set("p", std::int64_t{3});
    REQUIRE(nn::run(lp, {&x}, out).ok());
    Tensor lref = naive_pool(c, Kind::kLp, x, nullptr, 3.0);
    CHECK(rel_l2(out[0], lref) < 1e-5);
  }
}

TEST_CASE("Global pools match naive reductions", "[nn][pool]") {
  std::mt19937 rng(15);
  for (auto dims :
       {std::vector<std::int64_t>{2, 3, 5, 6}, std::vector<std::int64_t>{1, 4, 9},
        std::vector<std::int64_t>{1, 2, 3, 4, 5}, std::vector<std::int64_t>{1, 64, 56, 56}}) {
    INFO("x=" << dims_str(dims));
    Tensor x = random_tensor(DataType::kFloat32, Shape(dims), rng);
    std::vector<std::int64_t> od(dims.size(), 1);
    od[0] = dims[0];
    od[1] = dims[1];
    Tensor avg = Tensor::allocate(DataType::kFloat32, Shape(od)).value();
    Tensor mx = Tensor::allocate(DataType::kFloat32, Shape(od)).value();
    Tensor lp = Tensor::allocate(DataType::kFloat32, Shape(od)).value();
    const std::int64_t planes = dims[0] * dims[1], plane = x.numel() / planes;
    for (std::int64_t i = 0; i < planes; ++i) {
      double s = 0, m = -1e30, l = 0;
      for (std::int64_t j = 0; j < plane; ++j) {
        const double v = x.data<float>()[i * plane + j];
        s += v;
        m = std::max(m, v);
        l += v * v;
      }
      avg.data<float>()[i] = static_cast<float>(s / static_cast<double>(plane));
      mx.data<float>()[i] = static_cast<float>(m);
      lp.data<float>()[i] = static_cast<float>(std::sqrt(l));
    }
    std::vector<Tensor> out;
    REQUIRE(nn::run(make_node("GlobalAveragePool"), {&x}, out).ok());
    CHECK(rel_l2(out[0], avg) < 1e-5);
    REQUIRE(nn::run(make_node("GlobalMaxPool"), {&x}, out).ok());
    CHECK(rel_l2(out[0], mx) == 0);
    REQUIRE(nn::run(make_node("GlobalLpPool"), {&x}, out).ok());
    CHECK(rel_l2(out[0], lp) < 1e-5);
  }
}

TEST_CASE("Pool errors and shape inference", "[nn][pool]") {
  std::mt19937 rng(16);
  std::vector<Tensor> out;
  Tensor x = random_tensor(DataType::kFloat32, Shape({1, 2, 4, 4}), rng);
  auto node = make_node("MaxPool");
  SECTION("kernel_shape is required") {
    CHECK(nn::run(node, {&x}, out).code() == StatusCode::kInvalidArgument);
  }
  SECTION("kernel bigger than the input") {
    node.attrs.set("kernel_shape", std::vector<std::int64_t>{5, 5});
    CHECK(nn::run(node, {&x}, out).code() == StatusCode::kInvalidArgument);
  }
  SECTION("kernel_shape of the wrong rank") {
    node.attrs.set("kernel_shape", std::vector<std::int64_t>{2});
    CHECK(nn::run(node, {&x}, out).code() == StatusCode::kInvalidArgument);
  }
  SECTION("rank-2 input") {
    Tensor x2 = random_tensor(DataType::kFloat32, Shape({4, 4}), rng);
    node.attrs.set("kernel_shape", std::vector<std::int64_t>{2});
    CHECK(nn::run(node, {&x2}, out).code() == StatusCode::kInvalidArgument);
    CHECK(nn::run(make_node("GlobalAveragePool"), {&x2}, out).code() ==
          StatusCode::kInvalidArgument);
  }
  SECTION("AveragePool on int32 is unsupported") {
    Tensor xi = random_tensor(DataType::kInt32, Shape({1, 2, 4, 4}), rng, -5, 5);
    auto avg = make_node("AveragePool");
    avg.attrs.set("kernel_shape", std::vector<std::int64_t>{2, 2});
    CHECK(nn::run(avg, {&xi}, out).code() == StatusCode::kUnsupported);
  }
  SECTION("infer with unknown dims") {
    const std::int64_t u = Shape::kUnknownDim;
    node.attrs.set("kernel_shape", std::vector<std::int64_t>{3, 3});
    node.attrs.set("strides", std::vector<std::int64_t>{2, 2});
    node.attrs.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
    std::vector<cpu::TensorInfo> outs;
    REQUIRE(nn::infer(node, {{DataType::kFloat32, Shape({u, 64, 112, u})}}, outs, 2).ok());
    CHECK(outs[0].shape == Shape({u, 64, 56, u}));
    CHECK(outs[1].dtype == DataType::kInt64);
    REQUIRE(nn::infer(node, {{DataType::kFloat32, Shape::unknown()}}, outs).ok());
    CHECK(outs[0].shape == Shape({u, u, u, u}));
    REQUIRE(
        nn::infer(make_node("GlobalAveragePool"), {{DataType::kFloat32, Shape({u, 8, u, u})}}, outs)
            .ok());
    CHECK(outs[0].shape == Shape({u, 8, 1, 1}));
  }
}

}  // namespace
}  // namespace edgert::test
