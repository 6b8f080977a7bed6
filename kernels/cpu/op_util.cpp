// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "kernels/cpu/op_util.h"

#include <algorithm>

namespace edgert::cpu {

Status node_error(const NodeInfo& node, StatusCode code, const std::string& msg) {
  return Status(code, node.describe() + ": " + msg);
}

Status unsupported_dtype(const NodeInfo& node, std::size_t input, DataType t) {
  return unsupported(node, std::string("input ") + std::to_string(input) + " of type " +
                               dtype_name(t) + " is not supported");
}

Expected<std::int64_t> normalize_axis(const NodeInfo& node, std::int64_t axis, std::int64_t rank) {
  if (axis < -rank || axis >= rank)
    return invalid(
        node, "axis " + std::to_string(axis) + " out of range for rank " + std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

Expected<Shape> broadcast_shapes(const NodeInfo& node, const std::vector<Shape>& shapes) {
  std::size_t rank = 0;
  for (const auto& s : shapes) {
    if (s.unknown_rank()) return Shape::unknown();
    rank = std::max(rank, s.rank());
  }
  std::vector<std::int64_t> out(rank, 1);
  for (std::size_t d = 0; d < rank; ++d) {
    std::int64_t r = 1;
    bool unknown = false;
    for (const auto& s : shapes) {
      std::size_t off = rank - s.rank();
      if (d < off) continue;
      std::int64_t v = s[d - off];
      if (v == Shape::kUnknownDim) {
        unknown = true;
      } else if (v != 1) {
        if (r != 1 && r != v)
          return invalid(
              node, "shapes cannot be broadcast: " + [&] {
                std::string m;
                for (const auto& x : shapes) m += x.to_string() + " ";
                return m;
              }());
        r = v;
      }
    }
    out[d] = (unknown && r == 1) ? Shape::kUnknownDim : r;
  }
  return Shape(out);
}

Expected<std::vector<std::int64_t>> tensor_to_int64s(const NodeInfo& node, const Tensor& t,
                                                     const char* what) {
  if (t.dtype() != DataType::kInt64 && t.dtype() != DataType::kInt32)
    return invalid(node,
                   std::string(what) + " must be int64 or int32, got " + dtype_name(t.dtype()));
  if (t.shape().rank() > 1)
    return invalid(node, std::string(what) + " must be 1-D, got shape " + t.shape().to_string());
  std::vector<std::int64_t> v(static_cast<std::size_t>(t.numel()));
  for (std::int64_t i = 0; i < t.numel(); ++i) v[i] = t.get_as_int64(i);
  return v;
}

std::vector<std::int64_t> broadcast_strides(const Shape& in, const Shape& out) {
  std::vector<std::int64_t> st(out.rank(), 0);
  auto in_st = contiguous_strides(in);
  std::size_t off = out.rank() - in.rank();
  for (std::size_t d = 0; d < in.rank(); ++d) st[d + off] = in[d] == 1 ? 0 : in_st[d];
  return st;
}

}  // namespace edgert::cpu
