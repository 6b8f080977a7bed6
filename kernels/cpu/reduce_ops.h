// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Internal to the reduce family (reduce.cpp, softmax.cpp): the softmax entry points for the
// family table, and element conversion helpers so each kernel is written once per accumulator
// type (float for float32/float16, int64 or double for integers) instead of once per dtype.

#include <cstdint>
#include <type_traits>
#include <vector>

#include "edgert/half.h"
#include "kernels/cpu/op_util.h"

namespace edgert::cpu {

Status infer_softmax(InferContext& ctx);
Status compute_softmax(ComputeContext& ctx);

/// The input's elements as A: a pointer into `t` when no conversion is needed, else into `buf`.
template <class A>
const A* load_as(const Tensor& t, std::vector<A>& buf) {
  if constexpr (std::is_same_v<A, float>) {
    if (t.dtype() == DataType::kFloat32) return t.data<float>();
  }
  if constexpr (std::is_same_v<A, std::int64_t>) {
    if (t.dtype() == DataType::kInt64) return t.data<std::int64_t>();
  }
  const std::int64_t n = t.numel();
  buf.resize(static_cast<std::size_t>(n));
  auto fill = [&](auto* src) {
    for (std::int64_t i = 0; i < n; ++i) buf[i] = static_cast<A>(src[i]);
  };
  switch (t.dtype()) {
    case DataType::kFloat32: fill(t.data<float>()); break;
    case DataType::kFloat16: {
      const auto* src = t.data<std::uint16_t>();
      for (std::int64_t i = 0; i < n; ++i) buf[i] = static_cast<A>(half_to_float(src[i]));
      break;
    }
    case DataType::kInt8: fill(t.data<std::int8_t>()); break;
    case DataType::kUInt8:
    case DataType::kBool: fill(t.data<std::uint8_t>()); break;
    case DataType::kInt32: fill(t.data<std::int32_t>()); break;
    case DataType::kInt64: fill(t.data<std::int64_t>()); break;
    default: break;
  }
  return buf.data();
}

/// Writes src[i] (already rounded/truncated as the op wants) into `t` as its dtype.
template <class A>
void store_as(const A* src, Tensor& t) {
  const std::int64_t n = t.numel();
  auto put = [&](auto* dst) {
    using D = std::remove_pointer_t<decltype(dst)>;
    for (std::int64_t i = 0; i < n; ++i) dst[i] = static_cast<D>(src[i]);
  };
  switch (t.dtype()) {
    case DataType::kFloat32: put(t.data<float>()); break;
    case DataType::kFloat16: {
      auto* dst = t.data<std::uint16_t>();
      for (std::int64_t i = 0; i < n; ++i) dst[i] = float_to_half(static_cast<float>(src[i]));
      break;
    }
    case DataType::kInt8: put(t.data<std::int8_t>()); break;
    case DataType::kUInt8:
    case DataType::kBool: put(t.data<std::uint8_t>()); break;
    case DataType::kInt32: put(t.data<std::int32_t>()); break;
    case DataType::kInt64: put(t.data<std::int64_t>()); break;
    default: break;
  }
}

/// Product of dims [b, e) of a static shape.
inline std::int64_t dims_product(const Shape& s, std::size_t b, std::size_t e) {
  std::int64_t p = 1;
  for (std::size_t d = b; d < e; ++d) p *= s[d];
  return p;
}

}  // namespace edgert::cpu
