// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Tactics for FusedGemm: Y[M, N] = act(A[M, K] * op(B) + bias[N]), B a constant weight.
//   cublas.gemm   cublasGemmEx (float32 accumulation) + EdgeRT's epilogue kernel
//   edgert.gemm   kernels/cuda tiled GEMM with the epilogue fused
// GemmInt8 (int8 A and B, per-column weight scales, int8 or float32 Y):
//   edgert.gemm.int8.<tile>  the int8 tensor-core kernel of cuda_conv_int8.h (M pixels of 1 x 1)
// Supported: transA = 0, alpha = 1, a bias of N values (or none) with beta = 1; other Gemm forms
// run on the CPU fallback.

#include <vector>

#include "backends/cuda/tactic.h"
#include "edgert/kernels/cuda_conv.h"
#include "edgert/kernels/cuda_conv_int8.h"
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

// ---- GemmInt8: the int8 convolution kernel as a 1 x 1 convolution over M "pixels" ----

class EdgertGemmInt8 final : public Tactic {
 public:
  EdgertGemmInt8(int tile, int split) : tile_(tile), split_(split) {}
  std::string name() const override {
    return std::string("edgert.gemm.int8.") +
           cuda::int8_tile_name(static_cast<cuda::Int8Tile>(tile_)) +
           (split_ > 1 ? ".split" + std::to_string(split_) : "");
  }
  TacticSource source() const override { return kSourceEdgert; }
  std::size_t workspace_bytes() const override {
    return cuda::int8_conv_workspace_bytes(g_, split_);
  }

  Status prepare(const LayerView& v, const PrepareContext&) override {
    if (v.layer().type != "GemmInt8") return v.unsupported("not a GemmInt8");
    const engine::TensorDef* a = v.input(0);
    const engine::TensorDef* b = v.input(1);
    const engine::TensorDef* c = v.input(3);
    const engine::TensorDef* y = v.output(0);
    if (!a || !b || !y || !v.input(2)) return v.unsupported("missing input or output");
    if (!v.weight(1) || !v.weight(2) || (c && !v.weight(3)))
      return v.unsupported("B, w_scale or C is not a constant");
    if (a->dtype != DataType::kInt8 || b->dtype != DataType::kInt8)
      return v.unsupported("A and B must be int8 (a float A is quantized by a Reformat layer)");
    if (y->dtype != DataType::kInt8 && y->dtype != DataType::kFloat32)
      return v.unsupported("Y must be int8 or float32");
    if (layout_of(*a) != cuda::Layout::kNCHW) return v.unsupported("A is not linear");
    EDGERT_ASSIGN_OR_RETURN(std::int64_t ta, v.attrs().get_int("transA", 0));
    EDGERT_ASSIGN_OR_RETURN(std::int64_t tb, v.attrs().get_int("transB", 0));
    EDGERT_ASSIGN_OR_RETURN(float alpha, v.attrs().get_float("alpha", 1.f));
    EDGERT_ASSIGN_OR_RETURN(float beta, v.attrs().get_float("beta", 1.f));
    if (ta != 0) return v.unsupported("transA");
    if (b->shape.rank() != 2 || a->shape.rank() < 2) return v.unsupported("B must be 2-D");
    const std::int64_t k = a->shape[a->shape.rank() - 1];
    const std::int64_t n = tb ? b->shape[0] : b->shape[1];
    if ((tb ? b->shape[1] : b->shape[0]) != k) return v.unsupported("inner dims differ");
    if (k > cuda::kInt8MaxReduction) return v.unsupported("K too long for int32 sums");
    g_.n = a->shape.numel() / (k ? k : 1);
    g_.c = k;
    g_.k = n;
    if (split_ > 1) EDGERT_RETURN_IF_ERROR(int8_split_admissible(v, g_, split_));
    // B as [N][K] rows, packed as a 1 x 1 filter.
    const auto* src = reinterpret_cast<const std::int8_t*>(v.weight(1));
    std::vector<std::int8_t> nk(static_cast<std::size_t>(n * k));
    for (std::int64_t j = 0; j < n; ++j)
      for (std::int64_t i = 0; i < k; ++i) nk[j * k + i] = tb ? src[j * k + i] : src[i * n + j];
    EDGERT_RETURN_IF_ERROR(upload_int8_filter(v, nk.data(), g_, b_));
    EDGERT_RETURN_IF_ERROR(upload_as_float(v, 2, w_scale_));
    if (c) {
      // The CPU adds beta * C[j] (kernels/cpu/int8.cpp): the same product, made once here.
      if (c->shape.numel() != n || (c->shape.rank() == 2 && c->shape[0] != 1) ||
          c->shape.rank() > 2)
        return v.unsupported("C is not a per-column bias");
      EDGERT_ASSIGN_OR_RETURN(std::vector<float> cv, weight_as_floats(v, 3));
      for (float& e : cv) e *= beta;
      EDGERT_RETURN_IF_ERROR(upload(cv.data(), cv.size() * sizeof(float), bias_, v.what() + " C"));
    }
    EDGERT_ASSIGN_OR_RETURN(ep_, int8_epilogue(v, alpha));
    return {};
  }

  Status enqueue(const RunContext& rc, const LayerIO& io) const override {
    cuda::QuantEpilogue ep = ep_;
    ep.w_scale = w_scale_.as<float>();
    ep.bias = bias_.get() ? bias_.as<float>() : nullptr;
    return cuda::int8_conv(static_cast<const std::int8_t*>(io.inputs[0]), b_.as<std::int8_t>(),
                           io.outputs[0], g_, ep, static_cast<cuda::Int8Tile>(tile_), rc.stream,
                           split_, rc.workspace);
  }

 private:
  int tile_, split_;
  cuda::ConvGeom g_;
  cuda::QuantEpilogue ep_;
  DeviceBuffer b_, w_scale_, bias_;
};

}  // namespace

void gemm_tactics(const LayerView& layer, unsigned sources, std::vector<TacticPtr>& out) {
  if (layer.layer().type == "GemmInt8" && (sources & kSourceEdgert))
    for (int t = 0; t < cuda::kInt8TileCount; ++t)
      for (int split : {1, 4, 16}) out.push_back(std::make_unique<EdgertGemmInt8>(t, split));
  if (layer.layer().type != "FusedGemm") return;
  if (sources & kSourceCublas) out.push_back(std::make_unique<GemmTactic>(true));
  if (sources & kSourceEdgert) out.push_back(std::make_unique<GemmTactic>(false));
}

}  // namespace edgert::cuda_backend
