// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The fused-layer epilogue as its own kernel: y = act(x + bias[c] + z) (float32/float16), and
// the int8 layers' epilogue, which dequantizes int32 accumulators, adds bias and residual,
// activates and optionally requantizes. One grid-stride pass, one thread per element; the
// channel of element i is i % C (NHWC, and any tensor with H = W = 1) or (i / HW) % C (NCHW).

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>

#include "activation.cuh"
#include "edgert/kernels/cuda_epilogue.h"
#include "kernel_util.cuh"
#include "quant_epilogue.cuh"

namespace edgert::cuda {
namespace {

using detail::from_float;
using detail::kThreads;
using detail::to_float;

/// Channel of flat element i. I is uint32 when every index fits (cheaper division), else int64.
template <typename I, bool kChannelsLast>
__device__ __forceinline__ I channel_of(I i, I c, I hw) {
  return kChannelsLast ? i % c : (i / hw) % c;
}

/// y = act(x + bias[c] + z), left to right, in float32; y rounded once. No __restrict__: y may
/// be x, and z may be y.
template <typename T, typename I, bool kChannelsLast>
__global__ void bias_act_kernel(const T* x, T* y, I n, I c, I hw, const float* bias, const T* z,
                                ActParams act) {
  const I stride = static_cast<I>(gridDim.x) * blockDim.x;
  for (I i = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    float v = to_float(x[i]);
    if (bias) v += bias[channel_of<I, kChannelsLast>(i, c, hw)];
    if (z) v += to_float(z[i]);
    y[i] = from_float<T>(apply_act(act, v));
  }
}

/// The int8 epilogue (quant_epilogue.cuh) then the store: int8 requantized, or float32.
template <typename Ty, typename I, bool kChannelsLast>
__global__ void bias_act_quant_kernel(const std::int32_t* acc, Ty* y, I n, I c, I hw,
                                      const QuantEpilogue ep) {
  const I stride = static_cast<I>(gridDim.x) * blockDim.x;
  for (I i = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const float v = detail::quant_value(ep, acc[i], channel_of<I, kChannelsLast>(i, c, hw), i);
    if constexpr (sizeof(Ty) == 1) {
      y[i] = detail::quantize_int8(v, ep.y_scale);
    } else {
      y[i] = v;
    }
  }
}

/// Calls f(I{}, std::integral_constant<bool, channels_last>{}) with the narrowest index type.
template <typename F>
Status dispatch_index(std::int64_t n, bool channels_last, F&& f) {
  // uint32 when i + grid stride (< 2^21) cannot wrap: n < 2^31.
  const bool narrow = n < (std::int64_t{1} << 31);
  if (narrow)
    return channels_last ? f(std::uint32_t{}, std::true_type{})
                         : f(std::uint32_t{}, std::false_type{});
  return channels_last ? f(std::int64_t{}, std::true_type{}) : f(std::int64_t{}, std::false_type{});
}

Status check_dims(const char* what, Layout l, const Dims4& d) {
  if (l != Layout::kNCHW && l != Layout::kNHWC) return detail::invalid_arg(what, "unknown layout");
  if (d.n < 0 || d.c < 0 || d.h < 0 || d.w < 0) return detail::invalid_arg(what, "negative dims");
  return {};
}

}  // namespace

Status bias_act(const void* x, void* y, DataType t, Layout l, const Dims4& d, const float* bias,
                const void* z, const ActParams& act, cudaStream_t stream) {
  constexpr const char* kWhat = "bias_act";
  if (!is_kernel_float(t))
    return Status(StatusCode::kUnsupported,
                  std::string("bias_act: type ") + dtype_name(t) + " (float32, float16)");
  EDGERT_RETURN_IF_ERROR(check_dims(kWhat, l, d));
  if (!act_is_valid(act)) return detail::invalid_arg(kWhat, "unknown activation");
  const std::int64_t n = d.numel();
  if (n == 0) return {};
  if (!x || !y) return detail::invalid_arg(kWhat, "null tensor");
  const std::int64_t hw = d.h * d.w;
  const bool channels_last = l == Layout::kNHWC || hw == 1;
  const unsigned blocks = detail::grid_stride_blocks(n);
  return dispatch_index(n, channels_last, [&](auto index, auto last) {
    using I = decltype(index);
    constexpr bool kLast = decltype(last)::value;
    if (t == DataType::kFloat32) {
      bias_act_kernel<float, I, kLast><<<blocks, kThreads, 0, stream>>>(
          static_cast<const float*>(x), static_cast<float*>(y), static_cast<I>(n),
          static_cast<I>(d.c), static_cast<I>(hw), bias, static_cast<const float*>(z), act);
    } else {
      bias_act_kernel<__half, I, kLast><<<blocks, kThreads, 0, stream>>>(
          static_cast<const __half*>(x), static_cast<__half*>(y), static_cast<I>(n),
          static_cast<I>(d.c), static_cast<I>(hw), bias, static_cast<const __half*>(z), act);
    }
    return detail::launch_status(kWhat);
  });
}

Status bias_act_quant(const std::int32_t* acc, void* y, Layout l, const Dims4& d,
                      const QuantEpilogue& ep, cudaStream_t stream) {
  constexpr const char* kWhat = "bias_act_quant";
  EDGERT_RETURN_IF_ERROR(check_dims(kWhat, l, d));
  EDGERT_RETURN_IF_ERROR(detail::check_quant_epilogue(kWhat, ep));
  const std::int64_t n = d.numel();
  if (n == 0) return {};
  if (!acc || !y || !ep.w_scale) return detail::invalid_arg(kWhat, "null acc, y or w_scale");
  const std::int64_t hw = d.h * d.w;
  const bool channels_last = l == Layout::kNHWC || hw == 1;
  const unsigned blocks = detail::grid_stride_blocks(n);
  return dispatch_index(n, channels_last, [&](auto index, auto last) {
    using I = decltype(index);
    constexpr bool kLast = decltype(last)::value;
    if (ep.y_scale > 0.f) {
      bias_act_quant_kernel<std::int8_t, I, kLast>
          <<<blocks, kThreads, 0, stream>>>(acc, static_cast<std::int8_t*>(y), static_cast<I>(n),
                                            static_cast<I>(d.c), static_cast<I>(hw), ep);
    } else {
      bias_act_quant_kernel<float, I, kLast>
          <<<blocks, kThreads, 0, stream>>>(acc, static_cast<float*>(y), static_cast<I>(n),
                                            static_cast<I>(d.c), static_cast<I>(hw), ep);
    }
    return detail::launch_status(kWhat);
  });
}

}  // namespace edgert::cuda
