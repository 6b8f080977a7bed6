// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Helpers shared by the CPU op implementations: errors with node context, axis handling,
// broadcasting, dtype dispatch.

#include <cstdint>
#include <string>
#include <vector>

#include "edgert/half.h"
#include "kernels/cpu/op_def.h"

namespace edgert::cpu {

/// An error about `node` ("node 'x' (#3, Conv, opset 13): <msg>").
Status node_error(const NodeInfo& node, StatusCode code, const std::string& msg);
inline Status unsupported(const NodeInfo& node, const std::string& msg) {
  return node_error(node, StatusCode::kUnsupported, msg);
}
inline Status invalid(const NodeInfo& node, const std::string& msg) {
  return node_error(node, StatusCode::kInvalidArgument, msg);
}
/// Error for an input whose dtype the op does not take.
Status unsupported_dtype(const NodeInfo& node, std::size_t input, DataType t);

/// Normalises a possibly negative axis into [0, rank); error when out of range.
Expected<std::int64_t> normalize_axis(const NodeInfo& node, std::int64_t axis, std::int64_t rank);

/// Numpy-style multidirectional broadcast of shapes; unknown dims propagate where they matter.
Expected<Shape> broadcast_shapes(const NodeInfo& node, const std::vector<Shape>& shapes);

/// Reads a 1-D (or scalar) integer tensor (int32/int64) as int64 values.
Expected<std::vector<std::int64_t>> tensor_to_int64s(const NodeInfo& node, const Tensor& t,
                                                     const char* what);

/// For an output of static shape `out` and an input of shape `in` broadcast to it: the input's
/// strides in elements, with 0 along broadcast dims, aligned to out's rank.
std::vector<std::int64_t> broadcast_strides(const Shape& in, const Shape& out);

/// Iterates a static shape in row-major order, keeping a multi-index. For elementwise kernels with
/// broadcasting: for each output index, offset_k = sum(idx[d] * strides_k[d]).
class IndexIter {
 public:
  explicit IndexIter(const Shape& shape) : dims_(shape.dims()), idx_(shape.rank(), 0) {}
  const std::vector<std::int64_t>& index() const { return idx_; }
  /// Advances; returns false after the last element.
  bool next() {
    for (std::size_t d = dims_.size(); d-- > 0;) {
      if (++idx_[d] < dims_[d]) return true;
      idx_[d] = 0;
    }
    return false;
  }

 private:
  std::vector<std::int64_t> dims_;
  std::vector<std::int64_t> idx_;
};

/// Marks outputs of `ctx` as one TensorInfo each (convenience for infer functions).
inline void set_output(InferContext& ctx, std::size_t i, DataType t, Shape s) {
  if (ctx.outputs.size() <= i) ctx.outputs.resize(i + 1);
  ctx.outputs[i] = TensorInfo{t, std::move(s)};
}

}  // namespace edgert::cpu

/// Dispatches a generic lambda over a runtime DataType: `EDGERT_DISPATCH(t, T, { body using T })`
/// for float/int types (fp16 is not dispatched here: reference kernels compute fp16 via float).
#define EDGERT_DISPATCH_NUMERIC(dtype, T, ...)                                    \
  [&]() -> ::edgert::Status {                                                     \
    switch (dtype) {                                                              \
      case ::edgert::DataType::kFloat32: {                                        \
        using T = float;                                                          \
        __VA_ARGS__                                                               \
      } break;                                                                    \
      case ::edgert::DataType::kInt32: {                                          \
        using T = std::int32_t;                                                   \
        __VA_ARGS__                                                               \
      } break;                                                                    \
      case ::edgert::DataType::kInt64: {                                          \
        using T = std::int64_t;                                                   \
        __VA_ARGS__                                                               \
      } break;                                                                    \
      case ::edgert::DataType::kInt8: {                                           \
        using T = std::int8_t;                                                    \
        __VA_ARGS__                                                               \
      } break;                                                                    \
      case ::edgert::DataType::kUInt8: {                                          \
        using T = std::uint8_t;                                                   \
        __VA_ARGS__                                                               \
      } break;                                                                    \
      case ::edgert::DataType::kBool: {                                           \
        using T = std::uint8_t;                                                   \
        __VA_ARGS__                                                               \
      } break;                                                                    \
      default:                                                                    \
        return ::edgert::Status(                                                  \
            ::edgert::StatusCode::kUnsupported,                                   \
            std::string("type ") + ::edgert::dtype_name(dtype) + " not handled"); \
    }                                                                             \
    return ::edgert::Status();                                                    \
  }()
