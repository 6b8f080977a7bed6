// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The tracking allocator (edgert/memory.h): usage per tag and kind, events, leak report, budgets
// that make engine load and context creation fail cleanly, a user allocator, and an engine's
// whole life (load, context, inferences, teardown) leaving nothing behind.

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "edgert/builder.h"
#include "edgert/engine.h"
#include "edgert/memory.h"
#include "edgert/memory_report.h"
#include "edgert/runtime.h"
#include "engine_build.h"
#include "test_util.h"

using namespace edgert;  // NOLINT(google-build-using-namespace): test file

namespace {

/// The bundled model as a CPU engine file (batch 4), built once.
std::string fashion_engine() {
  return test::fashion_engine_file(std::string(EDGERT_TEST_DATA_DIR) + "/memory/fashion_b4.engine",
                                   4);
}

/// Runs the engine once on zeros.
void run_once(const Engine& e, ExecutionContext& ctx) {
  std::vector<Tensor> in;
  std::vector<const Tensor*> ins;
  for (const auto& d : e.inputs()) {
    auto t = Tensor::allocate(d.dtype, d.shape);
    REQUIRE(t);
    std::memset(t->raw(), 0, t->nbytes());
    in.push_back(std::move(t).value());
  }
  for (const auto& t : in) ins.push_back(&t);
  std::vector<Tensor> out;
  Status s = ctx.execute(ins, out);
  INFO(s.to_string());
  REQUIRE(s.ok());
}

/// Restores the process-wide budget when a test ends.
struct BudgetGuard {
  ~BudgetGuard() { tracking_allocator().set_budget(0); }
};

}  // namespace

TEST_CASE("memory: the tracker counts per tag and kind, records events and reports leaks",
          "[memory]") {
  TrackingAllocator& t = tracking_allocator();
  t.reset_events();
  const MemoryUsage before = t.usage(MemoryTag::kPreprocessing);
  AllocationRequest r;
  r.kind = MemoryKind::kHost;
  r.bytes = 1000;
  r.alignment = 64;
  r.tag = MemoryTag::kPreprocessing;
  r.label = "test buffer A";
  auto a = t.allocate(r);
  REQUIRE(a);
  CHECK(reinterpret_cast<std::uintptr_t>(*a) % 64 == 0);
  r.bytes = 3000;
  r.label = "test buffer B";
  auto b = t.allocate(r);
  REQUIRE(b);
  CHECK(t.usage(MemoryTag::kPreprocessing).current == before.current + 4000);
  CHECK(t.usage(MemoryTag::kPreprocessing).peak >= before.current + 4000);
  const std::string leaks = t.leak_report();
  CHECK(leaks.find("test buffer A") != std::string::npos);
  CHECK(leaks.find("test buffer B") != std::string::npos);
  t.deallocate(*a);
  CHECK(t.usage(MemoryTag::kPreprocessing).current == before.current + 3000);
  t.deallocate(*b);
  CHECK(t.usage(MemoryTag::kPreprocessing).current == before.current);
  CHECK(t.usage(MemoryTag::kPreprocessing).peak >= before.current + 4000);
  CHECK(t.leak_report().find("test buffer") == std::string::npos);
  // Four events: +1000, +3000, -1000, -3000, with matching ids.
  std::vector<MemoryEvent> mine;
  for (const auto& e : t.events())
    if (e.label.rfind("test buffer", 0) == 0) mine.push_back(e);
  REQUIRE(mine.size() == 4);
  CHECK(mine[0].bytes == 1000);
  CHECK(mine[1].bytes == 3000);
  CHECK(mine[2].bytes == -1000);
  CHECK(mine[3].bytes == -3000);
  CHECK(mine[0].id == mine[2].id);
  CHECK(mine[0].time_ms <= mine[3].time_ms);
  // A pointer the tracker did not hand out is ignored, never freed.
  int local = 0;
  t.deallocate(&local);
}

TEST_CASE("memory: byte sizes parse with K, M and G suffixes", "[memory]") {
  CHECK(*parse_byte_size("123") == 123);
  CHECK(*parse_byte_size("64K") == 64 * 1024);
  CHECK(*parse_byte_size("512M") == 512ull << 20);
  CHECK(*parse_byte_size("2G") == 2ull << 30);
  for (const char* bad : {"", "M", "-5", "12X", "1.5G"}) {
    INFO(bad);
    CHECK(parse_byte_size(bad).status().code() == StatusCode::kInvalidArgument);
  }
  CHECK(format_bytes(312) == "312 B");
  CHECK(format_bytes(3 << 20) == "3.00 MiB");
}

TEST_CASE("memory: an engine's life leaves nothing allocated", "[memory][engine]") {
  const std::string path = fashion_engine();
  TrackingAllocator& t = tracking_allocator();
  const std::uint64_t base = t.total().current;
  {
    auto e = Engine::load(path);
    REQUIRE(e);
    CHECK(t.usage(MemoryTag::kWeights).current >= (*e)->memory().weight_bytes);
    auto c1 = (*e)->create_context();
    auto c2 = (*e)->create_context();
    REQUIRE(c1);
    REQUIRE(c2);
    CHECK(t.usage(MemoryTag::kActivations).current >= 2 * (*e)->memory().arena_bytes);
    run_once(**e, **c1);
    run_once(**e, **c2);
    CHECK(t.total().current > base);
  }
  INFO(t.leak_report());
  CHECK(t.total().current == base);
  CHECK(t.leak_report().empty());
}

TEST_CASE("memory: a budget fails engine load or context creation with a clear error",
          "[memory][engine]") {
  const std::string path = fashion_engine();
  BudgetGuard guard;
  TrackingAllocator& t = tracking_allocator();
  const std::uint64_t base = t.total().current;
  const std::uint64_t file = std::filesystem::file_size(path);

  t.set_budget(base + file / 2);
  auto e = Engine::load(path);
  REQUIRE_FALSE(e);
  INFO(e.status().to_string());
  CHECK(e.status().code() == StatusCode::kOutOfMemory);
  CHECK(e.status().message().find("memory budget exceeded") != std::string::npos);
  CHECK(e.status().message().find("fashion_b4.engine") != std::string::npos);
  CHECK(t.total().current == base);

  // Room for the engine, not for a context's arena.
  t.set_budget(base + file + 1024);
  auto e2 = Engine::load(path);
  INFO(e2.status().to_string());
  REQUIRE(e2);
  auto ctx = (*e2)->create_context();
  REQUIRE_FALSE(ctx);
  INFO(ctx.status().to_string());
  CHECK(ctx.status().code() == StatusCode::kOutOfMemory);
  CHECK(ctx.status().message().find("the activation arena") != std::string::npos);
  CHECK(ctx.status().message().find("activations") != std::string::npos);

  t.set_budget(0);
  auto ok = (*e2)->create_context();
  CHECK(ok);
}

namespace {

class CountingAllocator final : public Allocator {
 public:
  void* allocate(const AllocationRequest& r) noexcept override {
    ++allocs;
    bytes += r.bytes;
    return system_allocator().allocate(r);
  }
  void deallocate(void* p, const AllocationRequest& r) noexcept override {
    ++frees;
    system_allocator().deallocate(p, r);
  }
  std::atomic<int> allocs{0}, frees{0};
  std::atomic<std::uint64_t> bytes{0};
};

}  // namespace

TEST_CASE("memory: a user allocator receives every runtime allocation", "[memory][engine]") {
  const std::string path = fashion_engine();
  CountingAllocator counting;
  TrackingAllocator& t = tracking_allocator();
  REQUIRE(t.set_allocator(&counting).ok());
  {
    auto e = Engine::load(path);
    REQUIRE(e);
    auto ctx = (*e)->create_context();
    REQUIRE(ctx);
    run_once(**e, **ctx);
    CHECK(counting.allocs >= 1);  // the arena
    CHECK(counting.bytes >= (*e)->memory().arena_bytes);
    // Replacing it while its memory is alive is refused.
    Status s = t.set_allocator(nullptr);
    CHECK(s.code() == StatusCode::kInvalidArgument);
    CHECK(s.message().find("alive") != std::string::npos);
  }
  CHECK(counting.frees == counting.allocs);
  REQUIRE(t.set_allocator(nullptr).ok());
}

TEST_CASE("memory: the report of the bundled model adds up", "[memory][engine]") {
  const std::string path = fashion_engine();
  MemoryReportOptions o;
  o.runs = 3;
  auto r = measure_memory(path, o);
  INFO(r.status().to_string());
  REQUIRE(r);
  auto e = Engine::load(path);
  REQUIRE(e);
  CHECK(r->file_bytes == std::filesystem::file_size(path));
  CHECK(r->weight_bytes == (*e)->memory().weight_bytes);
  CHECK(r->arena_bytes == (*e)->memory().arena_bytes);
  CHECK(r->engine_load_bytes == r->file_bytes);  // the engine's bytes in host memory
  CHECK(r->context_bytes >= r->arena_bytes);
  CHECK(r->leaked_bytes == 0);
  CHECK(r->runtime_library_bytes > 0);
  REQUIRE(r->phases.size() == 4);
  CHECK(r->phases[0].name == "load");
  CHECK(r->phases[3].name == "teardown");
  std::uint64_t layer_weights = 0;
  for (const auto& l : r->layers) layer_weights += l.weight_bytes;
  // The per-layer split covers the weights section but its 64-byte alignment padding.
  CHECK(layer_weights <= r->weight_bytes);
  CHECK(layer_weights + 64 * r->layers.size() >= r->weight_bytes);
  // Every allocation of the measurement is released within it.
  std::int64_t net = 0;
  for (const auto& ev : r->events) net += ev.bytes;
  CHECK(net == 0);
  // Fit: the smallest module holds at least one context of this small model; bigger modules
  // never hold fewer.
  REQUIRE(r->fit.size() == 6);
  CHECK(r->fit[0].contexts >= 1);
  for (std::size_t i = 1; i < r->fit.size(); ++i)
    if (r->fit[i].memory_bytes >= r->fit[i - 1].memory_bytes)
      CHECK(r->fit[i].contexts >= r->fit[i - 1].contexts);
  const std::string text = memory_report_text(*r);
  CHECK(text.find("Jetson Orin Nano 4GB") != std::string::npos);
  CHECK(text.find("activation arena") != std::string::npos);
}
