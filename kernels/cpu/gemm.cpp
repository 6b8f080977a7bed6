// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Gemm and MatMul (float32) on the shared Eigen sgemm.

#include <algorithm>
#include <vector>

#include "kernels/cpu/gemm_eigen.h"
#include "kernels/cpu/nn_common.h"

namespace edgert::cpu {
namespace {

struct GemmAttrs {
  float alpha = 1.0f;
  float beta = 1.0f;
  bool trans_a = false;
  bool trans_b = false;
};

Expected<GemmAttrs> parse_gemm(const NodeInfo& node) {
  GemmAttrs a;
  EDGERT_ASSIGN_OR_RETURN(a.alpha, node.attrs.get_float("alpha", 1.0f));
  EDGERT_ASSIGN_OR_RETURN(a.beta, node.attrs.get_float("beta", 1.0f));
  EDGERT_ASSIGN_OR_RETURN(std::int64_t ta, node.attrs.get_int("transA", 0));
  EDGERT_ASSIGN_OR_RETURN(std::int64_t tb, node.attrs.get_int("transB", 0));
  a.trans_a = ta != 0;
  a.trans_b = tb != 0;
  return a;
}

Status check_float(const InferContext& ctx) {
  for (std::size_t i = 0; i < ctx.inputs.size(); ++i)
    if (ctx.has_input(i) && ctx.inputs[i].dtype != DataType::kFloat32)
      return unsupported_dtype(ctx.node, i, ctx.inputs[i].dtype);
  return {};
}

bool known(std::int64_t d) { return d != Shape::kUnknownDim; }

}  // namespace

Status infer_gemm(InferContext& ctx) {
  EDGERT_ASSIGN_OR_RETURN(GemmAttrs a, parse_gemm(ctx.node));
  EDGERT_RETURN_IF_ERROR(check_float(ctx));
  const Shape& as = ctx.inputs[0].shape;
  const Shape& bs = ctx.inputs[1].shape;
  std::int64_t m = Shape::kUnknownDim, n = Shape::kUnknownDim;
  std::int64_t ka = Shape::kUnknownDim, kb = Shape::kUnknownDim;
  if (!as.unknown_rank()) {
    if (as.rank() != 2) return invalid(ctx.node, "A must be 2-D, got " + as.to_string());
    m = as[a.trans_a ? 1 : 0];
    ka = as[a.trans_a ? 0 : 1];
  }
  if (!bs.unknown_rank()) {
    if (bs.rank() != 2) return invalid(ctx.node, "B must be 2-D, got " + bs.to_string());
    n = bs[a.trans_b ? 0 : 1];
    kb = bs[a.trans_b ? 1 : 0];
  }
  if (known(ka) && known(kb) && ka != kb)
    return invalid(ctx.node, "inner dims differ: A " + as.to_string() + " B " + bs.to_string() +
                                 " (transA " + std::to_string(a.trans_a) + ", transB " +
                                 std::to_string(a.trans_b) + ")");
  if (ctx.has_input(2) && !ctx.inputs[2].shape.unknown_rank()) {
    const Shape& cs = ctx.inputs[2].shape;
    if (cs.rank() > 2) return invalid(ctx.node, "C must have rank <= 2, got " + cs.to_string());
    const std::int64_t target[2] = {m, n};
    for (std::size_t i = 0; i < cs.rank(); ++i) {
      const std::int64_t c = cs[i], t = target[2 - cs.rank() + i];
      if (known(c) && c != 1 && known(t) && c != t)
        return invalid(ctx.node, "C of shape " + cs.to_string() +
                                     " cannot be broadcast to the output [" + std::to_string(m) +
                                     "," + std::to_string(n) + "]");
    }
  }
  set_output(ctx, 0, DataType::kFloat32, Shape({m, n}));
  return {};
}

Status compute_gemm(ComputeContext& ctx) {
  EDGERT_ASSIGN_OR_RETURN(GemmAttrs a, parse_gemm(ctx.node));
  const Tensor& at = *ctx.inputs[0];
  const Tensor& bt = *ctx.inputs[1];
  Tensor& yt = *ctx.outputs[0];
  const std::int64_t m = yt.shape()[0], n = yt.shape()[1];
  const std::int64_t k = at.shape()[a.trans_a ? 0 : 1];
  float* y = yt.data<float>();
  float beta = 0.0f;
  if (ctx.has_input(2) && a.beta != 0.0f) {
    // Y = beta * C (broadcast), then Y += alpha * A * B.
    const Tensor& ct = *ctx.inputs[2];
    const Shape& cs = ct.shape();
    const std::int64_t cr = cs.rank() == 2 ? cs[0] : 1;
    const std::int64_t cc = cs.rank() >= 1 ? cs[cs.rank() - 1] : 1;
    const std::int64_t rs = cr == 1 ? 0 : cc, cstep = cc == 1 ? 0 : 1;
    const float* c = ct.data<float>();
    for (std::int64_t i = 0; i < m; ++i)
      for (std::int64_t j = 0; j < n; ++j) y[i * n + j] = a.beta * c[i * rs + j * cstep];
    beta = 1.0f;
  }
  sgemm(a.trans_a, a.trans_b, m, n, k, a.alpha, at.data<float>(), at.shape()[1], bt.data<float>(),
        bt.shape()[1], beta, y, n);
  return {};
}

Status infer_matmul(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_float(ctx));
  const Shape& as = ctx.inputs[0].shape;
  const Shape& bs = ctx.inputs[1].shape;
  if (as.unknown_rank() || bs.unknown_rank()) {
    set_output(ctx, 0, DataType::kFloat32, Shape::unknown());
    return {};
  }
  if (as.rank() == 0 || bs.rank() == 0)
    return invalid(
        ctx.node, "operands must have rank >= 1, got " + as.to_string() + " and " + bs.to_string());
  const std::int64_t ka = as[as.rank() - 1];
  const std::int64_t kb = bs.rank() == 1 ? bs[0] : bs[bs.rank() - 2];
  if (known(ka) && known(kb) && ka != kb)
    return invalid(ctx.node, "inner dims differ: " + as.to_string() + " x " + bs.to_string());
  std::vector<std::int64_t> ab(as.dims().begin(),
                               as.dims().end() - std::min<std::size_t>(2, as.rank()));
  std::vector<std::int64_t> bb(bs.dims().begin(),
                               bs.dims().end() - std::min<std::size_t>(2, bs.rank()));
  EDGERT_ASSIGN_OR_RETURN(Shape batch, broadcast_shapes(ctx.node, {Shape(ab), Shape(bb)}));
  std::vector<std::int64_t> out = batch.dims();
  if (as.rank() >= 2) out.push_back(as[as.rank() - 2]);
  if (bs.rank() >= 2) out.push_back(bs[bs.rank() - 1]);
  set_output(ctx, 0, DataType::kFloat32, Shape(out));
  return {};
}

Status compute_matmul(ComputeContext& ctx) {
  const Tensor& at = *ctx.inputs[0];
  const Tensor& bt = *ctx.inputs[1];
  Tensor& yt = *ctx.outputs[0];
  const Shape& as = at.shape();
  const Shape& bs = bt.shape();
  const std::int64_t m = as.rank() >= 2 ? as[as.rank() - 2] : 1;
  const std::int64_t k = as[as.rank() - 1];
  const std::int64_t n = bs.rank() >= 2 ? bs[bs.rank() - 1] : 1;
  const float* a = at.data<float>();
  const float* b = bt.data<float>();
  float* y = yt.data<float>();
  const std::int64_t batch = m * n > 0 ? yt.numel() / (m * n) : 0;
  if (batch == 0) return {};
  const std::int64_t a_batch = at.numel() / std::max<std::int64_t>(1, m * k);
  const std::int64_t b_batch = bt.numel() / std::max<std::int64_t>(1, k * n);
  if (b_batch == 1 && a_batch == batch) {
    // B shared by every batch: one GEMM with the batches stacked along M.
    sgemm(false, false, batch * m, n, k, 1.0f, a, k, b, n, 0.0f, y, n);
    return {};
  }
  // Batch offsets of A and B under numpy broadcasting of the batch dims.
  std::vector<std::int64_t> ab(as.dims().begin(),
                               as.dims().end() - std::min<std::size_t>(2, as.rank()));
  std::vector<std::int64_t> bb(bs.dims().begin(),
                               bs.dims().end() - std::min<std::size_t>(2, bs.rank()));
  const Shape ys = yt.shape();
  const std::size_t out_batch_rank =
      ys.rank() - (as.rank() >= 2 ? 1 : 0) - (bs.rank() >= 2 ? 1 : 0);
  const Shape batch_shape(
      std::vector<std::int64_t>(ys.dims().begin(), ys.dims().begin() + out_batch_rank));
  const auto sa = broadcast_strides(Shape(ab), batch_shape);
  const auto sb = broadcast_strides(Shape(bb), batch_shape);
  std::vector<std::int64_t> a_off(batch), b_off(batch);
  {
    IndexIter it(batch_shape);
    for (std::int64_t i = 0; i < batch; ++i, it.next()) {
      std::int64_t oa = 0, ob = 0;
      for (std::size_t d = 0; d < out_batch_rank; ++d) {
        oa += it.index()[d] * sa[d];
        ob += it.index()[d] * sb[d];
      }
      a_off[i] = oa * m * k;
      b_off[i] = ob * k * n;
    }
  }
  // Small products (attention heads): one single-threaded GEMM per batch in parallel; large
  // ones: batches in sequence, each GEMM threaded by Eigen.
  const bool small = m * n * k < (std::int64_t{1} << 18);
#pragma omp parallel for schedule(dynamic, 1) if (small && batch > 1)
  for (std::int64_t i = 0; i < batch; ++i)
    sgemm(false, false, m, n, k, 1.0f, a + a_off[i], k, b + b_off[i], n, 0.0f, y + i * m * n, n);
  return {};
}

}  // namespace edgert::cpu
