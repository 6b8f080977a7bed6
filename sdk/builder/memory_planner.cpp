// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "builder/memory_planner.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace edgert::builder {
namespace {

std::uint64_t aligned(std::uint64_t v) {
  return (v + kPlanAlignment - 1) / kPlanAlignment * kPlanAlignment;
}

bool overlaps(const PlanBuffer& a, const PlanBuffer& b) {
  return a.first <= b.last && b.first <= a.last;
}

}  // namespace

MemoryPlan plan_memory(const std::vector<PlanBuffer>& buffers) {
  MemoryPlan plan;
  plan.offsets.assign(buffers.size(), 0);
  std::vector<std::size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), 0);
  // Largest first; ties by earlier birth, then index, so the plan is deterministic.
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (buffers[a].bytes != buffers[b].bytes) return buffers[a].bytes > buffers[b].bytes;
    return buffers[a].first < buffers[b].first;
  });

  struct Placed {
    std::uint64_t offset, end;
  };
  std::vector<std::size_t> placed;  // indices of placed buffers, any order
  std::vector<Placed> live;         // scratch: placed buffers overlapping the current one in time
  for (std::size_t idx : order) {
    const PlanBuffer& b = buffers[idx];
    const std::uint64_t size = aligned(b.bytes);
    plan.naive_bytes += size;
    if (size == 0) continue;
    live.clear();
    for (std::size_t p : placed)
      if (overlaps(buffers[p], b))
        live.push_back({plan.offsets[p], plan.offsets[p] + aligned(buffers[p].bytes)});
    std::sort(live.begin(), live.end(),
              [](const Placed& x, const Placed& y) { return x.offset < y.offset; });
    // Best fit: the smallest gap between time-overlapping buffers that holds `size`; else the end.
    std::uint64_t best = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t best_gap = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t cursor = 0;
    for (const Placed& q : live) {
      if (q.offset > cursor) {
        const std::uint64_t gap = q.offset - cursor;
        if (gap >= size && gap < best_gap) {
          best_gap = gap;
          best = cursor;
        }
      }
      cursor = std::max(cursor, q.end);
    }
    if (best == std::numeric_limits<std::uint64_t>::max()) best = cursor;
    plan.offsets[idx] = best;
    plan.arena_bytes = std::max(plan.arena_bytes, best + size);
    placed.push_back(idx);
  }
  return plan;
}

}  // namespace edgert::builder
