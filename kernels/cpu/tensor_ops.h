// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Internal to the tensor (data movement / shape) op family: the infer/compute entry points the
// table in tensor_table.cpp lists, and the byte-level helpers the kernels share. Every kernel here
// moves elements as raw bytes (size from dtype_size), so all our dtypes work without dispatch.

#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/cpu/op_util.h"

namespace edgert::cpu::tensor {

// ---- shared helpers (tensor_common.cpp) ----

/// Output element i = input element at offset + sum(idx[d] * strides[d]) (strides in elements,
/// possibly 0 or negative) for every row-major index of `out_dims`. The workhorse of Transpose,
/// Slice, Expand, Tile, DepthToSpace and SpaceToDepth.
void strided_copy(void* dst, const void* src, std::vector<std::int64_t> out_dims,
                  std::vector<std::int64_t> strides, std::int64_t offset, std::size_t elem_size);

/// Copies one element of `elem_size` bytes.
inline void copy_elem(void* dst, const void* src, std::size_t elem_size) {
  switch (elem_size) {
    case 1: *static_cast<std::uint8_t*>(dst) = *static_cast<const std::uint8_t*>(src); break;
    case 2: std::memcpy(dst, src, 2); break;
    case 4: std::memcpy(dst, src, 4); break;
    case 8: std::memcpy(dst, src, 8); break;
    default: std::memcpy(dst, src, elem_size); break;
  }
}

/// Product of dims [b, e) of a static shape.
std::int64_t dim_product(const Shape& s, std::size_t b, std::size_t e);

/// The int64 values of input i when it is known (constant or at run time); error when malformed.
/// Sets `known` to false (and returns an empty vector) when the value is not known.
Expected<std::vector<std::int64_t>> input_ints(const InferContext& ctx, std::size_t i,
                                               const char* what, bool& known);

/// True when every dtype in `types` is one of ours (and not kUndefined).
bool is_supported_dtype(DataType t);
/// Error unless input i has a dtype in our set (data inputs of the type-generic ops).
Status check_data_dtype(const InferContext& ctx, std::size_t i);
/// Error unless input i is int32 or int64 (indices, shapes, axes).
Status check_index_dtype(const InferContext& ctx, std::size_t i, const char* what);

/// Maps an ONNX TensorProto data type code to ours; kUndefined when outside our set.
DataType onnx_dtype(std::int64_t code);

// ---- shape_ops.cpp ----
Status infer_reshape(InferContext& ctx);
Status compute_copy(ComputeContext& ctx);  // output bytes = input 0 bytes (Reshape, Squeeze...)
Status infer_flatten(InferContext& ctx);
Status infer_squeeze(InferContext& ctx);
Status infer_unsqueeze(InferContext& ctx);
Status infer_shape(InferContext& ctx);
Status compute_shape(ComputeContext& ctx);
Status infer_size(InferContext& ctx);
Status compute_size(ComputeContext& ctx);
Status infer_constant(InferContext& ctx);
Status compute_constant(ComputeContext& ctx);
Status infer_constant_of_shape(InferContext& ctx);
Status compute_constant_of_shape(ComputeContext& ctx);
Status infer_range(InferContext& ctx);
Status compute_range(ComputeContext& ctx);
Status infer_eye_like(InferContext& ctx);
Status compute_eye_like(ComputeContext& ctx);
Status infer_nonzero(InferContext& ctx);
Status compute_nonzero(ComputeContext& ctx);

// ---- layout_ops.cpp ----
Status infer_transpose(InferContext& ctx);
Status compute_transpose(ComputeContext& ctx);
Status infer_concat(InferContext& ctx);
Status compute_concat(ComputeContext& ctx);
Status infer_split(InferContext& ctx);
Status compute_split(ComputeContext& ctx);
Status infer_slice(InferContext& ctx);
Status compute_slice(ComputeContext& ctx);
Status infer_expand(InferContext& ctx);
Status compute_expand(ComputeContext& ctx);
Status infer_tile(InferContext& ctx);
Status compute_tile(ComputeContext& ctx);
Status infer_depth_to_space(InferContext& ctx);
Status compute_depth_to_space(ComputeContext& ctx);
Status infer_space_to_depth(InferContext& ctx);
Status compute_space_to_depth(ComputeContext& ctx);
Status infer_trilu(InferContext& ctx);
Status compute_trilu(ComputeContext& ctx);

// ---- pad.cpp ----
Status infer_pad(InferContext& ctx);
Status compute_pad(ComputeContext& ctx);

// ---- gather_scatter.cpp ----
Status infer_gather(InferContext& ctx);
Status compute_gather(ComputeContext& ctx);
Status infer_gather_elements(InferContext& ctx);
Status compute_gather_elements(ComputeContext& ctx);
Status infer_gather_nd(InferContext& ctx);
Status compute_gather_nd(ComputeContext& ctx);
Status infer_scatter_elements(InferContext& ctx);
Status compute_scatter_elements(ComputeContext& ctx);
Status infer_scatter_nd(InferContext& ctx);
Status compute_scatter_nd(ComputeContext& ctx);
Status infer_one_hot(InferContext& ctx);
Status compute_one_hot(ComputeContext& ctx);

}  // namespace edgert::cpu::tensor
