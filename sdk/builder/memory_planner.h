// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Activation memory planning: buffers with lifetimes (in layer steps) get offsets in one arena so
// that buffers alive at the same step never overlap. Greedy by size with best fit: the largest
// buffer is placed first, each next one into the smallest gap between the already placed buffers
// whose lifetimes overlap its own (TFLite's "greedy by size" offset calculation). Offsets and the
// arena size are multiples of kPlanAlignment.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace edgert::builder {

/// 64 bytes: a cache line, enough for any vector load the kernels do.
constexpr std::uint64_t kPlanAlignment = 64;

/// One buffer to place: `bytes` live from step `first` to step `last` (inclusive; a layer's output
/// is born at its layer's step and dies at the step of its last reader).
struct PlanBuffer {
  std::uint64_t bytes = 0;
  int first = 0;
  int last = 0;
};

struct MemoryPlan {
  std::vector<std::uint64_t> offsets;  ///< per buffer, a multiple of kPlanAlignment
  std::uint64_t arena_bytes = 0;       ///< end of the highest buffer (aligned)
  std::uint64_t naive_bytes = 0;       ///< sum of the aligned sizes: no reuse at all
};

/// Places `buffers` (any order; zero-byte buffers get offset 0).
MemoryPlan plan_memory(const std::vector<PlanBuffer>& buffers);

}  // namespace edgert::builder
