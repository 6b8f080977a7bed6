// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The injectable logger: a logger installed with set_logger() receives EDGERT_LOG's messages, from
// any number of threads at once.
#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "edgert/logger.h"

namespace edgert {
namespace {

class CapturingLogger final : public ILogger {
 public:
  void log(Severity severity, const char* message) noexcept override {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.emplace_back(severity, message);
  }
  std::vector<std::pair<Severity, std::string>> entries() const {
    std::lock_guard<std::mutex> lock(mu_);
    return entries_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<Severity, std::string>> entries_;
};

// Puts the default logger back even when a check fails, so that later tests log normally.
class ScopedLogger {
 public:
  explicit ScopedLogger(ILogger* logger) { set_logger(logger); }
  ~ScopedLogger() { set_logger(nullptr); }
  ScopedLogger(const ScopedLogger&) = delete;
  ScopedLogger& operator=(const ScopedLogger&) = delete;
};

}  // namespace

TEST_CASE("Logger: an installed logger receives formatted messages", "[core][logger]") {
  CapturingLogger capture;
  {
    ScopedLogger scope(&capture);
    CHECK(&get_logger() == &capture);
    EDGERT_LOG(kInfo, "fused " << 2 << " nodes into '" << std::string("conv1") << "'");
    EDGERT_LOG(kError, "boom");
    EDGERT_LOG(kVerbose, "chatter");  // thresholds are the installed logger's business
  }
  auto entries = capture.entries();
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].first == Severity::kInfo);
  CHECK(entries[0].second == "fused 2 nodes into 'conv1'");
  CHECK(entries[1].first == Severity::kError);
  CHECK(entries[1].second == "boom");
  CHECK(entries[2].first == Severity::kVerbose);
}

TEST_CASE("Logger: nullptr restores the default stderr logger", "[core][logger]") {
  CapturingLogger capture;
  set_logger(&capture);
  set_logger(nullptr);
  CHECK(dynamic_cast<StderrLogger*>(&get_logger()) != nullptr);
  EDGERT_LOG(kVerbose, "below the default threshold: not printed, not captured");
  CHECK(capture.entries().empty());
}

TEST_CASE("Logger: many threads log at once, no message lost or torn", "[core][logger]") {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 2000;
  CapturingLogger capture;
  ScopedLogger scope(&capture);

  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < kPerThread; ++i) EDGERT_LOG(kWarning, "thread " << t << " message " << i);
    });
  }
  for (auto& th : threads) th.join();

  auto entries = capture.entries();
  REQUIRE(entries.size() == static_cast<std::size_t>(kThreads * kPerThread));
  // Each thread's messages arrive whole and in that thread's order.
  std::vector<int> next(kThreads, 0);
  for (const auto& [severity, text] : entries) {
    REQUIRE(severity == Severity::kWarning);
    int t = -1, i = -1;
    REQUIRE(std::sscanf(text.c_str(), "thread %d message %d", &t, &i) == 2);
    REQUIRE(t >= 0);
    REQUIRE(t < kThreads);
    CHECK(i == next[static_cast<std::size_t>(t)]);
    next[static_cast<std::size_t>(t)] = i + 1;
  }
  for (int n : next) CHECK(n == kPerThread);
}

TEST_CASE("Logger: swapping loggers while threads log loses nothing", "[core][logger]") {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2000;
  CapturingLogger a, b;
  ScopedLogger scope(&a);
  std::atomic<bool> stop{false};
  std::thread swapper([&] {
    for (bool use_a = false; !stop.load(); use_a = !use_a) set_logger(use_a ? &a : &b);
  });
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([] {
      for (int i = 0; i < kPerThread; ++i) EDGERT_LOG(kInfo, "m" << i);
    });
  }
  for (auto& th : threads) th.join();
  stop = true;
  swapper.join();
  // Every message went to exactly one of the two (the default logger is never installed here).
  CHECK(a.entries().size() + b.entries().size() == static_cast<std::size_t>(kThreads * kPerThread));
}

}  // namespace edgert
