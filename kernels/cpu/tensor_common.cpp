// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Helpers shared by the tensor op family (see tensor_ops.h).
#include <algorithm>

#include "kernels/cpu/tensor_ops.h"

namespace edgert::cpu::tensor {
namespace {

// Copies `n` elements with source stride `stride` (elements) into contiguous dst.
template <std::size_t kSize>
void copy_row(std::uint8_t* dst, const std::uint8_t* src, std::int64_t n, std::int64_t stride) {
  for (std::int64_t i = 0; i < n; ++i)
    std::memcpy(dst + i * kSize, src + i * stride * kSize, kSize);
}

void copy_row_any(std::uint8_t* dst, const std::uint8_t* src, std::int64_t n, std::int64_t stride,
                  std::size_t es) {
  const auto ses = static_cast<std::int64_t>(es);
  if (stride == 1) {
    std::memcpy(dst, src, static_cast<std::size_t>(n) * es);
    return;
  }
  if (stride == 0 && es == 1) {
    std::memset(dst, *src, static_cast<std::size_t>(n));
    return;
  }
  switch (es) {
    case 1: copy_row<1>(dst, src, n, stride); break;
    case 2: copy_row<2>(dst, src, n, stride); break;
    case 4: copy_row<4>(dst, src, n, stride); break;
    case 8: copy_row<8>(dst, src, n, stride); break;
    default:
      for (std::int64_t i = 0; i < n; ++i) std::memcpy(dst + i * ses, src + i * stride * ses, es);
  }
}

}  // namespace

void strided_copy(void* dst, const void* src, std::vector<std::int64_t> out_dims,
                  std::vector<std::int64_t> strides, std::int64_t offset, std::size_t elem_size) {
  std::int64_t total = 1;
  for (auto d : out_dims) total *= d;
  if (total <= 0) return;
  // Drop size-1 dims and merge dims that are contiguous with each other in the source, so that
  // e.g. a Slice of the outer dim becomes one memcpy per contiguous block.
  std::vector<std::int64_t> dims, st;
  for (std::size_t d = 0; d < out_dims.size(); ++d) {
    if (out_dims[d] == 1) continue;
    if (!dims.empty() && st.back() == strides[d] * out_dims[d]) {
      dims.back() *= out_dims[d];
      st.back() = strides[d];
    } else {
      dims.push_back(out_dims[d]);
      st.push_back(strides[d]);
    }
  }
  if (dims.empty()) {
    dims.push_back(1);
    st.push_back(1);
  }
  const std::int64_t inner = dims.back();
  const std::int64_t inner_stride = st.back();
  const std::int64_t rows = total / inner;
  const std::size_t outer_rank = dims.size() - 1;
  const auto es = static_cast<std::int64_t>(elem_size);
  auto* out = static_cast<std::uint8_t*>(dst);
  const auto* in = static_cast<const std::uint8_t*>(src) + offset * es;

  // Rows are processed in blocks; each block decomposes its first row index once and then steps
  // the multi-index incrementally.
  const std::int64_t kBlock = 256;
  const std::int64_t blocks = (rows + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (total > (1 << 18) && blocks > 1)
  for (std::int64_t b = 0; b < blocks; ++b) {
    std::int64_t r0 = b * kBlock;
    std::int64_t r1 = std::min(rows, r0 + kBlock);
    std::vector<std::int64_t> idx(outer_rank, 0);
    std::int64_t rem = r0, src_off = 0;
    for (std::size_t d = outer_rank; d-- > 0;) {
      idx[d] = rem % dims[d];
      rem /= dims[d];
      src_off += idx[d] * st[d];
    }
    for (std::int64_t r = r0; r < r1; ++r) {
      copy_row_any(out + r * inner * es, in + src_off * es, inner, inner_stride, elem_size);
      for (std::size_t d = outer_rank; d-- > 0;) {
        src_off += st[d];
        if (++idx[d] < dims[d]) break;
        src_off -= st[d] * dims[d];
        idx[d] = 0;
      }
    }
  }
}

std::int64_t dim_product(const Shape& s, std::size_t b, std::size_t e) {
  std::int64_t p = 1;
  for (std::size_t d = b; d < e; ++d) p *= s[d];
  return p;
}

Expected<std::vector<std::int64_t>> input_ints(const InferContext& ctx, std::size_t i,
                                               const char* what, bool& known) {
  known = false;
  const Tensor* t = ctx.value(i);
  if (!ctx.has_input(i) || !t) return std::vector<std::int64_t>{};
  EDGERT_ASSIGN_OR_RETURN(auto v, tensor_to_int64s(ctx.node, *t, what));
  known = true;
  return v;
}

bool is_supported_dtype(DataType t) {
  switch (t) {
    case DataType::kFloat32:
    case DataType::kFloat16:
    case DataType::kInt8:
    case DataType::kUInt8:
    case DataType::kInt32:
    case DataType::kInt64:
    case DataType::kBool: return true;
    default: return false;
  }
}

Status check_data_dtype(const InferContext& ctx, std::size_t i) {
  if (i >= ctx.inputs.size()) return invalid(ctx.node, "missing input " + std::to_string(i));
  if (!is_supported_dtype(ctx.inputs[i].dtype))
    return unsupported_dtype(ctx.node, i, ctx.inputs[i].dtype);
  return Status();
}

Status check_index_dtype(const InferContext& ctx, std::size_t i, const char* what) {
  DataType t = ctx.inputs[i].dtype;
  if (t != DataType::kInt32 && t != DataType::kInt64) {
    if (!is_supported_dtype(t)) return unsupported_dtype(ctx.node, i, t);
    return invalid(ctx.node, std::string(what) + " must be int32 or int64, got " + dtype_name(t));
  }
  return Status();
}

DataType onnx_dtype(std::int64_t code) {
  switch (code) {
    case 1: return DataType::kFloat32;
    case 2: return DataType::kUInt8;
    case 3: return DataType::kInt8;
    case 6: return DataType::kInt32;
    case 7: return DataType::kInt64;
    case 9: return DataType::kBool;
    case 10: return DataType::kFloat16;
    default: return DataType::kUndefined;
  }
}

}  // namespace edgert::cpu::tensor
