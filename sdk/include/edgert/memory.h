// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Memory: the allocator interface the runtime allocates through (replaceable, in the spirit
/// of TensorRT's IGpuAllocator) and the tracking allocator that wraps it. Every buffer the runtime
/// owns (weights, activation arenas, workspaces, I/O, preprocessing, library workspaces) is
/// tagged, counted per tag and per kind of memory, recorded as a timestamped event, checked
/// against an optional budget, and listed in a leak report when still alive.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "edgert/status.h"

namespace edgert {

/// Where the bytes live.
enum class MemoryKind : std::uint8_t {
  kHost = 0,     ///< pageable host memory
  kPinned = 1,   ///< page-locked host memory, mapped into the GPU's address space (zero-copy)
  kDevice = 2,   ///< GPU memory (on an integrated GPU: the same DRAM, reserved for the GPU)
  kManaged = 3,  ///< CUDA managed memory
};
constexpr int kMemoryKindCount = 4;

/// What the bytes are for.
enum class MemoryTag : std::uint8_t {
  kWeights = 0,
  kActivations = 1,
  kWorkspace = 2,
  kIO = 3,
  kPreprocessing = 4,
  kLibrary = 5,  ///< cuDNN/cuBLAS handles and workspaces, the CUDA context (measured)
  kOther = 6,
};
constexpr int kMemoryTagCount = 7;

/// "host", "pinned", "device", "managed".
const char* memory_kind_name(MemoryKind k) noexcept;
/// "weights", "activations", "workspace", "io", "preprocessing", "library", "other".
const char* memory_tag_name(MemoryTag t) noexcept;

/// One allocation as the runtime asks for it; deallocate() receives the same request.
struct AllocationRequest {
  MemoryKind kind = MemoryKind::kHost;
  std::size_t bytes = 0;
  std::size_t alignment = 256;  ///< a power of two; host memory is aligned to it
  MemoryTag tag = MemoryTag::kOther;
  void* stream = nullptr;  ///< the cudaStream_t the memory will be used on (managed: attached)
  int device = 0;          ///< the CUDA device ordinal for device and managed memory
  std::string label;       ///< "the activation arena", "input 'x'", ...
};

/// An allocator the runtime can be given. Implementations must be thread-safe and must not throw;
/// allocate() returns null when it cannot satisfy the request.
class Allocator {
 public:
  virtual ~Allocator() = default;
  virtual void* allocate(const AllocationRequest& r) noexcept = 0;
  virtual void deallocate(void* p, const AllocationRequest& r) noexcept = 0;
};

/// The default allocator: aligned host allocation, cudaMalloc, cudaHostAlloc (mapped, portable)
/// and cudaMallocManaged. Without the CUDA backend only kHost succeeds.
Allocator& system_allocator() noexcept;

/// Current and peak bytes of one tag or kind.
struct MemoryUsage {
  std::uint64_t current = 0;
  std::uint64_t peak = 0;
  std::uint64_t allocations = 0;  ///< allocations made (not freed ones subtracted)
};

/// An allocation or a release, as the tracker recorded it.
struct MemoryEvent {
  double time_ms = 0.0;    ///< since the tracker started (or since reset_events())
  std::int64_t bytes = 0;  ///< > 0: allocated; < 0: released
  MemoryKind kind = MemoryKind::kHost;
  MemoryTag tag = MemoryTag::kOther;
  int device = 0;
  std::uint64_t id = 0;  ///< the same id on the allocation and its release
  std::string label;
  bool measured = false;  ///< memory the SDK caused but did not allocate (library overhead)
};

/// An allocation still alive.
struct LiveAllocation {
  std::uint64_t id = 0;
  std::size_t bytes = 0;
  MemoryKind kind = MemoryKind::kHost;
  MemoryTag tag = MemoryTag::kOther;
  std::string label;
  double time_ms = 0.0;
  bool measured = false;
};

/// The tracking allocator: wraps the allocator in use (system_allocator() unless set_allocator()
/// gave another) and records everything. One per process: tracking_allocator(). Thread-safe.
class TrackingAllocator {
 public:
  TrackingAllocator();
  ~TrackingAllocator();
  TrackingAllocator(const TrackingAllocator&) = delete;
  TrackingAllocator& operator=(const TrackingAllocator&) = delete;

  /// Allocates through the wrapped allocator. kOutOfMemory naming the request (label, tag, kind,
  /// size) when the budget would be exceeded or the allocator returns null.
  Expected<void*> allocate(const AllocationRequest& r);
  /// Releases a pointer allocate() returned (null is ignored).
  void deallocate(void* p) noexcept;

  /// Records `bytes` the SDK caused but did not allocate itself (library handles measured by
  /// free-memory deltas, an engine file mapped into memory) as a live entry; returns its id for
  /// release_measured(). Budgets count it (kOutOfMemory when it does not fit, nothing recorded);
  /// the leak report does not list it.
  Expected<std::uint64_t> record_measured(std::size_t bytes, MemoryKind kind, MemoryTag tag,
                                          int device, const std::string& label);
  void release_measured(std::uint64_t id) noexcept;

  /// Replaces the wrapped allocator (null: system_allocator()). kFailedPrecondition while any
  /// allocation made through the current one is alive (they must be released by it).
  Status set_allocator(Allocator* a);

  /// A budget in bytes over every live allocation (all kinds: on a Jetson they share one DRAM);
  /// 0 removes it. Allocations that would exceed it fail with kOutOfMemory. The environment
  /// variable EDGERT_MEMORY_BUDGET ("512M", "2G", bytes) sets it when the tracker starts.
  void set_budget(std::uint64_t bytes) noexcept;
  std::uint64_t budget() const noexcept;

  MemoryUsage usage(MemoryTag t) const;
  MemoryUsage usage(MemoryKind k) const;
  MemoryUsage total() const;
  /// Every live allocation, oldest first.
  std::vector<LiveAllocation> live() const;
  /// Live allocations excluding measured entries, one line each ("" when none): after every
  /// engine and context is destroyed this must be empty.
  std::string leak_report() const;

  /// Events since the tracker started or since the last reset_events(), in order. Recording can
  /// be switched off (set_record_events(false)); usage and live() are always kept.
  std::vector<MemoryEvent> events() const;
  /// Clears the events, restarts their clock and sets every peak to the current value.
  void reset_events();
  /// Milliseconds on the events' clock (since the tracker started or the last reset_events()).
  double elapsed_ms() const;
  void set_record_events(bool on) noexcept;

  struct Impl;

 private:
  Impl* impl_;
};

/// The process-wide tracking allocator every runtime buffer goes through.
TrackingAllocator& tracking_allocator() noexcept;

/// Parses "123", "64K", "512M", "2G" (powers of 1024) into bytes.
Expected<std::uint64_t> parse_byte_size(const std::string& text);

/// "1.50 MiB", "312 B".
std::string format_bytes(std::uint64_t bytes);

}  // namespace edgert
