// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Host tensors: a dtype, a static shape and contiguous row-major storage.

#include <cstring>
#include <memory>

#include "edgert/status.h"
#include "edgert/types.h"

namespace edgert {

/// A dense, row-major host tensor. Copies share storage (like a shared_ptr); clone() copies the
/// bytes. Storage is either owned (allocated by allocate()) or borrowed from a holder that keeps
/// it alive (a memory-mapped file, an initializer buffer). Not thread-safe for concurrent writes.
class Tensor {
 public:
  Tensor() = default;

  /// A new zero-filled tensor. Fails (kOutOfMemory / kInvalidArgument) instead of throwing.
  static Expected<Tensor> allocate(DataType dtype, Shape shape);
  /// A view of `data`, kept alive by `holder` (may be null for memory that outlives the tensor).
  static Tensor borrow(DataType dtype, Shape shape, void* data, std::shared_ptr<void> holder);

  bool empty() const noexcept { return data_ == nullptr && dtype_ == DataType::kUndefined; }
  DataType dtype() const noexcept { return dtype_; }
  const Shape& shape() const noexcept { return shape_; }
  std::int64_t numel() const noexcept { return shape_.numel(); }
  std::size_t nbytes() const noexcept {
    return static_cast<std::size_t>(numel()) * dtype_size(dtype_);
  }

  void* raw() noexcept { return data_; }
  const void* raw() const noexcept { return data_; }
  template <typename T>
  T* data() noexcept {
    return static_cast<T*>(data_);
  }
  template <typename T>
  const T* data() const noexcept {
    return static_cast<const T*>(data_);
  }

  /// Deep copy.
  Expected<Tensor> clone() const;
  /// Same storage, new shape with the same element count.
  Expected<Tensor> reshaped(Shape shape) const;

  /// Element i converted to double / int64 (for shape tensors, scalars, tests).
  double get_as_double(std::int64_t i) const noexcept;
  std::int64_t get_as_int64(std::int64_t i) const noexcept;

 private:
  DataType dtype_ = DataType::kUndefined;
  Shape shape_;
  void* data_ = nullptr;
  std::shared_ptr<void> holder_;
};

}  // namespace edgert
