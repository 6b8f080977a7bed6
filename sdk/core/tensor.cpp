// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "edgert/tensor.h"

#include <cstdlib>
#include <new>

#include "edgert/half.h"

namespace edgert {
namespace {
// 64-byte alignment: a cache line, and enough for AVX-512 / NEON loads and later GPU copies.
constexpr std::size_t kTensorAlignment = 64;
}  // namespace

Expected<Tensor> Tensor::allocate(DataType dtype, Shape shape) {
  if (dtype == DataType::kUndefined)
    return make_error(StatusCode::kInvalidArgument, "cannot allocate a tensor of undefined type");
  if (!shape.is_static())
    return make_error(StatusCode::kInvalidArgument,
                      "cannot allocate a tensor of non-static shape " + shape.to_string());
  for (auto d : shape.dims())
    if (d > (std::int64_t{1} << 40))
      return make_error(StatusCode::kInvalidArgument,
                        "tensor dimension too large in shape " + shape.to_string());
  std::size_t bytes = static_cast<std::size_t>(shape.numel()) * dtype_size(dtype);
  if (bytes > (std::size_t{1} << 40))
    return make_error(StatusCode::kOutOfMemory, "tensor of " + std::to_string(bytes) +
                                                    " bytes for shape " + shape.to_string());
  std::size_t padded = (bytes + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
  if (padded == 0) padded = kTensorAlignment;
  void* p = std::aligned_alloc(kTensorAlignment, padded);
  if (!p)
    return make_error(StatusCode::kOutOfMemory,
                      "could not allocate " + std::to_string(bytes) + " bytes for a tensor");
  std::memset(p, 0, padded);
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.data_ = p;
  t.holder_ = std::shared_ptr<void>(p, [](void* q) { std::free(q); });
  return t;
}

Tensor Tensor::borrow(DataType dtype, Shape shape, void* data, std::shared_ptr<void> holder) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.data_ = data;
  t.holder_ = std::move(holder);
  return t;
}

Expected<Tensor> Tensor::clone() const {
  EDGERT_ASSIGN_OR_RETURN(Tensor t, allocate(dtype_, shape_));
  if (nbytes()) std::memcpy(t.data_, data_, nbytes());
  return t;
}

Expected<Tensor> Tensor::reshaped(Shape shape) const {
  if (shape.numel() != numel())
    return make_error(StatusCode::kInvalidArgument,
                      "cannot reshape " + shape_.to_string() + " to " + shape.to_string());
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

double Tensor::get_as_double(std::int64_t i) const noexcept {
  switch (dtype_) {
    case DataType::kFloat32: return data<float>()[i];
    case DataType::kFloat16: return half_to_float(data<std::uint16_t>()[i]);
    case DataType::kInt8: return data<std::int8_t>()[i];
    case DataType::kUInt8: return data<std::uint8_t>()[i];
    case DataType::kInt32: return data<std::int32_t>()[i];
    case DataType::kInt64: return static_cast<double>(data<std::int64_t>()[i]);
    case DataType::kBool: return data<std::uint8_t>()[i] ? 1.0 : 0.0;
    case DataType::kUndefined: return 0.0;
  }
  return 0.0;
}

std::int64_t Tensor::get_as_int64(std::int64_t i) const noexcept {
  if (dtype_ == DataType::kInt64) return data<std::int64_t>()[i];
  return static_cast<std::int64_t>(get_as_double(i));
}

}  // namespace edgert
