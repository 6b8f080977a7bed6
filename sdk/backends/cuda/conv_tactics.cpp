// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Tactics for FusedConv (2-D): y = maxpool?(act(conv(x, w) + b + z)).
//   cudnn.conv.algo<N>.fused  cudnnConvolutionBiasActivationForward (bias, residual and ReLU in
//                             cuDNN's epilogue; identity only with IMPLICIT_PRECOMP_GEMM)
//   cudnn.conv.algo<N>        cudnnConvolutionForward + EdgeRT's epilogue kernel (any activation)
//   cublas.conv1x1            1x1/stride 1/no padding in NHWC: one GEMM [N*H*W, C] x [C, K]
//   edgert.conv.depthwise     kernels/cuda depthwise kernel (groups == C == K)
//   edgert.conv.direct        kernels/cuda direct kernel (any geometry; the fallback)
// and for ConvInt8 (int8 NHWC in, int8 or float32 NHWC out, the int8 epilogue fused):
//   edgert.conv.int8.<tile>   implicit GEMM on int8 tensor cores, one tactic per block tile
//   edgert.conv.int8.depthwise
// A fused max pool runs after any of them from the workspace. Float32 layers run in NCHW with
// CUDNN_FMA_MATH (no TF32: results stay within float32 rounding of the CPU); float16 layers in
// NHWC with tensor cores. Filters are stored KCRS in the engine; NHWC tactics transform them to
// KRSC at load.

#include <algorithm>
#include <cstring>
#include <vector>

#include "backends/cuda/tactic.h"
#include "edgert/half.h"
#include "edgert/kernels/cuda_conv.h"
#include "edgert/kernels/cuda_conv_int8.h"
#include "edgert/kernels/cuda_epilogue.h"
#include "edgert/kernels/cuda_pool.h"
#include "kernels/cpu/conv_gemm.h"
#include "kernels/cpu/nn_common.h"

namespace edgert::cuda_backend {
namespace {

/// Everything a conv tactic needs to know about the layer.
struct ConvSetup {
  cuda::ConvGeom g;
  bool pool = false;
  cuda::Pool2dParams pool_params;
  cuda::Dims4 out;  ///< after the pool
  cuda::ActParams act;
  bool has_bias = false;
  bool has_z = false;
  DataType dtype = DataType::kFloat32;  ///< the output's (int8 layers: int8 or float32)
  cuda::Layout layout = cuda::Layout::kNCHW;
  std::size_t conv_out_bytes = 0;  ///< the conv output before the pool (workspace when pooling)
  bool int8 = false;               ///< a ConvInt8 layer
  std::size_t bias_input = 2, z_input = 3;
};

/// The int8 layer's tensor rules: x int8, w int8, y and z int8 or float32, all NHWC (a tensor
/// with H = W = 1 is the same bytes either way).
Status check_int8_types(const LayerView& v, const engine::TensorDef& x, const engine::TensorDef& w,
                        const engine::TensorDef* z, const engine::TensorDef& y) {
  auto int8_or_f32 = [](DataType t) { return t == DataType::kInt8 || t == DataType::kFloat32; };
  if (x.dtype != DataType::kInt8 || w.dtype != DataType::kInt8)
    return v.unsupported("x and w must be int8 (a float x is quantized by a Reformat layer)");
  if (!int8_or_f32(y.dtype) || (z && !int8_or_f32(z->dtype)))
    return v.unsupported("y and z must be int8 or float32");
  auto nhwc = [](const engine::TensorDef& t) {
    return layout_of(t) == cuda::Layout::kNHWC ||
           (t.shape.rank() == 4 && t.shape[2] * t.shape[3] == 1);
  };
  if (!nhwc(x) || !nhwc(y) || (z && !nhwc(*z))) return v.unsupported("int8 tensors must be NHWC");
  return {};
}

Expected<ConvSetup> conv_setup(const LayerView& v) {
  const bool int8 = v.layer().type == "ConvInt8";
  if (v.layer().type != "FusedConv" && !int8) return v.unsupported("not a FusedConv or ConvInt8");
  ConvSetup s;
  s.int8 = int8;
  s.bias_input = int8 ? 3 : 2;
  s.z_input = int8 ? 4 : 3;
  const engine::TensorDef* x = v.input(0);
  const engine::TensorDef* w = v.input(1);
  const engine::TensorDef* b = v.input(s.bias_input);
  const engine::TensorDef* z = v.input(s.z_input);
  const engine::TensorDef* y = v.output(0);
  if (!x || !w || !y) return v.unsupported("missing input or output");
  if (x->shape.rank() != 4 || w->shape.rank() != 4) return v.unsupported("not a 2-D convolution");
  if (!v.weight(1)) return v.unsupported("the filter is not a constant");
  if (b && !v.weight(s.bias_input)) return v.unsupported("the bias is not a constant");
  if (int8) {
    if (!v.input(2) || !v.weight(2)) return v.unsupported("w_scale is not a constant");
    EDGERT_RETURN_IF_ERROR(check_int8_types(v, *x, *w, z, *y));
    s.dtype = y->dtype;  // what the fused pool reads
    s.layout = cuda::Layout::kNHWC;
  } else {
    s.dtype = x->dtype;
    if (!cuda::is_kernel_float(s.dtype)) return v.unsupported("input type is not float32/float16");
    if (w->dtype != s.dtype || y->dtype != s.dtype || (z && z->dtype != s.dtype))
      return v.unsupported("mixed tensor types");
    s.layout = layout_of(*x);
    if (layout_of(*y) != s.layout || (z && layout_of(*z) != s.layout))
      return v.unsupported("mixed tensor formats");
  }
  const cpu::NodeInfo node = v.node();
  Shape conv_shape;
  cpu::Geom3 geom;
  EDGERT_RETURN_IF_ERROR(
      cpu::conv_output_shape(node, x->shape, w->shape, b ? &b->shape : nullptr, conv_shape, &geom));
  EDGERT_ASSIGN_OR_RETURN(std::int64_t group, v.attrs().get_int("group", 1));
  cuda::ConvGeom& g = s.g;
  g.n = x->shape[0];
  g.c = x->shape[1];
  g.h = x->shape[2];
  g.w = x->shape[3];
  g.k = conv_shape[1];
  g.oh = conv_shape[2];
  g.ow = conv_shape[3];
  g.kh = static_cast<int>(geom.k[1]);
  g.kw = static_cast<int>(geom.k[2]);
  g.stride_h = static_cast<int>(geom.s[1]);
  g.stride_w = static_cast<int>(geom.s[2]);
  g.pad_top = static_cast<int>(geom.pb[1]);
  g.pad_left = static_cast<int>(geom.pb[2]);
  g.dilation_h = static_cast<int>(geom.dl[1]);
  g.dilation_w = static_cast<int>(geom.dl[2]);
  g.groups = static_cast<int>(group);
  EDGERT_ASSIGN_OR_RETURN(s.act, fused_activation(v));
  s.has_bias = b != nullptr;
  s.has_z = z != nullptr;
  s.conv_out_bytes = static_cast<std::size_t>(g.n * g.k * g.oh * g.ow) * dtype_size(s.dtype);
  EDGERT_ASSIGN_OR_RETURN(std::int64_t pool, v.attrs().get_int("pool", 0));
  s.pool = pool != 0;
  s.out = dims4(*y);
  if (s.pool) {
    cpu::WindowAttrs wa;
    EDGERT_ASSIGN_OR_RETURN(wa, cpu::parse_window_attrs(node, "pool_"));
    Shape pooled;
    cpu::Geom3 pg;
    EDGERT_RETURN_IF_ERROR(cpu::max_pool_output_shape(node, wa, conv_shape, pooled, &pg));
    cuda::Pool2dParams& p = s.pool_params;
    p.max = true;
    p.kernel_h = static_cast<int>(pg.k[1]);
    p.kernel_w = static_cast<int>(pg.k[2]);
    p.stride_h = static_cast<int>(pg.s[1]);
    p.stride_w = static_cast<int>(pg.s[2]);
    p.pad_top = static_cast<int>(pg.pb[1]);
    p.pad_left = static_cast<int>(pg.pb[2]);
    p.dilation_h = static_cast<int>(pg.dl[1]);
    p.dilation_w = static_cast<int>(pg.dl[2]);
    if (pooled != y->shape) return v.unsupported("pooled shape disagrees with the output");
  } else if (conv_shape != y->shape) {
    return v.unsupported("conv shape disagrees with the output");
  }
  return s;
}

/// The filter in the layout the tactic reads: KCRS as stored, or KRSC for NHWC.
Status upload_filter(const LayerView& v, const ConvSetup& s, bool krsc, DeviceBuffer& dst) {
  const engine::TensorDef* w = v.input(1);
  const std::uint8_t* src = v.weight(1);
  const std::size_t es = dtype_size(w->dtype);
  if (!krsc) return upload(src, w->nbytes, dst, v.what() + " filter");
  const std::int64_t k = w->shape[0], c = w->shape[1], r = w->shape[2], q = w->shape[3];
  std::vector<std::uint8_t> t(w->nbytes);
  for (std::int64_t ik = 0; ik < k; ++ik)
    for (std::int64_t ic = 0; ic < c; ++ic)
      for (std::int64_t ir = 0; ir < r; ++ir)
        for (std::int64_t iq = 0; iq < q; ++iq)
          std::memcpy(&t[static_cast<std::size_t>(((ik * r + ir) * q + iq) * c + ic) * es],
                      &src[static_cast<std::size_t>(((ik * c + ic) * r + ir) * q + iq) * es], es);
  (void)s;
  return upload(t.data(), t.size(), dst, v.what() + " filter (KRSC)");
}

/// Shared by all conv tactics: bias (float32 on the device), the pool step.
class ConvTacticBase : public Tactic {
 protected:
  /// `int8`: whether the tactic runs ConvInt8 (true) or FusedConv (false) layers.
  Status prepare_common(const LayerView& v, bool int8 = false) {
    EDGERT_ASSIGN_OR_RETURN(s_, conv_setup(v));
    if (s_.int8 != int8) return v.unsupported(int8 ? "not an int8 layer" : "an int8 layer");
    what_ = v.what();
    if (s_.has_bias) EDGERT_RETURN_IF_ERROR(upload_as_float(v, s_.bias_input, bias_));
    return {};
  }
  std::size_t pool_bytes() const { return s_.pool ? (s_.conv_out_bytes + 255) / 256 * 256 : 0; }
  /// Where the conv writes: y, or the workspace head when a pool follows.
  void* conv_dst(const RunContext& rc, const LayerIO& io) const {
    return s_.pool ? rc.workspace : io.outputs[0];
  }
  void* scratch(const RunContext& rc) const {
    return static_cast<std::uint8_t*>(rc.workspace) + pool_bytes();
  }
  Status finish_pool(const RunContext& rc, const LayerIO& io) const {
    if (!s_.pool) return {};
    return cuda::pool2d(rc.workspace, io.outputs[0], s_.dtype, s_.layout, s_.g.out(), s_.out,
                        s_.pool_params, rc.stream);
  }
  cuda::ConvEpilogue epilogue(const LayerIO& io) const {
    cuda::ConvEpilogue ep;
    ep.bias = s_.has_bias ? bias_.as<float>() : nullptr;
    ep.z = s_.has_z ? io.inputs[s_.z_input] : nullptr;
    ep.act = s_.act;
    return ep;
  }

  ConvSetup s_;
  std::string what_;
  DeviceBuffer bias_;
};

// ---- cuDNN ----

cudnnDataType_t cudnn_type(DataType t) {
  return t == DataType::kFloat16 ? CUDNN_DATA_HALF : CUDNN_DATA_FLOAT;
}

class CudnnConv final : public ConvTacticBase {
 public:
  CudnnConv(int algo, bool fused) : algo_(algo), fused_(fused) {}
  ~CudnnConv() override {
    if (x_) cudnnDestroyTensorDescriptor(x_);
    if (y_) cudnnDestroyTensorDescriptor(y_);
    if (b_) cudnnDestroyTensorDescriptor(b_);
    if (w_) cudnnDestroyFilterDescriptor(w_);
    if (conv_) cudnnDestroyConvolutionDescriptor(conv_);
    if (act_) cudnnDestroyActivationDescriptor(act_);
  }
  std::string name() const override {
    return "cudnn.conv.algo" + std::to_string(algo_) + (fused_ ? ".fused" : "");
  }
  TacticSource source() const override { return kSourceCudnn; }
  std::size_t workspace_bytes() const override { return pool_bytes() + ws_bytes_; }

  Status prepare(const LayerView& v, const PrepareContext& pc) override {
    EDGERT_RETURN_IF_ERROR(prepare_common(v));
    const ConvSetup& s = s_;
    const bool nhwc = s.layout == cuda::Layout::kNHWC;
    if (fused_) {
      // cuDNN's fused epilogue: ReLU, or identity with IMPLICIT_PRECOMP_GEMM only.
      if (s.act.kind != cuda::Act::kRelu &&
          !(s.act.kind == cuda::Act::kNone &&
            algo_ == CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM))
        return v.unsupported("cuDNN's fused epilogue has no such activation for this algo");
    }
    const cudnnDataType_t dt = cudnn_type(s.dtype);
    const cudnnTensorFormat_t fmt = nhwc ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW;
    const auto& g = s.g;
    auto i32 = [](std::int64_t x) { return static_cast<int>(x); };
    EDGERT_CUDNN_TRY(cudnnCreateTensorDescriptor(&x_));
    EDGERT_CUDNN_TRY(
        cudnnSetTensor4dDescriptor(x_, fmt, dt, i32(g.n), i32(g.c), i32(g.h), i32(g.w)));
    EDGERT_CUDNN_TRY(cudnnCreateTensorDescriptor(&y_));
    EDGERT_CUDNN_TRY(
        cudnnSetTensor4dDescriptor(y_, fmt, dt, i32(g.n), i32(g.k), i32(g.oh), i32(g.ow)));
    EDGERT_CUDNN_TRY(cudnnCreateFilterDescriptor(&w_));
    EDGERT_CUDNN_TRY(
        cudnnSetFilter4dDescriptor(w_, dt, fmt, i32(g.k), i32(g.c / g.groups), g.kh, g.kw));
    EDGERT_CUDNN_TRY(cudnnCreateConvolutionDescriptor(&conv_));
    EDGERT_CUDNN_TRY(cudnnSetConvolution2dDescriptor(conv_, g.pad_top, g.pad_left, g.stride_h,
                                                     g.stride_w, g.dilation_h, g.dilation_w,
                                                     CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    // cuDNN pads symmetrically: asymmetric padding (SAME_UPPER with even kernels) is not for it.
    const std::int64_t eh = (g.kh - 1) * g.dilation_h + 1, ew = (g.kw - 1) * g.dilation_w + 1;
    if ((g.oh - 1) * g.stride_h + eh > g.h + 2 * g.pad_top ||
        (g.ow - 1) * g.stride_w + ew > g.w + 2 * g.pad_left)
      return v.unsupported("asymmetric padding");
    int oh = 0, ow = 0, on = 0, oc = 0;
    EDGERT_CUDNN_TRY(cudnnGetConvolution2dForwardOutputDim(conv_, x_, w_, &on, &oc, &oh, &ow));
    if (oh != g.oh || ow != g.ow) return v.unsupported("cuDNN computes another output size");
    EDGERT_CUDNN_TRY(cudnnSetConvolutionGroupCount(conv_, g.groups));
    EDGERT_CUDNN_TRY(cudnnSetConvolutionMathType(
        conv_, s.dtype == DataType::kFloat16 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH));
    std::size_t ws = 0;
    EDGERT_CUDNN_TRY(cudnnGetConvolutionForwardWorkspaceSize(
        pc.cudnn, x_, w_, conv_, y_, static_cast<cudnnConvolutionFwdAlgo_t>(algo_), &ws));
    if (ws > kMaxWorkspace)
      return v.unsupported("workspace of " + std::to_string(ws >> 20) + " MiB");
    ws_bytes_ = ws;
    if (fused_) {
      EDGERT_CUDNN_TRY(cudnnCreateTensorDescriptor(&b_));
      EDGERT_CUDNN_TRY(cudnnSetTensor4dDescriptor(b_, fmt, dt, 1, i32(g.k), 1, 1));
      EDGERT_CUDNN_TRY(cudnnCreateActivationDescriptor(&act_));
      EDGERT_CUDNN_TRY(cudnnSetActivationDescriptor(
          act_, s.act.kind == cuda::Act::kRelu ? CUDNN_ACTIVATION_RELU : CUDNN_ACTIVATION_IDENTITY,
          CUDNN_NOT_PROPAGATE_NAN, 0.0));
      // The fused call reads the bias in the data type: keep a copy of that type (zeros if none).
      std::vector<std::uint8_t> host(static_cast<std::size_t>(g.k) * dtype_size(s.dtype), 0);
      if (s.has_bias) {
        EDGERT_ASSIGN_OR_RETURN(std::vector<float> f, weight_as_floats(v, 2));
        if (s.dtype == DataType::kFloat16) {
          auto* h = reinterpret_cast<std::uint16_t*>(host.data());
          for (std::size_t i = 0; i < f.size(); ++i) h[i] = float_to_half(f[i]);
        } else {
          std::memcpy(host.data(), f.data(), host.size());
        }
      }
      EDGERT_RETURN_IF_ERROR(upload(host.data(), host.size(), typed_bias_, v.what() + " bias"));
    }
    return upload_filter(v, s, nhwc, filter_);
  }

  Status enqueue(const RunContext& rc, const LayerIO& io) const override {
    EDGERT_CUDNN_TRY(cudnnSetStream(rc.cudnn, rc.stream));
    const float one = 1.f, zero = 0.f;
    void* y = conv_dst(rc, io);
    const auto algo = static_cast<cudnnConvolutionFwdAlgo_t>(algo_);
    if (fused_) {
      const void* z = s_.has_z ? io.inputs[3] : y;
      const float alpha2 = s_.has_z ? 1.f : 0.f;
      EDGERT_CUDNN_TRY(cudnnConvolutionBiasActivationForward(
          rc.cudnn, &one, x_, io.inputs[0], w_, filter_.get(), conv_, algo, scratch(rc), ws_bytes_,
          &alpha2, y_, z, b_, typed_bias_.get(), act_, y_, y));
    } else {
      EDGERT_CUDNN_TRY(cudnnConvolutionForward(rc.cudnn, &one, x_, io.inputs[0], w_, filter_.get(),
                                               conv_, algo, scratch(rc), ws_bytes_, &zero, y_, y));
      if (s_.has_bias || s_.has_z || s_.act.kind != cuda::Act::kNone) {
        const cuda::ConvEpilogue ep = epilogue(io);
        EDGERT_RETURN_IF_ERROR(cuda::bias_act(y, y, s_.dtype, s_.layout, s_.g.out(), ep.bias, ep.z,
                                              s_.act, rc.stream));
      }
    }
    return finish_pool(rc, io);
  }

 private:
  static constexpr std::size_t kMaxWorkspace = std::size_t{256} << 20;
  int algo_;
  bool fused_;
  cudnnTensorDescriptor_t x_ = nullptr, y_ = nullptr, b_ = nullptr;
  cudnnFilterDescriptor_t w_ = nullptr;
  cudnnConvolutionDescriptor_t conv_ = nullptr;
  cudnnActivationDescriptor_t act_ = nullptr;
  std::size_t ws_bytes_ = 0;
  DeviceBuffer filter_, typed_bias_;
};

// ---- cuBLAS: 1x1 convolutions as one GEMM ----

class CublasConv1x1 final : public ConvTacticBase {
 public:
  std::string name() const override { return "cublas.conv1x1"; }
  TacticSource source() const override { return kSourceCublas; }
  std::size_t workspace_bytes() const override { return pool_bytes(); }

  Status prepare(const LayerView& v, const PrepareContext&) override {
    EDGERT_RETURN_IF_ERROR(prepare_common(v));
    const auto& g = s_.g;
    if (s_.layout != cuda::Layout::kNHWC) return v.unsupported("needs NHWC");
    if (g.kh != 1 || g.kw != 1 || g.stride_h != 1 || g.stride_w != 1 || g.pad_top != 0 ||
        g.pad_left != 0 || g.groups != 1 || g.oh != g.h || g.ow != g.w)
      return v.unsupported("not a 1x1, stride 1, unpadded, ungrouped convolution");
    return upload_filter(v, s_, false, filter_);  // KCRS with R = S = 1 is [K, C]
  }

  Status enqueue(const RunContext& rc, const LayerIO& io) const override {
    const auto& g = s_.g;
    // Row-major Y[M, K] = X[M, C] * W[K, C]^T, M = N*H*W; column-major: Y^T = W * X^T.
    const int m = static_cast<int>(g.k), n = static_cast<int>(g.n * g.h * g.w),
              k = static_cast<int>(g.c);
    const float one = 1.f, zero = 0.f;
    const cudaDataType_t dt = s_.dtype == DataType::kFloat16 ? CUDA_R_16F : CUDA_R_32F;
    void* y = conv_dst(rc, io);
    EDGERT_CUBLAS_TRY(cublasSetStream(rc.cublas, rc.stream));
    EDGERT_CUBLAS_TRY(cublasGemmEx(rc.cublas, CUBLAS_OP_T, CUBLAS_OP_N, m, n, k, &one,
                                   filter_.get(), dt, k, io.inputs[0], dt, k, &zero, y, dt, m,
                                   CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    if (s_.has_bias || s_.has_z || s_.act.kind != cuda::Act::kNone) {
      const cuda::ConvEpilogue ep = epilogue(io);
      EDGERT_RETURN_IF_ERROR(
          cuda::bias_act(y, y, s_.dtype, s_.layout, g.out(), ep.bias, ep.z, s_.act, rc.stream));
    }
    return finish_pool(rc, io);
  }

 private:
  DeviceBuffer filter_;
};

// ---- EdgeRT's kernels ----

class EdgertConv final : public ConvTacticBase {
 public:
  explicit EdgertConv(bool depthwise) : depthwise_(depthwise) {}
  std::string name() const override {
    return depthwise_ ? "edgert.conv.depthwise" : "edgert.conv.direct";
  }
  TacticSource source() const override { return kSourceEdgert; }
  std::size_t workspace_bytes() const override { return pool_bytes(); }

  Status prepare(const LayerView& v, const PrepareContext&) override {
    EDGERT_RETURN_IF_ERROR(prepare_common(v));
    const auto& g = s_.g;
    if (depthwise_ && !(g.groups == g.c && g.k == g.c))
      return v.unsupported("not a depthwise convolution");
    return upload_filter(v, s_, false, filter_);
  }

  Status enqueue(const RunContext& rc, const LayerIO& io) const override {
    void* y = conv_dst(rc, io);
    const cuda::ConvEpilogue ep = epilogue(io);
    if (depthwise_)
      EDGERT_RETURN_IF_ERROR(cuda::depthwise_conv(io.inputs[0], filter_.get(), y, s_.dtype,
                                                  s_.layout, s_.g, ep, rc.stream));
    else
      EDGERT_RETURN_IF_ERROR(cuda::direct_conv(io.inputs[0], filter_.get(), y, s_.dtype, s_.layout,
                                               s_.g, ep, rc.stream));
    return finish_pool(rc, io);
  }

 private:
  bool depthwise_;
  DeviceBuffer filter_;
};

// ---- int8: EdgeRT's tensor-core kernels (cuda_conv_int8.h) ----

class EdgertInt8Conv final : public ConvTacticBase {
 public:
  /// tile < 0: the depthwise kernel; split > 1: the reduction split over that many blocks.
  EdgertInt8Conv(int tile, int split) : tile_(tile), split_(split) {}
  std::string name() const override {
    if (tile_ < 0) return "edgert.conv.int8.depthwise";
    return std::string("edgert.conv.int8.") +
           cuda::int8_tile_name(static_cast<cuda::Int8Tile>(tile_)) +
           (split_ > 1 ? ".split" + std::to_string(split_) : "");
  }
  TacticSource source() const override { return kSourceEdgert; }
  std::size_t workspace_bytes() const override {
    return pool_bytes() + cuda::int8_conv_workspace_bytes(s_.g, split_);
  }

  Status prepare(const LayerView& v, const PrepareContext&) override {
    EDGERT_RETURN_IF_ERROR(prepare_common(v, true));
    const cuda::ConvGeom& g = s_.g;
    const bool depthwise = g.groups == g.c && g.k == g.c;
    if ((tile_ < 0) != depthwise)
      return v.unsupported(tile_ < 0 ? "not a depthwise convolution"
                                     : (g.groups != 1 ? "grouped convolution" : "depthwise"));
    if (static_cast<std::int64_t>(g.kh) * g.kw * g.c > cuda::kInt8MaxReduction)
      return v.unsupported("reduction KH * KW * C too long for int32 sums");
    if (split_ > 1) EDGERT_RETURN_IF_ERROR(int8_split_admissible(v, g, split_));
    const auto* kcrs = reinterpret_cast<const std::int8_t*>(v.weight(1));
    if (depthwise) {
      std::vector<std::int8_t> rsc(static_cast<std::size_t>(g.k * g.kh * g.kw));
      cuda::pack_int8_depthwise_filter(kcrs, g, rsc.data());
      EDGERT_RETURN_IF_ERROR(upload(rsc.data(), rsc.size(), filter_, v.what() + " filter"));
    } else {
      EDGERT_RETURN_IF_ERROR(upload_int8_filter(v, kcrs, g, filter_));
    }
    EDGERT_RETURN_IF_ERROR(upload_as_float(v, 2, w_scale_));
    EDGERT_ASSIGN_OR_RETURN(ep_, int8_epilogue(v));
    const engine::TensorDef* z = v.input(s_.z_input);
    ep_.z_is_float = z && z->dtype == DataType::kFloat32;
    return {};
  }

  Status enqueue(const RunContext& rc, const LayerIO& io) const override {
    cuda::QuantEpilogue ep = ep_;
    ep.w_scale = w_scale_.as<float>();
    ep.bias = s_.has_bias ? bias_.as<float>() : nullptr;
    ep.z = s_.has_z ? io.inputs[s_.z_input] : nullptr;
    const auto* x = static_cast<const std::int8_t*>(io.inputs[0]);
    const auto* w = filter_.as<std::int8_t>();
    void* y = conv_dst(rc, io);
    if (tile_ < 0)
      EDGERT_RETURN_IF_ERROR(cuda::int8_depthwise_conv(x, w, y, s_.g, ep, rc.stream));
    else
      EDGERT_RETURN_IF_ERROR(cuda::int8_conv(x, w, y, s_.g, ep, static_cast<cuda::Int8Tile>(tile_),
                                             rc.stream, split_, scratch(rc)));
    return finish_pool(rc, io);
  }

  static constexpr int kSplits[] = {2, 4, 8, 16};

 private:
  int tile_, split_;
  DeviceBuffer filter_, w_scale_;
  cuda::QuantEpilogue ep_;
};

}  // namespace

void conv_tactics(const LayerView& layer, unsigned sources, std::vector<TacticPtr>& out) {
  if (layer.layer().type == "ConvInt8") {
    if (!(sources & kSourceEdgert)) return;
    for (int t = 0; t < cuda::kInt8TileCount; ++t) {
      out.push_back(std::make_unique<EdgertInt8Conv>(t, 1));
      if (static_cast<cuda::Int8Tile>(t) != cuda::Int8Tile::k128x128)
        for (int split : EdgertInt8Conv::kSplits)
          out.push_back(std::make_unique<EdgertInt8Conv>(t, split));
    }
    out.push_back(std::make_unique<EdgertInt8Conv>(-1, 1));
    return;
  }
  if (layer.layer().type != "FusedConv") return;
  if (sources & kSourceCudnn)
    for (int algo = 0; algo < CUDNN_CONVOLUTION_FWD_ALGO_COUNT; ++algo) {
      out.push_back(std::make_unique<CudnnConv>(algo, true));
      out.push_back(std::make_unique<CudnnConv>(algo, false));
    }
  if (sources & kSourceCublas) out.push_back(std::make_unique<CublasConv1x1>());
  if (sources & kSourceEdgert) {
    out.push_back(std::make_unique<EdgertConv>(true));
    out.push_back(std::make_unique<EdgertConv>(false));
  }
}

}  // namespace edgert::cuda_backend
