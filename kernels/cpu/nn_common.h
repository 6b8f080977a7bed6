// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Attribute parsing and output-size arithmetic shared by the sliding-window ops of the nn family
// (Conv, ConvTranspose, MaxPool, AveragePool, LpPool), plus the family's infer/compute entry
// points for nn_table.cpp.

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/cpu/op_util.h"

namespace edgert::cpu {

/// Spatial ranks handled by the window kernels: they run everything as 3-D (1-D and 2-D get
/// leading extents of 1), so 1-D, 2-D and 3-D share one code path.
constexpr std::size_t kMaxSpatialRank = 3;

enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

/// The window attributes of Conv/ConvTranspose/pools. Vectors are empty when the attribute is
/// absent (defaults depend on the spatial rank, which infer may only learn from the shapes).
struct WindowAttrs {
  std::vector<std::int64_t> kernel_shape;
  std::vector<std::int64_t> strides;
  std::vector<std::int64_t> dilations;
  std::vector<std::int64_t> pads;  ///< begins then ends (2 * rank)
  AutoPad auto_pad = AutoPad::kNotSet;
  bool ceil_mode = false;
};

/// Reads kernel_shape/strides/dilations/pads/auto_pad/ceil_mode and checks their values. `prefix`
/// is prepended to every name (FusedConv's max pool reads "pool_kernel_shape", ...).
Expected<WindowAttrs> parse_window_attrs(const NodeInfo& node, const std::string& prefix = "");

/// Checks the attribute lengths against the spatial rank `nd` and fills the defaults (strides and
/// dilations 1, pads 0). kernel_shape stays as given.
Status resolve_window_attrs(const NodeInfo& node, std::size_t nd, WindowAttrs& w);

/// Output extent and begin/end pads of one spatial dim of a forward window op (Conv, pools).
/// `in` may be Shape::kUnknownDim (then `out` is unknown too). An empty window (kernel larger than
/// the padded input) is an error.
Status window_output_dim(const NodeInfo& node, const WindowAttrs& w, std::size_t d, std::int64_t in,
                         std::int64_t kernel, std::int64_t& out, std::int64_t& pad_begin,
                         std::int64_t& pad_end);

/// ceil(a / b) for b > 0 and any sign of a.
inline std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
  return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

/// Geometry of a window op in 3-D form (index 0 = depth, 1 = height, 2 = width).
struct Geom3 {
  std::int64_t in[3] = {1, 1, 1};
  std::int64_t out[3] = {1, 1, 1};
  std::int64_t k[3] = {1, 1, 1};
  std::int64_t s[3] = {1, 1, 1};
  std::int64_t dl[3] = {1, 1, 1};
  std::int64_t pb[3] = {0, 0, 0};
  std::int64_t pe[3] = {0, 0, 0};
  std::int64_t in_size() const { return in[0] * in[1] * in[2]; }
  std::int64_t out_size() const { return out[0] * out[1] * out[2]; }
  std::int64_t k_size() const { return k[0] * k[1] * k[2]; }
};

/// Places spatial dim d (of nd) at its 3-D slot.
inline std::size_t slot3(std::size_t d, std::size_t nd) { return d + (kMaxSpatialRank - nd); }

// Entry points (defined in conv.cpp, pool.cpp, gemm.cpp, norm.cpp).
Status infer_conv(InferContext& ctx);
Status compute_conv(ComputeContext& ctx);
Status infer_conv_transpose(InferContext& ctx);
Status compute_conv_transpose(ComputeContext& ctx);
Status infer_pool(InferContext& ctx);
Status compute_max_pool(ComputeContext& ctx);
Status compute_average_pool(ComputeContext& ctx);
Status compute_lp_pool(ComputeContext& ctx);
Status infer_global_pool(InferContext& ctx);
Status compute_global_average_pool(ComputeContext& ctx);
Status compute_global_max_pool(ComputeContext& ctx);
Status compute_global_lp_pool(ComputeContext& ctx);
Status infer_gemm(InferContext& ctx);
Status compute_gemm(ComputeContext& ctx);
Status infer_matmul(InferContext& ctx);
Status compute_matmul(ComputeContext& ctx);
Status infer_batch_norm(InferContext& ctx);
Status compute_batch_norm(ComputeContext& ctx);
Status infer_instance_norm(InferContext& ctx);
Status compute_instance_norm(ComputeContext& ctx);
Status infer_layer_norm(InferContext& ctx);
Status compute_layer_norm(ComputeContext& ctx);
Status infer_lrn(InferContext& ctx);
Status compute_lrn(ComputeContext& ctx);
Status infer_mvn(InferContext& ctx);
Status compute_mvn(ComputeContext& ctx);

}  // namespace edgert::cpu
