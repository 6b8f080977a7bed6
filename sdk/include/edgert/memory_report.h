// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The memory-footprint report of an engine (`edgert memreport`): what the engine file says
/// (static), what the tracking allocator saw while the engine was loaded, a context created and
/// inferences run (dynamic), and how many contexts fit on each Jetson module (fit). Written as a
/// terminal table, JSON (schema in docs/memory.md), a self-contained HTML page with charts, and a
/// Chrome/Perfetto trace-event file.

#include <cstdint>
#include <string>
#include <vector>

#include "edgert/memory.h"
#include "edgert/runtime.h"
#include "edgert/status.h"

namespace edgert {

struct MemoryReportOptions {
  int runs = 10;           ///< inferences measured after the context is created
  double share = 0.5;      ///< share of a module's memory the engine may use, for "fit"
  ContextOptions context;  ///< options of the measured context (profile is forced on)
};

struct LayerMemory {
  std::string name;
  std::string type;
  std::uint64_t weight_bytes = 0;  ///< the weights this layer reads (each counted once)
  double avg_ms = 0.0;             ///< from one profiled run
};

/// A phase of the measurement on the tracker's clock.
struct MemoryPhase {
  std::string name;  ///< "load", "context", "inference", "teardown"
  double start_ms = 0.0;
  double end_ms = 0.0;
};

struct ModuleFit {
  std::string module;  ///< "Jetson Orin Nano 4GB", ...
  std::uint64_t memory_bytes = 0;
  std::uint64_t available_bytes = 0;  ///< share * memory
  std::int64_t contexts = 0;          ///< contexts of this engine that fit (0: not even one)
};

struct MemoryReport {
  // Static: from the engine.
  std::string engine;  ///< path
  std::string target;  ///< "cpu" or "cuda sm_90 (...)"
  std::uint64_t file_bytes = 0;
  std::uint64_t weight_bytes = 0;  ///< the weights section (layers' weights plus alignment padding)
  std::uint64_t arena_bytes = 0;
  std::uint64_t naive_activation_bytes = 0;
  std::uint64_t io_bytes = 0;
  std::uint64_t runtime_library_bytes = 0;  ///< size of libedgert_runtime on disk
  std::string runtime_library;              ///< its path
  std::vector<LayerMemory> layers;
  // Dynamic: from the tracking allocator.
  int runs = 0;
  std::string io_memory;  ///< the context's I/O mode
  std::vector<MemoryPhase> phases;
  std::vector<MemoryEvent> events;
  MemoryUsage tags[kMemoryTagCount];  ///< peak and current per tag over the measurement
  MemoryUsage kinds[kMemoryKindCount];
  MemoryUsage total;
  std::uint64_t engine_load_bytes = 0;  ///< live after load, before any context
  std::uint64_t context_bytes = 0;      ///< what one context added (arena, workspace, I/O, handles)
  std::uint64_t library_bytes = 0;      ///< measured library overhead (part of the two above)
  std::uint64_t leaked_bytes = 0;       ///< still allocated after teardown (must be 0)
  // Fit.
  double share = 0.5;
  std::vector<ModuleFit> fit;
};

/// Loads the engine at `engine_path`, creates one context, runs `options.runs` inferences on zero
/// inputs and tears everything down, recording all of it with the tracking allocator (its events
/// are reset first). Memory that other objects of the process hold stays in the totals and is not
/// counted in the engine and context deltas.
Expected<MemoryReport> measure_memory(const std::string& engine_path,
                                      const MemoryReportOptions& options = {});

std::string memory_report_text(const MemoryReport& r);
/// What the tracking allocator holds now: current and peak bytes per tag and per kind, and any
/// allocation still alive (the short form `edgert bench --memory-report` prints).
std::string memory_usage_text();
std::string memory_report_json(const MemoryReport& r);
std::string memory_report_html(const MemoryReport& r);
/// Chrome trace-event JSON (chrome://tracing, ui.perfetto.dev): a counter track of live bytes per
/// tag, one slice per allocation lifetime, the phases, and the layers of one profiled inference.
std::string memory_report_trace(const MemoryReport& r);

}  // namespace edgert
