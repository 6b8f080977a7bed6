// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Pad (constant / reflect / edge) of the tensor family, on raw bytes.
#include <algorithm>

#include "kernels/cpu/tensor_ops.h"

namespace edgert::cpu::tensor {
namespace {

enum class PadMode { kConstant, kReflect, kEdge };

struct PadParams {
  PadMode mode = PadMode::kConstant;
  bool known = true;               // pads (and axes) values known
  std::vector<std::int64_t> pads;  // 2 * rank entries once resolved: begins then ends
  float attr_value = 0.f;          // constant value from the attribute (opset < 11)
};

Expected<PadParams> parse_pad(const InferContext& ctx, std::int64_t rank) {
  PadParams p;
  const NodeInfo& node = ctx.node;
  EDGERT_ASSIGN_OR_RETURN(auto mode, node.attrs.get_string("mode", "constant"));
  if (mode == "constant")
    p.mode = PadMode::kConstant;
  else if (mode == "reflect")
    p.mode = PadMode::kReflect;
  else if (mode == "edge")
    p.mode = PadMode::kEdge;
  else if (mode == "wrap")
    return unsupported(node, "attribute 'mode'=wrap is not supported");
  else
    return invalid(node, "attribute 'mode'=" + mode + " is invalid");

  std::vector<std::int64_t> axes;
  if (node.opset < 11) {
    const char* name = node.opset < 2 ? "paddings" : "pads";
    if (!node.attrs.has(name))
      return invalid(node, std::string("attribute '") + name + "' is required");
    EDGERT_ASSIGN_OR_RETURN(p.pads, node.attrs.get_ints(name));
    EDGERT_ASSIGN_OR_RETURN(p.attr_value, node.attrs.get_float("value", 0.f));
  } else {
    if (!ctx.has_input(1)) return invalid(node, "input 'pads' is required");
    EDGERT_RETURN_IF_ERROR(check_index_dtype(ctx, 1, "pads"));
    bool known = false;
    EDGERT_ASSIGN_OR_RETURN(p.pads, input_ints(ctx, 1, "pads", known));
    if (!known) p.known = false;
    if (ctx.has_input(2)) {
      if (ctx.inputs[2].dtype != ctx.inputs[0].dtype)
        return invalid(node, "constant_value must have the input's type");
      const Shape& cs = ctx.inputs[2].shape;
      if (cs.is_static() && cs.numel() != 1)
        return invalid(node, "constant_value must have one element");
    }
    if (ctx.has_input(3)) {
      EDGERT_RETURN_IF_ERROR(check_index_dtype(ctx, 3, "axes"));
      EDGERT_ASSIGN_OR_RETURN(axes, input_ints(ctx, 3, "axes", known));
      if (!known) p.known = false;
      if (known && rank < 0) p.known = false;
      if (p.known) {
        // Spread the per-axis pads over all dims.
        if (p.pads.size() != 2 * axes.size())
          return invalid(node, "pads must have 2 * len(axes) entries");
        std::vector<std::int64_t> full(2 * rank, 0);
        std::vector<bool> seen(rank, false);
        for (std::size_t i = 0; i < axes.size(); ++i) {
          EDGERT_ASSIGN_OR_RETURN(auto a, normalize_axis(node, axes[i], rank));
          if (seen[a]) return invalid(node, "axis repeated in axes");
          seen[a] = true;
          full[a] = p.pads[i];
          full[rank + a] = p.pads[axes.size() + i];
        }
        p.pads = full;
      }
    }
  }
  if (p.known && rank >= 0 && p.pads.size() != static_cast<std::size_t>(2 * rank))
    return invalid(node, "pads has " + std::to_string(p.pads.size()) + " entries for rank " +
                             std::to_string(rank));
  return p;
}

// Input index for output index o along a dim of size `dim` padded by `begin` in front; -1 for a
// constant-filled position.
std::int64_t source_index(PadMode mode, std::int64_t o, std::int64_t begin, std::int64_t dim) {
  std::int64_t i = o - begin;
  if (i >= 0 && i < dim) return i;
  switch (mode) {
    case PadMode::kConstant: return -1;
    case PadMode::kEdge: return i < 0 ? 0 : dim - 1;
    case PadMode::kReflect: {
      if (dim == 1) return 0;
      const std::int64_t period = 2 * (dim - 1);
      std::int64_t m = ((i % period) + period) % period;
      return m < dim ? m : period - m;
    }
  }
  return -1;
}

}  // namespace

Status infer_pad(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_data_dtype(ctx, 0));
  const Shape& in = ctx.inputs[0].shape;
  DataType dt = ctx.inputs[0].dtype;
  const std::int64_t rank = in.unknown_rank() ? -1 : static_cast<std::int64_t>(in.rank());
  EDGERT_ASSIGN_OR_RETURN(auto p, parse_pad(ctx, rank));
  if (in.unknown_rank()) {
    set_output(ctx, 0, dt,
               p.known && !ctx.has_input(3)
                   ? Shape(std::vector<std::int64_t>(p.pads.size() / 2, Shape::kUnknownDim))
                   : Shape::unknown());
    return Status();
  }
  std::vector<std::int64_t> out(in.rank(), Shape::kUnknownDim);
  if (p.known) {
    for (std::int64_t d = 0; d < rank; ++d) {
      if (in[d] < 0) continue;
      const std::int64_t begin = p.pads[d], end = p.pads[rank + d];
      out[d] = in[d] + begin + end;
      if (out[d] < 0)
        return invalid(ctx.node, "pads make dimension " + std::to_string(d) + " negative");
      if (p.mode != PadMode::kConstant && in[d] == 0 && out[d] > 0)
        return invalid(ctx.node, "cannot reflect/edge-pad an empty dimension");
    }
  }
  set_output(ctx, 0, dt, Shape(out));
  return Status();
}

Status compute_pad(ComputeContext& ctx) {
  const Tensor& in = *ctx.inputs[0];
  Tensor& out = *ctx.outputs[0];
  InferContext ictx{ctx.node, {}, {}, {}, {}};
  for (const Tensor* t : ctx.inputs) {
    ictx.inputs.push_back(t ? TensorInfo{t->dtype(), t->shape()} : TensorInfo{});
    ictx.present.push_back(t != nullptr);
    ictx.values.push_back(t);
  }
  const auto rank = static_cast<std::int64_t>(in.shape().rank());
  EDGERT_ASSIGN_OR_RETURN(auto p, parse_pad(ictx, rank));
  const std::size_t es = dtype_size(in.dtype());

  // The fill value's bytes.
  std::uint8_t fill[8] = {0};
  if (p.mode == PadMode::kConstant) {
    if (ctx.node.opset < 11) {
      const float v = p.attr_value;
      switch (in.dtype()) {
        case DataType::kFloat32: std::memcpy(fill, &v, 4); break;
        case DataType::kFloat16: {
          std::uint16_t h = float_to_half(v);
          std::memcpy(fill, &h, 2);
          break;
        }
        default: {
          auto iv = static_cast<std::int64_t>(v);  // little endian: low bytes first
          std::memcpy(fill, &iv, es);
        }
      }
    } else if (ctx.has_input(2) && ctx.inputs[2]->numel() >= 1) {
      std::memcpy(fill, ctx.inputs[2]->raw(), es);
    }
  }
  if (out.numel() == 0) return Status();
  if (rank == 0) {
    std::memcpy(out.raw(), in.raw(), es);
    return Status();
  }

  // Per-dim tables of source offsets (in elements, -1 for fill).
  auto in_st = contiguous_strides(in.shape());
  std::vector<std::vector<std::int64_t>> table(rank);
  for (std::int64_t d = 0; d < rank; ++d) {
    const std::int64_t n = out.shape()[d];
    table[d].resize(n);
    for (std::int64_t o = 0; o < n; ++o) {
      std::int64_t i = source_index(p.mode, o, p.pads[d], in.shape()[d]);
      table[d][o] = i < 0 ? -1 : i * in_st[d];
    }
  }
  const std::int64_t inner = out.shape()[rank - 1];
  const std::int64_t rows = out.numel() / inner;
  const auto* src = static_cast<const std::uint8_t*>(in.raw());
  auto* dst = static_cast<std::uint8_t*>(out.raw());
  const auto& last = table[rank - 1];
  Shape outer_shape(
      std::vector<std::int64_t>(out.shape().dims().begin(), out.shape().dims().end() - 1));
  IndexIter it(outer_shape);
  for (std::int64_t r = 0; r < rows; ++r, it.next()) {
    std::int64_t base = 0;
    bool is_fill = false;
    for (std::int64_t d = 0; d + 1 < rank; ++d) {
      std::int64_t t = table[d][it.index()[d]];
      if (t < 0) {
        is_fill = true;
        break;
      }
      base += t;
    }
    std::uint8_t* row = dst + r * inner * static_cast<std::int64_t>(es);
    for (std::int64_t j = 0; j < inner; ++j) {
      const std::int64_t t = last[j];
      if (is_fill || t < 0)
        copy_elem(row + j * es, fill, es);
      else
        copy_elem(row + j * es, src + (base + t) * static_cast<std::int64_t>(es), es);
    }
  }
  return Status();
}

}  // namespace edgert::cpu::tensor
