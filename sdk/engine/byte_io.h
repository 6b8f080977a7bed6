// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Little-endian encoding of the engine file's fields. ByteReader checks every read against the end
// of its section and keeps the first error (later reads return zeros), so decoding code can read a
// record and check once; counts are checked against the bytes left before anything is allocated.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "edgert/status.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the engine format is little-endian; a big-endian host needs byte swapping here"
#endif

namespace edgert::engine {

class ByteWriter {
 public:
  explicit ByteWriter(std::vector<std::uint8_t>& out) : out_(out) {}

  template <typename T>
  void put(T v) {
    static_assert(std::is_arithmetic_v<T>, "numbers only");
    const auto* p = reinterpret_cast<const std::uint8_t*>(&v);
    out_.insert(out_.end(), p, p + sizeof(T));
  }
  void put_bytes(const void* data, std::size_t n) {
    const auto* p = static_cast<const std::uint8_t*>(data);
    out_.insert(out_.end(), p, p + n);
  }
  /// u32 length + bytes (no terminator).
  void put_string(const std::string& s) {
    put(static_cast<std::uint32_t>(s.size()));
    put_bytes(s.data(), s.size());
  }
  void put_strings(const std::vector<std::string>& v) {
    put(static_cast<std::uint32_t>(v.size()));
    for (const auto& s : v) put_string(s);
  }
  /// Zero bytes up to a multiple of `a` (absolute position in the output).
  void align(std::size_t a) {
    while (out_.size() % a != 0) out_.push_back(0);
  }
  std::size_t size() const { return out_.size(); }

 private:
  std::vector<std::uint8_t>& out_;
};

class ByteReader {
 public:
  /// `what` names the region in errors ("section 'layers'").
  ByteReader(const std::uint8_t* data, std::size_t size, std::string what)
      : data_(data), size_(size), what_(std::move(what)) {}

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  std::size_t pos() const { return pos_; }
  std::size_t remaining() const { return ok() ? size_ - pos_ : 0; }
  bool at_end() const { return pos_ == size_; }

  /// Records the first error: "<what> at byte <pos>: <msg>".
  void fail(const std::string& msg) {
    if (ok())
      status_ = make_error(StatusCode::kParseError,
                           what_ + " at byte " + std::to_string(pos_) + ": " + msg);
  }

  template <typename T>
  T get() {
    static_assert(std::is_arithmetic_v<T>, "numbers only");
    T v{};
    if (!need(sizeof(T), "a number")) return v;
    std::memcpy(&v, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  /// A pointer to the next `n` bytes (null after an error).
  const std::uint8_t* get_bytes(std::size_t n, const char* what) {
    if (!need(n, what)) return nullptr;
    const std::uint8_t* p = data_ + pos_;
    pos_ += n;
    return p;
  }
  std::string get_string(const char* what) {
    const auto n = get<std::uint32_t>();
    const std::uint8_t* p = get_bytes(n, what);
    return p ? std::string(reinterpret_cast<const char*>(p), n) : std::string();
  }
  /// A u32 element count, checked so that `count * min_elem_bytes` fits in what is left.
  std::uint32_t get_count(std::size_t min_elem_bytes, const char* what) {
    const auto n = get<std::uint32_t>();
    if (ok() && static_cast<std::uint64_t>(n) * min_elem_bytes > remaining()) {
      fail(std::string("count ") + std::to_string(n) + " of " + what + " exceeds the " +
           std::to_string(remaining()) + " bytes left");
      return 0;
    }
    return ok() ? n : 0;
  }
  std::vector<std::string> get_strings(const char* what) {
    std::vector<std::string> v(get_count(4, what));
    for (auto& s : v) s = get_string(what);
    return v;
  }

 private:
  bool need(std::size_t n, const char* what) {
    if (!ok()) return false;
    if (n > size_ - pos_) {
      fail(std::string("truncated: ") + what + " needs " + std::to_string(n) + " bytes, " +
           std::to_string(size_ - pos_) + " left");
      return false;
    }
    return true;
  }

  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
  std::string what_;
  Status status_;
};

}  // namespace edgert::engine
