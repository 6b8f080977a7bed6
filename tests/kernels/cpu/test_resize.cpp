// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Resize / Upsample: every coordinate mode and nearest mode on small grids against a direct 2-D
// per-pixel formula, plus the ONNX spec's worked examples.

#include <cmath>
#include <string>

#include <catch2/catch.hpp>

#include "kernels/cpu/op_def.h"
#include "test_util.h"

namespace edgert::cpu {
namespace {

Tensor f32(const Shape& s, const std::vector<float>& v) {
  Tensor t = Tensor::allocate(DataType::kFloat32, s).value();
  std::copy(v.begin(), v.end(), t.data<float>());
  return t;
}
Tensor i64(const std::vector<std::int64_t>& v) {
  Tensor t = Tensor::allocate(DataType::kInt64, Shape{static_cast<std::int64_t>(v.size())}).value();
  std::copy(v.begin(), v.end(), t.data<std::int64_t>());
  return t;
}

NodeInfo resize_node(const std::string& mode, const std::string& coord, const std::string& nm) {
  NodeInfo n;
  n.op_type = "Resize";
  n.opset = 13;
  n.attrs.set("mode", mode);
  n.attrs.set("coordinate_transformation_mode", coord);
  if (!nm.empty()) n.attrs.set("nearest_mode", nm);
  return n;
}

// The spec's per-coordinate mapping, written out for one output coordinate.
double src_coord(const std::string& coord, double x, double scale, double in, double out) {
  if (coord == "half_pixel") return (x + 0.5) / scale - 0.5;
  if (coord == "pytorch_half_pixel") return out > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
  if (coord == "align_corners") return out == 1 ? 0.0 : x * (in - 1) / (out - 1);
  if (coord == "asymmetric") return x / scale;
  return 0.0;
}

long pick(const std::string& nm, double v, long in) {
  long r;
  const double f = std::floor(v);
  if (nm == "floor")
    r = static_cast<long>(f);
  else if (nm == "ceil")
    r = static_cast<long>(std::ceil(v));
  else if (v - f == 0.5)
    r = static_cast<long>(nm == "round_prefer_ceil" ? f + 1 : f);
  else
    r = static_cast<long>(std::round(v));
  return std::min(std::max(r, 0L), in - 1);
}

}  // namespace

TEST_CASE("Resize nearest/linear per coordinate mode against a per-pixel formula",
          "[cpu][resize]") {
  std::mt19937 rng(31);
  const long H = 3, W = 4;
  const Tensor x = test::random_tensor(DataType::kFloat32, Shape{1, 2, H, W}, rng);
  struct Case {
    std::vector<float> scales;
    std::vector<std::int64_t> sizes;
  };
  const Case cases[] = {{{1, 1, 2.f, 1.5f}, {}},
                        {{1, 1, 0.6f, 0.5f}, {}},
                        {{}, {1, 2, 5, 7}},
                        {{}, {1, 2, 1, 3}},
                        {{1, 1, 1.f, 2.5f}, {}}};
  for (const char* coord : {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"}) {
    for (const char* mode : {"nearest", "linear"}) {
      for (const char* nm : {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"}) {
        if (std::string(mode) == "linear" && std::string(nm) != "floor") continue;
        for (const Case& c : cases) {
          NodeInfo n = resize_node(mode, coord, nm);
          Tensor scales = f32(Shape{static_cast<std::int64_t>(c.scales.size())}, c.scales);
          Tensor sizes = i64(c.sizes);
          std::vector<const Tensor*> ins = {&x, nullptr, &scales};
          if (!c.sizes.empty()) ins = {&x, nullptr, nullptr, &sizes};
          INFO(mode << " " << coord << " " << nm << " sizes " << c.sizes.size());
          std::vector<Tensor> outs;
          REQUIRE(run_node(n, ins, outs, 1).ok());
          long OH, OW;
          double sh, sw;
          if (c.sizes.empty()) {
            OH = static_cast<long>(std::floor(H * static_cast<double>(c.scales[2])));
            OW = static_cast<long>(std::floor(W * static_cast<double>(c.scales[3])));
            sh = c.scales[2];
            sw = c.scales[3];
          } else {
            OH = c.sizes[2];
            OW = c.sizes[3];
            sh = static_cast<double>(OH) / H;
            sw = static_cast<double>(OW) / W;
          }
          REQUIRE(outs[0].shape() == Shape({1, 2, OH, OW}));
          for (long ch = 0; ch < 2; ++ch)
            for (long oy = 0; oy < OH; ++oy)
              for (long ox = 0; ox < OW; ++ox) {
                const double fy = src_coord(coord, oy, sh, H, OH);
                const double fx = src_coord(coord, ox, sw, W, OW);
                auto at = [&](long y, long xx) { return x.get_as_double(ch * H * W + y * W + xx); };
                double ref;
                if (std::string(mode) == "nearest") {
                  ref = at(pick(nm, fy, H), pick(nm, fx, W));
                } else {
                  const double cy = std::min(std::max(fy, 0.0), H - 1.0);
                  const double cx = std::min(std::max(fx, 0.0), W - 1.0);
                  const long y0 = static_cast<long>(cy), x0 = static_cast<long>(cx);
                  const long y1 = std::min(y0 + 1, H - 1), x1 = std::min(x0 + 1, W - 1);
                  const double wy = cy - y0, wx = cx - x0;
                  ref = (1 - wy) * ((1 - wx) * at(y0, x0) + wx * at(y0, x1)) +
                        wy * ((1 - wx) * at(y1, x0) + wx * at(y1, x1));
                }
                INFO("ch " << ch << " oy " << oy << " ox " << ox);
                REQUIRE(outs[0].get_as_double(ch * OH * OW + oy * OW + ox) ==
                        Approx(ref).margin(1e-5));
              }
        }
      }
    }
  }
}

TEST_CASE("Resize spec examples", "[cpu][resize]") {
  const Tensor x22 = f32(Shape{1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor up2 = f32(Shape{4}, {1, 1, 2, 2});
  std::vector<Tensor> outs;
  {  // test_resize_upsample_scales_linear (half_pixel)
    REQUIRE(run_node(resize_node("linear", "half_pixel", ""), {&x22, nullptr, &up2}, outs, 1).ok());
    const float e[] = {1,    1.25f, 1.75f, 2,    1.5f, 1.75f, 2.25f, 2.5f,
                       2.5f, 2.75f, 3.25f, 3.5f, 3,    3.25f, 3.75f, 4};
    for (int i = 0; i < 16; ++i) REQUIRE(outs[0].get_as_double(i) == Approx(e[i]));
  }
  {  // test_resize_upsample_scales_linear_align_corners
    REQUIRE(
        run_node(resize_node("linear", "align_corners", ""), {&x22, nullptr, &up2}, outs, 1).ok());
    const double e[] = {1,       4.0 / 3, 5.0 / 3, 2,        5.0 / 3, 2,        7.0 / 3,  8.0 / 3,
                        7.0 / 3, 8.0 / 3, 3,       10.0 / 3, 3,       10.0 / 3, 11.0 / 3, 4};
    for (int i = 0; i < 16; ++i) REQUIRE(outs[0].get_as_double(i) == Approx(e[i]));
  }
  {  // test_resize_downsample_scales_nearest
    const Tensor x = f32(Shape{1, 1, 2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
    Tensor s = f32(Shape{4}, {1, 1, 0.6f, 0.6f});
    REQUIRE(run_node(resize_node("nearest", "half_pixel", ""), {&x, nullptr, &s}, outs, 1).ok());
    REQUIRE(outs[0].shape() == Shape({1, 1, 1, 2}));
    REQUIRE(outs[0].get_as_double(0) == 1);
    REQUIRE(outs[0].get_as_double(1) == 3);
  }
  std::vector<float> v16(16);
  for (int i = 0; i < 16; ++i) v16[i] = static_cast<float>(i + 1);
  const Tensor x44 = f32(Shape{1, 1, 4, 4}, v16);
  Tensor sizes = i64({1, 1, 3, 3});
  {  // test_resize_tf_crop_and_resize
    Tensor roi = f32(Shape{8}, {0, 0, 0.4f, 0.6f, 1, 1, 0.6f, 0.8f});
    REQUIRE(run_node(resize_node("linear", "tf_crop_and_resize", ""), {&x44, &roi, nullptr, &sizes},
                     outs, 1)
                .ok());
    // rows 1.2, 1.5, 1.8 and cols 1.8, 2.1, 2.4 of the grid v = 1 + 4y + x
    const float e[] = {7.6f, 7.9f, 8.2f, 8.8f, 9.1f, 9.4f, 10.0f, 10.3f, 10.6f};
    for (int i = 0; i < 9; ++i) REQUIRE(outs[0].get_as_double(i) == Approx(e[i]).margin(1e-5));
  }
  {  // extrapolation outside the image
    Tensor roi = f32(Shape{8}, {0, 0, 0.4f, 0.6f, 1, 1, 1.2f, 1.7f});
    NodeInfo n = resize_node("linear", "tf_crop_and_resize", "");
    n.attrs.set("extrapolation_value", 10.f);
    REQUIRE(run_node(n, {&x44, &roi, nullptr, &sizes}, outs, 1).ok());
    const float e[] = {7.6f, 10, 10, 12.4f, 10, 10, 10, 10, 10};
    for (int i = 0; i < 9; ++i) REQUIRE(outs[0].get_as_double(i) == Approx(e[i]).margin(1e-5));
  }
  {  // tf_half_pixel_for_nn: src = (x + 0.5) / scale, sizes 1x1x3x2 of the 4x4 grid
    Tensor sz = i64({1, 1, 3, 2});
    REQUIRE(run_node(resize_node("nearest", "tf_half_pixel_for_nn", ""),
                     {&x44, nullptr, nullptr, &sz}, outs, 1)
                .ok());
    // rows: (y+0.5)*4/3 = 0.67, 2, 3.33 -> 1, 2, 3; cols: (x+0.5)*2 = 1, 3 -> 1, 3
    const float e[] = {6, 8, 10, 12, 14, 16};
    for (int i = 0; i < 6; ++i) REQUIRE(outs[0].get_as_double(i) == e[i]);
  }
}

TEST_CASE("Upsample and Resize-10 (asymmetric, floor)", "[cpu][resize]") {
  const Tensor x22 = f32(Shape{1, 1, 2, 2}, {1, 2, 3, 4});
  std::vector<Tensor> outs;
  NodeInfo n;
  n.op_type = "Upsample";
  n.opset = 7;
  n.attrs.set("scales", std::vector<float>{1, 1, 2, 3});
  REQUIRE(run_node(n, {&x22}, outs, 1).ok());
  REQUIRE(outs[0].shape() == Shape({1, 1, 4, 6}));
  const float e[] = {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4};
  for (int i = 0; i < 24; ++i) REQUIRE(outs[0].get_as_double(i) == e[i]);
  NodeInfo r;
  r.op_type = "Resize";
  r.opset = 10;
  r.attrs.set("mode", std::string("linear"));
  Tensor s = f32(Shape{4}, {1, 1, 2, 2});
  REQUIRE(run_node(r, {&x22, &s}, outs, 1).ok());
  // asymmetric: src = x / 2 -> 0, 0.5, 1, 1.5 (clamped to 1)
  const float e2[] = {1, 1.5f, 2, 2, 2, 2.5f, 3, 3, 3, 3.5f, 4, 4, 3, 3.5f, 4, 4};
  for (int i = 0; i < 16; ++i) REQUIRE(outs[0].get_as_double(i) == Approx(e2[i]));
}

TEST_CASE("Resize errors and shape inference", "[cpu][resize]") {
  const Tensor x22 = f32(Shape{1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor s = f32(Shape{4}, {1, 1, 2, 2});
  Tensor s3 = f32(Shape{3}, {1, 2, 2});
  Tensor sizes = i64({1, 1, 4, 4});
  std::vector<Tensor> outs;
  REQUIRE(run_node(resize_node("cubic", "half_pixel", ""), {&x22, nullptr, &s}, outs, 1).code() ==
          StatusCode::kUnsupported);
  REQUIRE(run_node(resize_node("nearest", "bogus", ""), {&x22, nullptr, &s}, outs, 1).code() ==
          StatusCode::kUnsupported);
  REQUIRE(run_node(resize_node("nearest", "half_pixel", ""), {&x22, nullptr, &s, &sizes}, outs, 1)
              .code() == StatusCode::kInvalidArgument);
  REQUIRE(
      run_node(resize_node("nearest", "half_pixel", ""), {&x22, nullptr, &s3}, outs, 1).code() ==
      StatusCode::kInvalidArgument);
  REQUIRE(run_node(resize_node("nearest", "half_pixel", ""), {&x22}, outs, 1).code() ==
          StatusCode::kInvalidArgument);

  const OpDef* def = find_op("Resize");
  REQUIRE(def);
  NodeInfo n = resize_node("linear", "half_pixel", "");
  TensorInfo xi{DataType::kFloat32, Shape{-1, 3, 8, 8}};
  TensorInfo si{DataType::kFloat32, Shape{4}};
  InferContext c1{n, {xi, TensorInfo{}, si}, {true, false, true}, {nullptr, nullptr, &s}, {}};
  REQUIRE(def->infer(c1).ok());
  REQUIRE(c1.outputs[0].shape == Shape({-1, 3, 16, 16}));
  InferContext c2{n, {xi, TensorInfo{}, si}, {true, false, true}, {nullptr, nullptr, nullptr}, {}};
  REQUIRE(def->infer(c2).ok());
  REQUIRE(c2.outputs[0].shape == Shape({-1, -1, -1, -1}));
}

}  // namespace edgert::cpu
