// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The memory planner on random lifetime sets, checked by an overlap checker that shares no code
// with it, plus the plans of lowered engines (checked from the engine's own tensor table).

#include <algorithm>
#include <random>

#include <catch2/catch.hpp>

#include "builder/memory_planner.h"
#include "test_graphs.h"

namespace edgert::test {
namespace {

using builder::MemoryPlan;
using builder::PlanBuffer;

// Independent checker: every pair of buffers alive at a common step has disjoint byte ranges;
// offsets are aligned; the arena holds every buffer.
void check_plan(const std::vector<PlanBuffer>& bufs, const MemoryPlan& plan) {
  REQUIRE(plan.offsets.size() == bufs.size());
  for (std::size_t i = 0; i < bufs.size(); ++i) {
    INFO("buffer " << i << ": " << bufs[i].bytes << " bytes, steps " << bufs[i].first << ".."
                   << bufs[i].last << ", offset " << plan.offsets[i]);
    CHECK(plan.offsets[i] % 64 == 0);
    CHECK(plan.offsets[i] + bufs[i].bytes <= plan.arena_bytes);
    for (std::size_t j = i + 1; j < bufs.size(); ++j) {
      if (bufs[i].bytes == 0 || bufs[j].bytes == 0) continue;
      const bool same_time = bufs[i].first <= bufs[j].last && bufs[j].first <= bufs[i].last;
      const bool same_bytes = plan.offsets[i] < plan.offsets[j] + bufs[j].bytes &&
                              plan.offsets[j] < plan.offsets[i] + bufs[i].bytes;
      INFO("against buffer " << j << ": " << bufs[j].bytes << " bytes, steps " << bufs[j].first
                             << ".." << bufs[j].last << ", offset " << plan.offsets[j]);
      CHECK_FALSE((same_time && same_bytes));
    }
  }
}

// The largest total of buffers alive at one step: no valid plan can be smaller.
std::uint64_t live_lower_bound(const std::vector<PlanBuffer>& bufs) {
  int steps = 0;
  for (const auto& b : bufs) steps = std::max(steps, b.last + 1);
  std::uint64_t best = 0;
  for (int s = 0; s < steps; ++s) {
    std::uint64_t sum = 0;
    for (const auto& b : bufs)
      if (b.first <= s && s <= b.last) sum += (b.bytes + 63) / 64 * 64;
    best = std::max(best, sum);
  }
  return best;
}

}  // namespace

TEST_CASE("memory planner: buffers with disjoint lifetimes share memory", "[engine][planner]") {
  // A chain a -> b -> c: a and c may share, b overlaps both.
  const std::vector<PlanBuffer> bufs = {{1000, 0, 1}, {500, 1, 2}, {1000, 2, 3}};
  const MemoryPlan plan = builder::plan_memory(bufs);
  check_plan(bufs, plan);
  CHECK(plan.offsets[0] == plan.offsets[2]);
  CHECK(plan.arena_bytes == 1024 + 512);
  CHECK(plan.naive_bytes == 1024 + 512 + 1024);
}

TEST_CASE("memory planner: best fit picks the smallest gap that holds the buffer",
          "[engine][planner]") {
  // Big buffers at steps 0..9 leave gaps; the small one must land in the tighter gap.
  const std::vector<PlanBuffer> bufs = {
      {4096, 0, 9},  // placed first at 0
      {3072, 0, 0},  // 4096..7168, dies at 0
      {2048, 0, 9},  // after it: 7168..9216
      {1024, 0, 0},  // 9216..10240, dies at 0
      {1024, 0, 9},  // 10240..11264
      {960, 5, 6},   // gaps at step 5: [4096,7168) (3072) and [9216,10240) (1024): best is 1024
  };
  const MemoryPlan plan = builder::plan_memory(bufs);
  check_plan(bufs, plan);
  CHECK(plan.offsets[5] == 9216);
  CHECK(plan.arena_bytes == 11264);
}

TEST_CASE("memory planner: random lifetime sets never overlap", "[engine][planner]") {
  std::mt19937 rng(20240611);
  double worst_ratio = 1.0;
  for (int trial = 0; trial < 200; ++trial) {
    const int n = std::uniform_int_distribution<int>(1, 60)(rng);
    const int steps = std::uniform_int_distribution<int>(1, 40)(rng);
    std::vector<PlanBuffer> bufs(static_cast<std::size_t>(n));
    for (auto& b : bufs) {
      b.first = std::uniform_int_distribution<int>(0, steps - 1)(rng);
      b.last = b.first + std::uniform_int_distribution<int>(0, 8)(rng);
      // Mostly small, some large, a few empty: sizes spread like activations do.
      const int kind = std::uniform_int_distribution<int>(0, 9)(rng);
      b.bytes = kind == 0 ? 0
                          : std::uniform_int_distribution<std::uint64_t>(
                                1, kind < 7 ? 4096 : 1 << 20)(rng);
    }
    INFO("trial " << trial << ", " << n << " buffers");
    const MemoryPlan plan = builder::plan_memory(bufs);
    check_plan(bufs, plan);
    const std::uint64_t bound = live_lower_bound(bufs);
    CHECK(plan.arena_bytes >= bound);
    CHECK(plan.arena_bytes <= plan.naive_bytes);
    if (bound) worst_ratio = std::max(worst_ratio, double(plan.arena_bytes) / double(bound));
  }
  // Greedy by size is not optimal, but on such sets it stays close to the live-set bound.
  INFO("worst arena / live lower bound: " << worst_ratio);
  CHECK(worst_ratio < 1.5);
}

TEST_CASE("lowered engines: views and in-place layers, plans pass the independent checker",
          "[engine][planner]") {
  std::mt19937 rng(21);
  std::vector<std::unique_ptr<ir::Graph>> graphs;
  graphs.push_back(conv_net_graph(rng));
  graphs.push_back(reshape_chain_graph());
  graphs.push_back(gemm_graph(rng));
  graphs.push_back(split_int8_graph(rng));
  for (const auto& g : graphs) {
    auto def = builder::lower_to_engine(*g, {});
    INFO(def.status().to_string());
    REQUIRE(def.ok());
    const std::size_t groups = check_engine_plan(*def);
    CHECK(groups > 0);
    CHECK(def->memory.arena_bytes <= def->memory.naive_bytes);
  }
}

}  // namespace edgert::test
