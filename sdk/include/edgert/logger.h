// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Injectable logger (in the manner of TensorRT's ILogger). The SDK logs through the logger
/// installed with set_logger(); the default writes warnings and errors to stderr. Thread-safety:
/// log() may be called from any thread at once; implementations must be thread-safe.

#include <sstream>
#include <string>

namespace edgert {

enum class Severity : int { kError = 0, kWarning = 1, kInfo = 2, kVerbose = 3 };

class ILogger {
 public:
  virtual ~ILogger() = default;
  /// Called for every message at or above the logger's own threshold. Must not throw.
  virtual void log(Severity severity, const char* message) noexcept = 0;
};

/// The default logger: "[edgert] W: message" to stderr, messages up to `max_severity`.
class StderrLogger final : public ILogger {
 public:
  explicit StderrLogger(Severity max_severity = Severity::kWarning) : max_(max_severity) {}
  void log(Severity severity, const char* message) noexcept override;
  void set_max_severity(Severity s) noexcept { max_ = s; }

 private:
  Severity max_;
};

/// Installs `logger` (not owned; must outlive its use; nullptr restores the default). Thread-safe.
void set_logger(ILogger* logger) noexcept;
/// The logger in use.
ILogger& get_logger() noexcept;
/// Sets the threshold of the default stderr logger.
void set_default_log_severity(Severity s) noexcept;

namespace detail {
void log_message(Severity severity, const std::string& message) noexcept;
}  // namespace detail

}  // namespace edgert

/// EDGERT_LOG(kInfo, "fused " << a << " with " << b);
#define EDGERT_LOG(severity, stream_expr)                                              \
  do {                                                                                 \
    std::ostringstream edgert_log_os_;                                                 \
    edgert_log_os_ << stream_expr;                                                     \
    ::edgert::detail::log_message(::edgert::Severity::severity, edgert_log_os_.str()); \
  } while (0)
