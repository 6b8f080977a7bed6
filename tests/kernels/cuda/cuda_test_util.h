// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Helpers of the CUDA kernel tests: device buffers freed on scope exit, host <-> device copies,
// host-side float16/layout conversions, and a one-call CPU reference op (cpu::run_node).
// Every helper REQUIREs its CUDA calls, so it must run inside a test case.

#include <cuda_runtime_api.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "edgert/half.h"
#include "edgert/kernels/cuda_epilogue.h"
#include "edgert/tensor.h"
#include "kernels/cpu/activation_fn.h"
#include "kernels/cpu/op_def.h"
#include "test_util.h"

namespace edgert::test::gpu {

/// Device memory freed on scope exit (so that a failed REQUIRE does not leak it).
class DeviceMemory {
 public:
  DeviceMemory() = default;
  explicit DeviceMemory(std::size_t bytes) {
    // A zero-size tensor still gets a (small) buffer: kernels may be handed its pointer.
    if (cudaMalloc(&ptr_, bytes > 0 ? bytes : 1) != cudaSuccess) ptr_ = nullptr;
  }
  ~DeviceMemory() {
    if (ptr_) cudaFree(ptr_);
  }
  DeviceMemory(DeviceMemory&& o) noexcept : ptr_(std::exchange(o.ptr_, nullptr)) {}
  DeviceMemory& operator=(DeviceMemory&& o) noexcept {
    std::swap(ptr_, o.ptr_);
    return *this;
  }
  DeviceMemory(const DeviceMemory&) = delete;
  DeviceMemory& operator=(const DeviceMemory&) = delete;

  void* get() const { return ptr_; }
  template <typename T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }

 private:
  void* ptr_ = nullptr;
};

/// A stream created and destroyed with the scope.
class Stream {
 public:
  Stream() { REQUIRE(cudaStreamCreate(&s_) == cudaSuccess); }
  ~Stream() { cudaStreamDestroy(s_); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return s_; }

 private:
  cudaStream_t s_ = nullptr;
};

/// A device buffer of `bytes` whose bytes are all 0xff: NaN in float32 and float16, -1 in the
/// integer types, so that an element the kernel does not write fails the comparison.
inline DeviceMemory poisoned(std::size_t bytes) {
  DeviceMemory d(bytes);
  REQUIRE(d.get() != nullptr);
  REQUIRE(cudaMemset(d.get(), 0xff, bytes > 0 ? bytes : 1) == cudaSuccess);
  return d;
}

/// float32 values as float16 bit patterns (round to nearest even), and back.
inline std::vector<std::uint16_t> to_half(const std::vector<float>& v) {
  std::vector<std::uint16_t> h(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) h[i] = float_to_half(v[i]);
  return h;
}
inline std::vector<float> from_half(const std::vector<std::uint16_t>& h) {
  std::vector<float> v(h.size());
  for (std::size_t i = 0; i < h.size(); ++i) v[i] = half_to_float(h[i]);
  return v;
}

/// A device copy of `bytes` host bytes.
inline DeviceMemory upload_bytes(const void* src, std::size_t bytes) {
  DeviceMemory d(bytes);
  REQUIRE(d.get() != nullptr);
  if (bytes > 0) REQUIRE(cudaMemcpy(d.get(), src, bytes, cudaMemcpyHostToDevice) == cudaSuccess);
  return d;
}

/// `bytes` device bytes copied to host memory.
inline void download_bytes(const void* d, void* dst, std::size_t bytes) {
  if (bytes > 0) REQUIRE(cudaMemcpy(dst, d, bytes, cudaMemcpyDeviceToHost) == cudaSuccess);
}

/// A device copy of a host tensor.
inline DeviceMemory upload(const Tensor& t) { return upload_bytes(t.raw(), t.nbytes()); }

/// A host tensor of type t and shape s read from device memory.
inline Tensor download(const void* d, DataType t, const Shape& s) {
  Tensor h = Tensor::allocate(t, s).value();
  if (h.nbytes() > 0)
    REQUIRE(cudaMemcpy(h.raw(), d, h.nbytes(), cudaMemcpyDeviceToHost) == cudaSuccess);
  return h;
}

/// Waits for the stream; a kernel fault fails here with CUDA's message.
inline void sync(cudaStream_t s) {
  const cudaError_t err = cudaStreamSynchronize(s);
  INFO("CUDA: " << cudaGetErrorString(err));
  REQUIRE(err == cudaSuccess);
}

/// float32 -> float16 (round to nearest even), same shape.
inline Tensor to_half(const Tensor& f) {
  Tensor h = Tensor::allocate(DataType::kFloat16, f.shape()).value();
  for (std::int64_t i = 0; i < f.numel(); ++i)
    h.data<std::uint16_t>()[i] = float_to_half(f.data<float>()[i]);
  return h;
}

/// float16, float32, int8 or uint8 (times `scale`) -> float32, same shape.
inline Tensor to_float(const Tensor& t, float scale = 1.f) {
  Tensor f = Tensor::allocate(DataType::kFloat32, t.shape()).value();
  for (std::int64_t i = 0; i < t.numel(); ++i) {
    float v = 0.f;
    switch (t.dtype()) {
      case DataType::kFloat32: v = t.data<float>()[i]; break;
      case DataType::kFloat16: v = half_to_float(t.data<std::uint16_t>()[i]); break;
      case DataType::kInt8: v = static_cast<float>(t.data<std::int8_t>()[i]) * scale; break;
      case DataType::kUInt8: v = static_cast<float>(t.data<std::uint8_t>()[i]) * scale; break;
      default: FAIL("to_float: unexpected type");
    }
    f.data<float>()[i] = v;
  }
  return f;
}

/// The float32 values a float16 tensor holds (rounding each element of f).
inline Tensor round_to_half(const Tensor& f) { return to_float(to_half(f)); }

/// 4-D permutation of any dtype: out[i0, i1, i2, i3] = t[index by perm], out dims t.dims[perm].
inline Tensor permute4(const Tensor& t, const int perm[4]) {
  REQUIRE(t.shape().rank() == 4);
  const auto& d = t.shape().dims();
  Shape os{d[perm[0]], d[perm[1]], d[perm[2]], d[perm[3]]};
  Tensor o = Tensor::allocate(t.dtype(), os).value();
  const std::size_t es = dtype_size(t.dtype());
  const std::int64_t st[4] = {d[1] * d[2] * d[3], d[2] * d[3], d[3], 1};
  std::int64_t idx = 0;
  for (std::int64_t a = 0; a < os[0]; ++a)
    for (std::int64_t b = 0; b < os[1]; ++b)
      for (std::int64_t c = 0; c < os[2]; ++c)
        for (std::int64_t e = 0; e < os[3]; ++e, ++idx) {
          const std::int64_t src =
              a * st[perm[0]] + b * st[perm[1]] + c * st[perm[2]] + e * st[perm[3]];
          std::memcpy(static_cast<char*>(o.raw()) + idx * es,
                      static_cast<const char*>(t.raw()) + src * es, es);
        }
  return o;
}

/// [N, C, H, W] -> the NHWC tensor [N, H, W, C] (any dtype), and back.
inline Tensor nchw_to_nhwc(const Tensor& t) {
  const int perm[4] = {0, 2, 3, 1};
  return permute4(t, perm);
}
inline Tensor nhwc_to_nchw(const Tensor& t) {
  const int perm[4] = {0, 3, 1, 2};
  return permute4(t, perm);
}

/// Runs one CPU op (the reference) and returns its outputs; the op must succeed.
inline std::vector<Tensor> run_cpu(const std::string& op, const AttrMap& attrs,
                                   const std::vector<const Tensor*>& inputs,
                                   std::size_t num_outputs = 1, int opset = 17) {
  cpu::NodeInfo node;
  node.op_type = op;
  node.name = "ref_" + op;
  node.opset = opset;
  node.attrs = attrs;
  std::vector<Tensor> out;
  const Status s = cpu::run_node(node, inputs, out, num_outputs);
  INFO("CPU " << op << ": " << s.to_string());
  REQUIRE(s.ok());
  return out;
}

/// int8 outputs: the CPU and GPU divide, round and clamp alike, so they agree except where a
/// transcendental activation's last-ulp difference moves v / y_scale across a rounding tie.
inline void check_int8(const Tensor& got, const Tensor& want) {
  REQUIRE(got.shape() == want.shape());
  std::int64_t differ = 0;
  int worst = 0;
  for (std::int64_t i = 0; i < got.numel(); ++i) {
    const int diff = std::abs(int{got.data<std::int8_t>()[i]} - int{want.data<std::int8_t>()[i]});
    differ += diff != 0;
    worst = diff > worst ? diff : worst;
  }
  INFO(differ << " of " << got.numel() << " int8 values differ, by at most " << worst);
  CHECK(worst <= 1);
  CHECK(differ <= 2 + got.numel() / 1000);
}

/// An int8 epilogue's output against the CPU op's: int8 as check_int8, float32 to rel L2 < 1e-6.
inline void check_quant_output(const Tensor& got, const Tensor& want) {
  if (want.dtype() == DataType::kInt8) {
    check_int8(got, want);
  } else {
    const double err = rel_l2(got, want);
    INFO("rel L2 " << err << ", max abs " << max_abs_diff(got, want));
    CHECK(err < 1e-6);
  }
}

/// The attributes of the CPU ConvInt8 / GemmInt8 reference for an int8 epilogue (0 scale: not
/// set). The activation is written as the CPU layer's parser reads it.
inline AttrMap int8_attrs(const cuda::ActParams& act, float x_scale, float z_scale, float y_scale) {
  AttrMap a;
  if (act.kind != cuda::Act::kNone) {
    a.set("activation", std::string(cpu::activation_name(static_cast<cpu::Activation>(act.kind))));
    a.set("activation_alpha", act.alpha);
    a.set("activation_beta", act.beta);
  }
  a.set("x_scale", x_scale);
  if (z_scale > 0.f) a.set("z_scale", z_scale);
  if (y_scale > 0.f) a.set("y_scale", y_scale);
  return a;
}

/// The int8 epilogue the int8 kernel tests pass: z_kind 0 no residual, 1 the int8 zq, 2 the
/// float32 zf (device pointers).
inline cuda::QuantEpilogue quant_epilogue(float x_scale, const float* w_scale, const float* bias,
                                          int z_kind, const void* zq, const void* zf, float z_scale,
                                          float y_scale, const cuda::ActParams& act) {
  cuda::QuantEpilogue ep;
  ep.x_scale = x_scale;
  ep.w_scale = w_scale;
  ep.bias = bias;
  ep.z = z_kind == 1 ? zq : z_kind == 2 ? zf : nullptr;
  ep.z_is_float = z_kind == 2;
  ep.z_scale = z_scale;
  ep.y_scale = y_scale;
  ep.act = act;
  return ep;
}

}  // namespace edgert::test::gpu
