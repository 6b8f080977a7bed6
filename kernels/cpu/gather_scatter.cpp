// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Index-driven ops of the tensor family: Gather, GatherElements, GatherND, ScatterElements (and
// the deprecated Scatter), ScatterND, OneHot. Elements move as raw bytes; indices are validated
// before any access (out of range -> kInvalidArgument).
#include <algorithm>
#include <cmath>

#include "kernels/cpu/tensor_ops.h"

namespace edgert::cpu::tensor {
namespace {

// Reads index tensor `t` normalised into [0, dim) (negative indices count from the end), or an
// error naming the offending index.
Expected<std::vector<std::int64_t>> read_indices(const NodeInfo& node, const Tensor& t,
                                                 std::int64_t dim) {
  std::vector<std::int64_t> v(static_cast<std::size_t>(t.numel()));
  for (std::int64_t i = 0; i < t.numel(); ++i) {
    std::int64_t x = t.get_as_int64(i);
    if (x < -dim || x >= dim)
      return invalid(node, "index " + std::to_string(x) + " out of range for dimension of size " +
                               std::to_string(dim));
    v[i] = x < 0 ? x + dim : x;
  }
  return v;
}

Shape concat_dims(const Shape& a, std::size_t a0, std::size_t a1, const Shape& b, std::size_t b0,
                  std::size_t b1) {
  std::vector<std::int64_t> d;
  for (std::size_t i = a0; i < a1; ++i) d.push_back(a[i]);
  for (std::size_t i = b0; i < b1; ++i) d.push_back(b[i]);
  return Shape(d);
}

enum class Reduction { kNone, kAdd, kMul, kMax, kMin };

Expected<Reduction> parse_reduction(const NodeInfo& node) {
  if (node.op_type == "Scatter" || node.opset < 16) return Reduction::kNone;
  EDGERT_ASSIGN_OR_RETURN(auto r, node.attrs.get_string("reduction", "none"));
  if (r == "none") return Reduction::kNone;
  if (r == "add") return Reduction::kAdd;
  if (r == "mul") return Reduction::kMul;
  if (node.opset >= 18 && r == "max") return Reduction::kMax;
  if (node.opset >= 18 && r == "min") return Reduction::kMin;
  return invalid(node, "attribute 'reduction'=" + r + " is invalid");
}

template <typename T>
T reduce_value(T a, T b, Reduction r) {
  switch (r) {
    case Reduction::kAdd: return static_cast<T>(a + b);
    case Reduction::kMul: return static_cast<T>(a * b);
    case Reduction::kMax: return std::max(a, b);
    case Reduction::kMin: return std::min(a, b);
    case Reduction::kNone: break;
  }
  return b;
}

// dst = reduce(dst, src) for one element of type t.
void apply_elem(std::uint8_t* dst, const std::uint8_t* src, DataType t, Reduction r,
                std::size_t es) {
  if (r == Reduction::kNone) {
    copy_elem(dst, src, es);
    return;
  }
  auto apply = [&](auto tag) {
    using T = decltype(tag);
    T a, b;
    std::memcpy(&a, dst, sizeof(T));
    std::memcpy(&b, src, sizeof(T));
    a = reduce_value(a, b, r);
    std::memcpy(dst, &a, sizeof(T));
  };
  switch (t) {
    case DataType::kFloat32: apply(float{}); break;
    case DataType::kInt32: apply(std::int32_t{}); break;
    case DataType::kInt64: apply(std::int64_t{}); break;
    case DataType::kInt8: apply(std::int8_t{}); break;
    case DataType::kUInt8: apply(std::uint8_t{}); break;
    case DataType::kFloat16: {
      std::uint16_t a, b;
      std::memcpy(&a, dst, 2);
      std::memcpy(&b, src, 2);
      a = float_to_half(reduce_value(half_to_float(a), half_to_float(b), r));
      std::memcpy(dst, &a, 2);
      break;
    }
    default: break;  // rejected in infer
  }
}

Status check_reduction_dtype(const InferContext& ctx, Reduction r) {
  if (r != Reduction::kNone && ctx.inputs[0].dtype == DataType::kBool)
    return unsupported(ctx.node, "reduction on bool data is not supported");
  return Status();
}

}  // namespace

// ---------------------------------------------------------------- Gather
Status infer_gather(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_data_dtype(ctx, 0));
  EDGERT_RETURN_IF_ERROR(check_index_dtype(ctx, 1, "indices"));
  EDGERT_ASSIGN_OR_RETURN(auto axis, ctx.node.attrs.get_int("axis", 0));
  const Shape& data = ctx.inputs[0].shape;
  const Shape& idx = ctx.inputs[1].shape;
  DataType dt = ctx.inputs[0].dtype;
  if (data.unknown_rank() || idx.unknown_rank()) {
    set_output(ctx, 0, dt, Shape::unknown());
    return Status();
  }
  EDGERT_ASSIGN_OR_RETURN(axis, normalize_axis(ctx.node, axis, data.rank()));
  Shape out = concat_dims(data, 0, axis, idx, 0, idx.rank());
  for (std::size_t d = axis + 1; d < data.rank(); ++d) out.dims().push_back(data[d]);
  set_output(ctx, 0, dt, out);
  return Status();
}

Status compute_gather(ComputeContext& ctx) {
  const Tensor& data = *ctx.inputs[0];
  EDGERT_ASSIGN_OR_RETURN(auto axis, ctx.node.attrs.get_int("axis", 0));
  const auto rank = static_cast<std::int64_t>(data.shape().rank());
  if (axis < 0) axis += rank;
  const std::int64_t dim = data.shape()[axis];
  EDGERT_ASSIGN_OR_RETURN(auto idx, read_indices(ctx.node, *ctx.inputs[1], dim));
  const std::int64_t outer = dim_product(data.shape(), 0, axis);
  const std::int64_t inner = dim_product(data.shape(), axis + 1, rank);
  const auto n = static_cast<std::int64_t>(idx.size());
  const std::size_t es = dtype_size(data.dtype());
  const std::size_t chunk = static_cast<std::size_t>(inner) * es;
  const auto* src = static_cast<const std::uint8_t*>(data.raw());
  auto* dst = static_cast<std::uint8_t*>(ctx.outputs[0]->raw());
#pragma omp parallel for if (outer * n * inner > (1 << 18))
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t i = 0; i < n; ++i) {
      std::uint8_t* d = dst + (o * n + i) * chunk;
      const std::uint8_t* s = src + (o * dim + idx[i]) * chunk;
      if (inner == 1)
        copy_elem(d, s, es);
      else
        std::memcpy(d, s, chunk);
    }
  return Status();
}

// ---------------------------------------------------------------- GatherElements
namespace {
// Shared checks of GatherElements / ScatterElements: same rank, indices dims within data dims.
Expected<std::int64_t> elements_axis(const InferContext& ctx, const Shape& data, const Shape& idx) {
  EDGERT_ASSIGN_OR_RETURN(auto axis, ctx.node.attrs.get_int("axis", 0));
  if (data.unknown_rank() || idx.unknown_rank()) return axis;
  if (data.rank() != idx.rank())
    return invalid(ctx.node, "indices rank " + std::to_string(idx.rank()) +
                                 " differs from data rank " + std::to_string(data.rank()));
  EDGERT_ASSIGN_OR_RETURN(axis, normalize_axis(ctx.node, axis, data.rank()));
  for (std::size_t d = 0; d < data.rank(); ++d)
    if (static_cast<std::int64_t>(d) != axis && data[d] >= 0 && idx[d] > data[d])
      return invalid(
          ctx.node, "indices shape " + idx.to_string() + " exceeds data shape " + data.to_string());
  return axis;
}

// Data offsets (in elements) addressed by each element of `indices` along `axis`.
Expected<std::vector<std::int64_t>> element_offsets(const NodeInfo& node, const Shape& data,
                                                    const Tensor& indices, std::int64_t axis) {
  EDGERT_ASSIGN_OR_RETURN(auto idx, read_indices(node, indices, data[axis]));
  auto st = contiguous_strides(data);
  IndexIter it(indices.shape());
  for (std::size_t i = 0; i < idx.size(); ++i, it.next()) {
    std::int64_t off = 0;
    for (std::size_t d = 0; d < data.rank(); ++d)
      off += (static_cast<std::int64_t>(d) == axis ? idx[i] : it.index()[d]) * st[d];
    idx[i] = off;
  }
  return idx;
}
}  // namespace

Status infer_gather_elements(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_data_dtype(ctx, 0));
  EDGERT_RETURN_IF_ERROR(check_index_dtype(ctx, 1, "indices"));
  EDGERT_RETURN_IF_ERROR(elements_axis(ctx, ctx.inputs[0].shape, ctx.inputs[1].shape).status());
  set_output(ctx, 0, ctx.inputs[0].dtype, ctx.inputs[1].shape);
  return Status();
}

Status compute_gather_elements(ComputeContext& ctx) {
  const Tensor& data = *ctx.inputs[0];
  EDGERT_ASSIGN_OR_RETURN(auto axis, ctx.node.attrs.get_int("axis", 0));
  if (axis < 0) axis += static_cast<std::int64_t>(data.shape().rank());
  EDGERT_ASSIGN_OR_RETURN(auto offs, element_offsets(ctx.node, data.shape(), *ctx.inputs[1], axis));
  const std::size_t es = dtype_size(data.dtype());
  const auto* src = static_cast<const std::uint8_t*>(data.raw());
  auto* dst = static_cast<std::uint8_t*>(ctx.outputs[0]->raw());
  for (std::size_t i = 0; i < offs.size(); ++i) copy_elem(dst + i * es, src + offs[i] * es, es);
  return Status();
}

// ---------------------------------------------------------------- GatherND / ScatterND
namespace {
// Output shape of GatherND (= updates shape of ScatterND): indices[:-1] + data[b + last:].
Expected<Shape> gather_nd_shape(const NodeInfo& node, const Shape& data, const Shape& idx,
                                std::int64_t b) {
  if (data.unknown_rank() || idx.unknown_rank()) return Shape::unknown();
  const auto r = static_cast<std::int64_t>(data.rank()), q = static_cast<std::int64_t>(idx.rank());
  if (r < 1 || q < 1) return invalid(node, "data and indices must have rank >= 1");
  if (b < 0 || b >= std::min(r, q)) return invalid(node, "batch_dims out of range");
  for (std::int64_t d = 0; d < b; ++d)
    if (data[d] >= 0 && idx[d] >= 0 && data[d] != idx[d])
      return invalid(node, "batch dims of data and indices differ");
  const std::int64_t last = idx[q - 1];
  if (last < 0) return Shape::unknown();
  if (last < 1 || b + last > r)
    return invalid(node, "indices.shape[-1]=" + std::to_string(last) + " invalid for data rank " +
                             std::to_string(r));
  return concat_dims(idx, 0, q - 1, data, b + last, r);
}

struct NdLayout {
  std::int64_t batch = 1, tuples = 1, last = 0, slice = 1, batch_stride = 1;
};
NdLayout nd_layout(const Shape& data, const Shape& idx, std::int64_t b) {
  NdLayout l;
  const std::size_t r = data.rank(), q = idx.rank();
  l.last = idx[q - 1];
  l.batch = dim_product(data, 0, b);
  l.tuples = dim_product(idx, b, q - 1);
  l.slice = dim_product(data, b + l.last, r);
  l.batch_stride = dim_product(data, b, r);
  return l;
}

// Element offset (within the whole data tensor) of each slice an index tuple addresses.
Expected<std::vector<std::int64_t>> nd_offsets(const NodeInfo& node, const Shape& data,
                                               const Tensor& indices, std::int64_t b) {
  NdLayout l = nd_layout(data, indices.shape(), b);
  auto st = contiguous_strides(data);
  std::vector<std::int64_t> offs(static_cast<std::size_t>(l.batch * l.tuples));
  for (std::int64_t bt = 0; bt < l.batch; ++bt)
    for (std::int64_t t = 0; t < l.tuples; ++t) {
      std::int64_t off = bt * l.batch_stride;
      const std::int64_t row = (bt * l.tuples + t) * l.last;
      for (std::int64_t j = 0; j < l.last; ++j) {
        const std::int64_t dim = data[b + j];
        std::int64_t x = indices.get_as_int64(row + j);
        if (x < -dim || x >= dim)
          return invalid(node, "index " + std::to_string(x) + " out of range for dimension " +
                                   std::to_string(b + j) + " of size " + std::to_string(dim));
        off += (x < 0 ? x + dim : x) * st[b + j];
      }
      offs[bt * l.tuples + t] = off;
    }
  return offs;
}
}  // namespace

Status infer_gather_nd(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_data_dtype(ctx, 0));
  EDGERT_RETURN_IF_ERROR(check_index_dtype(ctx, 1, "indices"));
  EDGERT_ASSIGN_OR_RETURN(auto b, ctx.node.attrs.get_int("batch_dims", 0));
  EDGERT_ASSIGN_OR_RETURN(auto s,
                          gather_nd_shape(ctx.node, ctx.inputs[0].shape, ctx.inputs[1].shape, b));
  set_output(ctx, 0, ctx.inputs[0].dtype, s);
  return Status();
}

Status compute_gather_nd(ComputeContext& ctx) {
  const Tensor& data = *ctx.inputs[0];
  EDGERT_ASSIGN_OR_RETURN(auto b, ctx.node.attrs.get_int("batch_dims", 0));
  EDGERT_ASSIGN_OR_RETURN(auto offs, nd_offsets(ctx.node, data.shape(), *ctx.inputs[1], b));
  const NdLayout l = nd_layout(data.shape(), ctx.inputs[1]->shape(), b);
  const std::size_t chunk = static_cast<std::size_t>(l.slice) * dtype_size(data.dtype());
  const auto* src = static_cast<const std::uint8_t*>(data.raw());
  auto* dst = static_cast<std::uint8_t*>(ctx.outputs[0]->raw());
  const std::size_t es = dtype_size(data.dtype());
  for (std::size_t i = 0; i < offs.size(); ++i)
    if (chunk) std::memcpy(dst + i * chunk, src + offs[i] * es, chunk);
  return Status();
}

Status infer_scatter_nd(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_data_dtype(ctx, 0));
  EDGERT_RETURN_IF_ERROR(check_index_dtype(ctx, 1, "indices"));
  EDGERT_ASSIGN_OR_RETURN(auto red, parse_reduction(ctx.node));
  EDGERT_RETURN_IF_ERROR(check_reduction_dtype(ctx, red));
  if (ctx.inputs[2].dtype != ctx.inputs[0].dtype)
    return invalid(ctx.node, "updates must have the data's type");
  EDGERT_ASSIGN_OR_RETURN(auto us,
                          gather_nd_shape(ctx.node, ctx.inputs[0].shape, ctx.inputs[1].shape, 0));
  const Shape& upd = ctx.inputs[2].shape;
  if (us.is_static() && upd.is_static() && us != upd)
    return invalid(ctx.node, "updates shape " + upd.to_string() + " should be " + us.to_string());
  set_output(ctx, 0, ctx.inputs[0].dtype, ctx.inputs[0].shape);
  return Status();
}

Status compute_scatter_nd(ComputeContext& ctx) {
  const Tensor& data = *ctx.inputs[0];
  EDGERT_ASSIGN_OR_RETURN(auto red, parse_reduction(ctx.node));
  EDGERT_ASSIGN_OR_RETURN(auto offs, nd_offsets(ctx.node, data.shape(), *ctx.inputs[1], 0));
  const NdLayout l = nd_layout(data.shape(), ctx.inputs[1]->shape(), 0);
  const std::size_t es = dtype_size(data.dtype());
  auto* dst = static_cast<std::uint8_t*>(ctx.outputs[0]->raw());
  const auto* upd = static_cast<const std::uint8_t*>(ctx.inputs[2]->raw());
  if (data.nbytes()) std::memcpy(dst, data.raw(), data.nbytes());
  for (std::size_t i = 0; i < offs.size(); ++i)
    for (std::int64_t j = 0; j < l.slice; ++j)
      apply_elem(dst + (offs[i] + j) * es, upd + (i * l.slice + j) * es, data.dtype(), red, es);
  return Status();
}

// ---------------------------------------------------------------- ScatterElements / Scatter
Status infer_scatter_elements(InferContext& ctx) {
  EDGERT_RETURN_IF_ERROR(check_data_dtype(ctx, 0));
  EDGERT_RETURN_IF_ERROR(check_index_dtype(ctx, 1, "indices"));
  EDGERT_ASSIGN_OR_RETURN(auto red, parse_reduction(ctx.node));
  EDGERT_RETURN_IF_ERROR(check_reduction_dtype(ctx, red));
  if (ctx.inputs[2].dtype != ctx.inputs[0].dtype)
    return invalid(ctx.node, "updates must have the data's type");
  const Shape& idx = ctx.inputs[1].shape;
  const Shape& upd = ctx.inputs[2].shape;
  if (!idx.unknown_rank() && !upd.unknown_rank()) {
    bool mismatch = idx.rank() != upd.rank();
    for (std::size_t d = 0; !mismatch && d < idx.rank(); ++d)
      mismatch = idx[d] >= 0 && upd[d] >= 0 && idx[d] != upd[d];
    if (mismatch)
      return invalid(ctx.node, "updates shape " + upd.to_string() + " differs from indices shape " +
                                   idx.to_string());
  }
  EDGERT_RETURN_IF_ERROR(elements_axis(ctx, ctx.inputs[0].shape, idx).status());
  set_output(ctx, 0, ctx.inputs[0].dtype, ctx.inputs[0].shape);
  return Status();
}

Status compute_scatter_elements(ComputeContext& ctx) {
  const Tensor& data = *ctx.inputs[0];
  EDGERT_ASSIGN_OR_RETURN(auto red, parse_reduction(ctx.node));
  EDGERT_ASSIGN_OR_RETURN(auto axis, ctx.node.attrs.get_int("axis", 0));
  if (axis < 0) axis += static_cast<std::int64_t>(data.shape().rank());
  EDGERT_ASSIGN_OR_RETURN(auto offs, element_offsets(ctx.node, data.shape(), *ctx.inputs[1], axis));
  const std::size_t es = dtype_size(data.dtype());
  auto* dst = static_cast<std::uint8_t*>(ctx.outputs[0]->raw());
  const auto* upd = static_cast<const std::uint8_t*>(ctx.inputs[2]->raw());
  if (data.nbytes()) std::memcpy(dst, data.raw(), data.nbytes());
  for (std::size_t i = 0; i < offs.size(); ++i)
    apply_elem(dst + offs[i] * es, upd + i * es, data.dtype(), red, es);
  return Status();
}

// ---------------------------------------------------------------- OneHot
namespace {
Expected<std::int64_t> one_hot_depth(const NodeInfo& node, const Tensor& d) {
  if (d.numel() != 1) return invalid(node, "depth must be a scalar");
  const double v = d.get_as_double(0);
  if (!std::isfinite(v) || v < 1) return invalid(node, "depth must be positive");
  return static_cast<std::int64_t>(v);
}
}  // namespace

Status infer_one_hot(InferContext& ctx) {
  for (std::size_t i = 0; i < 3; ++i) EDGERT_RETURN_IF_ERROR(check_data_dtype(ctx, i));
  if (ctx.inputs[0].dtype == DataType::kBool || ctx.inputs[1].dtype == DataType::kBool)
    return invalid(ctx.node, "indices and depth must be numeric");
  EDGERT_ASSIGN_OR_RETURN(auto axis, ctx.node.attrs.get_int("axis", -1));
  const Shape& vs = ctx.inputs[2].shape;
  if (vs.is_static() && vs.numel() != 2) return invalid(ctx.node, "values must have 2 elements");
  const Shape& in = ctx.inputs[0].shape;
  DataType dt = ctx.inputs[2].dtype;
  std::int64_t depth = Shape::kUnknownDim;
  if (const Tensor* d = ctx.value(1)) {
    EDGERT_ASSIGN_OR_RETURN(depth, one_hot_depth(ctx.node, *d));
  }
  if (in.unknown_rank()) {
    set_output(ctx, 0, dt, Shape::unknown());
    return Status();
  }
  const auto r = static_cast<std::int64_t>(in.rank());
  EDGERT_ASSIGN_OR_RETURN(axis, normalize_axis(ctx.node, axis, r + 1));
  std::vector<std::int64_t> out = in.dims();
  out.insert(out.begin() + axis, depth);
  set_output(ctx, 0, dt, Shape(out));
  return Status();
}

Status compute_one_hot(ComputeContext& ctx) {
  const Tensor& idx = *ctx.inputs[0];
  const Tensor& vals = *ctx.inputs[2];
  EDGERT_ASSIGN_OR_RETURN(auto depth, one_hot_depth(ctx.node, *ctx.inputs[1]));
  EDGERT_ASSIGN_OR_RETURN(auto axis, ctx.node.attrs.get_int("axis", -1));
  const auto r = static_cast<std::int64_t>(idx.shape().rank());
  if (axis < 0) axis += r + 1;
  const std::int64_t outer = dim_product(idx.shape(), 0, axis);
  const std::int64_t inner = dim_product(idx.shape(), axis, r);
  const std::size_t es = dtype_size(vals.dtype());
  const auto* off = static_cast<const std::uint8_t*>(vals.raw());
  const std::uint8_t* on = off + es;
  auto* dst = static_cast<std::uint8_t*>(ctx.outputs[0]->raw());
  for (std::int64_t i = 0; i < ctx.outputs[0]->numel(); ++i) copy_elem(dst + i * es, off, es);
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t i = 0; i < inner; ++i) {
      auto k = static_cast<std::int64_t>(idx.get_as_double(o * inner + i));
      if (k < 0) k += depth;
      if (k < 0 || k >= depth) continue;  // out of range: all off
      copy_elem(dst + ((o * depth + k) * inner + i) * es, on, es);
    }
  return Status();
}

}  // namespace edgert::cpu::tensor
