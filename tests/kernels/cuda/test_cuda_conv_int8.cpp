// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The int8 convolutions (cuda_conv_int8.h) against the CPU ConvInt8 op on the same random int8
// data. The int32 sums are exact on both sides and the epilogue does the same float operations,
// so a float32 output agrees to rounding and an int8 output to at most one step on rare ties.
// Geometries cover each gather width (c % 16, % 8, % 4, odd c), strides, padding, dilation, the
// 7x7 stem, partial tiles in both directions, the 1 x 1 GEMM case; every tile shape and a split
// reduction; int8 and float32 outputs; no, int8 and float32 residuals.

#include <cuda_runtime_api.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "cuda_test_util.h"
#include "edgert/kernels/cuda_conv_int8.h"
#include "kernels/cpu/activation_fn.h"
#include "test_util.h"

namespace edgert {
namespace {

using cuda::Act;
using cuda::ActParams;
using cuda::ConvGeom;
using test::gpu::DeviceMemory;

struct Case {
  const char* name;
  std::int64_t n, c, h, w, k;
  int kh, kw, stride, pad, dilation;
  bool depthwise;
};

const Case kCases[] = {
    {"1x1 c64", 2, 64, 9, 11, 96, 1, 1, 1, 0, 1, false},
    {"3x3 c32 pad 1", 2, 32, 13, 10, 40, 3, 3, 1, 1, 1, false},
    {"3x3 c24 stride 2 (8-byte gather)", 1, 24, 15, 17, 19, 3, 3, 2, 1, 1, false},
    {"3x3 c20 (4-byte gather)", 1, 20, 7, 9, 33, 3, 3, 1, 1, 1, false},
    {"7x7 c3 stride 2 pad 3 (stem)", 2, 3, 30, 28, 64, 7, 7, 2, 3, 1, false},
    {"3x3 dilation 2", 1, 16, 12, 12, 24, 3, 3, 1, 2, 2, false},
    {"1x1 stride 2, k 200", 1, 48, 14, 14, 200, 1, 1, 2, 0, 1, false},
    {"gemm 1x1 on 1x1 pixels", 37, 144, 1, 1, 70, 1, 1, 1, 0, 1, false},
    {"depthwise 3x3 c32", 2, 32, 14, 13, 32, 3, 3, 1, 1, 1, true},
    {"depthwise 3x3 c12 stride 2", 1, 12, 15, 15, 12, 3, 3, 2, 1, 1, true},
    {"depthwise 5x5 c5", 1, 5, 11, 9, 5, 5, 5, 1, 2, 1, true},
};

Shape nchw(std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w) {
  return Shape{n, c, h, w};
}

AttrMap conv_attrs(const Case& cs, const ActParams& act, float x_scale, float z_scale,
                   float y_scale) {
  AttrMap a = test::gpu::int8_attrs(act, x_scale, z_scale, y_scale);
  a.set("strides", std::vector<std::int64_t>{cs.stride, cs.stride});
  a.set("pads", std::vector<std::int64_t>{cs.pad, cs.pad, cs.pad, cs.pad});
  a.set("dilations", std::vector<std::int64_t>{cs.dilation, cs.dilation});
  a.set("group", cs.depthwise ? cs.c : std::int64_t{1});
  return a;
}

ConvGeom geom(const Case& cs) {
  ConvGeom g;
  g.n = cs.n;
  g.c = cs.c;
  g.h = cs.h;
  g.w = cs.w;
  g.k = cs.k;
  g.kh = cs.kh;
  g.kw = cs.kw;
  g.stride_h = g.stride_w = cs.stride;
  g.pad_top = g.pad_left = cs.pad;
  g.dilation_h = g.dilation_w = cs.dilation;
  g.groups = cs.depthwise ? static_cast<int>(cs.c) : 1;
  const auto out = [](std::int64_t in, int k, int s, int p, int d) {
    return (in + 2 * p - d * (k - 1) - 1) / s + 1;
  };
  g.oh = out(cs.h, cs.kh, cs.stride, cs.pad, cs.dilation);
  g.ow = out(cs.w, cs.kw, cs.stride, cs.pad, cs.dilation);
  return g;
}

}  // namespace

TEST_CASE("CUDA int8 convolutions match the CPU ConvInt8", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  test::gpu::Stream stream;
  std::mt19937 rng(8);
  const ActParams acts[] = {{Act::kNone, 0.f, 0.f},
                            {Act::kRelu, 0.f, 0.f},
                            {Act::kClip, 0.f, 6.f},
                            {Act::kSiLU, 0.f, 0.f}};
  for (const Case& cs : kCases) {
    const ConvGeom g = geom(cs);
    const std::int64_t wc = cs.depthwise ? 1 : cs.c;
    const Tensor xq =
        test::random_tensor(DataType::kInt8, nchw(g.n, g.c, g.h, g.w), rng, -127, 127);
    const Tensor wq =
        test::random_tensor(DataType::kInt8, nchw(g.k, wc, g.kh, g.kw), rng, -127, 127);
    // Weight scales that bring random sums of this length to a few units (their spread grows
    // as the root of the length): y_scale then spans most of the int8 range without saturating.
    const double span = 1.0 / (127.0 * 127.0 * std::sqrt(static_cast<double>(wc * g.kh * g.kw)));
    const Tensor ws = test::random_tensor(DataType::kFloat32, Shape{g.k}, rng, 2 * span, 20 * span);
    const Tensor bias = test::random_tensor(DataType::kFloat32, Shape{g.k}, rng, -1.0, 1.0);
    const Shape ys = nchw(g.n, g.k, g.oh, g.ow);
    const Tensor zq = test::random_tensor(DataType::kInt8, ys, rng, -127, 127);
    const Tensor zf = test::random_tensor(DataType::kFloat32, ys, rng, -1.0, 1.0);
    const float x_scale = 1.f, z_scale = 0.01f;

    std::vector<std::int8_t> packed;
    if (cs.depthwise) {
      packed.resize(static_cast<std::size_t>(g.k * g.kh * g.kw));
      cuda::pack_int8_depthwise_filter(wq.data<std::int8_t>(), g, packed.data());
    } else {
      packed.resize(static_cast<std::size_t>(g.k * cuda::int8_conv_packed_k(g)));
      cuda::pack_int8_filter(wq.data<std::int8_t>(), g, packed.data());
    }
    DeviceMemory dw(packed.size());
    REQUIRE(cudaMemcpy(dw.get(), packed.data(), packed.size(), cudaMemcpyHostToDevice) ==
            cudaSuccess);
    DeviceMemory dx = test::gpu::upload(test::gpu::nchw_to_nhwc(xq));
    DeviceMemory dzq = test::gpu::upload(test::gpu::nchw_to_nhwc(zq));
    DeviceMemory dzf = test::gpu::upload(test::gpu::nchw_to_nhwc(zf));
    DeviceMemory dws = test::gpu::upload(ws), dbias = test::gpu::upload(bias);
    const Shape ys_nhwc{g.n, g.oh, g.ow, g.k};

    // Every tile, then the 64 x 64 tile with the reduction split in 3 (int32 partial sums).
    const int variants = cs.depthwise ? 1 : cuda::kInt8TileCount + 1;
    const int split = 3;
    DeviceMemory workspace(cuda::int8_conv_workspace_bytes(g, split));
    for (int variant = 0; variant < variants; ++variant)
      for (const ActParams& act : acts)
        for (float y_scale : {0.f, 0.05f})
          for (int zkind = 0; zkind < 3; ++zkind) {  // none, int8, float32
            const bool with_bias = zkind != 1;
            const bool splitting = variant == cuda::kInt8TileCount;
            const auto tile =
                splitting ? cuda::Int8Tile::k64x64 : static_cast<cuda::Int8Tile>(variant);
            INFO(cs.name << " tile " << cuda::int8_tile_name(tile) << " split "
                         << (splitting ? split : 1) << " act " << static_cast<int>(act.kind)
                         << " y_scale " << y_scale << " z " << zkind << " bias " << with_bias);
            const Tensor* z = zkind == 1 ? &zq : zkind == 2 ? &zf : nullptr;
            const Tensor want = test::gpu::run_cpu(
                "ConvInt8", conv_attrs(cs, act, x_scale, zkind == 1 ? z_scale : 0.f, y_scale),
                {&xq, &wq, &ws, with_bias ? &bias : nullptr, z})[0];
            const cuda::QuantEpilogue ep = test::gpu::quant_epilogue(
                x_scale, dws.as<float>(), with_bias ? dbias.as<float>() : nullptr, zkind, dzq.get(),
                dzf.get(), z_scale, y_scale, act);
            const DataType yt = y_scale > 0.f ? DataType::kInt8 : DataType::kFloat32;
            DeviceMemory dy =
                test::gpu::poisoned(static_cast<std::size_t>(ys.numel()) * dtype_size(yt));
            const auto* x = dx.as<std::int8_t>();
            const auto* w = dw.as<std::int8_t>();
            const Status s = cs.depthwise
                                 ? cuda::int8_depthwise_conv(x, w, dy.get(), g, ep, stream.get())
                                 : cuda::int8_conv(x, w, dy.get(), g, ep, tile, stream.get(),
                                                   splitting ? split : 1, workspace.get());
            INFO(s.to_string());
            REQUIRE(s.ok());
            test::gpu::sync(stream.get());
            test::gpu::check_quant_output(
                test::gpu::nhwc_to_nchw(test::gpu::download(dy.get(), yt, ys_nhwc)), want);
          }
  }
}

TEST_CASE("CUDA int8 convolutions reject what they do not run", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  ConvGeom g;
  g.n = 1;
  g.c = 8;
  g.h = g.w = g.oh = g.ow = 4;
  g.k = 8;
  cuda::QuantEpilogue ep;
  DeviceMemory buf(1024), ws(64);
  ep.w_scale = ws.as<float>();
  const auto* x = buf.as<std::int8_t>();
  g.groups = 2;
  CHECK(cuda::int8_conv(x, x, buf.get(), g, ep, cuda::Int8Tile::k64x64, nullptr).code() ==
        StatusCode::kInvalidArgument);
  CHECK(cuda::int8_depthwise_conv(x, x, buf.get(), g, ep, nullptr).code() ==
        StatusCode::kInvalidArgument);
  g.groups = 1;
  g.kh = g.kw = 128;  // 128 * 128 * 8 products: int32 sums could overflow
  CHECK(cuda::int8_conv(x, x, buf.get(), g, ep, cuda::Int8Tile::k64x64, nullptr).code() ==
        StatusCode::kInvalidArgument);
  g.kh = g.kw = 1;
  ep.x_scale = 0.f;
  CHECK(cuda::int8_conv(x, x, buf.get(), g, ep, cuda::Int8Tile::k64x64, nullptr).code() ==
        StatusCode::kInvalidArgument);
}

}  // namespace edgert
