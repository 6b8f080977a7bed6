// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Tactics for FusedGemm: Y[M, N] = act(A[M, K] * op(B) + bias[N]), B a constant weight.
//   cublas.gemm   cublasGemmEx (float32 accumulation) + EdgeRT's epilogue kernel
//   edgert.gemm   kernels/cuda tiled GEMM with the epilogue fused
// Supported: transA = 0, alpha = 1, a bias of N values (or none) with beta = 1; other Gemm forms
// run on the CPU fallback.

#include <vector>

#include "backends/cuda/tactic.h"
#include "edgert/kernels/cuda_conv.h"
#include "edgert/kernels/cuda_epilogue.h"

namespace edgert::cuda_backend {
namespace {

struct GemmSetup {
  std::int64_t m = 0, n = 0, k = 0;
  bool trans_b = false;
  bool has_bias = false;
  cuda::ActParams act;
  DataType dtype = DataType::kFloat32;
};

Expected<GemmSetup> gemm_setup(const LayerView& v) {
  if (v.layer().type != "FusedGemm") return v.unsupported("not a FusedGemm");
  const engine::TensorDef* a = v.input(0);
  const engine::TensorDef* b = v.input(1);
  const engine::TensorDef* c = v.input(2);
  const engine::TensorDef* y = v.output(0);
  if (!a || !b || !y) return v.unsupported("missing input or output");
  if (!v.weight(1) || (c && !v.weight(2))) return v.unsupported("B or C is not a constant");
  GemmSetup s;
  s.dtype = a->dtype;
  if (!cuda::is_kernel_float(s.dtype) || b->dtype != s.dtype || y->dtype != s.dtype)
    return v.unsupported("types are not one float type");
  if (layout_of(*a) != cuda::Layout::kNCHW) return v.unsupported("A is not linear");
  EDGERT_ASSIGN_OR_RETURN(std::int64_t ta, v.attrs().get_int("transA", 0));
  EDGERT_ASSIGN_OR_RETURN(std::int64_t tb, v.attrs().get_int("transB", 0));
  EDGERT_ASSIGN_OR_RETURN(float alpha, v.attrs().get_float("alpha", 1.f));
  EDGERT_ASSIGN_OR_RETURN(float beta, v.attrs().get_float("beta", 1.f));
  if (ta != 0 || alpha != 1.f || (c && beta != 1.f))
    return v.unsupported("transA, alpha or beta other than Gemm's defaults");
  if (b->shape.rank() != 2 || a->shape.rank() < 2) return v.unsupported("B must be 2-D");
  s.trans_b = tb != 0;
  s.k = a->shape[a->shape.rank() - 1];
  s.m = a->shape.numel() / (s.k ? s.k : 1);
  s.n = s.trans_b ? b->shape[0] : b->shape[1];
  if ((s.trans_b ? b->shape[1] : b->shape[0]) != s.k) return v.unsupported("inner dims differ");
  if (c) {
    if (c->shape.numel() != s.n || (c->shape.rank() == 2 && c->shape[0] != 1) ||
        c->shape.rank() > 2)
      return v.unsupported("C is not a per-column bias");
    s.has_bias = true;
  }
  EDGERT_ASSIGN_OR_RETURN(s.act, fused_activation(v));
  return s;
}

class GemmTactic final : public Tactic {
 public:
  explicit GemmTactic(bool cublas) : cublas_(cublas) {}
  std::string name() const override { return cublas_ ? "cublas.gemm" : "edgert.gemm"; }
  TacticSource source() const override { return cublas_ ? kSourceCublas : kSourceEdgert; }

  Status prepare(const LayerView& v, const PrepareContext&) override {
    EDGERT_ASSIGN_OR_RETURN(s_, gemm_setup(v));
    if (s_.has_bias) EDGERT_RETURN_IF_ERROR(upload_as_float(v, 2, bias_));
    return upload(v.weight(1), v.input(1)->nbytes, b_, v.what() + " B");
  }

  Status enqueue(const RunContext& rc, const LayerIO& io) const override {
    cuda::ConvEpilogue ep;
    ep.bias = s_.has_bias ? bias_.as<float>() : nullptr;
    ep.act = s_.act;
    void* y = io.outputs[0];
    if (!cublas_)
      return cuda::gemm(io.inputs[0], b_.get(), y, s_.dtype, s_.m, s_.n, s_.k, s_.trans_b, ep,
                        rc.stream);
    // Row-major Y[M, N] = A[M, K] * op(B); column-major Y^T[N, M] = op(B)^T * A^T.
    const cudaDataType_t dt = s_.dtype == DataType::kFloat16 ? CUDA_R_16F : CUDA_R_32F;
    const float one = 1.f, zero = 0.f;
    const int m = static_cast<int>(s_.n), n = static_cast<int>(s_.m), k = static_cast<int>(s_.k);
    EDGERT_CUBLAS_TRY(cublasSetStream(rc.cublas, rc.stream));
    // B [K, N] row-major is [N, K] column-major with ld N: no transpose; B [N, K] (transB) is
    // [K, N] column-major with ld K: transpose.
    EDGERT_CUBLAS_TRY(cublasGemmEx(rc.cublas, s_.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, CUBLAS_OP_N,
                                   m, n, k, &one, b_.get(), dt, s_.trans_b ? k : m, io.inputs[0],
                                   dt, k, &zero, y, dt, m, CUBLAS_COMPUTE_32F,
                                   CUBLAS_GEMM_DEFAULT));
    if (!s_.has_bias && s_.act.kind == cuda::Act::kNone) return {};
    return cuda::bias_act(y, y, s_.dtype, cuda::Layout::kNHWC, cuda::Dims4{s_.m, s_.n, 1, 1},
                          ep.bias, nullptr, s_.act, rc.stream);
  }

 private:
  bool cublas_;
  GemmSetup s_;
  DeviceBuffer b_, bias_;
};

}  // namespace

void gemm_tactics(const LayerView& layer, unsigned sources, std::vector<TacticPtr>& out) {
  if (layer.layer().type != "FusedGemm") return;
  if (sources & kSourceCublas) out.push_back(std::make_unique<GemmTactic>(true));
  if (sources & kSourceEdgert) out.push_back(std::make_unique<GemmTactic>(false));
}

}  // namespace edgert::cuda_backend
