// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Conv / ConvTranspose against naive direct loops over generated shapes and attributes.

#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>

#include <catch2/catch.hpp>

#include "nn_test_helpers.h"
#include "test_util.h"

namespace edgert::test {
namespace {

using nn::dims_str;
using nn::make_node;

struct ConvCase {
  std::vector<std::int64_t> x;  // N, C, spatial...
  std::int64_t m;               // output channels
  std::vector<std::int64_t> k;
  std::int64_t group = 1;
  std::vector<std::int64_t> strides{};    // empty: attribute absent
  std::vector<std::int64_t> dilations{};  // empty: attribute absent
  std::vector<std::int64_t> pads{};       // empty: attribute absent
  std::string auto_pad = "NOTSET";
  bool bias = true;
};

std::string describe(const ConvCase& c) {
  return "x=" + dims_str(c.x) + " m=" + std::to_string(c.m) + " k=" + dims_str(c.k) +
         " group=" + std::to_string(c.group) + " strides=" + dims_str(c.strides) +
         " dilations=" + dims_str(c.dilations) + " pads=" + dims_str(c.pads) +
         " auto_pad=" + c.auto_pad + " bias=" + std::to_string(c.bias);
}

// Per-dim parameters resolved the way the ONNX spec describes them (written independently of the
// kernel's helpers).
struct Dim {
  std::int64_t in, k, s, d, pb, out;
};

std::vector<Dim> conv_dims(const ConvCase& c) {
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
      std::int64_t total = std::max<std::int64_t>(0, (d.out - 1) * d.s + ek - d.in);
      d.pb = c.auto_pad == "SAME_UPPER" ? total / 2 : (total + 1) / 2;
    } else if (c.auto_pad == "VALID") {
      d.pb = 0;
      d.out = (d.in - ek) / d.s + 1;
    } else {
      d.pb = c.pads.empty() ? 0 : c.pads[i];
      const std::int64_t pe = c.pads.empty() ? 0 : c.pads[i + nd];
      d.out = (d.in + d.pb + pe - ek) / d.s + 1;
    }
  }
  return dims;
}

void set_attrs(cpu::NodeInfo& node, const ConvCase& c) {
  if (c.group != 1) node.attrs.set("group", c.group);
  if (!c.strides.empty()) node.attrs.set("strides", c.strides);
  if (!c.dilations.empty()) node.attrs.set("dilations", c.dilations);
  if (!c.pads.empty()) node.attrs.set("pads", c.pads);
  if (c.auto_pad != "NOTSET") node.attrs.set("auto_pad", c.auto_pad);
}

// Naive conv: every spatial rank is lifted to 3-D with leading extents of 1.
Tensor naive_conv(const ConvCase& c, const Tensor& x, const Tensor& w, const Tensor* b) {
  auto dims = conv_dims(c);
  while (dims.size() < 3) dims.insert(dims.begin(), Dim{1, 1, 1, 1, 0, 1});
  const std::int64_t n = c.x[0], ch = c.x[1], cg = ch / c.group, mg = c.m / c.group;
  std::vector<std::int64_t> out_dims = {n, c.m};
  for (std::size_t i = 0; i < c.k.size(); ++i) out_dims.push_back(conv_dims(c)[i].out);
  Tensor y = Tensor::allocate(DataType::kFloat32, Shape(out_dims)).value();
  const float* xp = x.data<float>();
  const float* wp = w.data<float>();
  float* yp = y.data<float>();
  const Dim &dz = dims[0], &dy = dims[1], &dx = dims[2];
  for (std::int64_t in = 0; in < n; ++in)
    for (std::int64_t om = 0; om < c.m; ++om)
      for (std::int64_t oz = 0; oz < dz.out; ++oz)
        for (std::int64_t oy = 0; oy < dy.out; ++oy)
          for (std::int64_t ox = 0; ox < dx.out; ++ox) {
            double acc = b ? b->data<float>()[om] : 0.0;
            const std::int64_t g = om / mg;
            for (std::int64_t ic = 0; ic < cg; ++ic)
              for (std::int64_t kz = 0; kz < dz.k; ++kz)
                for (std::int64_t ky = 0; ky < dy.k; ++ky)
                  for (std::int64_t kx = 0; kx < dx.k; ++kx) {
                    const std::int64_t iz = oz * dz.s - dz.pb + kz * dz.d;
                    const std::int64_t iy = oy * dy.s - dy.pb + ky * dy.d;
                    const std::int64_t ix = ox * dx.s - dx.pb + kx * dx.d;
                    if (iz < 0 || iz >= dz.in || iy < 0 || iy >= dy.in || ix < 0 || ix >= dx.in)
                      continue;
                    const std::int64_t xc = g * cg + ic;
                    acc += double{xp[(((in * ch + xc) * dz.in + iz) * dy.in + iy) * dx.in + ix]} *
                           wp[(((om * cg + ic) * dz.k + kz) * dy.k + ky) * dx.k + kx];
                  }
            yp[(((in * c.m + om) * dz.out + oz) * dy.out + oy) * dx.out + ox] =
                static_cast<float>(acc);
          }
  return y;
}

TEST_CASE("Conv matches a naive convolution", "[nn][conv]") {
  const std::vector<ConvCase> cases = {
      // 2-D basics
      {{1, 3, 7, 7}, 4, {3, 3}},
      {{2, 3, 8, 9}, 5, {3, 3}, 1, {1, 1}, {}, {1, 1, 1, 1}},
      {{1, 4, 9, 9}, 6, {3, 3}, 1, {2, 2}, {}, {1, 1, 1, 1}, "NOTSET", false},
      {{1, 2, 10, 11}, 3, {3, 2}, 1, {2, 1}, {}, {0, 1, 2, 0}},      // asymmetric pads
      {{1, 3, 12, 12}, 4, {3, 3}, 1, {1, 1}, {2, 2}, {2, 2, 2, 2}},  // dilation
      {{1, 3, 13, 12}, 4, {3, 3}, 1, {2, 3}, {2, 1}, {1, 0, 0, 1}},
      // groups, depthwise, channel multiplier
      {{2, 6, 8, 8}, 4, {3, 3}, 2, {1, 1}, {}, {1, 1, 1, 1}},
      {{1, 8, 9, 9}, 8, {3, 3}, 8, {1, 1}, {}, {1, 1, 1, 1}},
      {{1, 8, 10, 10}, 8, {3, 3}, 8, {2, 2}, {}, {1, 1, 1, 1}},
      {{1, 4, 9, 9}, 8, {5, 5}, 4, {1, 1}, {2, 2}, {2, 2, 2, 2}},  // multiplier 2 + dilation
      {{1, 1, 10, 10}, 6, {5, 5}},                                 // single input channel
      // 1x1 convs (direct GEMM path and strided)
      {{2, 16, 7, 7}, 8, {1, 1}},
      {{1, 16, 7, 7}, 8, {1, 1}, 2, {1, 1}},
      {{1, 16, 8, 8}, 8, {1, 1}, 1, {2, 2}},
      {{1, 8, 5, 5}, 4, {1, 1}, 1, {1, 1}, {}, {1, 1, 1, 1}},  // padded 1x1
      // auto_pad
      {{1, 3, 7, 8}, 4, {3, 3}, 1, {2, 2}, {}, {}, "SAME_UPPER"},
      {{1, 3, 7, 8}, 4, {4, 4}, 1, {1, 1}, {}, {}, "SAME_LOWER"},
      {{1, 3, 7, 8}, 4, {2, 3}, 1, {2, 1}, {}, {}, "SAME_LOWER"},
      {{1, 3, 7, 8}, 4, {3, 3}, 1, {2, 2}, {}, {}, "VALID"},
      {{1, 3, 9, 9}, 4, {2, 2}, 1, {1, 1}, {2, 2}, {}, "SAME_UPPER"},
      // 1-D and 3-D
      {{2, 3, 20}, 4, {3}},
      {{1, 4, 17}, 6, {5}, 2, {2}, {2}, {3, 1}},
      {{1, 4, 16}, 4, {3}, 4, {1}, {}, {}, "SAME_UPPER"},
      {{1, 2, 5, 6, 7}, 3, {3, 3, 3}, 1, {1, 1, 1}, {}, {1, 1, 1, 1, 1, 1}},
      {{1, 4, 6, 5, 7}, 4, {2, 3, 2}, 2, {2, 1, 2}, {1, 2, 1}, {0, 1, 1, 1, 0, 0}},
      // bigger: exercises the tiled column buffer and threading
      {{1, 64, 40, 40}, 32, {3, 3}, 1, {1, 1}, {}, {1, 1, 1, 1}},
  };
  std::mt19937 rng(1234);
  for (const auto& c : cases) {
    INFO(describe(c));
    std::vector<std::int64_t> wd = {c.m, c.x[1] / c.group};
    wd.insert(wd.end(), c.k.begin(), c.k.end());
    Tensor x = random_tensor(DataType::kFloat32, Shape(c.x), rng);
    Tensor w = random_tensor(DataType::kFloat32, Shape(wd), rng);
    Tensor b = random_tensor(DataType::kFloat32, Shape({c.m}), rng);
    auto node = make_node("Conv");
    set_attrs(node, c);
    if (c.m % 2 == 0) node.attrs.set("kernel_shape", c.k);  // optional attribute, both ways
    std::vector<Tensor> out;
    std::vector<const Tensor*> in = {&x, &w};
    if (c.bias) in.push_back(&b);
    Status st = nn::run(node, in, out);
    REQUIRE(st.ok());
    Tensor ref = naive_conv(c, x, w, c.bias ? &b : nullptr);
    REQUIRE(out[0].shape() == ref.shape());
    CHECK(rel_l2(out[0], ref) < 1e-5);
  }
}

TEST_CASE("Conv rejects malformed inputs", "[nn][conv]") {
  std::mt19937 rng(7);
  auto node = make_node("Conv");
  std::vector<Tensor> out;
  Tensor x = random_tensor(DataType::kFloat32, Shape({1, 6, 5, 5}), rng);
  SECTION("channel mismatch with groups") {
    node.attrs.set("group", std::int64_t{2});
    Tensor w = random_tensor(DataType::kFloat32, Shape({4, 2, 3, 3}), rng);  // needs C = 4
    CHECK(nn::run(node, {&x, &w}, out).code() == StatusCode::kInvalidArgument);
  }
  SECTION("output channels not divisible by group") {
    node.attrs.set("group", std::int64_t{2});
    Tensor w = random_tensor(DataType::kFloat32, Shape({3, 3, 3, 3}), rng);
    CHECK(nn::run(node, {&x, &w}, out).code() == StatusCode::kInvalidArgument);
  }
  SECTION("wrong weight rank") {
    Tensor w = random_tensor(DataType::kFloat32, Shape({4, 6, 3}), rng);
    CHECK(nn::run(node, {&x, &w}, out).code() == StatusCode::kInvalidArgument);
  }
  SECTION("kernel bigger than the padded input") {
    Tensor w = random_tensor(DataType::kFloat32, Shape({4, 6, 7, 7}), rng);
    node.attrs.set("pads", std::vector<std::int64_t>{0, 0, 0, 0});
    CHECK(nn::run(node, {&x, &w}, out).code() == StatusCode::kInvalidArgument);
  }
  SECTION("bias of the wrong size") {
    Tensor w = random_tensor(DataType::kFloat32, Shape({4, 6, 3, 3}), rng);
    Tensor b = random_tensor(DataType::kFloat32, Shape({5}), rng);
    CHECK(nn::run(node, {&x, &w, &b}, out).code() == StatusCode::kInvalidArgument);
  }
  SECTION("pads of the wrong length") {
    Tensor w = random_tensor(DataType::kFloat32, Shape({4, 6, 3, 3}), rng);
    node.attrs.set("pads", std::vector<std::int64_t>{1, 1});
    CHECK(nn::run(node, {&x, &w}, out).code() == StatusCode::kInvalidArgument);
  }
  SECTION("kernel_shape disagreeing with W") {
    Tensor w = random_tensor(DataType::kFloat32, Shape({4, 6, 3, 3}), rng);
    node.attrs.set("kernel_shape", std::vector<std::int64_t>{2, 2});
    CHECK(nn::run(node, {&x, &w}, out).code() == StatusCode::kInvalidArgument);
  }
  SECTION("unknown auto_pad") {
    Tensor w = random_tensor(DataType::kFloat32, Shape({4, 6, 3, 3}), rng);
    node.attrs.set("auto_pad", std::string("SAME"));
    CHECK(nn::run(node, {&x, &w}, out).code() == StatusCode::kInvalidArgument);
  }
  SECTION("int32 input is unsupported") {
    Tensor xi = random_tensor(DataType::kInt32, Shape({1, 6, 5, 5}), rng, -3, 3);
    Tensor wi = random_tensor(DataType::kInt32, Shape({4, 6, 3, 3}), rng, -3, 3);
    CHECK(nn::run(node, {&xi, &wi}, out).code() == StatusCode::kUnsupported);
  }
  SECTION("4-D spatial is unsupported") {
    Tensor x4 = random_tensor(DataType::kFloat32, Shape({1, 1, 2, 2, 2, 2}), rng);
    Tensor w4 = random_tensor(DataType::kFloat32, Shape({1, 1, 1, 1, 1, 1}), rng);
    CHECK(nn::run(node, {&x4, &w4}, out).code() == StatusCode::kUnsupported);
  }
}

TEST_CASE("Conv infers shapes with unknown dims", "[nn][conv]") {
  const std::int64_t u = Shape::kUnknownDim;
  std::vector<cpu::TensorInfo> outs;
  auto node = make_node("Conv");
  node.attrs.set("strides", std::vector<std::int64_t>{2, 2});
  node.attrs.set("pads", std::vector<std::int64_t>{3, 3, 3, 3});
  REQUIRE(nn::infer(node,
                    {{DataType::kFloat32, Shape({u, 3, 224, u})},
                     {DataType::kFloat32, Shape({64, 3, 7, 7})}},
                    outs)
              .ok());
  CHECK(outs[0].dtype == DataType::kFloat32);
  CHECK(outs[0].shape == Shape({u, 64, 112, u}));
  // Unknown rank X: the rank comes from W.
  REQUIRE(nn::infer(
              node,
              {{DataType::kFloat32, Shape::unknown()}, {DataType::kFloat32, Shape({64, 3, 7, 7})}},
              outs)
              .ok());
  CHECK(outs[0].shape == Shape({u, 64, u, u}));
  // Nothing known.
  auto bare = make_node("Conv");
  REQUIRE(
      nn::infer(bare,
                {{DataType::kFloat32, Shape::unknown()}, {DataType::kFloat32, Shape::unknown()}},
                outs)
          .ok());
  CHECK(outs[0].shape.unknown_rank());
  // SAME_UPPER with an unknown width.
  auto same = make_node("Conv");
  same.attrs.set("auto_pad", std::string("SAME_UPPER"));
  same.attrs.set("strides", std::vector<std::int64_t>{2, 2});
  REQUIRE(nn::infer(same,
                    {{DataType::kFloat32, Shape({1, 8, 15, u})},
                     {DataType::kFloat32, Shape({8, 8, 3, 3})}},
                    outs)
              .ok());
  CHECK(outs[0].shape == Shape({1, 8, 8, u}));
  // ConvTranspose with unknown spatial dims.
  auto ct = make_node("ConvTranspose");
  ct.attrs.set("strides", std::vector<std::int64_t>{2, 2});
  REQUIRE(nn::infer(ct,
                    {{DataType::kFloat32, Shape({u, 4, u, 5})},
                     {DataType::kFloat32, Shape({4, 3, 3, 3})}},
                    outs)
              .ok());
  CHECK(outs[0].shape == Shape({u, 3, u, 11}));
}

// ---- ConvTranspose
// -------------------------------------------------------------------------------

struct ConvTCase {
  ConvCase base;  // m = output channels; weights are [C, m / group, k...]
  std::vector<std::int64_t> output_padding{};
  std::vector<std::int64_t> output_shape{};
};

Tensor naive_conv_transpose(const ConvTCase& t, const Tensor& x, const Tensor& w, const Tensor* b) {
  const ConvCase& c = t.base;
  const std::size_t nd = c.k.size();
  std::vector<Dim> dims(nd);
  std::vector<std::int64_t> out_dims = {c.x[0], c.m};
  for (std::size_t i = 0; i < nd; ++i) {
    Dim& d = dims[i];
    d.in = c.x[i + 2];
    d.k = c.k[i];
    d.s = c.strides.empty() ? 1 : c.strides[i];
    d.d = c.dilations.empty() ? 1 : c.dilations[i];
    const std::int64_t op = t.output_padding.empty() ? 0 : t.output_padding[i];
    const std::int64_t full = d.s * (d.in - 1) + op + (d.k - 1) * d.d + 1;
    std::int64_t target = -1;
    if (!t.output_shape.empty()) target = t.output_shape[i];
    if (c.auto_pad == "SAME_UPPER" || c.auto_pad == "SAME_LOWER") target = d.in * d.s;
    if (target >= 0) {
      const std::int64_t total = full - target;
      const std::int64_t half = static_cast<std::int64_t>(std::floor(total / 2.0));
      d.pb = c.auto_pad == "SAME_UPPER" ? half : total - half;
      d.out = target;
    } else {
      d.pb = c.pads.empty() ? 0 : c.pads[i];
      d.out = full - d.pb - (c.pads.empty() ? 0 : c.pads[i + nd]);
    }
    out_dims.push_back(d.out);
  }
  while (dims.size() < 3) dims.insert(dims.begin(), Dim{1, 1, 1, 1, 0, 1});
  Tensor y = Tensor::allocate(DataType::kFloat32, Shape(out_dims)).value();
  const std::int64_t n = c.x[0], ch = c.x[1], cg = ch / c.group, mg = c.m / c.group;
  const float* xp = x.data<float>();
  const float* wp = w.data<float>();
  float* yp = y.data<float>();
  const Dim &dz = dims[0], &dy = dims[1], &dx = dims[2];
  const std::int64_t os = dz.out * dy.out * dx.out;
  for (std::int64_t in = 0; in < n; ++in)
    for (std::int64_t ic = 0; ic < ch; ++ic)
      for (std::int64_t iz = 0; iz < dz.in; ++iz)
        for (std::int64_t iy = 0; iy < dy.in; ++iy)
          for (std::int64_t ix = 0; ix < dx.in; ++ix)
            for (std::int64_t om = 0; om < mg; ++om)
              for (std::int64_t kz = 0; kz < dz.k; ++kz)
                for (std::int64_t ky = 0; ky < dy.k; ++ky)
                  for (std::int64_t kx = 0; kx < dx.k; ++kx) {
                    const std::int64_t oz = iz * dz.s - dz.pb + kz * dz.d;
                    const std::int64_t oy = iy * dy.s - dy.pb + ky * dy.d;
                    const std::int64_t ox = ix * dx.s - dx.pb + kx * dx.d;
                    if (oz < 0 || oz >= dz.out || oy < 0 || oy >= dy.out || ox < 0 || ox >= dx.out)
                      continue;
                    const std::int64_t oc = (ic / cg) * mg + om;
                    yp[(in * c.m + oc) * os + (oz * dy.out + oy) * dx.out + ox] +=
                        xp[(((in * ch + ic) * dz.in + iz) * dy.in + iy) * dx.in + ix] *
                        wp[(((ic * mg + om) * dz.k + kz) * dy.k + ky) * dx.k + kx];
                  }
  if (b)
    for (std::int64_t i = 0; i < n * c.m; ++i)
      for (std::int64_t j = 0; j < os; ++j) yp[i * os + j] += b->data<float>()[i % c.m];
  return y;
}

TEST_CASE("ConvTranspose matches a naive scatter", "[nn][conv]") {
  const std::vector<ConvTCase> cases = {
      {{{1, 3, 4, 4}, 2, {3, 3}}},
      {{{2, 4, 5, 4}, 6, {3, 3}, 2, {2, 2}, {}, {1, 1, 1, 1}}},
      {{{1, 2, 4, 5}, 3, {3, 2}, 1, {2, 3}, {}, {0, 1, 1, 0}}, {1, 2}},  // output_padding
      {{{1, 2, 4, 4}, 2, {3, 3}, 1, {2, 2}, {2, 2}, {1, 1, 1, 1}}},      // dilations
      {{{1, 2, 3, 3}, 2, {3, 3}, 1, {2, 2}, {}, {}, "SAME_UPPER"}},
      {{{1, 2, 3, 3}, 2, {3, 3}, 1, {2, 2}, {}, {}, "SAME_LOWER", false}},
      {{{1, 2, 3, 4}, 3, {3, 3}, 1, {3, 2}}, {}, {7, 8}},   // output_shape, cropping
      {{{1, 2, 3, 3}, 2, {3, 3}, 1, {3, 2}}, {}, {10, 8}},  // output_shape beyond the natural size
      {{{1, 4, 6, 6}, 4, {4, 4}, 4, {2, 2}, {}, {1, 1, 1, 1}}},  // depthwise upsampling
      {{{2, 3, 7}, 2, {3}, 1, {2}, {}, {1, 0}}},                 // 1-D
      {{{1, 2, 3, 3, 3}, 2, {2, 2, 2}, 1, {2, 2, 2}}},           // 3-D
      {{{1, 32, 16, 16}, 16, {4, 4}, 1, {2, 2}, {}, {1, 1, 1, 1}}},
  };
  std::mt19937 rng(99);
  for (const auto& t : cases) {
    const ConvCase& c = t.base;
    INFO(describe(c) << " output_padding=" << dims_str(t.output_padding)
                     << " output_shape=" << dims_str(t.output_shape));
    std::vector<std::int64_t> wd = {c.x[1], c.m / c.group};
    wd.insert(wd.end(), c.k.begin(), c.k.end());
    Tensor x = random_tensor(DataType::kFloat32, Shape(c.x), rng);
    Tensor w = random_tensor(DataType::kFloat32, Shape(wd), rng);
    Tensor b = random_tensor(DataType::kFloat32, Shape({c.m}), rng);
    auto node = make_node("ConvTranspose");
    set_attrs(node, c);
    if (!t.output_padding.empty()) node.attrs.set("output_padding", t.output_padding);
    if (!t.output_shape.empty()) node.attrs.set("output_shape", t.output_shape);
    std::vector<Tensor> out;
    std::vector<const Tensor*> in = {&x, &w};
    if (c.bias) in.push_back(&b);
    REQUIRE(nn::run(node, in, out).ok());
    Tensor ref = naive_conv_transpose(t, x, w, c.bias ? &b : nullptr);
    REQUIRE(out[0].shape() == ref.shape());
    CHECK(rel_l2(out[0], ref) < 1e-5);
  }
}

TEST_CASE("ConvTranspose SAME_UPPER matches the ONNX example", "[nn][conv]") {
  // onnx/backend/test/case/node/convtranspose.py: export_convtranspose_autopad_same, channel 0.
  Tensor x = Tensor::allocate(DataType::kFloat32, Shape({1, 1, 3, 3})).value();
  for (int i = 0; i < 9; ++i) x.data<float>()[i] = static_cast<float>(i);
  Tensor w = Tensor::allocate(DataType::kFloat32, Shape({1, 2, 3, 3})).value();
  for (int i = 0; i < 18; ++i) w.data<float>()[i] = 1.0f;
  auto node = make_node("ConvTranspose");
  node.attrs.set("auto_pad", std::string("SAME_UPPER"));
  node.attrs.set("strides", std::vector<std::int64_t>{2, 2});
  std::vector<Tensor> out;
  REQUIRE(nn::run(node, {&x, &w}, out).ok());
  REQUIRE(out[0].shape() == Shape({1, 2, 6, 6}));
  const float expect[36] = {0, 0, 1, 1, 3, 2, 0, 0, 1,  1,  3,  2,  3, 3, 8,  5, 12, 7,
                            3, 3, 7, 4, 9, 5, 9, 9, 20, 11, 24, 13, 6, 6, 13, 7, 15, 8};
  for (int i = 0; i < 36; ++i) {
    INFO("i=" << i);
    CHECK(out[0].data<float>()[i] == expect[i]);
    CHECK(out[0].data<float>()[36 + i] == expect[i]);
  }
}

TEST_CASE("ConvTranspose rejects malformed inputs", "[nn][conv]") {
  std::mt19937 rng(3);
  auto node = make_node("ConvTranspose");
  std::vector<Tensor> out;
  Tensor x = random_tensor(DataType::kFloat32, Shape({1, 4, 5, 5}), rng);
  Tensor w_bad = random_tensor(DataType::kFloat32, Shape({3, 2, 3, 3}), rng);
  CHECK(nn::run(node, {&x, &w_bad}, out).code() == StatusCode::kInvalidArgument);
  Tensor w = random_tensor(DataType::kFloat32, Shape({4, 2, 3, 3}), rng);
  node.attrs.set("output_padding", std::vector<std::int64_t>{1, 1});  // >= stride 1
  CHECK(nn::run(node, {&x, &w}, out).code() == StatusCode::kInvalidArgument);
}

TEST_CASE("Conv timing on ResNet-50-sized layers (informational)", "[nn][conv][timing]") {
  struct Layer {
    const char* name;
    ConvCase c;
  };
  const std::vector<Layer> layers = {
      {"1x256x56x56 -> 64, 1x1", {{1, 256, 56, 56}, 64, {1, 1}}},
      {"1x64x56x56 -> 64, 3x3 pad 1", {{1, 64, 56, 56}, 64, {3, 3}, 1, {1, 1}, {}, {1, 1, 1, 1}}},
      {"1x3x224x224 -> 64, 7x7 s2 pad 3",
       {{1, 3, 224, 224}, 64, {7, 7}, 1, {2, 2}, {}, {3, 3, 3, 3}}},
      {"1x512x7x7 -> 512, 3x3 pad 1", {{1, 512, 7, 7}, 512, {3, 3}, 1, {1, 1}, {}, {1, 1, 1, 1}}},
  };
  std::mt19937 rng(5);
  for (const auto& l : layers) {
    const ConvCase& c = l.c;
    std::vector<std::int64_t> wd = {c.m, c.x[1]};
    wd.insert(wd.end(), c.k.begin(), c.k.end());
    Tensor x = random_tensor(DataType::kFloat32, Shape(c.x), rng);
    Tensor w = random_tensor(DataType::kFloat32, Shape(wd), rng);
    Tensor b = random_tensor(DataType::kFloat32, Shape({c.m}), rng);
    auto node = make_node("Conv");
    set_attrs(node, c);
    std::vector<Tensor> out;
    REQUIRE(nn::run(node, {&x, &w, &b}, out).ok());  // warm-up
    const int reps = 5;
    auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) REQUIRE(nn::run(node, {&x, &w, &b}, out).ok());
    const double sec =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;
    const double flops =
        2.0 * static_cast<double>(out[0].numel()) * static_cast<double>(c.x[1] * c.k[0] * c.k[1]);
    std::printf("Conv %-34s %8.3f ms  %6.1f GFLOP/s\n", l.name, sec * 1e3, flops / sec * 1e-9);
    CHECK(out[0].numel() > 0);
  }
}

}  // namespace
}  // namespace edgert::test
