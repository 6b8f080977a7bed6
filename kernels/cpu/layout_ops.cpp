// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Data movement ops of the tensor family: Transpose, Concat, Split, Slice, Expand, Tile,
// DepthToSpace, SpaceToDepth, Trilu. All work on raw bytes; most reduce to strided_copy.
#include <algorithm>
#include <limits>

#include "kernels/cpu/tensor_ops.h"

namespace edgert::cpu::tensor {
namespace {

std::vector<std::int64_t> unknown_dims(std::size_t n) {
  return std::vector<std::int64_t>(n, Shape::kUnknownDim);
}

}  // namespace

// ---------------------------------------------------------------- Transpose
namespace {
// The permutation for a known rank (default: reversed dims); error when not a permutation.
Expected<std::vector<std::int64_t>> parse_perm(const NodeInfo& node, std::size_t rank) {
  std::vector<std::int64_t> perm;
  if (node.attrs.has("perm")) {
    EDGERT_ASSIGN_OR_RETURN(perm, node.attrs.get_ints("perm"));
  } else {
    for (std::size_t i = 0; i < rank; ++i) perm.push_back(static_cast<std::int64_t>(rank - 1 - i));
  }
  if (perm.size() != rank)
    return invalid(node, "perm has " + std::to_string(perm.size()) + " entries for rank " +
                             std::to_string(rank));
  std::vector<bool> seen(rank, false);
  for (auto p : perm) {
    if (p < 0 || p >= static_cast<std::int64_t>(rank) || seen[p])
      return invalid(node, "perm is not a permutation of 0.." + std::to_string(rank - 1));
    seen[p] = true;
  }
  return perm;
}
}  // namespace

Status infer_transpose(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_data_dtype(ctx, 0));
  const Shape& in = ctx.inputs[0].shape;
  DataType dt = ctx.inputs[0].dtype;
  if (in.unknown_rank()) {
    if (!ctx.node.attrs.has("perm")) {
      set_output(ctx, 0, dt, Shape::unknown());
      return Status();
    }
    EDGERT_ASSIGN_OR_RETURN(auto p, ctx.node.attrs.get_ints("perm"));
    EDGERT_RETURN_IF_ERROR(parse_perm(ctx.node, p.size()).status());
    set_output(ctx, 0, dt, Shape(unknown_dims(p.size())));
    return Status();
  }
  EDGERT_ASSIGN_OR_RETURN(auto perm, parse_perm(ctx.node, in.rank()));
  std::vector<std::int64_t> out;
  for (auto p : perm) out.push_back(in[p]);
  set_output(ctx, 0, dt, Shape(out));
  return Status();
}

Status compute_transpose(ComputeContext& ctx) {
  const Tensor& in = *ctx.inputs[0];
  EDGERT_ASSIGN_OR_RETURN(auto perm, parse_perm(ctx.node, in.shape().rank()));
  auto st = contiguous_strides(in.shape());
  std::vector<std::int64_t> strides;
  for (auto p : perm) strides.push_back(st[p]);
  Tensor& out = *ctx.outputs[0];
  strided_copy(out.raw(), in.raw(), out.shape().dims(), strides, 0, dtype_size(in.dtype()));
  return Status();
}

// ---------------------------------------------------------------- Concat
Status infer_concat(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_data_dtype(ctx, 0));
  if (!ctx.node.attrs.has("axis")) return invalid(ctx.node, "attribute 'axis' is required");
  EDGERT_ASSIGN_OR_RETURN(auto axis, ctx.node.attrs.get_int("axis", 0));
  DataType dt = ctx.inputs[0].dtype;
  const Shape* ref = nullptr;
  for (std::size_t i = 0; i < ctx.inputs.size(); ++i) {
    if (!ctx.has_input(i)) return invalid(ctx.node, "input " + std::to_string(i) + " is missing");
    if (ctx.inputs[i].dtype != dt)
      return invalid(ctx.node, std::string("inputs have different types: ") + dtype_name(dt) +
                                   " and " + dtype_name(ctx.inputs[i].dtype));
    const Shape& s = ctx.inputs[i].shape;
    if (s.unknown_rank()) continue;
    if (!ref) ref = &s;
    if (s.rank() != ref->rank())
      return invalid(ctx.node,
                     "inputs have different ranks: " + ref->to_string() + " and " + s.to_string());
  }
  if (!ref) {
    set_output(ctx, 0, dt, Shape::unknown());
    return Status();
  }
  const auto rank = static_cast<std::int64_t>(ref->rank());
  if (rank == 0) return invalid(ctx.node, "cannot concatenate scalars");
  EDGERT_ASSIGN_OR_RETURN(axis, normalize_axis(ctx.node, axis, rank));
  std::vector<std::int64_t> out = unknown_dims(rank);
  out[axis] = 0;
  for (std::size_t i = 0; i < ctx.inputs.size(); ++i) {
    const Shape& s = ctx.inputs[i].shape;
    if (s.unknown_rank()) {
      out[axis] = Shape::kUnknownDim;
      continue;
    }
    for (std::int64_t d = 0; d < rank; ++d) {
      if (d == axis) {
        if (s[d] < 0 || out[axis] < 0)
          out[axis] = Shape::kUnknownDim;
        else
          out[axis] += s[d];
      } else if (s[d] >= 0) {
        if (out[d] >= 0 && out[d] != s[d])
          return invalid(ctx.node, "dimension " + std::to_string(d) + " differs between inputs (" +
                                       std::to_string(out[d]) + " vs " + std::to_string(s[d]) +
                                       ")");
        out[d] = s[d];
      }
    }
  }
  set_output(ctx, 0, dt, Shape(out));
  return Status();
}

Status compute_concat(ComputeContext& ctx) {
  Tensor& out = *ctx.outputs[0];
  EDGERT_ASSIGN_OR_RETURN(auto axis, ctx.node.attrs.get_int("axis", 0));
  const auto rank = static_cast<std::int64_t>(out.shape().rank());
  if (axis < 0) axis += rank;
  const std::size_t es = dtype_size(out.dtype());
  const std::int64_t outer = dim_product(out.shape(), 0, axis);
  const std::int64_t inner = dim_product(out.shape(), axis + 1, rank);
  const std::size_t out_row = static_cast<std::size_t>(out.shape()[axis] * inner) * es;
  auto* o = static_cast<std::uint8_t*>(out.raw());
  std::size_t col = 0;
  for (const Tensor* t : ctx.inputs) {
    const std::size_t row = static_cast<std::size_t>(t->shape()[axis] * inner) * es;
    const auto* src = static_cast<const std::uint8_t*>(t->raw());
#pragma omp parallel for if (outer * static_cast <std::int64_t>(row) > (1 << 20))
    for (std::int64_t i = 0; i < outer; ++i)
      if (row) std::memcpy(o + i * out_row + col, src + i * row, row);
    col += row;
  }
  return Status();
}

// ---------------------------------------------------------------- Split
namespace {
struct SplitParams {
  std::int64_t axis = 0;
  bool sizes_known = true;          // false: 'split' is a non-constant input
  std::vector<std::int64_t> sizes;  // empty: equal split
  std::int64_t num_outputs = 0;     // from the opset-18 attribute, 0 when absent
};

Expected<SplitParams> parse_split(const InferContext& ctx) {
  SplitParams p;
  const NodeInfo& node = ctx.node;
  EDGERT_ASSIGN_OR_RETURN(p.axis, node.attrs.get_int("axis", 0));
  if (node.opset < 13) {
    EDGERT_ASSIGN_OR_RETURN(p.sizes, node.attrs.get_ints("split"));
  } else if (ctx.has_input(1)) {
    EDGERT_RETURN_IF_ERROR(check_index_dtype(ctx, 1, "split"));
    EDGERT_ASSIGN_OR_RETURN(p.sizes, input_ints(ctx, 1, "split", p.sizes_known));
  }
  if (node.opset >= 18) {
    EDGERT_ASSIGN_OR_RETURN(p.num_outputs, node.attrs.get_int("num_outputs", 0));
    if (node.attrs.has("num_outputs") && p.num_outputs < 1)
      return invalid(node, "num_outputs must be positive");
    if (p.num_outputs && ctx.has_input(1))
      return invalid(node, "both 'split' and num_outputs given");
  }
  for (auto s : p.sizes)
    if (s < 0) return invalid(node, "negative split size " + std::to_string(s));
  return p;
}
}  // namespace

Status infer_split(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_data_dtype(ctx, 0));
  EDGERT_ASSIGN_OR_RETURN(auto p, parse_split(ctx));
  std::size_t n = ctx.outputs.size();
  if (n == 0) n = p.num_outputs ? p.num_outputs : p.sizes.size();
  if (n == 0) return invalid(ctx.node, "cannot tell the number of outputs");
  if (p.num_outputs && static_cast<std::size_t>(p.num_outputs) != n)
    return invalid(ctx.node, "num_outputs=" + std::to_string(p.num_outputs) + " but the node has " +
                                 std::to_string(n) + " outputs");
  if (p.sizes_known && !p.sizes.empty() && p.sizes.size() != n)
    return invalid(ctx.node, "split has " + std::to_string(p.sizes.size()) + " entries for " +
                                 std::to_string(n) + " outputs");
  const Shape& in = ctx.inputs[0].shape;
  DataType dt = ctx.inputs[0].dtype;
  if (in.unknown_rank()) {
    for (std::size_t i = 0; i < n; ++i) set_output(ctx, i, dt, Shape::unknown());
    return Status();
  }
  EDGERT_ASSIGN_OR_RETURN(auto axis,
                          normalize_axis(ctx.node, p.axis, static_cast<std::int64_t>(in.rank())));
  const std::int64_t dim = in[axis];
  std::vector<std::int64_t> sizes(n, Shape::kUnknownDim);
  if (!p.sizes_known) {
    // sizes unknown until run time
  } else if (!p.sizes.empty()) {
    std::int64_t sum = 0;
    for (auto s : p.sizes) sum += s;
    if (dim >= 0 && sum != dim)
      return invalid(ctx.node, "split sizes sum to " + std::to_string(sum) + ", dimension is " +
                                   std::to_string(dim));
    sizes = p.sizes;
  } else if (dim >= 0) {
    const auto ni = static_cast<std::int64_t>(n);
    if (p.num_outputs) {
      // Opset 18: chunks of ceil(dim / n), the last one smaller.
      std::int64_t chunk = (dim + ni - 1) / ni;
      std::int64_t left = dim;
      for (std::size_t i = 0; i < n; ++i) {
        sizes[i] = std::min(chunk, left);
        left -= sizes[i];
      }
    } else {
      if (dim % ni != 0)
        return invalid(ctx.node, "dimension " + std::to_string(dim) + " cannot be split into " +
                                     std::to_string(n) + " equal parts");
      std::fill(sizes.begin(), sizes.end(), dim / ni);
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    Shape s = in;
    s[axis] = sizes[i];
    set_output(ctx, i, dt, s);
  }
  return Status();
}

Status compute_split(ComputeContext& ctx) {
  const Tensor& in = *ctx.inputs[0];
  EDGERT_ASSIGN_OR_RETURN(auto axis, ctx.node.attrs.get_int("axis", 0));
  const auto rank = static_cast<std::int64_t>(in.shape().rank());
  if (axis < 0) axis += rank;
  const std::size_t es = dtype_size(in.dtype());
  const std::int64_t outer = dim_product(in.shape(), 0, axis);
  const std::int64_t inner = dim_product(in.shape(), axis + 1, rank);
  const std::size_t in_row = static_cast<std::size_t>(in.shape()[axis] * inner) * es;
  const auto* src = static_cast<const std::uint8_t*>(in.raw());
  std::size_t col = 0;
  for (Tensor* t : ctx.outputs) {
    if (!t) continue;
    const std::size_t row = static_cast<std::size_t>(t->shape()[axis] * inner) * es;
    auto* o = static_cast<std::uint8_t*>(t->raw());
    for (std::int64_t i = 0; i < outer; ++i)
      if (row) std::memcpy(o + i * row, src + i * in_row + col, row);
    col += row;
  }
  return Status();
}

// ---------------------------------------------------------------- Slice
namespace {
struct SliceParams {
  bool known = true;
  std::vector<std::int64_t> starts, ends, axes, steps;
};

Expected<SliceParams> parse_slice(const InferContext& ctx) {
  SliceParams p;
  const NodeInfo& node = ctx.node;
  if (node.opset < 10) {
    if (!node.attrs.has("starts") || !node.attrs.has("ends"))
      return invalid(node, "attributes 'starts' and 'ends' are required");
    EDGERT_ASSIGN_OR_RETURN(p.starts, node.attrs.get_ints("starts"));
    EDGERT_ASSIGN_OR_RETURN(p.ends, node.attrs.get_ints("ends"));
    EDGERT_ASSIGN_OR_RETURN(p.axes, node.attrs.get_ints("axes"));
  } else {
    const char* names[] = {"starts", "ends", "axes", "steps"};
    std::vector<std::int64_t>* dst[] = {&p.starts, &p.ends, &p.axes, &p.steps};
    for (std::size_t i = 1; i <= 4; ++i) {
      if (!ctx.has_input(i)) {
        if (i <= 2) return invalid(node, std::string("input '") + names[i - 1] + "' is required");
        continue;
      }
      EDGERT_RETURN_IF_ERROR(check_index_dtype(ctx, i, names[i - 1]));
      bool known = false;
      EDGERT_ASSIGN_OR_RETURN(*dst[i - 1], input_ints(ctx, i, names[i - 1], known));
      if (!known) p.known = false;
    }
  }
  if (!p.known) return p;
  const std::size_t n = p.starts.size();
  if (p.ends.size() != n || (!p.axes.empty() && p.axes.size() != n) ||
      (!p.steps.empty() && p.steps.size() != n))
    return invalid(node, "starts, ends, axes and steps must have the same length");
  if (p.axes.empty())
    for (std::size_t i = 0; i < n; ++i) p.axes.push_back(static_cast<std::int64_t>(i));
  if (p.steps.empty()) p.steps.assign(n, 1);
  for (auto s : p.steps)
    if (s == 0) return invalid(node, "steps must not be zero");
  return p;
}

struct AxisSlice {
  std::int64_t start = 0, step = 1, len = -1;  // len -1: unknown
};

// Per-dim start/step/length of the output for input `in`, clamped per the spec.
Expected<std::vector<AxisSlice>> slice_axes(const NodeInfo& node, const SliceParams& p,
                                            const Shape& in) {
  const auto rank = static_cast<std::int64_t>(in.rank());
  std::vector<AxisSlice> out(in.rank());
  for (std::size_t d = 0; d < in.rank(); ++d) out[d].len = in[d];
  std::vector<bool> seen(in.rank(), false);
  for (std::size_t i = 0; i < p.starts.size(); ++i) {
    EDGERT_ASSIGN_OR_RETURN(auto a, normalize_axis(node, p.axes[i], rank));
    if (seen[a]) return invalid(node, "axis " + std::to_string(p.axes[i]) + " repeated");
    seen[a] = true;
    const std::int64_t dim = in[a], step = p.steps[i];
    if (dim < 0) {
      out[a] = AxisSlice{0, step, Shape::kUnknownDim};
      continue;
    }
    std::int64_t s = p.starts[i], e = p.ends[i];
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    std::int64_t len;
    if (step > 0) {
      s = std::clamp<std::int64_t>(s, 0, dim);
      e = std::clamp<std::int64_t>(e, 0, dim);
      len = e > s ? (e - s + step - 1) / step : 0;
    } else {
      s = std::clamp<std::int64_t>(s, 0, dim - 1);
      e = std::clamp<std::int64_t>(e, -1, dim - 1);
      len = s > e ? (s - e + (-step) - 1) / (-step) : 0;
    }
    out[a] = AxisSlice{s, step, len};
  }
  return out;
}
}  // namespace

Status infer_slice(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_data_dtype(ctx, 0));
  EDGERT_ASSIGN_OR_RETURN(auto p, parse_slice(ctx));
  const Shape& in = ctx.inputs[0].shape;
  DataType dt = ctx.inputs[0].dtype;
  if (in.unknown_rank()) {
    set_output(ctx, 0, dt, Shape::unknown());
    return Status();
  }
  if (!p.known) {
    set_output(ctx, 0, dt, Shape(unknown_dims(in.rank())));
    return Status();
  }
  EDGERT_ASSIGN_OR_RETURN(auto ax, slice_axes(ctx.node, p, in));
  std::vector<std::int64_t> out;
  for (const auto& a : ax) out.push_back(a.len);
  set_output(ctx, 0, dt, Shape(out));
  return Status();
}

Status compute_slice(ComputeContext& ctx) {
  const Tensor& in = *ctx.inputs[0];
  // Re-parse through an InferContext view of the actual inputs so attribute/input logic is shared.
  InferContext ictx{ctx.node, {}, {}, {}, {}};
  for (const Tensor* t : ctx.inputs) {
    ictx.inputs.push_back(t ? TensorInfo{t->dtype(), t->shape()} : TensorInfo{});
    ictx.present.push_back(t != nullptr);
    ictx.values.push_back(t);
  }
  EDGERT_ASSIGN_OR_RETURN(auto p, parse_slice(ictx));
  EDGERT_ASSIGN_OR_RETURN(auto ax, slice_axes(ctx.node, p, in.shape()));
  auto st = contiguous_strides(in.shape());
  std::vector<std::int64_t> dims, strides;
  std::int64_t offset = 0;
  for (std::size_t d = 0; d < ax.size(); ++d) {
    dims.push_back(ax[d].len);
    strides.push_back(st[d] * ax[d].step);
    offset += st[d] * ax[d].start;
  }
  strided_copy(ctx.outputs[0]->raw(), in.raw(), dims, strides, offset, dtype_size(in.dtype()));
  return Status();
}

// ---------------------------------------------------------------- Expand / Tile
Status infer_expand(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_data_dtype(ctx, 0));
  EDGERT_RETURN_IF_ERROR(check_index_dtype(ctx, 1, "shape"));
  const Shape& in = ctx.inputs[0].shape;
  DataType dt = ctx.inputs[0].dtype;
  bool known = false;
  EDGERT_ASSIGN_OR_RETURN(auto shape, input_ints(ctx, 1, "shape", known));
  if (!known) {
    const Shape& ss = ctx.inputs[1].shape;
    if (in.unknown_rank() || ss.unknown_rank() || ss.rank() != 1 || ss[0] < 0) {
      set_output(ctx, 0, dt, Shape::unknown());
    } else {
      set_output(ctx, 0, dt, Shape(unknown_dims(std::max<std::size_t>(in.rank(), ss[0]))));
    }
    return Status();
  }
  for (auto d : shape)
    if (d < 0) return invalid(ctx.node, "negative dimension in shape " + Shape(shape).to_string());
  EDGERT_ASSIGN_OR_RETURN(auto out, broadcast_shapes(ctx.node, {in, Shape(shape)}));
  set_output(ctx, 0, dt, out);
  return Status();
}

Status compute_expand(ComputeContext& ctx) {
  const Tensor& in = *ctx.inputs[0];
  Tensor& out = *ctx.outputs[0];
  strided_copy(out.raw(), in.raw(), out.shape().dims(), broadcast_strides(in.shape(), out.shape()),
               0, dtype_size(in.dtype()));
  return Status();
}

Status infer_tile(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_data_dtype(ctx, 0));
  EDGERT_RETURN_IF_ERROR(check_index_dtype(ctx, 1, "repeats"));
  const Shape& in = ctx.inputs[0].shape;
  DataType dt = ctx.inputs[0].dtype;
  bool known = false;
  EDGERT_ASSIGN_OR_RETURN(auto reps, input_ints(ctx, 1, "repeats", known));
  if (in.unknown_rank()) {
    set_output(ctx, 0, dt, known ? Shape(unknown_dims(reps.size())) : Shape::unknown());
    return Status();
  }
  if (!known) {
    set_output(ctx, 0, dt, Shape(unknown_dims(in.rank())));
    return Status();
  }
  if (reps.size() != in.rank())
    return invalid(ctx.node, "repeats has " + std::to_string(reps.size()) +
                                 " entries for input rank " + std::to_string(in.rank()));
  std::vector<std::int64_t> out;
  for (std::size_t d = 0; d < in.rank(); ++d) {
    if (reps[d] < 0) return invalid(ctx.node, "negative repeat " + std::to_string(reps[d]));
    out.push_back(in[d] < 0 ? Shape::kUnknownDim : in[d] * reps[d]);
  }
  set_output(ctx, 0, dt, Shape(out));
  return Status();
}

Status compute_tile(ComputeContext& ctx) {
  const Tensor& in = *ctx.inputs[0];
  Tensor& out = *ctx.outputs[0];
  // The output [r0*d0, r1*d1, ...] is the row-major view [r0, d0, r1, d1, ...] of the input with
  // stride 0 along each repeat dim.
  auto st = contiguous_strides(in.shape());
  std::vector<std::int64_t> dims, strides;
  for (std::size_t d = 0; d < in.shape().rank(); ++d) {
    dims.push_back(in.shape()[d] ? out.shape()[d] / in.shape()[d] : 0);
    strides.push_back(0);
    dims.push_back(in.shape()[d]);
    strides.push_back(st[d]);
  }
  strided_copy(out.raw(), in.raw(), dims, strides, 0, dtype_size(in.dtype()));
  return Status();
}

// ---------------------------------------------------------------- DepthToSpace / SpaceToDepth
namespace {
struct BlockParams {
  std::int64_t b = 0;
  bool crd = false;
};
Expected<BlockParams> parse_block(const NodeInfo& node, bool has_mode) {
  BlockParams p;
  if (!node.attrs.has("blocksize")) return invalid(node, "attribute 'blocksize' is required");
  EDGERT_ASSIGN_OR_RETURN(p.b, node.attrs.get_int("blocksize", 0));
  if (p.b <= 0) return invalid(node, "blocksize must be positive");
  if (has_mode && node.opset >= 11) {
    EDGERT_ASSIGN_OR_RETURN(auto mode, node.attrs.get_string("mode", "DCR"));
    if (mode != "DCR" && mode != "CRD") return invalid(node, "mode '" + mode + "' is invalid");
    p.crd = mode == "CRD";
  }
  return p;
}
std::int64_t mul_dim(std::int64_t d, std::int64_t f) { return d < 0 ? d : d * f; }
}  // namespace

Status infer_depth_to_space(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_data_dtype(ctx, 0));
  EDGERT_ASSIGN_OR_RETURN(auto p, parse_block(ctx.node, true));
  const Shape& in = ctx.inputs[0].shape;
  DataType dt = ctx.inputs[0].dtype;
  if (in.unknown_rank()) {
    set_output(ctx, 0, dt, Shape(unknown_dims(4)));
    return Status();
  }
  if (in.rank() != 4) return invalid(ctx.node, "input must be 4-D, got " + in.to_string());
  if (in[1] >= 0 && in[1] % (p.b * p.b) != 0)
    return invalid(ctx.node, "channels " + std::to_string(in[1]) + " not divisible by blocksize^2");
  set_output(ctx, 0, dt,
             Shape{in[0], in[1] < 0 ? in[1] : in[1] / (p.b * p.b), mul_dim(in[2], p.b),
                   mul_dim(in[3], p.b)});
  return Status();
}

Status compute_depth_to_space(ComputeContext& ctx) {
  EDGERT_ASSIGN_OR_RETURN(auto p, parse_block(ctx.node, true));
  const Tensor& in = *ctx.inputs[0];
  const std::int64_t n = in.shape()[0], c = in.shape()[1], h = in.shape()[2], w = in.shape()[3];
  const std::int64_t b = p.b, co = c / (b * b);
  // Output viewed as [N, C', H, b1, W, b2]; the input as [N, b1, b2, C', H, W] (DCR) or
  // [N, C', b1, b2, H, W] (CRD).
  const std::int64_t s_n = c * h * w;
  const std::int64_t s_c = p.crd ? b * b * h * w : h * w;
  const std::int64_t s_b1 = p.crd ? b * h * w : b * co * h * w;
  const std::int64_t s_b2 = p.crd ? h * w : co * h * w;
  strided_copy(ctx.outputs[0]->raw(), in.raw(), {n, co, h, b, w, b}, {s_n, s_c, w, s_b1, 1, s_b2},
               0, dtype_size(in.dtype()));
  return Status();
}

Status infer_space_to_depth(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_data_dtype(ctx, 0));
  EDGERT_ASSIGN_OR_RETURN(auto p, parse_block(ctx.node, false));
  const Shape& in = ctx.inputs[0].shape;
  DataType dt = ctx.inputs[0].dtype;
  if (in.unknown_rank()) {
    set_output(ctx, 0, dt, Shape(unknown_dims(4)));
    return Status();
  }
  if (in.rank() != 4) return invalid(ctx.node, "input must be 4-D, got " + in.to_string());
  for (std::size_t d = 2; d < 4; ++d)
    if (in[d] >= 0 && in[d] % p.b != 0)
      return invalid(ctx.node, "spatial dims " + in.to_string() + " not divisible by blocksize");
  auto div = [&](std::int64_t d) { return d < 0 ? d : d / p.b; };
  set_output(ctx, 0, dt, Shape{in[0], mul_dim(in[1], p.b * p.b), div(in[2]), div(in[3])});
  return Status();
}

Status compute_space_to_depth(ComputeContext& ctx) {
  EDGERT_ASSIGN_OR_RETURN(auto p, parse_block(ctx.node, false));
  const Tensor& in = *ctx.inputs[0];
  const std::int64_t n = in.shape()[0], c = in.shape()[1], h = in.shape()[2], w = in.shape()[3];
  const std::int64_t b = p.b;
  // Output viewed as [N, b1, b2, C, H/b, W/b]; element (n, c, h'*b + b1, w'*b + b2) of the input.
  strided_copy(ctx.outputs[0]->raw(), in.raw(), {n, b, b, c, h / b, w / b},
               {c * h * w, w, 1, h * w, b * w, b}, 0, dtype_size(in.dtype()));
  return Status();
}

// ---------------------------------------------------------------- Trilu
Status infer_trilu(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_data_dtype(ctx, 0));
  EDGERT_RETURN_IF_ERROR(ctx.node.attrs.get_int("upper", 1).status());
  if (ctx.has_input(1)) {
    EDGERT_RETURN_IF_ERROR(check_index_dtype(ctx, 1, "k"));
    const Shape& ks = ctx.inputs[1].shape;
    if (ks.is_static() && ks.numel() != 1) return invalid(ctx.node, "k must be a scalar");
  }
  const Shape& in = ctx.inputs[0].shape;
  if (!in.unknown_rank() && in.rank() < 2)
    return invalid(ctx.node, "input must have rank >= 2, got " + in.to_string());
  set_output(ctx, 0, ctx.inputs[0].dtype, in);
  return Status();
}

Status compute_trilu(ComputeContext& ctx) {
  EDGERT_ASSIGN_OR_RETURN(auto upper, ctx.node.attrs.get_int("upper", 1));
  const Tensor& in = *ctx.inputs[0];
  const Shape& s = in.shape();
  const std::int64_t rows = s[s.rank() - 2], cols = s[s.rank() - 1];
  // k beyond the matrix behaves like its edge; clamping keeps i + k from overflowing.
  const std::int64_t k = std::clamp<std::int64_t>(
      ctx.has_input(1) ? ctx.inputs[1]->get_as_int64(0) : 0, -rows - 1, cols + 1);
  const std::int64_t mats = dim_product(s, 0, s.rank() - 2);
  const auto es = static_cast<std::int64_t>(dtype_size(in.dtype()));
  const auto* src = static_cast<const std::uint8_t*>(in.raw());
  auto* dst = static_cast<std::uint8_t*>(ctx.outputs[0]->raw());
  for (std::int64_t m = 0; m < mats * rows; ++m) {
    const std::int64_t i = m % rows;
    const std::int64_t off = m * cols * es;
    // Kept columns: j >= i + k (upper) or j <= i + k (lower).
    std::int64_t lo = upper ? std::clamp<std::int64_t>(i + k, 0, cols) : 0;
    std::int64_t hi = upper ? cols : std::clamp<std::int64_t>(i + k + 1, 0, cols);
    std::memset(dst + off, 0, static_cast<std::size_t>(cols * es));
    if (hi > lo)
      std::memcpy(dst + off + lo * es, src + off + lo * es,
                  static_cast<std::size_t>((hi - lo) * es));
  }
  return Status();
}

}  // namespace edgert::cpu::tensor
