// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Softmax, LogSoftmax, Hardmax. Before opset 13 they coerce the input to 2-D at `axis` (default 1)
// and normalise over everything from `axis` on; from opset 13 they work along the one `axis`
// (default -1). Both become [outer, n, inner] loops here.

#include <cmath>
#include <limits>

#include "kernels/cpu/reduce_ops.h"

namespace edgert::cpu {
namespace {

enum class SoftmaxKind { kSoftmax, kLogSoftmax, kHardmax };

SoftmaxKind softmax_kind(const std::string& op) {
  if (op == "LogSoftmax") return SoftmaxKind::kLogSoftmax;
  if (op == "Hardmax") return SoftmaxKind::kHardmax;
  return SoftmaxKind::kSoftmax;
}

struct SoftmaxParams {
  std::int64_t axis;
  bool coerce_2d;  // opset < 13 semantics
};

Expected<SoftmaxParams> parse_softmax(const NodeInfo& node) {
  SoftmaxParams p;
  p.coerce_2d = node.opset < 13;
  EDGERT_ASSIGN_OR_RETURN(p.axis, node.attrs.get_int("axis", p.coerce_2d ? 1 : -1));
  return p;
}

// Splits a static shape into [outer, n, inner] for the op's normalisation.
Status split_dims(const NodeInfo& node, const SoftmaxParams& p, const Shape& s, std::int64_t& outer,
                  std::int64_t& n, std::int64_t& inner) {
  const auto rank = static_cast<std::int64_t>(s.rank());
  if (rank == 0) return invalid(node, "input must have rank >= 1");
  EDGERT_ASSIGN_OR_RETURN(auto axis, normalize_axis(node, p.axis, rank));
  outer = dims_product(s, 0, axis);
  if (p.coerce_2d) {
    n = dims_product(s, axis, rank);
    inner = 1;
  } else {
    n = s[axis];
    inner = dims_product(s, axis + 1, rank);
  }
  return Status();
}

void softmax_row(const float* x, float* y, std::int64_t n, std::int64_t stride, SoftmaxKind kind) {
  if (n == 0) return;
  float mx = -std::numeric_limits<float>::infinity();
  std::int64_t arg = 0;
  for (std::int64_t j = 0; j < n; ++j) {
    const float v = x[j * stride];
    if (v > mx) {
      mx = v;
      arg = j;
    }
  }
  if (kind == SoftmaxKind::kHardmax) {
    for (std::int64_t j = 0; j < n; ++j) y[j * stride] = j == arg ? 1.f : 0.f;
    return;
  }
  if (!std::isfinite(mx)) mx = 0.f;  // all -inf (or +inf/NaN): let the arithmetic say so
  float sum = 0.f;
  if (kind == SoftmaxKind::kSoftmax) {
    for (std::int64_t j = 0; j < n; ++j) {
      const float e = std::exp(x[j * stride] - mx);
      y[j * stride] = e;
      sum += e;
    }
    const float inv = 1.f / sum;
    for (std::int64_t j = 0; j < n; ++j) y[j * stride] *= inv;
  } else {
    for (std::int64_t j = 0; j < n; ++j) sum += std::exp(x[j * stride] - mx);
    const float shift = mx + std::log(sum);
    for (std::int64_t j = 0; j < n; ++j) y[j * stride] = x[j * stride] - shift;
  }
}

}  // namespace

Status infer_softmax(InferContext& ctx) {
  const TensorInfo& in = ctx.inputs[0];
  if (!is_float(in.dtype)) return unsupported_dtype(ctx.node, 0, in.dtype);
  EDGERT_ASSIGN_OR_RETURN(auto p, parse_softmax(ctx.node));
  if (!in.shape.unknown_rank()) {
    const auto rank = static_cast<std::int64_t>(in.shape.rank());
    if (rank == 0) return invalid(ctx.node, "input must have rank >= 1");
    EDGERT_RETURN_IF_ERROR(normalize_axis(ctx.node, p.axis, rank).status());
  }
  set_output(ctx, 0, in.dtype, in.shape);
  return Status();
}

Status compute_softmax(ComputeContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  EDGERT_ASSIGN_OR_RETURN(auto p, parse_softmax(ctx.node));
  std::int64_t outer = 0, n = 0, inner = 0;
  EDGERT_RETURN_IF_ERROR(split_dims(ctx.node, p, x.shape(), outer, n, inner));
  const SoftmaxKind kind = softmax_kind(ctx.node.op_type);
  std::vector<float> in_buf, out_buf;
  const float* in = load_as<float>(x, in_buf);
  Tensor& y = *ctx.outputs[0];
  float* out = nullptr;
  if (y.dtype() == DataType::kFloat32) {
    out = y.data<float>();
  } else {
    out_buf.resize(static_cast<std::size_t>(y.numel()));
    out = out_buf.data();
  }
  const std::int64_t rows = outer * inner;
#pragma omp parallel for schedule(static) if (rows > 1 && rows * n > (1 << 14))
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int64_t o = r / inner, i = r % inner;
    const std::int64_t off = o * n * inner + i;
    softmax_row(in + off, out + off, n, inner, kind);
  }
  if (!out_buf.empty()) store_as(out_buf.data(), y);
  return Status();
}

}  // namespace edgert::cpu
