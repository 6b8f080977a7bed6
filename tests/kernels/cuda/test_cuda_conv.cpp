// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// EdgeRT's own CUDA convolutions and GEMM (cuda_conv.h) against the CPU FusedConv / FusedGemm ops
// run through cpu::run_node on the same random data: NCHW float32 on the CPU, converted here to
// NHWC and/or float16 for the GPU (float16 inputs are rounded first and the CPU runs on the
// rounded values, so the float16 error is the kernel's own: accumulation order and the final
// rounding). Geometries: 1x1, 3x3 stride 2, 7x7 stride 2 pad 3, dilation 2, groups, depthwise
// 3x3/5x5, asymmetric padding, odd sizes that leave partial tiles; every activation; with and
// without bias and residual.

#include <cuda_runtime_api.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "cuda_test_util.h"
#include "edgert/kernels/cuda_conv.h"
#include "kernels/cpu/activation_fn.h"
#include "kernels/cpu/op_def.h"
#include "test_util.h"

namespace edgert {
namespace {

using cuda::Act;
using cuda::Layout;
using test::gpu::DeviceMemory;

// cuda_common.h promises the numbering of cpu::Activation.
#define EDGERT_SAME_ACT(name) \
  static_assert(static_cast<int>(Act::name) == static_cast<int>(cpu::Activation::name), #name)
EDGERT_SAME_ACT(kNone);
EDGERT_SAME_ACT(kRelu);
EDGERT_SAME_ACT(kClip);
EDGERT_SAME_ACT(kLeakyRelu);
EDGERT_SAME_ACT(kSigmoid);
EDGERT_SAME_ACT(kHardSigmoid);
EDGERT_SAME_ACT(kHardSwish);
EDGERT_SAME_ACT(kSiLU);
EDGERT_SAME_ACT(kGelu);
EDGERT_SAME_ACT(kTanh);
#undef EDGERT_SAME_ACT

constexpr double kTolF32 = 1e-5;
constexpr double kTolF16 = 2e-3;

struct ActCase {
  const char* name;  // the FusedConv/FusedGemm `activation` attribute
  Act kind;
  float alpha;
  float beta;
};

const ActCase kActs[] = {
    {"", Act::kNone, 0.f, 0.f},
    {"Relu", Act::kRelu, 0.f, 0.f},
    {"Clip", Act::kClip, 0.f, 6.f},
    {"Clip", Act::kClip, -0.3f, 0.4f},
    {"LeakyRelu", Act::kLeakyRelu, 0.1f, 0.f},
    {"Sigmoid", Act::kSigmoid, 0.f, 0.f},
    {"HardSigmoid", Act::kHardSigmoid, 0.3f, 0.4f},
    {"HardSwish", Act::kHardSwish, 0.f, 0.f},
    {"SiLU", Act::kSiLU, 0.f, 0.f},
    {"Gelu", Act::kGelu, 0.f, 0.f},
    {"Tanh", Act::kTanh, 0.f, 0.f},
};
constexpr int kNumActs = static_cast<int>(sizeof(kActs) / sizeof(kActs[0]));

cuda::ActParams act_params(const ActCase& a) { return {a.kind, a.alpha, a.beta}; }

void set_activation(cpu::NodeInfo& node, const ActCase& a) {
  if (a.kind == Act::kNone) return;
  node.attrs.set("activation", std::string(a.name));
  node.attrs.set("activation_alpha", a.alpha);
  node.attrs.set("activation_beta", a.beta);
}

std::string act_text(const ActCase& a) {
  return a.kind == Act::kNone ? std::string("none")
                              : std::string(a.name) + "(" + std::to_string(a.alpha) + "," +
                                    std::to_string(a.beta) + ")";
}

const char* type_text(DataType t) { return t == DataType::kFloat16 ? "float16" : "float32"; }
const char* layout_text(Layout l) { return l == Layout::kNCHW ? "NCHW" : "NHWC"; }

std::vector<float> values(const Tensor& t) {
  return std::vector<float>(t.data<float>(), t.data<float>() + t.numel());
}

Tensor float_tensor(const Shape& s, const std::vector<float>& v) {
  Tensor t = Tensor::allocate(DataType::kFloat32, s).value();
  for (std::size_t i = 0; i < v.size(); ++i) t.data<float>()[i] = v[i];
  return t;
}

/// A random float32 tensor, rounded to float16 values when the kernel under test reads float16.
Tensor random_input(const Shape& s, std::mt19937& rng, double lo, double hi, DataType t) {
  Tensor x = test::random_tensor(DataType::kFloat32, s, rng, lo, hi);
  if (t == DataType::kFloat16)
    for (std::int64_t i = 0; i < x.numel(); ++i)
      x.data<float>()[i] = half_to_float(float_to_half(x.data<float>()[i]));
  return x;
}

// NCHW <-> NHWC of a float buffer with logical dims n, c, h, w.
std::vector<float> to_nhwc(const std::vector<float>& v, std::int64_t n, std::int64_t c,
                           std::int64_t h, std::int64_t w) {
  std::vector<float> o(v.size());
  for (std::int64_t a = 0; a < n; ++a)
    for (std::int64_t ch = 0; ch < c; ++ch)
      for (std::int64_t y = 0; y < h; ++y)
        for (std::int64_t x = 0; x < w; ++x)
          o[static_cast<std::size_t>(((a * h + y) * w + x) * c + ch)] =
              v[static_cast<std::size_t>(((a * c + ch) * h + y) * w + x)];
  return o;
}
std::vector<float> to_nchw(const std::vector<float>& v, std::int64_t n, std::int64_t c,
                           std::int64_t h, std::int64_t w) {
  std::vector<float> o(v.size());
  for (std::int64_t a = 0; a < n; ++a)
    for (std::int64_t ch = 0; ch < c; ++ch)
      for (std::int64_t y = 0; y < h; ++y)
        for (std::int64_t x = 0; x < w; ++x)
          o[static_cast<std::size_t>(((a * c + ch) * h + y) * w + x)] =
              v[static_cast<std::size_t>(((a * h + y) * w + x) * c + ch)];
  return o;
}

/// Uploads float values as type t into a new device buffer.
DeviceMemory upload(const std::vector<float>& v, DataType t) {
  if (t == DataType::kFloat32) return test::gpu::upload_bytes(v.data(), v.size() * sizeof(float));
  const std::vector<std::uint16_t> h = test::gpu::to_half(v);
  return test::gpu::upload_bytes(h.data(), h.size() * sizeof(std::uint16_t));
}

/// Downloads n values of type t as float.
std::vector<float> download(const DeviceMemory& b, std::size_t n, DataType t) {
  if (t == DataType::kFloat32) {
    std::vector<float> v(n);
    test::gpu::download_bytes(b.get(), v.data(), n * sizeof(float));
    return v;
  }
  std::vector<std::uint16_t> h(n);
  test::gpu::download_bytes(b.get(), h.data(), n * sizeof(std::uint16_t));
  return test::gpu::from_half(h);
}

Tensor run_cpu(const cpu::NodeInfo& node, const std::vector<const Tensor*>& in) {
  std::vector<Tensor> out;
  const Status st = cpu::run_node(node, in, out, 1);
  INFO("CPU " << node.op_type << ": " << st.to_string());
  REQUIRE(st.ok());
  return out[0];
}

void sync_ok(cudaStream_t stream) {
  const cudaError_t done = cudaStreamSynchronize(stream);
  INFO("CUDA: " << cudaGetErrorString(done));
  REQUIRE(done == cudaSuccess);
}

// ---- convolution ----

struct ConvCase {
  const char* what;
  std::int64_t n, c, h, w, k;
  int kh, kw;
  int sh = 1, sw = 1;
  int pt = 0, pl = 0, pb = 0, pr = 0;
  int dh = 1, dw = 1;
  int groups = 1;
  bool depthwise() const { return groups == c && k == c; }
  std::int64_t oh() const { return (h + pt + pb - dh * (kh - 1) - 1) / sh + 1; }
  std::int64_t ow() const { return (w + pl + pr - dw * (kw - 1) - 1) / sw + 1; }
};

std::string conv_text(const ConvCase& c) {
  return std::string(c.what) + ": x [" + std::to_string(c.n) + "," + std::to_string(c.c) + "," +
         std::to_string(c.h) + "," + std::to_string(c.w) + "] k " + std::to_string(c.k) +
         " kernel " + std::to_string(c.kh) + "x" + std::to_string(c.kw) + " stride " +
         std::to_string(c.sh) + "x" + std::to_string(c.sw) + " pads (t,l,b,r) " +
         std::to_string(c.pt) + "," + std::to_string(c.pl) + "," + std::to_string(c.pb) + "," +
         std::to_string(c.pr) + " dilation " + std::to_string(c.dh) + "x" + std::to_string(c.dw) +
         " groups " + std::to_string(c.groups);
}

// Shapes chosen to leave partial 64 x 64 tiles and partial K steps of 16, odd sizes throughout.
const ConvCase kConvCases[] = {
    {"1x1", 2, 13, 9, 11, 17, 1, 1},
    {"3x3 stride 2", 1, 8, 15, 13, 24, 3, 3, 2, 2, 1, 1, 1, 1},
    {"7x7 stride 2 pad 3 (stem)", 1, 3, 33, 29, 16, 7, 7, 2, 2, 3, 3, 3, 3},
    {"3x3 dilation 2", 1, 6, 17, 19, 10, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2},
    {"3x3 groups 2", 2, 10, 11, 9, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2},
    {"5x3 groups 4, stride 2x1", 1, 12, 9, 7, 8, 5, 3, 2, 1, 2, 1, 2, 1, 1, 1, 4},
    {"asymmetric pads, 3x2 dilation 1x2", 1, 5, 10, 12, 7, 3, 2, 2, 1, 0, 1, 2, 0, 1, 2},
    {"3x3 several K steps and M tiles", 1, 64, 20, 21, 70, 3, 3, 1, 1, 1, 1, 1, 1},
    {"depthwise 3x3", 2, 19, 13, 15, 19, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 19},
    {"depthwise 3x3 stride 2", 1, 32, 16, 17, 32, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 32},
    {"depthwise 5x5", 1, 21, 14, 13, 21, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 21},
    {"depthwise 5x5 stride 2 dilation 2 asymmetric", 1, 7, 19, 18, 7, 5, 5, 2, 2, 1, 2, 3, 0, 2, 2,
     7},
    {"channel multiplier 2 (groups = c)", 1, 6, 9, 10, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 6},
};

enum class ConvKernel { kDirect, kDepthwise };

struct ConvRun {
  ConvKernel kernel;
  DataType type;
  Layout layout;
  bool bias;
  bool residual;
  ActCase act;
};

void check_conv(const ConvCase& cc, const ConvRun& r, std::mt19937& rng, cudaStream_t stream) {
  INFO(conv_text(cc) << " | " << (r.kernel == ConvKernel::kDirect ? "direct" : "depthwise") << " "
                     << type_text(r.type) << " " << layout_text(r.layout) << " bias " << r.bias
                     << " residual " << r.residual << " act " << act_text(r.act));
  const std::int64_t cg = cc.c / cc.groups, oh = cc.oh(), ow = cc.ow();
  const Shape xs{cc.n, cc.c, cc.h, cc.w}, ws{cc.k, cg, cc.kh, cc.kw}, ys{cc.n, cc.k, oh, ow};
  // Weights scaled so that outputs are O(1): every piece of every activation is reached.
  const double wscale = 2.0 / std::sqrt(static_cast<double>(cg * cc.kh * cc.kw));
  Tensor x = random_input(xs, rng, -1.0, 1.0, r.type);
  Tensor w = random_input(ws, rng, -wscale, wscale, r.type);
  Tensor b = test::random_tensor(DataType::kFloat32, Shape{cc.k}, rng, -0.5, 0.5);
  Tensor z = random_input(ys, rng, -1.0, 1.0, r.type);

  cpu::NodeInfo node;
  node.op_type = "FusedConv";
  node.name = "t_FusedConv";
  node.attrs.set("kernel_shape", std::vector<std::int64_t>{cc.kh, cc.kw});
  node.attrs.set("strides", std::vector<std::int64_t>{cc.sh, cc.sw});
  node.attrs.set("pads", std::vector<std::int64_t>{cc.pt, cc.pl, cc.pb, cc.pr});
  node.attrs.set("dilations", std::vector<std::int64_t>{cc.dh, cc.dw});
  node.attrs.set("group", std::int64_t{cc.groups});
  set_activation(node, r.act);
  const Tensor want = run_cpu(node, {&x, &w, r.bias ? &b : nullptr, r.residual ? &z : nullptr});
  REQUIRE(want.shape() == ys);

  const bool nhwc = r.layout == Layout::kNHWC;
  const std::vector<float> xv = nhwc ? to_nhwc(values(x), cc.n, cc.c, cc.h, cc.w) : values(x);
  const std::vector<float> zv = nhwc ? to_nhwc(values(z), cc.n, cc.k, oh, ow) : values(z);
  auto dx = upload(xv, r.type), dw = upload(values(w), r.type), dz = upload(zv, r.type);
  auto db = upload(values(b), DataType::kFloat32);
  const std::size_t ny = static_cast<std::size_t>(ys.numel());
  DeviceMemory dy = test::gpu::poisoned(ny * dtype_size(r.type));

  cuda::ConvGeom g;
  g.n = cc.n;
  g.c = cc.c;
  g.h = cc.h;
  g.w = cc.w;
  g.k = cc.k;
  g.oh = oh;
  g.ow = ow;
  g.kh = cc.kh;
  g.kw = cc.kw;
  g.stride_h = cc.sh;
  g.stride_w = cc.sw;
  g.pad_top = cc.pt;
  g.pad_left = cc.pl;
  g.dilation_h = cc.dh;
  g.dilation_w = cc.dw;
  g.groups = cc.groups;
  cuda::ConvEpilogue ep;
  ep.bias = r.bias ? static_cast<const float*>(db.get()) : nullptr;
  ep.z = r.residual ? dz.get() : nullptr;
  ep.act = act_params(r.act);
  const Status launched =
      r.kernel == ConvKernel::kDirect
          ? cuda::direct_conv(dx.get(), dw.get(), dy.get(), r.type, r.layout, g, ep, stream)
          : cuda::depthwise_conv(dx.get(), dw.get(), dy.get(), r.type, r.layout, g, ep, stream);
  INFO("launch: " << launched.to_string());
  REQUIRE(launched.ok());
  sync_ok(stream);

  std::vector<float> yv = download(dy, ny, r.type);
  REQUIRE(yv.size() == ny);
  if (nhwc) yv = to_nchw(yv, cc.n, cc.k, oh, ow);
  const Tensor got = float_tensor(ys, yv);
  const double err = test::rel_l2(got, want);
  INFO("rel L2 " << err << ", max abs " << test::max_abs_diff(got, want));
  CHECK(err < (r.type == DataType::kFloat32 ? kTolF32 : kTolF16));
}

// ---- GEMM ----

struct GemmCase {
  std::int64_t m, n, k;
};

const GemmCase kGemmCases[] = {
    {1, 1, 1},       {5, 7, 3},       {64, 64, 16},  {63, 65, 17},
    {100, 257, 300}, {257, 31, 1000}, {2, 1000, 64},
};

struct GemmRun {
  DataType type;
  bool trans_b;
  bool bias;
  bool residual;
  ActCase act;
};

void check_gemm(const GemmCase& gc, const GemmRun& r, std::mt19937& rng, cudaStream_t stream) {
  INFO("gemm m " << gc.m << " n " << gc.n << " k " << gc.k << " | " << type_text(r.type)
                 << " trans_b " << r.trans_b << " bias " << r.bias << " residual " << r.residual
                 << " act " << act_text(r.act));
  const double bscale = 2.0 / std::sqrt(static_cast<double>(gc.k));
  Tensor a = random_input(Shape{gc.m, gc.k}, rng, -1.0, 1.0, r.type);
  Tensor b =
      random_input(r.trans_b ? Shape{gc.n, gc.k} : Shape{gc.k, gc.n}, rng, -bscale, bscale, r.type);
  Tensor bias = test::random_tensor(DataType::kFloat32, Shape{gc.n}, rng, -0.5, 0.5);
  Tensor z = random_input(Shape{gc.m, gc.n}, rng, -1.0, 1.0, r.type);

  // FusedGemm has no residual input: with one, the CPU reference is FusedGemm without activation,
  // then + z and the activation of kernels/cpu/activation_fn.h, the fused epilogue's order.
  cpu::NodeInfo node;
  node.op_type = "FusedGemm";
  node.name = "t_FusedGemm";
  node.attrs.set("transB", std::int64_t{r.trans_b ? 1 : 0});
  if (!r.residual) set_activation(node, r.act);
  Tensor want = run_cpu(node, {&a, &b, r.bias ? &bias : nullptr});
  REQUIRE(want.shape() == Shape({gc.m, gc.n}));
  if (r.residual) {
    const cpu::ActivationParams p{static_cast<cpu::Activation>(r.act.kind), r.act.alpha,
                                  r.act.beta};
    for (std::int64_t i = 0; i < want.numel(); ++i)
      want.data<float>()[i] = cpu::apply_activation(p, want.data<float>()[i] + z.data<float>()[i]);
  }

  auto da = upload(values(a), r.type), dbm = upload(values(b), r.type);
  auto dz = upload(values(z), r.type), dbias = upload(values(bias), DataType::kFloat32);
  const std::size_t ny = static_cast<std::size_t>(gc.m * gc.n);
  DeviceMemory dy = test::gpu::poisoned(ny * dtype_size(r.type));
  cuda::ConvEpilogue ep;
  ep.bias = r.bias ? static_cast<const float*>(dbias.get()) : nullptr;
  ep.z = r.residual ? dz.get() : nullptr;
  ep.act = act_params(r.act);
  const Status launched =
      cuda::gemm(da.get(), dbm.get(), dy.get(), r.type, gc.m, gc.n, gc.k, r.trans_b, ep, stream);
  INFO("launch: " << launched.to_string());
  REQUIRE(launched.ok());
  sync_ok(stream);

  const std::vector<float> yv = download(dy, ny, r.type);
  REQUIRE(yv.size() == ny);
  const Tensor got = float_tensor(want.shape(), yv);
  const double err = test::rel_l2(got, want);
  INFO("rel L2 " << err << ", max abs " << test::max_abs_diff(got, want));
  CHECK(err < (r.type == DataType::kFloat32 ? kTolF32 : kTolF16));
}

const DataType kTypes[] = {DataType::kFloat32, DataType::kFloat16};
const Layout kLayouts[] = {Layout::kNCHW, Layout::kNHWC};

// The epilogue variants each geometry runs with; the activation rotates through kActs across
// cases so that every activation meets several geometries.
struct EpilogueVariant {
  bool bias, residual;
  int act_offset;
};
const EpilogueVariant kVariants[] = {
    {false, false, -1}, {true, false, 0}, {true, true, 1}, {false, true, 2}};

ActCase variant_act(const EpilogueVariant& v, int case_index) {
  if (v.act_offset < 0) return kActs[0];
  return kActs[(case_index * 3 + v.act_offset) % kNumActs];
}

}  // namespace

namespace {

/// Every case the kernel runs (the depthwise kernel: the depthwise cases) in every type, layout
/// and epilogue variant; the activation rotates with the case's position.
void check_conv_cases(ConvKernel kernel, std::uint32_t seed) {
  test::gpu::Stream stream;
  std::mt19937 rng(seed);
  int index = 0;
  for (const ConvCase& cc : kConvCases) {
    if (kernel == ConvKernel::kDepthwise && !cc.depthwise()) continue;
    for (DataType t : kTypes)
      for (Layout l : kLayouts)
        for (const EpilogueVariant& v : kVariants)
          check_conv(cc, {kernel, t, l, v.bias, v.residual, variant_act(v, index)}, rng,
                     stream.get());
    ++index;
  }
}

}  // namespace

TEST_CASE("CUDA direct_conv matches the CPU FusedConv", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  check_conv_cases(ConvKernel::kDirect, 20241);
}

TEST_CASE("CUDA depthwise_conv matches the CPU FusedConv", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  check_conv_cases(ConvKernel::kDepthwise, 20242);
}

TEST_CASE("CUDA conv epilogue: every activation, with bias and residual", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  cudaStream_t stream = nullptr;
  REQUIRE(cudaStreamCreate(&stream) == cudaSuccess);
  std::mt19937 rng(20243);
  const ConvCase& dense = kConvCases[1];      // 3x3 stride 2
  const ConvCase& depthwise = kConvCases[8];  // depthwise 3x3
  REQUIRE(depthwise.depthwise());
  for (const ActCase& a : kActs)
    for (DataType t : kTypes)
      for (Layout l : kLayouts) {
        check_conv(dense, {ConvKernel::kDirect, t, l, true, true, a}, rng, stream);
        check_conv(depthwise, {ConvKernel::kDepthwise, t, l, true, true, a}, rng, stream);
        check_conv(depthwise, {ConvKernel::kDirect, t, l, true, false, a}, rng, stream);
      }
  CHECK(cudaStreamDestroy(stream) == cudaSuccess);
}

TEST_CASE("CUDA gemm matches the CPU FusedGemm", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  cudaStream_t stream = nullptr;
  REQUIRE(cudaStreamCreate(&stream) == cudaSuccess);
  std::mt19937 rng(20244);
  int index = 0;
  for (const GemmCase& gc : kGemmCases) {
    for (DataType t : kTypes)
      for (bool trans_b : {false, true})
        for (const EpilogueVariant& v : kVariants)
          check_gemm(gc, {t, trans_b, v.bias, v.residual, variant_act(v, index)}, rng, stream);
    ++index;
  }
  // Every activation on one shape, with bias and residual and without the residual.
  for (const ActCase& a : kActs)
    for (DataType t : kTypes) {
      check_gemm(kGemmCases[3], {t, true, true, true, a}, rng, stream);
      check_gemm(kGemmCases[3], {t, false, true, false, a}, rng, stream);
    }
  CHECK(cudaStreamDestroy(stream) == cudaSuccess);
}

TEST_CASE("CUDA gemm with K = 0 is the epilogue alone", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  const std::int64_t m = 3, n = 70;
  std::mt19937 rng(20245);
  Tensor bias = test::random_tensor(DataType::kFloat32, Shape{n}, rng, -1.0, 1.0);
  Tensor z = test::random_tensor(DataType::kFloat32, Shape{m, n}, rng, -1.0, 1.0);
  auto dbias = upload(values(bias), DataType::kFloat32);
  auto dz = upload(values(z), DataType::kFloat32);
  DeviceMemory dy = test::gpu::poisoned(static_cast<std::size_t>(m * n) * sizeof(float));
  cuda::ConvEpilogue ep;
  ep.bias = static_cast<const float*>(dbias.get());
  ep.z = dz.get();
  ep.act = {Act::kRelu, 0.f, 0.f};
  REQUIRE(
      cuda::gemm(nullptr, nullptr, dy.get(), DataType::kFloat32, m, n, 0, false, ep, nullptr).ok());
  sync_ok(nullptr);
  const std::vector<float> yv = download(dy, static_cast<std::size_t>(m * n), DataType::kFloat32);
  REQUIRE(yv.size() == static_cast<std::size_t>(m * n));
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      const float v = bias.data<float>()[j] + z.data<float>()[i * n + j];
      CHECK(yv[static_cast<std::size_t>(i * n + j)] == (v > 0.f ? v : 0.f));
    }
}

// Argument checks happen before any CUDA call: these need no GPU.
TEST_CASE("CUDA conv/gemm launchers reject bad arguments without launching") {
  float buf[4] = {1.f, 2.f, 3.f, 4.f};
  cuda::ConvGeom g;  // 1x1x1x1, 1x1 kernel
  cuda::ConvEpilogue ep;
  auto code = [](const Status& s) { return s.code(); };
  const auto f32 = DataType::kFloat32;
  CHECK(code(cuda::direct_conv(buf, buf, buf, DataType::kInt8, Layout::kNCHW, g, ep, nullptr)) ==
        StatusCode::kInvalidArgument);
  CHECK(code(cuda::direct_conv(nullptr, buf, buf, f32, Layout::kNCHW, g, ep, nullptr)) ==
        StatusCode::kInvalidArgument);
  cuda::ConvGeom bad = g;
  bad.c = 3;
  bad.groups = 2;  // does not divide c
  CHECK(code(cuda::direct_conv(buf, buf, buf, f32, Layout::kNCHW, bad, ep, nullptr)) ==
        StatusCode::kInvalidArgument);
  bad = g;
  bad.stride_h = 0;
  CHECK(code(cuda::direct_conv(buf, buf, buf, f32, Layout::kNHWC, bad, ep, nullptr)) ==
        StatusCode::kInvalidArgument);
  bad = g;
  bad.c = bad.k = 4;  // groups 1: not depthwise
  CHECK(code(cuda::depthwise_conv(buf, buf, buf, f32, Layout::kNCHW, bad, ep, nullptr)) ==
        StatusCode::kInvalidArgument);
  cuda::ConvEpilogue in_place = ep;
  in_place.z = buf;  // z may not be y
  CHECK(code(cuda::depthwise_conv(buf, buf, buf, f32, Layout::kNCHW, g, in_place, nullptr)) ==
        StatusCode::kInvalidArgument);
  CHECK(code(cuda::gemm(buf, buf, buf, DataType::kInt8, 1, 1, 1, false, ep, nullptr)) ==
        StatusCode::kInvalidArgument);
  CHECK(code(cuda::gemm(buf, buf, buf, f32, -1, 1, 1, false, ep, nullptr)) ==
        StatusCode::kInvalidArgument);
  CHECK(code(cuda::gemm(buf, nullptr, buf, f32, 1, 1, 1, false, ep, nullptr)) ==
        StatusCode::kInvalidArgument);
  // An empty output launches nothing.
  CHECK(cuda::gemm(buf, buf, buf, f32, 0, 5, 3, true, ep, nullptr).ok());
}

}  // namespace edgert
