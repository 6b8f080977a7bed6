// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Error model of the SDK: Status and Expected<T>. Nothing in the public API throws; every
/// operation that can fail for reasons outside the program (bad files, unsupported ops, out of
/// memory, CUDA errors) returns a Status or an Expected<T> carrying a message with its context.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace edgert {

enum class StatusCode : std::uint8_t {
  kOk = 0,
  kInvalidArgument,  ///< the caller passed something malformed
  kNotFound,         ///< a file, tensor or key does not exist
  kUnsupported,      ///< well-formed but outside the support matrix (op, type, attribute)
  kParseError,       ///< a file could not be decoded (truncated, garbage, wrong format)
  kOutOfMemory,
  kIoError,
  kVersionMismatch,  ///< engine/format/target incompatibility
  kCudaError,
  kInternal,  ///< a bug in EdgeRT
};

/// Human-readable name of a status code ("invalid argument", ...).
const char* status_code_name(StatusCode code) noexcept;

/// Result of an operation: kOk, or a code plus a message. Context is prepended as the error travels
/// up ("while importing model.onnx: node 'conv1' (#3, Conv, opset 13): ...").
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok_status() { return {}; }

  bool ok() const noexcept { return code_ == StatusCode::kOk; }
  StatusCode code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }

  /// Returns a copy with "context: " prepended to the message (no-op for an ok status).
  Status with_context(std::string_view context) const;

  /// "unsupported: node 'x' ..." (the code name, then the message).
  std::string to_string() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status make_error(StatusCode code, std::string message) {
  return Status(code, std::move(message));
}

/// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : data_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Expected(Status status) : data_(std::move(status)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const noexcept { return data_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { return std::get<0>(data_); }
  const T& value() const& { return std::get<0>(data_); }
  T&& value() && { return std::get<0>(std::move(data_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  /// The error; an ok Status when a value is held.
  Status status() const { return ok() ? Status() : std::get<1>(data_); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace edgert

#define EDGERT_CONCAT_IMPL_(a, b) a##b
#define EDGERT_CONCAT_(a, b) EDGERT_CONCAT_IMPL_(a, b)

/// Returns the Status from the enclosing function if `expr` failed.
#define EDGERT_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::edgert::Status edgert_status_ = (expr);        \
    if (!edgert_status_.ok()) return edgert_status_; \
  } while (0)

#define EDGERT_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()

/// `EDGERT_ASSIGN_OR_RETURN(auto x, make_x());` declares x or returns the error.
#define EDGERT_ASSIGN_OR_RETURN(lhs, expr) \
  EDGERT_ASSIGN_OR_RETURN_IMPL_(EDGERT_CONCAT_(edgert_expected_, __LINE__), lhs, expr)
