// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "edgert/types.h"

#include <cctype>

namespace edgert {

std::size_t dtype_size(DataType t) noexcept {
  switch (t) {
    case DataType::kFloat32: return 4;
    case DataType::kFloat16: return 2;
    case DataType::kInt8: return 1;
    case DataType::kUInt8: return 1;
    case DataType::kInt32: return 4;
    case DataType::kInt64: return 8;
    case DataType::kBool: return 1;
    case DataType::kUndefined: return 0;
  }
  return 0;
}

const char* dtype_name(DataType t) noexcept {
  switch (t) {
    case DataType::kFloat32: return "float32";
    case DataType::kFloat16: return "float16";
    case DataType::kInt8: return "int8";
    case DataType::kUInt8: return "uint8";
    case DataType::kInt32: return "int32";
    case DataType::kInt64: return "int64";
    case DataType::kBool: return "bool";
    case DataType::kUndefined: return "undefined";
  }
  return "?";
}

const char* precision_name(Precision p) noexcept {
  switch (p) {
    case Precision::kFP32: return "fp32";
    case Precision::kFP16: return "fp16";
    case Precision::kINT8: return "int8";
  }
  return "?";
}

Expected<Precision> parse_precision(const std::string& text) {
  std::string t;
  for (char c : text) t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t == "fp32" || t == "float32") return Precision::kFP32;
  if (t == "fp16" || t == "float16" || t == "half") return Precision::kFP16;
  if (t == "int8") return Precision::kINT8;
  return Status(StatusCode::kInvalidArgument,
                "unknown precision '" + text + "' (expected fp32, fp16 or int8)");
}

bool Shape::is_static() const noexcept {
  if (unknown_rank_) return false;
  for (auto d : dims_)
    if (d < 0) return false;
  return true;
}

std::int64_t Shape::numel() const noexcept {
  if (!is_static()) return -1;
  std::int64_t n = 1;
  for (auto d : dims_) n *= d;
  return n;
}

std::string Shape::to_string() const {
  if (unknown_rank_) return "[*]";
  std::string s = "[";
  for (std::size_t i = 0; i < dims_.size(); ++i) {
    if (i) s += ",";
    s += dims_[i] < 0 ? std::string("?") : std::to_string(dims_[i]);
  }
  return s + "]";
}

std::vector<std::int64_t> contiguous_strides(const Shape& shape) {
  std::vector<std::int64_t> st(shape.rank(), 1);
  for (std::size_t i = shape.rank(); i-- > 1;) st[i - 1] = st[i] * shape[i];
  return st;
}

}  // namespace edgert
