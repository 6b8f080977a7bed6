// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "edgert/logger.h"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace edgert {
namespace {

StderrLogger& default_logger() {
  static StderrLogger logger;
  return logger;
}

std::atomic<ILogger*> g_logger{nullptr};

const char* severity_tag(Severity s) {
  switch (s) {
    case Severity::kError: return "E";
    case Severity::kWarning: return "W";
    case Severity::kInfo: return "I";
    case Severity::kVerbose: return "V";
  }
  return "?";
}

}  // namespace

void StderrLogger::log(Severity severity, const char* message) noexcept {
  if (static_cast<int>(severity) > static_cast<int>(max_)) return;
  // One fprintf per line keeps lines from different threads whole; the mutex keeps their order.
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  std::fprintf(stderr, "[edgert] %s: %s\n", severity_tag(severity), message);
}

void set_logger(ILogger* logger) noexcept { g_logger.store(logger); }

ILogger& get_logger() noexcept {
  ILogger* l = g_logger.load();
  return l ? *l : default_logger();
}

void set_default_log_severity(Severity s) noexcept { default_logger().set_max_severity(s); }

namespace detail {
void log_message(Severity severity, const std::string& message) noexcept {
  get_logger().log(severity, message.c_str());
}
}  // namespace detail

}  // namespace edgert
