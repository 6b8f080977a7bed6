// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Shape-only and generator ops of the tensor family: Reshape, Flatten, Squeeze, Unsqueeze, Shape,
// Size, Constant, ConstantOfShape, Range, EyeLike, NonZero.
#include <algorithm>
#include <cmath>
#include <optional>

#include "kernels/cpu/tensor_ops.h"

namespace edgert::cpu::tensor {
namespace {

// The shape operand of Reshape: attribute before opset 5, input 1 after.
struct ReshapeParams {
  bool known = false;  // target values known
  std::vector<std::int64_t> shape;
  bool allowzero = false;
};

Expected<ReshapeParams> parse_reshape(const InferContext& ctx) {
  ReshapeParams p;
  const NodeInfo& node = ctx.node;
  if (node.opset < 5) {
    if (!node.attrs.has("shape")) return invalid(node, "attribute 'shape' is required");
    EDGERT_ASSIGN_OR_RETURN(p.shape, node.attrs.get_ints("shape"));
    p.known = true;
  } else {
    if (!ctx.has_input(1)) return invalid(node, "input 'shape' is required");
    EDGERT_RETURN_IF_ERROR(check_index_dtype(ctx, 1, "shape"));
    EDGERT_ASSIGN_OR_RETURN(p.shape, input_ints(ctx, 1, "shape", p.known));
  }
  if (node.opset >= 14) {
    EDGERT_ASSIGN_OR_RETURN(auto az, node.attrs.get_int("allowzero", 0));
    p.allowzero = az != 0;
  }
  return p;
}

// Axes of Squeeze/Unsqueeze: attribute before opset 13, input 1 after. nullopt = not given;
// `known` false = given as a non-constant input.
Expected<std::optional<std::vector<std::int64_t>>> parse_axes(const InferContext& ctx,
                                                              bool& known) {
  known = true;
  const NodeInfo& node = ctx.node;
  if (node.opset < 13) {
    if (!node.attrs.has("axes")) return std::optional<std::vector<std::int64_t>>();
    EDGERT_ASSIGN_OR_RETURN(auto v, node.attrs.get_ints("axes"));
    return std::optional<std::vector<std::int64_t>>(std::move(v));
  }
  if (!ctx.has_input(1)) return std::optional<std::vector<std::int64_t>>();
  EDGERT_RETURN_IF_ERROR(check_index_dtype(ctx, 1, "axes"));
  EDGERT_ASSIGN_OR_RETURN(auto v, input_ints(ctx, 1, "axes", known));
  return std::optional<std::vector<std::int64_t>>(std::move(v));
}

// Normalises axes against `rank`, rejecting duplicates.
Expected<std::vector<std::int64_t>> normalize_axes(const NodeInfo& node,
                                                   const std::vector<std::int64_t>& axes,
                                                   std::int64_t rank) {
  std::vector<std::int64_t> out;
  std::vector<bool> seen(static_cast<std::size_t>(rank), false);
  for (auto a : axes) {
    EDGERT_ASSIGN_OR_RETURN(auto n, normalize_axis(node, a, rank));
    if (seen[n]) return invalid(node, "axis " + std::to_string(a) + " repeated");
    seen[n] = true;
    out.push_back(n);
  }
  return out;
}

std::int64_t onnx_value_one_bits(DataType t) {
  switch (t) {
    case DataType::kFloat32: {
      float f = 1.0f;
      std::uint32_t b;
      std::memcpy(&b, &f, 4);
      return b;
    }
    case DataType::kFloat16: return float_to_half(1.0f);
    default: return 1;
  }
}

bool elem_nonzero(const std::uint8_t* p, DataType t) {
  switch (t) {
    case DataType::kFloat32: {
      std::uint32_t b;
      std::memcpy(&b, p, 4);
      return (b & 0x7fffffffu) != 0;  // -0.0 is zero
    }
    case DataType::kFloat16: {
      std::uint16_t b;
      std::memcpy(&b, p, 2);
      return (b & 0x7fffu) != 0;
    }
    default:
      for (std::size_t i = 0; i < dtype_size(t); ++i)
        if (p[i]) return true;
      return false;
  }
}

}  // namespace

Status compute_copy(ComputeContext& ctx) {
  const Tensor& in = *ctx.inputs[0];
  Tensor& out = *ctx.outputs[0];
  if (out.nbytes() != in.nbytes())
    return node_error(ctx.node, StatusCode::kInternal, "output size differs from input size");
  if (in.nbytes()) std::memcpy(out.raw(), in.raw(), in.nbytes());
  return Status();
}

// ---------------------------------------------------------------- Reshape
Status infer_reshape(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_data_dtype(ctx, 0));
  EDGERT_ASSIGN_OR_RETURN(auto p, parse_reshape(ctx));
  const Shape& in = ctx.inputs[0].shape;
  DataType dt = ctx.inputs[0].dtype;
  if (!p.known) {
    const Shape& ss = ctx.has_input(1) ? ctx.inputs[1].shape : Shape::unknown();
    if (!ss.unknown_rank() && ss.rank() == 1 && ss[0] >= 0)
      set_output(ctx, 0, dt, Shape(std::vector<std::int64_t>(ss[0], Shape::kUnknownDim)));
    else
      set_output(ctx, 0, dt, Shape::unknown());
    return Status();
  }
  const auto& t = p.shape;
  int neg = 0;
  bool has_zero = false;
  for (auto v : t) {
    if (v < -1) return invalid(ctx.node, "invalid shape value " + std::to_string(v));
    if (v == -1) ++neg;
    if (v == 0) has_zero = true;
  }
  if (neg > 1) return invalid(ctx.node, "shape has more than one -1");
  if (p.allowzero && has_zero && neg)
    return invalid(ctx.node, "allowzero=1 with both 0 and -1 in the shape");

  std::vector<std::int64_t> out(t.size());
  std::vector<bool> copied(t.size(), false);
  std::int64_t neg_pos = -1;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] == 0 && !p.allowzero) {
      if (in.unknown_rank()) {
        out[i] = Shape::kUnknownDim;
      } else {
        if (i >= in.rank())
          return invalid(ctx.node, "shape value 0 at position " + std::to_string(i) +
                                       " beyond input rank " + std::to_string(in.rank()));
        out[i] = in[i];
      }
      copied[i] = true;
    } else if (t[i] == -1) {
      neg_pos = static_cast<std::int64_t>(i);
      out[i] = Shape::kUnknownDim;
    } else {
      out[i] = t[i];
    }
  }
  // Element count of the input not accounted for by dims copied with 0 (which may be unknown
  // themselves: [?,3,4] -> [0,-1] still gives [?,12]).
  std::optional<std::int64_t> in_rest;
  if (!in.unknown_rank()) {
    std::int64_t prod = 1;
    bool ok = true;
    for (std::size_t i = 0; i < in.rank(); ++i) {
      bool is_copied = i < copied.size() && copied[i];
      if (is_copied) continue;
      if (in[i] < 0)
        ok = false;
      else
        prod *= in[i];
    }
    if (ok) in_rest = prod;
  }
  std::int64_t out_rest = 1;
  for (std::size_t i = 0; i < t.size(); ++i)
    if (!copied[i] && static_cast<std::int64_t>(i) != neg_pos) out_rest *= out[i];
  if (in_rest) {
    if (neg_pos >= 0) {
      if (out_rest == 0 || *in_rest % out_rest != 0)
        return invalid(ctx.node,
                       "cannot reshape " + in.to_string() + " to " + Shape(t).to_string());
      out[neg_pos] = *in_rest / out_rest;
    } else if (*in_rest != out_rest) {
      return invalid(ctx.node, "cannot reshape " + in.to_string() + " (" +
                                   std::to_string(in.numel()) + " elements) to " +
                                   Shape(t).to_string());
    }
  }
  set_output(ctx, 0, dt, Shape(out));
  return Status();
}

// ---------------------------------------------------------------- Flatten
Status infer_flatten(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_data_dtype(ctx, 0));
  EDGERT_ASSIGN_OR_RETURN(auto axis, ctx.node.attrs.get_int("axis", 1));
  const Shape& in = ctx.inputs[0].shape;
  DataType dt = ctx.inputs[0].dtype;
  if (in.unknown_rank()) {
    set_output(ctx, 0, dt, Shape{Shape::kUnknownDim, Shape::kUnknownDim});
    return Status();
  }
  auto r = static_cast<std::int64_t>(in.rank());
  if (axis < -r || axis > r)
    return invalid(ctx.node,
                   "axis " + std::to_string(axis) + " out of range for rank " + std::to_string(r));
  if (axis < 0) axis += r;
  auto prod = [&](std::int64_t b, std::int64_t e) {
    std::int64_t p = 1;
    for (std::int64_t d = b; d < e; ++d) {
      if (in[d] < 0) return Shape::kUnknownDim;
      p *= in[d];
    }
    return p;
  };
  set_output(ctx, 0, dt, Shape{prod(0, axis), prod(axis, r)});
  return Status();
}

// ---------------------------------------------------------------- Squeeze / Unsqueeze
Status infer_squeeze(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_data_dtype(ctx, 0));
  bool known = true;
  EDGERT_ASSIGN_OR_RETURN(auto axes, parse_axes(ctx, known));
  const Shape& in = ctx.inputs[0].shape;
  DataType dt = ctx.inputs[0].dtype;
  if (in.unknown_rank() || !known) {
    set_output(ctx, 0, dt, Shape::unknown());
    return Status();
  }
  auto r = static_cast<std::int64_t>(in.rank());
  std::vector<bool> drop(in.rank(), false);
  if (!axes) {
    for (std::size_t d = 0; d < in.rank(); ++d) {
      if (in[d] < 0) {  // might or might not be 1
        set_output(ctx, 0, dt, Shape::unknown());
        return Status();
      }
      drop[d] = in[d] == 1;
    }
  } else {
    EDGERT_ASSIGN_OR_RETURN(auto ax, normalize_axes(ctx.node, *axes, r));
    for (auto a : ax) {
      if (in[a] >= 0 && in[a] != 1)
        return invalid(ctx.node, "cannot squeeze axis " + std::to_string(a) + " of size " +
                                     std::to_string(in[a]) + " in " + in.to_string());
      drop[a] = true;
    }
  }
  std::vector<std::int64_t> out;
  for (std::size_t d = 0; d < in.rank(); ++d)
    if (!drop[d]) out.push_back(in[d]);
  set_output(ctx, 0, dt, Shape(out));
  return Status();
}

Status infer_unsqueeze(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_data_dtype(ctx, 0));
  bool known = true;
  EDGERT_ASSIGN_OR_RETURN(auto axes, parse_axes(ctx, known));
  const Shape& in = ctx.inputs[0].shape;
  DataType dt = ctx.inputs[0].dtype;
  if (!axes) return invalid(ctx.node, "axes are required");
  if (in.unknown_rank() || !known) {
    const Shape as =
        ctx.has_input(1) ? ctx.inputs[1].shape : Shape{static_cast<std::int64_t>(axes->size())};
    if (!in.unknown_rank() && !as.unknown_rank() && as.rank() == 1 && as[0] >= 0)
      set_output(ctx, 0, dt,
                 Shape(std::vector<std::int64_t>(in.rank() + as[0], Shape::kUnknownDim)));
    else
      set_output(ctx, 0, dt, Shape::unknown());
    return Status();
  }
  auto out_rank = static_cast<std::int64_t>(in.rank() + axes->size());
  EDGERT_ASSIGN_OR_RETURN(auto ax, normalize_axes(ctx.node, *axes, out_rank));
  std::vector<bool> ins(out_rank, false);
  for (auto a : ax) ins[a] = true;
  std::vector<std::int64_t> out;
  std::size_t k = 0;
  for (std::int64_t d = 0; d < out_rank; ++d) out.push_back(ins[d] ? 1 : in[k++]);
  set_output(ctx, 0, dt, Shape(out));
  return Status();
}

// ---------------------------------------------------------------- Shape / Size
namespace {
struct ShapeRange {
  std::int64_t start = 0, end = 0;
};
Expected<ShapeRange> parse_shape_range(const NodeInfo& node, std::int64_t rank) {
  std::int64_t start = 0, end = rank;
  if (node.opset >= 15) {
    EDGERT_ASSIGN_OR_RETURN(start, node.attrs.get_int("start", 0));
    EDGERT_ASSIGN_OR_RETURN(end, node.attrs.get_int("end", rank));
  }
  auto clamp = [rank](std::int64_t v) {
    if (v < 0) v += rank;
    return std::clamp<std::int64_t>(v, 0, rank);
  };
  ShapeRange r{clamp(start), clamp(end)};
  if (r.end < r.start) r.end = r.start;
  return r;
}
}  // namespace

Status infer_shape(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_data_dtype(ctx, 0));
  const Shape& in = ctx.inputs[0].shape;
  if (in.unknown_rank()) {
    set_output(ctx, 0, DataType::kInt64, Shape{Shape::kUnknownDim});
    return Status();
  }
  EDGERT_ASSIGN_OR_RETURN(auto r,
                          parse_shape_range(ctx.node, static_cast<std::int64_t>(in.rank())));
  set_output(ctx, 0, DataType::kInt64, Shape{r.end - r.start});
  return Status();
}

Status compute_shape(ComputeContext& ctx) {
  const Shape& in = ctx.inputs[0]->shape();
  EDGERT_ASSIGN_OR_RETURN(auto r,
                          parse_shape_range(ctx.node, static_cast<std::int64_t>(in.rank())));
  auto* o = ctx.outputs[0]->data<std::int64_t>();
  for (std::int64_t d = r.start; d < r.end; ++d) o[d - r.start] = in[d];
  return Status();
}

Status infer_size(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_data_dtype(ctx, 0));
  set_output(ctx, 0, DataType::kInt64, Shape{});
  return Status();
}

Status compute_size(ComputeContext& ctx) {
  *ctx.outputs[0]->data<std::int64_t>() = ctx.inputs[0]->numel();
  return Status();
}

// ---------------------------------------------------------------- Constant
namespace {
struct ConstantValue {
  const Tensor* tensor = nullptr;  // 'value'
  DataType dtype = DataType::kUndefined;
  Shape shape;
  std::vector<float> floats;
  std::vector<std::int64_t> ints;
};

Expected<ConstantValue> parse_constant(const NodeInfo& node) {
  ConstantValue c;
  const AttrMap& a = node.attrs;
  for (const char* name : {"sparse_value", "value_string", "value_strings"})
    if (a.has(name))
      return unsupported(node, std::string("attribute '") + name + "' is not supported");
  if (a.has("value")) {
    c.tensor = a.get_tensor("value");
    if (!c.tensor) return invalid(node, "attribute 'value' is not a tensor");
    if (!is_supported_dtype(c.tensor->dtype()))
      return unsupported(node, std::string("value of type ") + dtype_name(c.tensor->dtype()) +
                                   " is not supported");
    c.dtype = c.tensor->dtype();
    c.shape = c.tensor->shape();
  } else if (a.has("value_float")) {
    EDGERT_ASSIGN_OR_RETURN(float f, a.get_float("value_float", 0.f));
    c.floats = {f};
    c.dtype = DataType::kFloat32;
    c.shape = Shape{};
  } else if (a.has("value_floats")) {
    EDGERT_ASSIGN_OR_RETURN(c.floats, a.get_floats("value_floats"));
    c.dtype = DataType::kFloat32;
    c.shape = Shape{static_cast<std::int64_t>(c.floats.size())};
  } else if (a.has("value_int")) {
    EDGERT_ASSIGN_OR_RETURN(auto i, a.get_int("value_int", 0));
    c.ints = {i};
    c.dtype = DataType::kInt64;
    c.shape = Shape{};
  } else if (a.has("value_ints")) {
    EDGERT_ASSIGN_OR_RETURN(c.ints, a.get_ints("value_ints"));
    c.dtype = DataType::kInt64;
    c.shape = Shape{static_cast<std::int64_t>(c.ints.size())};
  } else {
    return invalid(node, "no value attribute");
  }
  return c;
}
}  // namespace

Status infer_constant(InferContext& ctx) {
  EDGERT_ASSIGN_OR_RETURN(auto c, parse_constant(ctx.node));
  set_output(ctx, 0, c.dtype, c.shape);
  return Status();
}

Status compute_constant(ComputeContext& ctx) {
  EDGERT_ASSIGN_OR_RETURN(auto c, parse_constant(ctx.node));
  Tensor& out = *ctx.outputs[0];
  if (c.tensor) {
    if (c.tensor->nbytes()) std::memcpy(out.raw(), c.tensor->raw(), c.tensor->nbytes());
  } else if (c.dtype == DataType::kFloat32) {
    std::copy(c.floats.begin(), c.floats.end(), out.data<float>());
  } else {
    std::copy(c.ints.begin(), c.ints.end(), out.data<std::int64_t>());
  }
  return Status();
}

// ---------------------------------------------------------------- ConstantOfShape
namespace {
// The fill value: its dtype and bytes (default float32 0).
Expected<std::pair<DataType, std::vector<std::uint8_t>>> parse_fill(const NodeInfo& node) {
  const Tensor* v = node.attrs.get_tensor("value");
  if (!v) {
    if (node.attrs.has("value")) return invalid(node, "attribute 'value' is not a tensor");
    return std::make_pair(DataType::kFloat32, std::vector<std::uint8_t>(4, 0));
  }
  if (!is_supported_dtype(v->dtype()))
    return unsupported(
        node, std::string("value of type ") + dtype_name(v->dtype()) + " is not supported");
  if (v->numel() != 1) return invalid(node, "attribute 'value' must have one element");
  const auto* b = static_cast<const std::uint8_t*>(v->raw());
  return std::make_pair(v->dtype(), std::vector<std::uint8_t>(b, b + v->nbytes()));
}
}  // namespace

Status infer_constant_of_shape(InferContext& ctx) {
  EDGERT_ASSIGN_OR_RETURN(auto fill, parse_fill(ctx.node));
  EDGERT_RETURN_IF_ERROR(check_index_dtype(ctx, 0, "shape"));
  bool known = false;
  EDGERT_ASSIGN_OR_RETURN(auto dims, input_ints(ctx, 0, "shape", known));
  if (known) {
    for (auto d : dims)
      if (d < 0) return invalid(ctx.node, "negative dimension " + std::to_string(d));
    set_output(ctx, 0, fill.first, Shape(dims));
  } else {
    const Shape& s = ctx.inputs[0].shape;
    if (!s.unknown_rank() && s.rank() == 1 && s[0] >= 0)
      set_output(ctx, 0, fill.first, Shape(std::vector<std::int64_t>(s[0], Shape::kUnknownDim)));
    else
      set_output(ctx, 0, fill.first, Shape::unknown());
  }
  return Status();
}

Status compute_constant_of_shape(ComputeContext& ctx) {
  EDGERT_ASSIGN_OR_RETURN(auto fill, parse_fill(ctx.node));
  Tensor& out = *ctx.outputs[0];
  auto* o = static_cast<std::uint8_t*>(out.raw());
  const std::size_t es = fill.second.size();
  for (std::int64_t i = 0; i < out.numel(); ++i) copy_elem(o + i * es, fill.second.data(), es);
  return Status();
}

// ---------------------------------------------------------------- Range
namespace {
Expected<std::int64_t> range_count(const NodeInfo& node, const Tensor& s, const Tensor& l,
                                   const Tensor& d) {
  if (s.dtype() == DataType::kFloat32) {
    double st = s.data<float>()[0], li = l.data<float>()[0], de = d.data<float>()[0];
    if (de == 0.0) return invalid(node, "delta must not be zero");
    double n = std::ceil((li - st) / de);
    if (!std::isfinite(n)) return invalid(node, "non-finite range");
    return std::max<std::int64_t>(0, static_cast<std::int64_t>(n));
  }
  std::int64_t st = s.get_as_int64(0), li = l.get_as_int64(0), de = d.get_as_int64(0);
  if (de == 0) return invalid(node, "delta must not be zero");
  std::int64_t diff = li - st;
  // ceil(diff / de) with exact integer arithmetic.
  std::int64_t q = diff / de;
  if (diff % de != 0 && ((diff < 0) == (de < 0))) ++q;
  return std::max<std::int64_t>(0, q);
}
}  // namespace

Status infer_range(InferContext& ctx) {
  DataType t = ctx.inputs[0].dtype;
  if (t != DataType::kFloat32 && t != DataType::kInt32 && t != DataType::kInt64)
    return unsupported_dtype(ctx.node, 0, t);
  for (std::size_t i = 0; i < 3; ++i) {
    if (ctx.inputs[i].dtype != t)
      return invalid(ctx.node, "start, limit and delta must have the same type");
    const Shape& s = ctx.inputs[i].shape;
    if (!s.unknown_rank() && s.numel() != 1 && s.is_static())
      return invalid(ctx.node, "start, limit and delta must be scalars");
  }
  if (ctx.value(0) && ctx.value(1) && ctx.value(2)) {
    EDGERT_ASSIGN_OR_RETURN(auto n,
                            range_count(ctx.node, *ctx.value(0), *ctx.value(1), *ctx.value(2)));
    set_output(ctx, 0, t, Shape{n});
  } else {
    set_output(ctx, 0, t, Shape{Shape::kUnknownDim});
  }
  return Status();
}

Status compute_range(ComputeContext& ctx) {
  const Tensor& s = *ctx.inputs[0];
  const Tensor& d = *ctx.inputs[2];
  Tensor& out = *ctx.outputs[0];
  const std::int64_t n = out.numel();
  switch (out.dtype()) {
    case DataType::kFloat32: {
      double st = s.data<float>()[0], de = d.data<float>()[0];
      for (std::int64_t i = 0; i < n; ++i)
        out.data<float>()[i] = static_cast<float>(st + static_cast<double>(i) * de);
      break;
    }
    case DataType::kInt32:
      for (std::int64_t i = 0; i < n; ++i)
        out.data<std::int32_t>()[i] =
            static_cast<std::int32_t>(s.get_as_int64(0) + i * d.get_as_int64(0));
      break;
    default:
      for (std::int64_t i = 0; i < n; ++i)
        out.data<std::int64_t>()[i] = s.get_as_int64(0) + i * d.get_as_int64(0);
  }
  return Status();
}

// ---------------------------------------------------------------- EyeLike
namespace {
Expected<DataType> eye_like_dtype(const InferContext& ctx) {
  DataType t = ctx.inputs[0].dtype;
  if (ctx.node.attrs.has("dtype")) {
    EDGERT_ASSIGN_OR_RETURN(auto code, ctx.node.attrs.get_int("dtype", 1));
    t = onnx_dtype(code);
    if (t == DataType::kUndefined)
      return unsupported(ctx.node,
                         "attribute 'dtype'=" + std::to_string(code) + " is not supported");
  }
  return t;
}
}  // namespace

Status infer_eye_like(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_data_dtype(ctx, 0));
  EDGERT_ASSIGN_OR_RETURN(auto t, eye_like_dtype(ctx));
  EDGERT_RETURN_IF_ERROR(ctx.node.attrs.get_int("k", 0).status());
  const Shape& in = ctx.inputs[0].shape;
  if (!in.unknown_rank() && in.rank() != 2)
    return invalid(ctx.node, "input must be 2-D, got " + in.to_string());
  set_output(ctx, 0, t, in.unknown_rank() ? Shape{Shape::kUnknownDim, Shape::kUnknownDim} : in);
  return Status();
}

Status compute_eye_like(ComputeContext& ctx) {
  EDGERT_ASSIGN_OR_RETURN(auto k, ctx.node.attrs.get_int("k", 0));
  Tensor& out = *ctx.outputs[0];
  const std::size_t es = dtype_size(out.dtype());
  auto* o = static_cast<std::uint8_t*>(out.raw());
  std::memset(o, 0, out.nbytes());
  const std::int64_t rows = out.shape()[0], cols = out.shape()[1];
  const std::int64_t one = onnx_value_one_bits(out.dtype());
  for (std::int64_t i = 0; i < rows; ++i) {
    std::int64_t j = i + k;
    if (j >= 0 && j < cols) std::memcpy(o + (i * cols + j) * es, &one, es);  // little endian
  }
  return Status();
}

// ---------------------------------------------------------------- NonZero
Status infer_nonzero(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_data_dtype(ctx, 0));
  const Shape& in = ctx.inputs[0].shape;
  std::int64_t rank = in.unknown_rank() ? Shape::kUnknownDim : std::max<std::int64_t>(1, in.rank());
  std::int64_t count = Shape::kUnknownDim;
  if (const Tensor* v = ctx.value(0)) {
    const auto* p = static_cast<const std::uint8_t*>(v->raw());
    const std::size_t es = dtype_size(v->dtype());
    count = 0;
    for (std::int64_t i = 0; i < v->numel(); ++i) count += elem_nonzero(p + i * es, v->dtype());
  }
  set_output(ctx, 0, DataType::kInt64, Shape{rank, count});
  return Status();
}

Status compute_nonzero(ComputeContext& ctx) {
  const Tensor& in = *ctx.inputs[0];
  Tensor& out = *ctx.outputs[0];
  const std::int64_t count = out.shape()[1];
  const std::size_t rank = in.shape().rank();
  const auto* p = static_cast<const std::uint8_t*>(in.raw());
  const std::size_t es = dtype_size(in.dtype());
  auto* o = out.data<std::int64_t>();
  std::int64_t k = 0;
  IndexIter it(in.shape());
  for (std::int64_t i = 0; i < in.numel(); ++i, it.next()) {
    if (!elem_nonzero(p + i * es, in.dtype())) continue;
    if (k >= count) return node_error(ctx.node, StatusCode::kInternal, "nonzero count changed");
    if (rank == 0) o[k] = 0;
    for (std::size_t d = 0; d < rank; ++d) o[d * count + k] = it.index()[d];
    ++k;
  }
  return Status();
}

}  // namespace edgert::cpu::tensor
