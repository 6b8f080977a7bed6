// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Data types and shapes.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "edgert/status.h"

namespace edgert {

enum class DataType : std::uint8_t {
  kUndefined = 0,
  kFloat32,
  kFloat16,
  kInt8,
  kUInt8,
  kInt32,
  kInt64,
  kBool,
};

/// Bytes per element (0 for kUndefined).
std::size_t dtype_size(DataType t) noexcept;
/// "float32", "float16", "int8", ...
const char* dtype_name(DataType t) noexcept;
inline bool is_float(DataType t) noexcept {
  return t == DataType::kFloat32 || t == DataType::kFloat16;
}
inline bool is_integer(DataType t) noexcept {
  return t == DataType::kInt8 || t == DataType::kUInt8 || t == DataType::kInt32 ||
         t == DataType::kInt64;
}

/// The arithmetic precision a layer runs in. fp16 and int8 are requests: the builder keeps a layer
/// in fp32 where its op has no lower-precision implementation on the target (and logs why).
enum class Precision : std::uint8_t { kFP32 = 0, kFP16 = 1, kINT8 = 2 };

/// "fp32", "fp16", "int8".
const char* precision_name(Precision p) noexcept;
/// Parses "fp32"/"fp16"/"int8" (case-insensitive); an error naming the text otherwise.
Expected<Precision> parse_precision(const std::string& text);

/// A tensor shape. A dimension of kUnknownDim is not known before run time (a symbolic ONNX dim);
/// a shape with unknown_rank() set knows nothing at all.
class Shape {
 public:
  static constexpr std::int64_t kUnknownDim = -1;

  Shape() = default;
  Shape(std::initializer_list<std::int64_t> dims) : dims_(dims) {}
  explicit Shape(std::vector<std::int64_t> dims) : dims_(std::move(dims)) {}
  static Shape unknown() {
    Shape s;
    s.unknown_rank_ = true;
    return s;
  }

  bool unknown_rank() const noexcept { return unknown_rank_; }
  std::size_t rank() const noexcept { return dims_.size(); }
  std::int64_t operator[](std::size_t i) const { return dims_[i]; }
  std::int64_t& operator[](std::size_t i) { return dims_[i]; }
  const std::vector<std::int64_t>& dims() const noexcept { return dims_; }
  std::vector<std::int64_t>& dims() noexcept { return dims_; }

  /// True when the rank and every dimension are known.
  bool is_static() const noexcept;
  /// Product of the dimensions (1 for a scalar); -1 if not static.
  std::int64_t numel() const noexcept;
  /// "[1,3,224,224]", "[?,3,?,?]", "[*]" for unknown rank.
  std::string to_string() const;

  bool operator==(const Shape& o) const noexcept {
    return unknown_rank_ == o.unknown_rank_ && dims_ == o.dims_;
  }
  bool operator!=(const Shape& o) const noexcept { return !(*this == o); }

 private:
  std::vector<std::int64_t> dims_;
  bool unknown_rank_ = false;
};

/// Row-major strides in elements for a static shape.
std::vector<std::int64_t> contiguous_strides(const Shape& shape);

}  // namespace edgert
