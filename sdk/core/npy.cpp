// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "core/npy.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <vector>

namespace edgert {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicLen = 6;

Status parse_error(const std::string& label, const std::string& what) {
  return make_error(StatusCode::kParseError, label + ": " + what);
}

// The header is a Python dict literal written by numpy's repr; only the three keys numpy writes
// matter. Returns the text after "'key':" (leading spaces stripped) or npos.
std::size_t find_key(const std::string& header, const std::string& key) {
  for (const char quote : {'\'', '"'}) {
    const std::string quoted = std::string(1, quote) + key + quote;
    std::size_t p = header.find(quoted);
    if (p == std::string::npos) continue;
    p += quoted.size();
    while (p < header.size() && std::isspace(static_cast<unsigned char>(header[p]))) ++p;
    if (p >= header.size() || header[p] != ':') return std::string::npos;
    ++p;
    while (p < header.size() && std::isspace(static_cast<unsigned char>(header[p]))) ++p;
    return p;
  }
  return std::string::npos;
}

Expected<std::string> read_descr(const std::string& header, const std::string& label) {
  std::size_t p = find_key(header, "descr");
  if (p == std::string::npos || p >= header.size() || (header[p] != '\'' && header[p] != '"'))
    return parse_error(label, "header has no 'descr' string: " + header);
  const char quote = header[p];
  std::size_t end = header.find(quote, p + 1);
  if (end == std::string::npos) return parse_error(label, "unterminated 'descr' in " + header);
  return header.substr(p + 1, end - p - 1);
}

Expected<bool> read_fortran_order(const std::string& header, const std::string& label) {
  std::size_t p = find_key(header, "fortran_order");
  if (p == std::string::npos) return parse_error(label, "header has no 'fortran_order': " + header);
  if (header.compare(p, 5, "False") == 0) return false;
  if (header.compare(p, 4, "True") == 0) return true;
  return parse_error(label, "'fortran_order' is neither True nor False in " + header);
}

Expected<Shape> read_shape(const std::string& header, const std::string& label) {
  std::size_t p = find_key(header, "shape");
  if (p == std::string::npos || p >= header.size() || header[p] != '(')
    return parse_error(label, "header has no 'shape' tuple: " + header);
  std::size_t end = header.find(')', p);
  if (end == std::string::npos) return parse_error(label, "unterminated 'shape' in " + header);
  std::vector<std::int64_t> dims;
  std::size_t i = p + 1;
  while (i < end) {
    while (i < end && (std::isspace(static_cast<unsigned char>(header[i])) || header[i] == ','))
      ++i;
    if (i >= end) break;
    if (!std::isdigit(static_cast<unsigned char>(header[i])))
      return parse_error(label, "bad dimension in 'shape' of " + header);
    std::int64_t d = 0;
    // numpy may write 3L on Python 2 files; digits only, then an optional L.
    while (i < end && std::isdigit(static_cast<unsigned char>(header[i]))) {
      if (d > (std::numeric_limits<std::int64_t>::max() - 9) / 10)
        return parse_error(label, "dimension too large in " + header);
      d = d * 10 + (header[i] - '0');
      ++i;
    }
    if (i < end && header[i] == 'L') ++i;
    dims.push_back(d);
  }
  return Shape(std::move(dims));
}

// numpy's descr for each EdgeRT dtype; one-byte types are written with '|' (no byte order).
struct DescrEntry {
  DataType dtype;
  const char* descr;
};
constexpr DescrEntry kDescrs[] = {
    {DataType::kFloat32, "<f4"}, {DataType::kFloat16, "<f2"}, {DataType::kInt8, "|i1"},
    {DataType::kUInt8, "|u1"},   {DataType::kInt32, "<i4"},   {DataType::kInt64, "<i8"},
    {DataType::kBool, "|b1"},
};

Expected<DataType> dtype_from_descr(const std::string& descr, const std::string& label) {
  for (const DescrEntry& e : kDescrs) {
    if (descr == e.descr) return e.dtype;
    // One-byte types carry no byte order: numpy may write '|', '<', '>' or '='.
    if (dtype_size(e.dtype) == 1 && descr.size() == 3 && descr.compare(1, 2, e.descr + 1) == 0 &&
        (descr[0] == '<' || descr[0] == '>' || descr[0] == '='))
      return e.dtype;
  }
  return make_error(StatusCode::kUnsupported,
                    label + ": dtype '" + descr +
                        "' not supported (float32 '<f4', float16 '<f2', int8 '|i1', uint8 '|u1', "
                        "int32 '<i4', int64 '<i8', bool '|b1')");
}

const char* descr_of(DataType t) {
  for (const DescrEntry& e : kDescrs)
    if (e.dtype == t) return e.descr;
  return nullptr;
}

bool host_is_little_endian() {
  const std::uint16_t one = 1;
  unsigned char first = 0;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

}  // namespace

Expected<NpyHeader> parse_npy_header(const std::string& bytes, const std::string& label) {
  if (!host_is_little_endian())
    return make_error(StatusCode::kUnsupported, label + ": big-endian hosts are not supported");
  if (bytes.size() < kMagicLen + 4 || bytes.compare(0, kMagicLen, kMagic, kMagicLen) != 0)
    return parse_error(label, "not a .npy file (bad magic)");
  const auto major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_len = 0, header_start = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) |
                 (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {  // 3.0 only allows a UTF-8 header; same layout as 2.0
    if (bytes.size() < 12) return parse_error(label, "truncated header length");
    for (int b = 0; b < 4; ++b)
      header_len |= static_cast<std::size_t>(static_cast<unsigned char>(bytes[8 + b])) << (8 * b);
    header_start = 12;
  } else {
    return make_error(StatusCode::kUnsupported,
                      label + ": .npy format version " + std::to_string(major) + " not supported");
  }
  if (bytes.size() < header_start + header_len)
    return parse_error(label, "truncated header (" + std::to_string(header_len) + " bytes said)");
  const std::string header = bytes.substr(header_start, header_len);

  EDGERT_ASSIGN_OR_RETURN(std::string descr, read_descr(header, label));
  EDGERT_ASSIGN_OR_RETURN(bool fortran, read_fortran_order(header, label));
  EDGERT_ASSIGN_OR_RETURN(Shape shape, read_shape(header, label));
  EDGERT_ASSIGN_OR_RETURN(DataType dtype, dtype_from_descr(descr, label));
  std::size_t non_unit = 0;
  for (std::int64_t d : shape.dims()) non_unit += d > 1 ? 1 : 0;
  // Fortran order only changes the layout when two or more dimensions exceed 1.
  if (fortran && non_unit > 1)
    return make_error(StatusCode::kUnsupported, label + ": Fortran-order arrays not supported");

  const std::size_t elem = dtype_size(dtype);
  std::size_t count = 1;
  for (std::int64_t d : shape.dims()) {
    const auto ud = static_cast<std::size_t>(d);
    if (ud != 0 && count > std::numeric_limits<std::size_t>::max() / elem / ud)
      return parse_error(label, "shape " + shape.to_string() + " overflows");
    count *= static_cast<std::size_t>(d);
  }
  NpyHeader h;
  h.dtype = dtype;
  h.shape = std::move(shape);
  h.data_offset = header_start + header_len;
  h.data_bytes = count * elem;
  return h;
}

Expected<Tensor> parse_npy(const std::string& bytes, const std::string& label) {
  EDGERT_ASSIGN_OR_RETURN(NpyHeader h, parse_npy_header(bytes, label));
  EDGERT_RETURN_IF_ERROR(check_npy_size(h, bytes.size(), label));
  EDGERT_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(h.dtype, h.shape));
  if (h.data_bytes > 0) std::memcpy(t.raw(), bytes.data() + h.data_offset, h.data_bytes);
  return t;
}

Status check_npy_size(const NpyHeader& h, std::size_t file_bytes, const std::string& label) {
  const std::size_t have = file_bytes - std::min(file_bytes, h.data_offset);
  if (have != h.data_bytes) {
    return parse_error(label, "shape " + h.shape.to_string() + " " + dtype_name(h.dtype) +
                                  " needs " + std::to_string(h.data_bytes) +
                                  " data bytes, the file has " + std::to_string(have));
  }
  return Status::ok_status();
}

Expected<NpyHeader> read_npy_header(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return make_error(StatusCode::kNotFound, path + ": cannot open");
  const auto file_bytes = static_cast<std::size_t>(in.tellg());
  in.seekg(0);
  // The fixed part (magic, version, header length) is at most 12 bytes; then the header itself.
  std::string bytes(std::min<std::size_t>(12, file_bytes), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!in) return make_error(StatusCode::kIoError, path + ": read failed");
  if (bytes.size() >= 10 && bytes.compare(0, kMagicLen, kMagic, kMagicLen) == 0) {
    const auto major = static_cast<unsigned char>(bytes[6]);
    std::size_t len = 0, start = 10;
    if (major == 1) {
      len = static_cast<unsigned char>(bytes[8]) |
            (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    } else if (bytes.size() >= 12) {
      for (int b = 0; b < 4; ++b)
        len |= static_cast<std::size_t>(static_cast<unsigned char>(bytes[8 + b])) << (8 * b);
      start = 12;
    }
    const std::size_t want = std::min(file_bytes, start + len);
    if (want > bytes.size()) {
      const std::size_t had = bytes.size();
      bytes.resize(want);
      in.read(bytes.data() + had, static_cast<std::streamsize>(want - had));
      if (!in) return make_error(StatusCode::kIoError, path + ": read failed");
    }
  }
  EDGERT_ASSIGN_OR_RETURN(NpyHeader h, parse_npy_header(bytes, path));
  EDGERT_RETURN_IF_ERROR(check_npy_size(h, file_bytes, path));
  return h;
}

Expected<Tensor> read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(StatusCode::kNotFound, path + ": cannot open");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return make_error(StatusCode::kIoError, path + ": read failed");
  return parse_npy(bytes, path);
}

Status write_npy(const std::string& path, const Tensor& t) {
  const char* descr = descr_of(t.dtype());
  if (descr == nullptr) {
    return make_error(StatusCode::kUnsupported,
                      path + ": cannot write dtype " + dtype_name(t.dtype()) + " as .npy");
  }
  if (!t.shape().is_static())
    return make_error(StatusCode::kInvalidArgument,
                      path + ": shape " + t.shape().to_string() + " is not static");
  if (!host_is_little_endian())
    return make_error(StatusCode::kUnsupported, path + ": big-endian hosts are not supported");
  std::ostringstream dict;
  dict << "{'descr': '" << descr << "', 'fortran_order': False, 'shape': (";
  const auto& dims = t.shape().dims();
  for (std::size_t i = 0; i < dims.size(); ++i) dict << (i ? ", " : "") << dims[i];
  dict << (dims.size() == 1 ? ",), }" : "), }");
  std::string header = dict.str();
  // magic + version + length + header + '\n' is padded to a multiple of 64 (numpy's alignment).
  const std::size_t total = (10 + header.size() + 1 + 63) / 64 * 64;
  header.append(total - 10 - 1 - header.size(), ' ');
  header.push_back('\n');
  if (header.size() > 0xffff)
    return make_error(StatusCode::kInvalidArgument, path + ": .npy header too long");

  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return make_error(StatusCode::kIoError, path + ": cannot open for writing");
  const char pre[10] = {'\x93',
                        'N',
                        'U',
                        'M',
                        'P',
                        'Y',
                        1,
                        0,
                        static_cast<char>(header.size() & 0xff),
                        static_cast<char>(header.size() >> 8)};
  out.write(pre, sizeof(pre));
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(static_cast<const char*>(t.raw()), static_cast<std::streamsize>(t.nbytes()));
  out.close();
  if (!out) return make_error(StatusCode::kIoError, path + ": write failed");
  return Status::ok_status();
}

}  // namespace edgert
