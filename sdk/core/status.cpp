// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "edgert/status.h"

namespace edgert {

const char* status_code_name(StatusCode code) noexcept {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid argument";
    case StatusCode::kNotFound: return "not found";
    case StatusCode::kUnsupported: return "unsupported";
    case StatusCode::kParseError: return "parse error";
    case StatusCode::kOutOfMemory: return "out of memory";
    case StatusCode::kIoError: return "I/O error";
    case StatusCode::kVersionMismatch: return "version mismatch";
    case StatusCode::kCudaError: return "CUDA error";
    case StatusCode::kInternal: return "internal error";
  }
  return "unknown";
}

Status Status::with_context(std::string_view context) const {
  if (ok()) return *this;
  std::string m(context);
  m += ": ";
  m += message_;
  return Status(code_, std::move(m));
}

std::string Status::to_string() const {
  if (ok()) return "ok";
  return std::string(status_code_name(code_)) + ": " + message_;
}

}  // namespace edgert
