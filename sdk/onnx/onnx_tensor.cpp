// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// TensorProto -> Tensor: typed fields, raw_data and external data files.

#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <new>

#include "edgert/half.h"
#include "onnx/onnx_internal.h"

namespace edgert::onnx {
namespace fs = std::filesystem;
namespace {

// raw_data and external files are little-endian; we copy them verbatim.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "EdgeRT assumes a little-endian host");

Status tensor_error(StatusCode code, const std::string& what, const std::string& msg) {
  return Status(code, what + ": " + msg);
}

std::string dims_string(const ::onnx::TensorProto& p) {
  std::string s = "[";
  for (int i = 0; i < p.dims_size(); ++i) s += (i ? "," : "") + std::to_string(p.dims(i));
  return s + "]";
}

// Copies `count` elements of a repeated typed field into `t`, converting to its dtype.
template <typename Src>
void copy_typed(const Src& src, Tensor& t) {
  auto n = static_cast<std::int64_t>(src.size());
  switch (t.dtype()) {
    case DataType::kFloat32:
      for (std::int64_t i = 0; i < n; ++i) t.data<float>()[i] = static_cast<float>(src[i]);
      break;
    case DataType::kFloat16:  // int32_data holds the raw half bits
      for (std::int64_t i = 0; i < n; ++i)
        t.data<std::uint16_t>()[i] = static_cast<std::uint16_t>(src[i]);
      break;
    case DataType::kInt8:
      for (std::int64_t i = 0; i < n; ++i)
        t.data<std::int8_t>()[i] = static_cast<std::int8_t>(src[i]);
      break;
    case DataType::kUInt8:
      for (std::int64_t i = 0; i < n; ++i)
        t.data<std::uint8_t>()[i] = static_cast<std::uint8_t>(src[i]);
      break;
    case DataType::kBool:
      for (std::int64_t i = 0; i < n; ++i) t.data<std::uint8_t>()[i] = src[i] != 0 ? 1 : 0;
      break;
    case DataType::kInt32:
      for (std::int64_t i = 0; i < n; ++i)
        t.data<std::int32_t>()[i] = static_cast<std::int32_t>(src[i]);
      break;
    case DataType::kInt64:
      for (std::int64_t i = 0; i < n; ++i)
        t.data<std::int64_t>()[i] = static_cast<std::int64_t>(src[i]);
      break;
    case DataType::kUndefined: break;
  }
}

// True when `p` (relative) stays below its base: no absolute path, no ".." component.
bool is_contained_relative(const fs::path& p) {
  if (p.empty() || p.is_absolute() || p.has_root_name() || p.has_root_directory()) return false;
  for (const auto& part : p)
    if (part == "..") return false;
  return true;
}

// Checks the external file before allocating, so that a bogus dims field cannot make us allocate
// (and zero) a huge buffer.
Expected<Tensor> read_external(const ::onnx::TensorProto& proto, const std::string& base_dir,
                               const std::string& what, DataType dtype, const Shape& shape) {
  std::string location;
  std::int64_t offset = 0;
  std::int64_t length = -1;
  for (const auto& kv : proto.external_data()) {
    try {
      if (kv.key() == "location") {
        location = kv.value();
      } else if (kv.key() == "offset") {
        offset = std::stoll(kv.value());
      } else if (kv.key() == "length") {
        length = std::stoll(kv.value());
      }
    } catch (const std::exception&) {
      return tensor_error(StatusCode::kInvalidArgument, what,
                          "external_data " + kv.key() + " '" + kv.value() + "' is not a number");
    }
  }
  if (location.empty())
    return tensor_error(StatusCode::kInvalidArgument, what,
                        "data_location is EXTERNAL but external_data has no 'location'");
  if (base_dir.empty())
    return tensor_error(
        StatusCode::kInvalidArgument, what,
        "external data '" + location + "' cannot be resolved for a model loaded from memory");
  if (offset < 0 || length < -1)
    return tensor_error(StatusCode::kInvalidArgument, what, "negative external_data offset/length");
  fs::path rel(location);
  if (!is_contained_relative(rel))
    return tensor_error(
        StatusCode::kInvalidArgument, what,
        "external data location '" + location + "' escapes the model directory (absolute or '..')");
  std::error_code ec;
  fs::path base = fs::weakly_canonical(fs::path(base_dir), ec);
  fs::path file = fs::weakly_canonical(fs::path(base_dir) / rel, ec);
  // Symlinks may still point outside; compare the resolved paths.
  auto rel_to_base = file.lexically_relative(base);
  if (ec || rel_to_base.empty() || *rel_to_base.begin() == "..")
    return tensor_error(StatusCode::kInvalidArgument, what,
                        "external data location '" + location +
                            "' resolves outside the model directory " + base.string());
  if (!fs::is_regular_file(file, ec))
    return tensor_error(StatusCode::kNotFound, what,
                        "external data file '" + file.string() + "' does not exist");
  auto file_size = static_cast<std::int64_t>(fs::file_size(file, ec));
  if (ec)
    return tensor_error(StatusCode::kIoError, what,
                        "cannot stat external data file '" + file.string() + "'");
  auto need = shape.numel() * static_cast<std::int64_t>(dtype_size(dtype));
  if (length >= 0 && length != need)
    return tensor_error(StatusCode::kInvalidArgument, what,
                        "external_data length " + std::to_string(length) + " bytes, expected " +
                            std::to_string(need) + " for " + std::to_string(shape.numel()) +
                            " elements of " + dtype_name(dtype));
  if (offset > file_size || file_size - offset < need)
    return tensor_error(StatusCode::kInvalidArgument, what,
                        "external data file '" + file.string() + "' has " +
                            std::to_string(file_size) + " bytes, needs " + std::to_string(need) +
                            " at offset " + std::to_string(offset));
  EDGERT_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(dtype, shape));
  std::ifstream in(file, std::ios::binary);
  in.seekg(offset);
  in.read(static_cast<char*>(t.raw()), need);
  if (!in)
    return tensor_error(
        StatusCode::kIoError, what,
        "reading " + std::to_string(need) + " bytes from '" + file.string() + "' failed");
  return t;
}

}  // namespace

DataType convert_dtype(int onnx_type) {
  using P = ::onnx::TensorProto;
  switch (onnx_type) {
    case P::FLOAT: return DataType::kFloat32;
    case P::FLOAT16: return DataType::kFloat16;
    case P::INT8: return DataType::kInt8;
    case P::UINT8: return DataType::kUInt8;
    case P::INT32: return DataType::kInt32;
    case P::INT64: return DataType::kInt64;
    case P::BOOL: return DataType::kBool;
    default: return DataType::kUndefined;
  }
}

std::string onnx_dtype_name(int onnx_type) {
  if (::onnx::TensorProto_DataType_IsValid(onnx_type))
    return ::onnx::TensorProto_DataType_Name(static_cast<::onnx::TensorProto_DataType>(onnx_type));
  return "type " + std::to_string(onnx_type);
}

Expected<Tensor> convert_tensor(const ::onnx::TensorProto& proto, const std::string& base_dir,
                                const std::string& what) {
  DataType dtype = convert_dtype(proto.data_type());
  if (dtype == DataType::kUndefined)
    return tensor_error(StatusCode::kUnsupported, what,
                        "data type " + onnx_dtype_name(proto.data_type()) +
                            " is not supported (float32, float16, int8, uint8, int32, int64, "
                            "bool are)");
  if (proto.has_segment())
    return tensor_error(StatusCode::kUnsupported, what, "segmented tensors are not supported");
  std::vector<std::int64_t> dims;
  std::int64_t numel = 1;
  for (auto d : proto.dims()) {
    if (d < 0)
      return tensor_error(StatusCode::kInvalidArgument, what,
                          "negative dimension in dims " + dims_string(proto));
    if (d > 0 && numel > (std::int64_t{1} << 40) / d)
      return tensor_error(StatusCode::kInvalidArgument, what,
                          "dims " + dims_string(proto) + " are too large");
    numel *= d;
    dims.push_back(d);
  }
  Shape shape(dims);
  auto count_error = [&](std::int64_t got, const std::string& field) {
    return tensor_error(StatusCode::kInvalidArgument, what,
                        "expected " + std::to_string(numel) + " elements (dims " +
                            dims_string(proto) + ", " + dtype_name(dtype) + "), got " +
                            std::to_string(got) + " in " + field);
  };
  if (proto.data_location() == ::onnx::TensorProto::EXTERNAL)
    return read_external(proto, base_dir, what, dtype, shape);

  // Sizes are checked before allocating (see read_external).
  if (proto.has_raw_data()) {
    const std::string& raw = proto.raw_data();
    std::size_t esize = dtype_size(dtype);
    if (raw.size() != static_cast<std::size_t>(numel) * esize)
      return count_error(static_cast<std::int64_t>(raw.size() / esize),
                         "raw_data (" + std::to_string(raw.size()) + " bytes)");
    EDGERT_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(dtype, shape));
    if (!raw.empty()) std::memcpy(t.raw(), raw.data(), raw.size());
    return t;
  }
  if (dtype == DataType::kFloat32) {
    if (proto.float_data_size() != numel) return count_error(proto.float_data_size(), "float_data");
  } else if (dtype == DataType::kInt64) {
    if (proto.int64_data_size() != numel) return count_error(proto.int64_data_size(), "int64_data");
  } else if (proto.int32_data_size() != numel) {
    // int32, int8, uint8, bool and float16 (as bits) all live in int32_data.
    return count_error(proto.int32_data_size(), "int32_data");
  }
  EDGERT_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(dtype, shape));
  if (dtype == DataType::kFloat32) {
    copy_typed(proto.float_data(), t);
  } else if (dtype == DataType::kInt64) {
    copy_typed(proto.int64_data(), t);
  } else {
    copy_typed(proto.int32_data(), t);
  }
  return t;
}

}  // namespace edgert::onnx
