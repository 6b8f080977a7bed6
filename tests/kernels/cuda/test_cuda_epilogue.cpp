// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The CUDA epilogue kernels against the CPU ops: bias_act against a Pointwise chain (Add bias,
// Add z, activation) for every activation, type and layout; bias_act_quant against ConvInt8 and
// GemmInt8 fed with the same int8 data (the int32 accumulators are computed here, exactly).

#include <cuda_runtime_api.h>

#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "cuda_test_util.h"
#include "edgert/kernels/cuda_epilogue.h"
#include "kernels/cpu/activation_fn.h"
#include "test_util.h"

namespace edgert {
namespace {

using cuda::Act;
using cuda::ActParams;
using cuda::Dims4;
using cuda::Layout;
using test::gpu::DeviceMemory;
using test::gpu::run_cpu;

// cuda::Act is numbered as cpu::Activation: test_cuda_conv.cpp asserts it.

/// Every activation, with parameters where it has them (Clip's bounds inside the data range).
std::vector<ActParams> all_acts() {
  std::vector<ActParams> v;
  for (int k = 0; k <= static_cast<int>(Act::kTanh); ++k) {
    ActParams a;
    a.kind = static_cast<Act>(k);
    if (a.kind == Act::kClip) a = {Act::kClip, -0.5f, 0.75f};
    if (a.kind == Act::kLeakyRelu) a.alpha = 0.1f;
    if (a.kind == Act::kHardSigmoid) a = {Act::kHardSigmoid, 0.2f, 0.5f};
    v.push_back(a);
  }
  return v;
}

const char* act_name(const ActParams& a) {
  return a.kind == Act::kNone ? "None" : cpu::activation_name(static_cast<cpu::Activation>(a.kind));
}

Shape nchw_shape(const Dims4& d) { return Shape{d.n, d.c, d.h, d.w}; }

/// `t` (NCHW) in layout l, and back.
Tensor to_layout(const Tensor& t, Layout l) {
  return l == Layout::kNCHW ? t : test::gpu::nchw_to_nhwc(t);
}
Tensor from_layout(const Tensor& t, Layout l) {
  return l == Layout::kNCHW ? t : test::gpu::nhwc_to_nchw(t);
}
Shape physical(const Dims4& d, Layout l) {
  return l == Layout::kNCHW ? nchw_shape(d) : Shape{d.n, d.h, d.w, d.c};
}

/// y = act(x + bias + z) by the CPU Pointwise op (x, bias [1, C, 1, 1], z in x's dtype).
Tensor pointwise_reference(const Tensor& x, const Tensor* bias, const Tensor* z,
                           const ActParams& act) {
  std::vector<std::string> ops;
  std::vector<std::int64_t> operands;
  std::vector<float> alphas, betas;
  std::vector<const Tensor*> inputs = {&x};
  for (const Tensor* t : {bias, z}) {
    if (!t) continue;
    inputs.push_back(t);
    ops.push_back("Add");
    operands.push_back(static_cast<std::int64_t>(inputs.size() - 1));
    alphas.push_back(0.f);
    betas.push_back(0.f);
  }
  if (act.kind != Act::kNone) {
    ops.push_back(act_name(act));
    operands.push_back(-1);
    alphas.push_back(act.alpha);
    betas.push_back(act.beta);
  }
  if (ops.empty()) return x;
  AttrMap a;
  a.set("ops", ops);
  a.set("operands", operands);
  a.set("alphas", alphas);
  a.set("betas", betas);
  return run_cpu("Pointwise", a, inputs)[0];
}

}  // namespace

TEST_CASE("CUDA bias_act matches the CPU Pointwise chain for every activation", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  // An odd NCHW/NHWC case and a GEMM output [M, N] as {M, N, 1, 1} (bias per column).
  const Dims4 cases[] = {{2, 19, 7, 9}, {37, 70, 1, 1}};
  test::gpu::Stream stream;
  std::mt19937 rng(4242);
  for (const Dims4& d : cases) {
    for (DataType t : {DataType::kFloat32, DataType::kFloat16}) {
      const bool half = t == DataType::kFloat16;
      // float16: data and bias are float16 values, so both sides add the same numbers.
      Tensor xf = test::random_tensor(DataType::kFloat32, nchw_shape(d), rng, -4.0, 4.0);
      Tensor zf = test::random_tensor(DataType::kFloat32, nchw_shape(d), rng, -2.0, 2.0);
      Tensor bf = test::random_tensor(DataType::kFloat32, Shape{d.c}, rng, -1.0, 1.0);
      if (half) bf = test::gpu::round_to_half(bf);
      const Tensor x = half ? test::gpu::to_half(xf) : xf;
      const Tensor z = half ? test::gpu::to_half(zf) : zf;
      const Tensor bias4 = bf.reshaped(Shape{1, d.c, 1, 1}).value();
      const Tensor bias4_t = half ? test::gpu::to_half(bias4) : bias4;
      DeviceMemory dbias = test::gpu::upload(bf);
      for (Layout l : {Layout::kNCHW, Layout::kNHWC}) {
        DeviceMemory dx = test::gpu::upload(to_layout(x, l));
        DeviceMemory dz = test::gpu::upload(to_layout(z, l));
        for (const ActParams& act : all_acts()) {
          for (int variant = 0; variant < 4; ++variant) {
            const bool with_bias = variant & 1, with_z = variant & 2;
            INFO(d.n << "x" << d.c << "x" << d.h << "x" << d.w << " " << dtype_name(t) << " "
                     << cuda::layout_name(l) << " act " << act_name(act) << " bias " << with_bias
                     << " z " << with_z);
            const Tensor want =
                pointwise_reference(x, with_bias ? &bias4_t : nullptr, with_z ? &z : nullptr, act);
            DeviceMemory dy = test::gpu::poisoned(x.nbytes());
            const Status s =
                cuda::bias_act(dx.get(), dy.get(), t, l, d, with_bias ? dbias.as<float>() : nullptr,
                               with_z ? dz.get() : nullptr, act, stream.get());
            INFO(s.to_string());
            REQUIRE(s.ok());
            test::gpu::sync(stream.get());
            const Tensor got = from_layout(test::gpu::download(dy.get(), t, physical(d, l)), l);
            const double err = test::rel_l2(got, want);
            INFO("rel L2 " << err << ", max abs " << test::max_abs_diff(got, want));
            CHECK(err < (half ? 2e-3 : 1e-5));
          }
        }
      }
    }
  }
}

TEST_CASE("CUDA bias_act in place (y = x) and with z = y", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  const Dims4 d{1, 5, 3, 11};
  std::mt19937 rng(5);
  const Tensor x = test::random_tensor(DataType::kFloat32, nchw_shape(d), rng, -3.0, 3.0);
  const Tensor z = test::random_tensor(DataType::kFloat32, nchw_shape(d), rng, -3.0, 3.0);
  const Tensor b = test::random_tensor(DataType::kFloat32, Shape{d.c}, rng, -1.0, 1.0);
  const Tensor b4 = b.reshaped(Shape{1, d.c, 1, 1}).value();
  const ActParams relu{Act::kRelu, 0.f, 0.f};
  const Tensor want = pointwise_reference(x, &b4, &z, relu);
  test::gpu::Stream stream;
  DeviceMemory db = test::gpu::upload(b);
  {  // y = x
    DeviceMemory dx = test::gpu::upload(x), dz = test::gpu::upload(z);
    REQUIRE(cuda::bias_act(dx.get(), dx.get(), DataType::kFloat32, Layout::kNCHW, d, db.as<float>(),
                           dz.get(), relu, stream.get())
                .ok());
    test::gpu::sync(stream.get());
    CHECK(test::rel_l2(test::gpu::download(dx.get(), DataType::kFloat32, x.shape()), want) < 1e-6);
  }
  {  // z = y: the residual is read from the output buffer
    DeviceMemory dx = test::gpu::upload(x), dy = test::gpu::upload(z);
    REQUIRE(cuda::bias_act(dx.get(), dy.get(), DataType::kFloat32, Layout::kNCHW, d, db.as<float>(),
                           dy.get(), relu, stream.get())
                .ok());
    test::gpu::sync(stream.get());
    CHECK(test::rel_l2(test::gpu::download(dy.get(), DataType::kFloat32, x.shape()), want) < 1e-6);
  }
}

TEST_CASE("CUDA bias_act_quant matches the ConvInt8 epilogue", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  // A 1 x 1 ConvInt8 whose int32 sums are computed here: N=2, C=13 -> M=19, 5 x 7 pixels.
  const std::int64_t n = 2, c = 13, m = 19, h = 5, w = 7, hw = h * w;
  const Dims4 d{n, m, h, w};
  std::mt19937 rng(8080);
  const Tensor xq = test::random_tensor(DataType::kInt8, Shape{n, c, h, w}, rng, -127, 127);
  const Tensor wq = test::random_tensor(DataType::kInt8, Shape{m, c, 1, 1}, rng, -127, 127);
  const Tensor ws = test::random_tensor(DataType::kFloat32, Shape{m}, rng, 0.002, 0.01);
  const Tensor bias = test::random_tensor(DataType::kFloat32, Shape{m}, rng, -2.0, 2.0);
  const Tensor zq = test::random_tensor(DataType::kInt8, nchw_shape(d), rng, -127, 127);
  const Tensor zf = test::random_tensor(DataType::kFloat32, nchw_shape(d), rng, -2.0, 2.0);
  const float x_scale = 0.02f, z_scale = 0.015f;
  Tensor acc = Tensor::allocate(DataType::kInt32, nchw_shape(d)).value();
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t o = 0; o < m; ++o)
      for (std::int64_t p = 0; p < hw; ++p) {
        std::int32_t s = 0;
        for (std::int64_t k = 0; k < c; ++k)
          s += std::int32_t{wq.data<std::int8_t>()[o * c + k]} *
               std::int32_t{xq.data<std::int8_t>()[(i * c + k) * hw + p]};
        acc.data<std::int32_t>()[(i * m + o) * hw + p] = s;
      }

  test::gpu::Stream stream;
  DeviceMemory dws = test::gpu::upload(ws), dbias = test::gpu::upload(bias);
  for (Layout l : {Layout::kNCHW, Layout::kNHWC}) {
    DeviceMemory dacc = test::gpu::upload(to_layout(acc, l));
    DeviceMemory dzq = test::gpu::upload(to_layout(zq, l));
    DeviceMemory dzf = test::gpu::upload(to_layout(zf, l));
    for (const ActParams& act : all_acts()) {
      for (float y_scale : {0.f, 0.04f}) {
        for (int zkind = 0; zkind < 3; ++zkind) {  // none, int8, float32
          for (bool with_bias : {false, true}) {
            INFO(cuda::layout_name(l) << " act " << act_name(act) << " y_scale " << y_scale << " z "
                                      << zkind << " bias " << with_bias);
            const Tensor* z = zkind == 1 ? &zq : zkind == 2 ? &zf : nullptr;
            const Tensor want =
                run_cpu("ConvInt8",
                        test::gpu::int8_attrs(act, x_scale, zkind == 1 ? z_scale : 0.f, y_scale),
                        {&xq, &wq, &ws, with_bias ? &bias : nullptr, z})[0];
            const cuda::QuantEpilogue ep = test::gpu::quant_epilogue(
                x_scale, dws.as<float>(), with_bias ? dbias.as<float>() : nullptr, zkind, dzq.get(),
                dzf.get(), z_scale, y_scale, act);
            const DataType yt = y_scale > 0.f ? DataType::kInt8 : DataType::kFloat32;
            DeviceMemory dy =
                test::gpu::poisoned(static_cast<std::size_t>(d.numel()) * dtype_size(yt));
            const Status s =
                cuda::bias_act_quant(dacc.as<std::int32_t>(), dy.get(), l, d, ep, stream.get());
            INFO(s.to_string());
            REQUIRE(s.ok());
            test::gpu::sync(stream.get());
            test::gpu::check_quant_output(
                from_layout(test::gpu::download(dy.get(), yt, physical(d, l)), l), want);
          }
        }
      }
    }
  }
}

TEST_CASE("CUDA bias_act_quant matches the GemmInt8 epilogue", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  const std::int64_t m = 37, k = 29, n = 23;
  std::mt19937 rng(31337);
  const Tensor aq = test::random_tensor(DataType::kInt8, Shape{m, k}, rng, -127, 127);
  const Tensor bq = test::random_tensor(DataType::kInt8, Shape{k, n}, rng, -127, 127);
  const Tensor ws = test::random_tensor(DataType::kFloat32, Shape{n}, rng, 0.002, 0.01);
  const Tensor bias = test::random_tensor(DataType::kFloat32, Shape{n}, rng, -2.0, 2.0);
  const float x_scale = 0.03f;
  Tensor acc = Tensor::allocate(DataType::kInt32, Shape{m, n}).value();
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      std::int32_t s = 0;
      for (std::int64_t p = 0; p < k; ++p)
        s += std::int32_t{aq.data<std::int8_t>()[i * k + p]} *
             std::int32_t{bq.data<std::int8_t>()[p * n + j]};
      acc.data<std::int32_t>()[i * n + j] = s;
    }
  test::gpu::Stream stream;
  DeviceMemory dacc = test::gpu::upload(acc), dws = test::gpu::upload(ws);
  DeviceMemory dbias = test::gpu::upload(bias);
  const Dims4 d{m, n, 1, 1};
  for (const ActParams& act : all_acts()) {
    for (float y_scale : {0.f, 0.05f}) {
      for (bool with_bias : {false, true}) {
        INFO("act " << act_name(act) << " y_scale " << y_scale << " bias " << with_bias);
        const Tensor want = run_cpu("GemmInt8", test::gpu::int8_attrs(act, x_scale, 0.f, y_scale),
                                    {&aq, &bq, &ws, with_bias ? &bias : nullptr})[0];
        const cuda::QuantEpilogue ep = test::gpu::quant_epilogue(
            x_scale, dws.as<float>(), with_bias ? dbias.as<float>() : nullptr, 0, nullptr, nullptr,
            0.f, y_scale, act);
        const DataType yt = y_scale > 0.f ? DataType::kInt8 : DataType::kFloat32;
        DeviceMemory dy = test::gpu::poisoned(static_cast<std::size_t>(m * n) * dtype_size(yt));
        REQUIRE(cuda::bias_act_quant(dacc.as<std::int32_t>(), dy.get(), Layout::kNCHW, d, ep,
                                     stream.get())
                    .ok());
        test::gpu::sync(stream.get());
        test::gpu::check_quant_output(test::gpu::download(dy.get(), yt, Shape{m, n}), want);
      }
    }
  }
}

TEST_CASE("CUDA epilogue: bad arguments are errors, not launches", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  DeviceMemory a(4096), b(4096);
  const Dims4 d{1, 4, 2, 2};
  const ActParams none;
  CHECK(cuda::bias_act(a.get(), b.get(), DataType::kInt8, Layout::kNCHW, d, nullptr, nullptr, none,
                       nullptr)
            .code() == StatusCode::kUnsupported);
  ActParams bad;
  bad.kind = static_cast<Act>(42);
  CHECK(cuda::bias_act(a.get(), b.get(), DataType::kFloat32, Layout::kNCHW, d, nullptr, nullptr,
                       bad, nullptr)
            .code() == StatusCode::kInvalidArgument);
  cuda::QuantEpilogue ep;  // no w_scale
  CHECK(cuda::bias_act_quant(a.as<std::int32_t>(), b.get(), Layout::kNCHW, d, ep, nullptr).code() ==
        StatusCode::kInvalidArgument);
  ep.w_scale = b.as<float>();
  ep.x_scale = 0.f;
  CHECK(cuda::bias_act_quant(a.as<std::int32_t>(), b.get(), Layout::kNCHW, d, ep, nullptr).code() ==
        StatusCode::kInvalidArgument);
  CHECK(cudaGetLastError() == cudaSuccess);
}

}  // namespace edgert
