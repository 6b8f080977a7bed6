// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Gemm and MatMul (float32) on the shared Eigen sgemm. gemm_forward is also FusedGemm's product:
// bias (C), activation and fp16 rounding are applied per block of rows right after the GEMM.

#include <algorithm>
#include <vector>

#include "kernels/cpu/conv_gemm.h"
#include "kernels/cpu/gemm_eigen.h"

namespace edgert::cpu {
namespace {

Status check_float(const InferContext& ctx) {
  for (std::size_t i = 0; i < ctx.inputs.size(); ++i)
    if (ctx.has_input(i) && ctx.inputs[i].dtype != DataType::kFloat32)
      return unsupported_dtype(ctx.node, i, ctx.inputs[i].dtype);
  return {};
}

bool known(std::int64_t d) { return d != Shape::kUnknownDim; }

// Rows of the output per epilogue block: large enough for an efficient threaded GEMM, small
// enough (with N) that the block is still in cache when the epilogue runs over it.
constexpr std::int64_t kGemmBlockFloats = std::int64_t{1} << 18;

}  // namespace

Expected<GemmAttrs> parse_gemm_attrs(const NodeInfo& node) {
  GemmAttrs a;
  EDGERT_ASSIGN_OR_RETURN(a.alpha, node.attrs.get_float("alpha", 1.0f));
  EDGERT_ASSIGN_OR_RETURN(a.beta, node.attrs.get_float("beta", 1.0f));
  EDGERT_ASSIGN_OR_RETURN(std::int64_t ta, node.attrs.get_int("transA", 0));
  EDGERT_ASSIGN_OR_RETURN(std::int64_t tb, node.attrs.get_int("transB", 0));
  a.trans_a = ta != 0;
  a.trans_b = tb != 0;
  return a;
}

Status gemm_output_shape(const NodeInfo& node, const GemmAttrs& a, const Shape& as, const Shape& bs,
                         const Shape* cs, bool batched_a, Shape& out) {
  std::int64_t m = Shape::kUnknownDim, n = Shape::kUnknownDim;
  std::int64_t ka = Shape::kUnknownDim, kb = Shape::kUnknownDim;
  std::vector<std::int64_t> lead;  // output dims before N
  const bool any_rank = batched_a && !a.trans_a;
  if (!as.unknown_rank()) {
    if (any_rank ? as.rank() < 2 : as.rank() != 2)
      return invalid(node, std::string("A must be ") + (any_rank ? "at least 2-D" : "2-D") +
                               ", got " + as.to_string());
    if (a.trans_a) {
      m = as[1];
      ka = as[0];
      lead = {m};
    } else {
      lead.assign(as.dims().begin(), as.dims().end() - 1);
      m = 1;
      for (auto d : lead) m = known(d) && known(m) ? m * d : Shape::kUnknownDim;
      ka = as[as.rank() - 1];
    }
  }
  if (!bs.unknown_rank()) {
    if (bs.rank() != 2) return invalid(node, "B must be 2-D, got " + bs.to_string());
    n = bs[a.trans_b ? 0 : 1];
    kb = bs[a.trans_b ? 1 : 0];
  }
  if (known(ka) && known(kb) && ka != kb)
    return invalid(node, "inner dims differ: A " + as.to_string() + " B " + bs.to_string() +
                             " (transA " + std::to_string(a.trans_a) + ", transB " +
                             std::to_string(a.trans_b) + ")");
  if (cs && !cs->unknown_rank()) {
    if (cs->rank() > 2) return invalid(node, "C must have rank <= 2, got " + cs->to_string());
    const std::int64_t target[2] = {m, n};
    for (std::size_t i = 0; i < cs->rank(); ++i) {
      const std::int64_t c = (*cs)[i], t = target[2 - cs->rank() + i];
      if (known(c) && c != 1 && known(t) && c != t)
        return invalid(node, "C of shape " + cs->to_string() +
                                 " cannot be broadcast to the output [" + std::to_string(m) + "," +
                                 std::to_string(n) + "]");
    }
  }
  if (as.unknown_rank()) {
    out = any_rank ? Shape::unknown() : Shape({m, n});
    return {};
  }
  lead.push_back(n);
  out = Shape(lead);
  return {};
}

Status gemm_forward(const GemmAttrs& a, const Tensor& at, const Tensor& bt, const Tensor* ct,
                    const Epilogue& ep, float* y) {
  const Shape& as = at.shape();
  const std::int64_t k = a.trans_a ? as[0] : as[as.rank() - 1];
  std::int64_t m = a.trans_a ? as[1] : 1;
  if (!a.trans_a)
    for (std::size_t d = 0; d + 1 < as.rank(); ++d) m *= as[d];
  const std::int64_t n = bt.shape()[a.trans_b ? 0 : 1];
  const std::int64_t lda = a.trans_a ? m : k, ldb = bt.shape()[1];
  if (m == 0 || n == 0) return {};
  // C broadcast: row stride 0 when C has one row, column stride 0 when it has one column.
  const float* c = nullptr;
  std::int64_t c_rs = 0, c_cs = 0;
  if (ct && a.beta != 0.0f && ct->numel() > 0) {
    const Shape& cs = ct->shape();
    const std::int64_t cr = cs.rank() == 2 ? cs[0] : 1;
    const std::int64_t cc = cs.rank() >= 1 ? cs[cs.rank() - 1] : 1;
    c = ct->data<float>();
    c_rs = cr == 1 ? 0 : cc;
    c_cs = cc == 1 ? 0 : 1;
  }
  const bool tail = !ep.trivial_tail();
  const std::int64_t block =
      (c || tail) ? std::max<std::int64_t>(64, kGemmBlockFloats / n) : m;  // rows per block
  for (std::int64_t r0 = 0; r0 < m; r0 += block) {
    const std::int64_t rows = std::min(block, m - r0);
    const float* ab = a.trans_a ? at.data<float>() + r0 : at.data<float>() + r0 * lda;
    float* yb = y + r0 * n;
    sgemm(a.trans_a, a.trans_b, rows, n, k, a.alpha, ab, lda, bt.data<float>(), ldb, 0.0f, yb, n);
    if (!c && !tail) continue;
#pragma omp parallel for schedule(static) if (rows * n > 65536 && !in_parallel_region())
    for (std::int64_t i = 0; i < rows; ++i) {
      float* yr = yb + i * n;
      if (c) {
        const float* cr = c + (r0 + i) * c_rs;
        for (std::int64_t j = 0; j < n; ++j) yr[j] += a.beta * cr[j * c_cs];
      }
      if (tail) apply_epilogue_span(ep, false, 0.0f, nullptr, yr, n);
    }
  }
  return {};
}

Status infer_gemm(InferContext& ctx) {
  EDGERT_ASSIGN_OR_RETURN(GemmAttrs a, parse_gemm_attrs(ctx.node));
  EDGERT_RETURN_IF_ERROR(check_float(ctx));
  Shape out;
  EDGERT_RETURN_IF_ERROR(gemm_output_shape(ctx.node, a, ctx.inputs[0].shape, ctx.inputs[1].shape,
                                           ctx.has_input(2) ? &ctx.inputs[2].shape : nullptr, false,
                                           out));
  set_output(ctx, 0, DataType::kFloat32, out);
  return {};
}

Status compute_gemm(ComputeContext& ctx) {
  EDGERT_ASSIGN_OR_RETURN(GemmAttrs a, parse_gemm_attrs(ctx.node));
  return gemm_forward(a, *ctx.inputs[0], *ctx.inputs[1], ctx.has_input(2) ? ctx.inputs[2] : nullptr,
                      Epilogue{}, ctx.outputs[0]->data<float>());
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
