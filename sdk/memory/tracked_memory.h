// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Owned memory from the tracking allocator (RAII), and a tracker entry for memory the runtime
// causes without allocating it (an engine file mapped into memory). Internal to the runtime.

#include <cstdint>
#include <utility>

#include "edgert/memory.h"

namespace edgert {

class TrackedMemory {
 public:
  TrackedMemory() = default;
  ~TrackedMemory() { reset(); }
  TrackedMemory(TrackedMemory&& o) noexcept
      : ptr_(std::exchange(o.ptr_, nullptr)), bytes_(std::exchange(o.bytes_, 0)) {}
  TrackedMemory& operator=(TrackedMemory&& o) noexcept {
    if (this != &o) {
      reset();
      ptr_ = std::exchange(o.ptr_, nullptr);
      bytes_ = std::exchange(o.bytes_, 0);
    }
    return *this;
  }
  TrackedMemory(const TrackedMemory&) = delete;
  TrackedMemory& operator=(const TrackedMemory&) = delete;

  Status allocate(const AllocationRequest& r) {
    reset();
    EDGERT_ASSIGN_OR_RETURN(ptr_, tracking_allocator().allocate(r));
    bytes_ = r.bytes;
    return {};
  }
  void reset() {
    tracking_allocator().deallocate(ptr_);
    ptr_ = nullptr;
    bytes_ = 0;
  }
  void* get() const { return ptr_; }
  std::size_t size() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  std::size_t bytes_ = 0;
};

/// A measured entry, released with the object.
class MeasuredMemory {
 public:
  MeasuredMemory() = default;
  ~MeasuredMemory() {
    if (id_) tracking_allocator().release_measured(id_);
  }
  MeasuredMemory(const MeasuredMemory&) = delete;
  MeasuredMemory& operator=(const MeasuredMemory&) = delete;
  Status record(std::size_t bytes, MemoryKind kind, MemoryTag tag, int device,
                const std::string& label) {
    if (id_) tracking_allocator().release_measured(id_);
    id_ = 0;
    EDGERT_ASSIGN_OR_RETURN(id_,
                            tracking_allocator().record_measured(bytes, kind, tag, device, label));
    return {};
  }

 private:
  std::uint64_t id_ = 0;
};

}  // namespace edgert
