// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The system allocator and the process-wide tracking allocator (edgert/memory.h).

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <sstream>

#include "edgert/memory.h"

#if EDGERT_HAVE_CUDA
#include <cuda_runtime_api.h>
#endif

namespace edgert {

const char* memory_kind_name(MemoryKind k) noexcept {
  switch (k) {
    case MemoryKind::kHost: return "host";
    case MemoryKind::kPinned: return "pinned";
    case MemoryKind::kDevice: return "device";
    case MemoryKind::kManaged: return "managed";
  }
  return "?";
}

const char* memory_tag_name(MemoryTag t) noexcept {
  switch (t) {
    case MemoryTag::kWeights: return "weights";
    case MemoryTag::kActivations: return "activations";
    case MemoryTag::kWorkspace: return "workspace";
    case MemoryTag::kIO: return "io";
    case MemoryTag::kPreprocessing: return "preprocessing";
    case MemoryTag::kLibrary: return "library";
    case MemoryTag::kOther: return "other";
  }
  return "?";
}

std::string format_bytes(std::uint64_t bytes) {
  char buf[64];
  if (bytes < 1024) {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  } else {
    const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(bytes) / 1024.0;
    int u = 0;
    while (v >= 1024.0 && u < 3) {
      v /= 1024.0;
      ++u;
    }
    std::snprintf(buf, sizeof buf, "%.2f %s", v, units[u]);
  }
  return buf;
}

Expected<std::uint64_t> parse_byte_size(const std::string& text) {
  std::size_t pos = 0;
  unsigned long long v = 0;
  try {
    v = std::stoull(text, &pos);
  } catch (...) {
    pos = 0;
  }
  if (pos == 0 || text[0] == '-')
    return Status(StatusCode::kInvalidArgument,
                  "'" + text + "' is not a byte size (a number with an optional K, M or G)");
  std::uint64_t mult = 1;
  const std::string suffix = text.substr(pos);
  if (suffix == "K" || suffix == "k" || suffix == "KiB") {
    mult = 1ull << 10;
  } else if (suffix == "M" || suffix == "m" || suffix == "MiB") {
    mult = 1ull << 20;
  } else if (suffix == "G" || suffix == "g" || suffix == "GiB") {
    mult = 1ull << 30;
  } else if (!suffix.empty() && suffix != "B") {
    return Status(StatusCode::kInvalidArgument, "'" + text + "': unknown size suffix '" + suffix +
                                                    "' (K, M or G: powers of 1024)");
  }
  return static_cast<std::uint64_t>(v) * mult;
}

namespace {

class SystemAllocator final : public Allocator {
 public:
  void* allocate(const AllocationRequest& r) noexcept override {
    const std::size_t bytes = r.bytes ? r.bytes : 1;
    switch (r.kind) {
      case MemoryKind::kHost: {
        const std::size_t align = r.alignment < sizeof(void*) ? sizeof(void*) : r.alignment;
        return std::aligned_alloc(align, (bytes + align - 1) / align * align);
      }
#if EDGERT_HAVE_CUDA
      case MemoryKind::kDevice: {
        void* p = nullptr;
        if (cudaMalloc(&p, bytes) != cudaSuccess) {
          cudaGetLastError();
          return nullptr;
        }
        return p;
      }
      case MemoryKind::kPinned: {
        void* p = nullptr;
        if (cudaHostAlloc(&p, bytes, cudaHostAllocMapped | cudaHostAllocPortable) != cudaSuccess) {
          cudaGetLastError();
          return nullptr;
        }
        return p;
      }
      case MemoryKind::kManaged: {
        void* p = nullptr;
        // Attached to one stream, the memory is the host's between that stream's work (no
        // migration faults from other streams on devices without concurrent managed access).
        const unsigned flags = r.stream ? cudaMemAttachHost : cudaMemAttachGlobal;
        if (cudaMallocManaged(&p, bytes, flags) != cudaSuccess) {
          cudaGetLastError();
          return nullptr;
        }
        if (r.stream && cudaStreamAttachMemAsync(static_cast<cudaStream_t>(r.stream), p, 0,
                                                 cudaMemAttachSingle) != cudaSuccess) {
          cudaGetLastError();
          cudaFree(p);
          return nullptr;
        }
        return p;
      }
#else
      default: return nullptr;
#endif
    }
    return nullptr;
  }

  void deallocate(void* p, const AllocationRequest& r) noexcept override {
    if (!p) return;
    switch (r.kind) {
      case MemoryKind::kHost: std::free(p); return;
#if EDGERT_HAVE_CUDA
      case MemoryKind::kDevice:
      case MemoryKind::kManaged: cudaFree(p); return;
      case MemoryKind::kPinned: cudaFreeHost(p); return;
#else
      default: return;
#endif
    }
  }
};

using Clock = std::chrono::steady_clock;

std::string describe(const AllocationRequest& r) {
  return (r.label.empty() ? std::string("a buffer") : r.label) + " (" + memory_tag_name(r.tag) +
         ", " + memory_kind_name(r.kind) + " memory, " + format_bytes(r.bytes) + ")";
}

struct Entry {
  std::uint64_t id = 0;
  AllocationRequest request;
  double time_ms = 0.0;
  bool measured = false;
  Allocator* allocator = nullptr;
};

}  // namespace

struct TrackingAllocator::Impl {
  mutable std::mutex mu;
  Allocator* allocator = &system_allocator();
  std::uint64_t budget = 0;
  std::uint64_t next_id = 1;
  Clock::time_point t0 = Clock::now();
  bool record = true;
  std::map<const void*, Entry> by_ptr;
  std::map<std::uint64_t, Entry> measured;
  MemoryUsage tags[kMemoryTagCount];
  MemoryUsage kinds[kMemoryKindCount];
  MemoryUsage all;
  std::vector<MemoryEvent> events;

  double now_ms() const {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  }
  static void add(MemoryUsage& u, std::int64_t bytes) {
    if (bytes > 0) {
      u.current += static_cast<std::uint64_t>(bytes);
      ++u.allocations;
      if (u.current > u.peak) u.peak = u.current;
    } else {
      const auto b = static_cast<std::uint64_t>(-bytes);
      u.current = u.current >= b ? u.current - b : 0;
    }
  }
  void count(const Entry& e, bool alloc) {
    const auto b = static_cast<std::int64_t>(e.request.bytes);
    const std::int64_t d = alloc ? b : -b;
    add(tags[static_cast<int>(e.request.tag)], d);
    add(kinds[static_cast<int>(e.request.kind)], d);
    add(all, d);
    if (record)
      events.push_back({now_ms(), d, e.request.kind, e.request.tag, e.request.device, e.id,
                        e.request.label, e.measured});
  }
  Status check_budget(const AllocationRequest& r) const {
    if (!budget || all.current + r.bytes <= budget) return {};
    return Status(StatusCode::kOutOfMemory,
                  "memory budget exceeded: " + describe(r) + " would bring the total to " +
                      format_bytes(all.current + r.bytes) + " of the " + format_bytes(budget) +
                      " budget (in use: " + in_use() + ")");
  }
  std::string in_use() const {
    std::ostringstream os;
    bool first = true;
    for (int t = 0; t < kMemoryTagCount; ++t)
      if (tags[t].current) {
        os << (first ? "" : ", ") << memory_tag_name(static_cast<MemoryTag>(t)) << " "
           << format_bytes(tags[t].current);
        first = false;
      }
    return first ? std::string("nothing") : os.str();
  }
};

TrackingAllocator::TrackingAllocator() : impl_(new Impl) {
  if (const char* env = std::getenv("EDGERT_MEMORY_BUDGET"); env && *env) {
    auto b = parse_byte_size(env);
    if (b) {
      impl_->budget = *b;
    } else {
      std::fprintf(stderr, "[edgert] EDGERT_MEMORY_BUDGET ignored: %s\n",
                   b.status().message().c_str());
    }
  }
}

TrackingAllocator::~TrackingAllocator() { delete impl_; }

Expected<void*> TrackingAllocator::allocate(const AllocationRequest& r) {
  std::unique_lock<std::mutex> lock(impl_->mu);
  EDGERT_RETURN_IF_ERROR(impl_->check_budget(r));
  const std::string desc = describe(r);
  Allocator* a = impl_->allocator;
  lock.unlock();  // the allocator may take time (cudaMalloc) and is thread-safe itself
  void* p = a->allocate(r);
  lock.lock();
  if (!p)
    return Status(StatusCode::kOutOfMemory,
                  "out of memory: allocating " + desc + " failed (in use by EdgeRT: " +
                      format_bytes(impl_->all.current) + ": " + impl_->in_use() + ")");
  Entry e{impl_->next_id++, r, impl_->now_ms(), false, a};
  impl_->count(e, true);
  impl_->by_ptr[p] = std::move(e);
  return p;
}

void TrackingAllocator::deallocate(void* p) noexcept {
  if (!p) return;
  Entry e;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    auto it = impl_->by_ptr.find(p);
    if (it == impl_->by_ptr.end()) return;  // not ours: never free what we did not allocate
    e = std::move(it->second);
    impl_->by_ptr.erase(it);
    impl_->count(e, false);
  }
  e.allocator->deallocate(p, e.request);
}

Expected<std::uint64_t> TrackingAllocator::record_measured(std::size_t bytes, MemoryKind kind,
                                                           MemoryTag tag, int device,
                                                           const std::string& label) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  AllocationRequest r;
  r.kind = kind;
  r.bytes = bytes;
  r.tag = tag;
  r.device = device;
  r.label = label;
  EDGERT_RETURN_IF_ERROR(impl_->check_budget(r));
  Entry e{impl_->next_id++, r, impl_->now_ms(), true, nullptr};
  impl_->count(e, true);
  const std::uint64_t id = e.id;
  impl_->measured[id] = std::move(e);
  return id;
}

void TrackingAllocator::release_measured(std::uint64_t id) noexcept {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->measured.find(id);
  if (it == impl_->measured.end()) return;
  impl_->count(it->second, false);
  impl_->measured.erase(it);
}

Status TrackingAllocator::set_allocator(Allocator* a) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (!impl_->by_ptr.empty())
    return Status(StatusCode::kInvalidArgument,
                  "set_allocator: " + std::to_string(impl_->by_ptr.size()) +
                      " allocation(s) made through the current allocator are alive (destroy "
                      "every engine and context first)");
  impl_->allocator = a ? a : &system_allocator();
  return {};
}

void TrackingAllocator::set_budget(std::uint64_t bytes) noexcept {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->budget = bytes;
}

std::uint64_t TrackingAllocator::budget() const noexcept {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->budget;
}

MemoryUsage TrackingAllocator::usage(MemoryTag t) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->tags[static_cast<int>(t)];
}

MemoryUsage TrackingAllocator::usage(MemoryKind k) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->kinds[static_cast<int>(k)];
}

MemoryUsage TrackingAllocator::total() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->all;
}

std::vector<LiveAllocation> TrackingAllocator::live() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::map<std::uint64_t, LiveAllocation> by_id;
  auto add = [&](const Entry& e) {
    by_id[e.id] = {e.id,      e.request.bytes, e.request.kind, e.request.tag, e.request.label,
                   e.time_ms, e.measured};
  };
  for (const auto& [p, e] : impl_->by_ptr) add(e);
  for (const auto& [id, e] : impl_->measured) add(e);
  std::vector<LiveAllocation> v;
  for (auto& [id, a] : by_id) v.push_back(std::move(a));
  return v;
}

std::string TrackingAllocator::leak_report() const {
  std::ostringstream os;
  for (const auto& a : live()) {
    if (a.measured) continue;
    os << "leak: #" << a.id << " " << (a.label.empty() ? "(no label)" : a.label) << ": "
       << format_bytes(a.bytes) << " " << memory_kind_name(a.kind) << " (" << memory_tag_name(a.tag)
       << "), allocated at " << a.time_ms << " ms\n";
  }
  return os.str();
}

std::vector<MemoryEvent> TrackingAllocator::events() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->events;
}

void TrackingAllocator::reset_events() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->events.clear();
  impl_->t0 = Clock::now();
  for (auto& u : impl_->tags) u.peak = u.current;
  for (auto& u : impl_->kinds) u.peak = u.current;
  impl_->all.peak = impl_->all.current;
  // Live entries keep their times relative to the old clock: shift them to the new one.
  for (auto& [p, e] : impl_->by_ptr) e.time_ms = 0.0;
  for (auto& [id, e] : impl_->measured) e.time_ms = 0.0;
}

double TrackingAllocator::elapsed_ms() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->now_ms();
}

void TrackingAllocator::set_record_events(bool on) noexcept {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->record = on;
}

Allocator& system_allocator() noexcept {
  static SystemAllocator a;
  return a;
}

namespace {

/// With EDGERT_LEAK_REPORT=1, what is still allocated when the process exits goes to stderr.
void report_leaks_at_exit() {
  const std::string leaks = tracking_allocator().leak_report();
  if (!leaks.empty())
    std::fprintf(stderr, "[edgert] memory still allocated at exit:\n%s", leaks.c_str());
}

}  // namespace

TrackingAllocator& tracking_allocator() noexcept {
  // Never destroyed: engines held in static objects may release their memory after main().
  static TrackingAllocator* t = [] {
    auto* tracker = new TrackingAllocator;
    if (const char* env = std::getenv("EDGERT_LEAK_REPORT"); env && std::string(env) == "1")
      std::atexit(report_leaks_at_exit);
    return tracker;
  }();
  return *t;
}

}  // namespace edgert
