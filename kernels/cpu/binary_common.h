// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Shared machinery of the binary family (binary.cpp, compare.cpp): numpy broadcasting as a plan of
// "rows". The output's dims are collapsed (size-1 dims dropped; neighbours merged where every
// operand is contiguous across them or broadcast along both), the last collapsed dim is the inner
// loop, and only the row start offsets are computed from a multi-index. Same shapes and scalars
// become one flat row (split into chunks for threads); [N,C,H,W] with [C,1,1] becomes N*C rows of
// H*W with a constant right operand per row.

#include <algorithm>
#include <array>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "edgert/half.h"
#include "kernels/cpu/op_util.h"

namespace edgert::cpu::binary {

constexpr std::size_t kMaxOperands = 3;
constexpr std::int64_t kParallelMin = 1 << 15;
/// Elements per task when one long row is split between threads.
constexpr std::int64_t kChunk = 1 << 14;

struct BroadcastPlan {
  std::size_t operands = 0;
  std::vector<std::int64_t> outer_dims;
  std::array<std::vector<std::int64_t>, kMaxOperands> outer_strides;
  std::int64_t inner = 1;
  std::array<std::int64_t, kMaxOperands> inner_stride{};
  std::int64_t rows = 1;
};

/// `ins` must broadcast to the static shape `out` (checked by infer).
inline BroadcastPlan make_plan(const Shape& out, const std::vector<const Shape*>& ins) {
  BroadcastPlan p;
  p.operands = ins.size();
  std::array<std::vector<std::int64_t>, kMaxOperands> st;
  for (std::size_t k = 0; k < ins.size(); ++k) st[k] = broadcast_strides(*ins[k], out);
  std::vector<std::int64_t> dims;
  std::array<std::vector<std::int64_t>, kMaxOperands> mst;
  for (std::size_t d = 0; d < out.rank(); ++d) {
    if (out[d] == 1) continue;  // index always 0: contributes nothing
    bool merge = !dims.empty();
    for (std::size_t k = 0; k < ins.size() && merge; ++k)
      merge = mst[k].back() == st[k][d] * out[d];
    if (merge) {
      dims.back() *= out[d];
      for (std::size_t k = 0; k < ins.size(); ++k) mst[k].back() = st[k][d];
    } else {
      dims.push_back(out[d]);
      for (std::size_t k = 0; k < ins.size(); ++k) mst[k].push_back(st[k][d]);
    }
  }
  if (!dims.empty()) {
    p.inner = dims.back();
    dims.pop_back();
    for (std::size_t k = 0; k < ins.size(); ++k) {
      p.inner_stride[k] = mst[k].back();
      mst[k].pop_back();
    }
  }
  p.outer_dims = std::move(dims);
  for (std::size_t k = 0; k < ins.size(); ++k) p.outer_strides[k] = std::move(mst[k]);
  for (auto d : p.outer_dims) p.rows *= d;
  return p;
}

/// Calls fn(out_offset, in_offsets, len) over contiguous output runs, in parallel when large.
template <class F>
void for_each_run(const BroadcastPlan& p, F&& fn) {
  const std::int64_t total = p.rows * p.inner;
  if (total == 0) return;
  if (p.rows == 1) {
    const std::int64_t chunks = (p.inner + kChunk - 1) / kChunk;
#pragma omp parallel for if (total >= kParallelMin)
    for (std::int64_t c = 0; c < chunks; ++c) {
      const std::int64_t start = c * kChunk;
      std::array<std::int64_t, kMaxOperands> off{};
      for (std::size_t k = 0; k < p.operands; ++k) off[k] = start * p.inner_stride[k];
      fn(start, off, std::min(kChunk, p.inner - start));
    }
    return;
  }
  const std::size_t nd = p.outer_dims.size();
#pragma omp parallel for if (total >= kParallelMin)
  for (std::int64_t r = 0; r < p.rows; ++r) {
    std::array<std::int64_t, kMaxOperands> off{};
    std::int64_t rem = r;
    for (std::size_t d = nd; d-- > 0;) {
      const std::int64_t i = rem % p.outer_dims[d];
      rem /= p.outer_dims[d];
      for (std::size_t k = 0; k < p.operands; ++k) off[k] += i * p.outer_strides[k][d];
    }
    fn(r * p.inner, off, p.inner);
  }
}

/// out[i] = f(a[i'], b[i'']) with broadcasting; the common stride patterns get their own loops so
/// the compiler can vectorise them.
template <class A, class B, class R, class F>
void apply2(const BroadcastPlan& p, const A* a, const B* b, R* out, F f) {
  const std::int64_t sa = p.inner_stride[0], sb = p.inner_stride[1];
  for_each_run(
      p, [&](std::int64_t o, const std::array<std::int64_t, kMaxOperands>& off, std::int64_t len) {
        const A* pa = a + off[0];
        const B* pb = b + off[1];
        R* po = out + o;
        if (sa == 1 && sb == 1) {
          for (std::int64_t i = 0; i < len; ++i) po[i] = f(pa[i], pb[i]);
        } else if (sa == 1 && sb == 0) {
          const B bv = *pb;
          for (std::int64_t i = 0; i < len; ++i) po[i] = f(pa[i], bv);
        } else if (sa == 0 && sb == 1) {
          const A av = *pa;
          for (std::int64_t i = 0; i < len; ++i) po[i] = f(av, pb[i]);
        } else {
          for (std::int64_t i = 0; i < len; ++i) po[i] = f(pa[i * sa], pb[i * sb]);
        }
      });
}

/// Convenience: plan for out <- (a, b) and apply2.
template <class A, class B, class R, class F>
void broadcast2(const Tensor& ta, const Tensor& tb, Tensor& tout, const A* a, const B* b, R* out,
                F f) {
  if (tout.numel() == 0) return;
  BroadcastPlan p = make_plan(tout.shape(), {&ta.shape(), &tb.shape()});
  apply2(p, a, b, out, f);
}

/// float16 tensors are computed in float: a float32 copy of a float16 tensor.
inline Expected<Tensor> half_to_float_tensor(const Tensor& h) {
  EDGERT_ASSIGN_OR_RETURN(Tensor f, Tensor::allocate(DataType::kFloat32, h.shape()));
  const std::uint16_t* s = h.data<std::uint16_t>();
  float* d = f.data<float>();
  for (std::int64_t i = 0; i < h.numel(); ++i) d[i] = half_to_float(s[i]);
  return f;
}

inline void float_to_half_tensor(const Tensor& f, Tensor& h) {
  const float* s = f.data<float>();
  std::uint16_t* d = h.data<std::uint16_t>();
  for (std::int64_t i = 0; i < f.numel(); ++i) d[i] = float_to_half(s[i]);
}

/// Inputs before opset 7 broadcast only with broadcast=1 and an 'axis' (not numpy rules).
inline Status check_legacy_broadcast(const NodeInfo& node) {
  if (node.opset >= 7) return {};
  auto b = node.attrs.get_int("broadcast", 0);
  if (!b) return invalid(node, b.status().message());
  if (*b != 0)
    return unsupported(node, "attribute 'broadcast'=1 (pre-opset-7 broadcasting) is not supported");
  return {};
}

/// Output shape of multidirectional broadcasting, after checking that all inputs share input 0's
/// type (`first` .. `last`).
inline Expected<Shape> broadcast_same_type(InferContext& ctx, std::size_t first, std::size_t last) {
  std::vector<Shape> shapes;
  for (std::size_t i = first; i <= last; ++i) {
    if (!ctx.has_input(i)) return invalid(ctx.node, "input " + std::to_string(i) + " is missing");
    if (ctx.inputs[i].dtype != ctx.inputs[first].dtype)
      return invalid(ctx.node, "input " + std::to_string(i) + " has type " +
                                   dtype_name(ctx.inputs[i].dtype) + ", input " +
                                   std::to_string(first) + " has " +
                                   dtype_name(ctx.inputs[first].dtype));
    shapes.push_back(ctx.inputs[i].shape);
  }
  return broadcast_shapes(ctx.node, shapes);
}

// Ops defined in compare.cpp, referenced by the table in binary.cpp.
#define EDGERT_BINARY_DECLARE(fn)       \
  Status fn##_infer(InferContext& ctx); \
  Status fn##_compute(ComputeContext& ctx);
EDGERT_BINARY_DECLARE(equal)
EDGERT_BINARY_DECLARE(greater)
EDGERT_BINARY_DECLARE(less)
EDGERT_BINARY_DECLARE(greater_or_equal)
EDGERT_BINARY_DECLARE(less_or_equal)
EDGERT_BINARY_DECLARE(logical_and)
EDGERT_BINARY_DECLARE(logical_or)
EDGERT_BINARY_DECLARE(logical_xor)
EDGERT_BINARY_DECLARE(where)
#undef EDGERT_BINARY_DECLARE

}  // namespace edgert::cpu::binary
