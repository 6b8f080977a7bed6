// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The memory-footprint report (edgert/memory_report.h): measurement and the four writers.

#include "edgert/memory_report.h"

#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>

#include "runtime/runtime_internal.h"

namespace edgert {
namespace {

struct Module {
  const char* name;
  std::uint64_t gib;
};
// Jetson Orin modules: the CPU and the GPU share this DRAM.
constexpr Module kModules[] = {{"Jetson Orin Nano 4GB", 4},  {"Jetson Orin Nano 8GB", 8},
                               {"Jetson Orin NX 8GB", 8},    {"Jetson Orin NX 16GB", 16},
                               {"Jetson AGX Orin 32GB", 32}, {"Jetson AGX Orin 64GB", 64}};

std::uint64_t live_total() { return tracking_allocator().total().current; }

std::string json_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\t': o += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char b[8];
          std::snprintf(b, sizeof b, "\\u%04x", c);
          o += b;
        } else {
          o += c;
        }
    }
  }
  return o;
}

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string num(double v, int digits = 3) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(digits) << v;
  return os.str();
}

std::string runtime_library_path() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&measure_memory), &info) && info.dli_fname)
    return info.dli_fname;
  return {};
}

const char* const kTagColors[kMemoryTagCount] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2",
                                                 "#59a14f", "#edc948", "#b07aa1"};

}  // namespace

Expected<MemoryReport> measure_memory(const std::string& engine_path,
                                      const MemoryReportOptions& options) {
  if (options.runs < 0) return Status(StatusCode::kInvalidArgument, "memreport: runs must be >= 0");
  if (!(options.share > 0.0 && options.share <= 1.0))
    return Status(StatusCode::kInvalidArgument, "memreport: share must be in (0, 1]");
  TrackingAllocator& t = tracking_allocator();
  MemoryReport r;
  r.engine = engine_path;
  r.runs = options.runs;
  r.share = options.share;
  std::error_code ec;
  r.file_bytes = std::filesystem::file_size(engine_path, ec);
  if (ec)
    return Status(StatusCode::kNotFound,
                  "memreport: cannot read '" + engine_path + "': " + ec.message());
  r.runtime_library = runtime_library_path();
  if (!r.runtime_library.empty()) {
    auto sz = std::filesystem::file_size(r.runtime_library, ec);
    if (!ec) r.runtime_library_bytes = sz;
  }

  t.reset_events();
  const std::uint64_t base = live_total();
  {
    // Load.
    const double t0 = t.elapsed_ms();
    auto engine = Engine::load(engine_path);
    if (!engine) return engine.status().with_context("memreport");
    r.phases.push_back({"load", t0, t.elapsed_ms()});
    r.engine_load_bytes = live_total() - base;
    const Engine& e = **engine;
    const engine::EngineDef& d = e.impl().def;
    r.target = d.header.target.to_string();
    r.weight_bytes = d.memory.weight_bytes;  // the weights section, alignment padding included
    r.arena_bytes = d.memory.arena_bytes;
    r.naive_activation_bytes = d.memory.naive_bytes;
    for (auto i : d.inputs) r.io_bytes += d.tensors[static_cast<std::size_t>(i)].nbytes;
    for (auto o : d.outputs) r.io_bytes += d.tensors[static_cast<std::size_t>(o)].nbytes;
    std::set<std::int32_t> seen;
    for (const auto& l : d.layers) {
      LayerMemory lm{l.name, l.type, 0, 0.0};
      for (auto in : l.inputs) {
        if (in < 0) continue;
        std::int32_t ti = in;
        // A view of a weight is that weight.
        while (d.tensors[static_cast<std::size_t>(ti)].storage == engine::Storage::kAlias)
          ti = d.tensors[static_cast<std::size_t>(ti)].alias_of;
        const auto& td = d.tensors[static_cast<std::size_t>(ti)];
        if (td.storage == engine::Storage::kWeight && seen.insert(ti).second)
          lm.weight_bytes += td.nbytes;
      }
      r.layers.push_back(std::move(lm));
    }

    // Context.
    const double c0 = t.elapsed_ms();
    const std::uint64_t before_ctx = live_total();
    ContextOptions co = options.context;
    co.profile = true;
    auto ctx = e.create_context(co);
    if (!ctx) return ctx.status().with_context("memreport");
    r.phases.push_back({"context", c0, t.elapsed_ms()});
    r.context_bytes = live_total() - before_ctx;
    r.io_memory = (*ctx)->on_gpu() ? io_memory_name((*ctx)->io_memory()) : "host";

    // Inference on zero inputs.
    std::vector<Tensor> inputs;
    for (const auto& in : e.inputs()) {
      auto z = Tensor::allocate(in.dtype, in.shape);
      if (!z) return z.status().with_context("memreport");
      std::memset(z->raw(), 0, z->nbytes());
      inputs.push_back(std::move(z).value());
    }
    std::vector<const Tensor*> ins;
    for (const auto& z : inputs) ins.push_back(&z);
    std::vector<Tensor> outs;
    const double i0 = t.elapsed_ms();
    for (int i = 0; i < options.runs; ++i) {
      Status s = (*ctx)->execute(ins, outs);
      if (!s.ok()) return s.with_context("memreport: inference " + std::to_string(i + 1));
    }
    r.phases.push_back({"inference", i0, t.elapsed_ms()});
    const auto prof = (*ctx)->layer_profile();
    for (std::size_t li = 0; li < prof.size() && li < r.layers.size(); ++li)
      r.layers[li].avg_ms =
          prof[li].runs ? prof[li].total_ms / static_cast<double>(prof[li].runs) : 0.0;
    for (const auto& a : t.live())
      if (a.measured && a.tag == MemoryTag::kLibrary) r.library_bytes += a.bytes;
    for (int k = 0; k < kMemoryTagCount; ++k) r.tags[k] = t.usage(static_cast<MemoryTag>(k));
    for (int k = 0; k < kMemoryKindCount; ++k) r.kinds[k] = t.usage(static_cast<MemoryKind>(k));
    r.total = t.total();
    // Teardown: context, then engine.
    const double d0 = t.elapsed_ms();
    ctx->reset();
    engine->reset();
    r.phases.push_back({"teardown", d0, t.elapsed_ms()});
  }
  const std::uint64_t after = live_total();
  r.leaked_bytes = after > base ? after - base : 0;
  r.events = t.events();

  // Fit: the engine once, then as many contexts as the rest of the share holds.
  for (const Module& m : kModules) {
    ModuleFit f;
    f.module = m.name;
    f.memory_bytes = m.gib << 30;
    f.available_bytes = static_cast<std::uint64_t>(static_cast<double>(f.memory_bytes) * r.share);
    if (f.available_bytes > r.engine_load_bytes)
      f.contexts = r.context_bytes
                       ? static_cast<std::int64_t>((f.available_bytes - r.engine_load_bytes) /
                                                   r.context_bytes)
                       : -1;
    r.fit.push_back(f);
  }
  return r;
}

std::string memory_report_text(const MemoryReport& r) {
  std::ostringstream os;
  auto row = [&](const std::string& k, const std::string& v) {
    os << "  " << std::left << std::setw(34) << k << v << "\n";
  };
  os << "Memory report: " << r.engine << "\n"
     << "Target: " << r.target << (r.io_memory.empty() ? "" : ", I/O " + r.io_memory) << "\n\n"
     << "Static (from the engine)\n";
  row("engine file", format_bytes(r.file_bytes));
  row("weights", format_bytes(r.weight_bytes));
  row("activation arena (planned)",
      format_bytes(r.arena_bytes) + " (naive sum " + format_bytes(r.naive_activation_bytes) + ")");
  row("inputs + outputs", format_bytes(r.io_bytes));
  row("runtime library", format_bytes(r.runtime_library_bytes));
  os << "\nDynamic (tracking allocator: load, 1 context, " << r.runs << " inferences)\n";
  row("engine after load", format_bytes(r.engine_load_bytes));
  row("one context", format_bytes(r.context_bytes));
  row("  of which measured library", format_bytes(r.library_bytes));
  row("peak, all", format_bytes(r.total.peak));
  row("left after teardown", format_bytes(r.leaked_bytes));
  os << "\n  " << std::left << std::setw(16) << "tag" << std::right << std::setw(14) << "peak"
     << std::setw(14) << "allocations"
     << "\n";
  for (int k = 0; k < kMemoryTagCount; ++k)
    if (r.tags[k].allocations)
      os << "  " << std::left << std::setw(16) << memory_tag_name(static_cast<MemoryTag>(k))
         << std::right << std::setw(14) << format_bytes(r.tags[k].peak) << std::setw(14)
         << r.tags[k].allocations << "\n";
  os << "  " << std::left << std::setw(16) << "kind" << std::right << std::setw(14) << "peak"
     << "\n";
  for (int k = 0; k < kMemoryKindCount; ++k)
    if (r.kinds[k].allocations)
      os << "  " << std::left << std::setw(16) << memory_kind_name(static_cast<MemoryKind>(k))
         << std::right << std::setw(14) << format_bytes(r.kinds[k].peak) << "\n";
  os << "\nFit (" << num(r.share * 100, 0) << " % of each module's memory; engine once, then "
     << "contexts)\n";
  for (const auto& f : r.fit)
    os << "  " << std::left << std::setw(24) << f.module << std::right << std::setw(12)
       << format_bytes(f.available_bytes) << "  "
       << (f.contexts < 0 ? std::string("unbounded") : std::to_string(f.contexts) + " context(s)")
       << "\n";
  std::vector<const LayerMemory*> heavy;
  for (const auto& l : r.layers)
    if (l.weight_bytes) heavy.push_back(&l);
  std::sort(heavy.begin(), heavy.end(), [](const LayerMemory* a, const LayerMemory* b) {
    return a->weight_bytes > b->weight_bytes;
  });
  os << "\nLargest weights (" << heavy.size() << " layers with weights)\n";
  for (std::size_t i = 0; i < heavy.size() && i < 10; ++i)
    os << "  " << std::left << std::setw(48) << heavy[i]->name.substr(0, 47) << std::right
       << std::setw(12) << format_bytes(heavy[i]->weight_bytes) << "\n";
  return os.str();
}

std::string memory_usage_text() {
  const TrackingAllocator& t = tracking_allocator();
  std::ostringstream os;
  os << "Memory (tracking allocator; peak since the process started)\n  " << std::left
     << std::setw(16) << "" << std::right << std::setw(14) << "current" << std::setw(14) << "peak"
     << "\n";
  auto line = [&](const char* name, const MemoryUsage& u) {
    if (!u.allocations) return;
    os << "  " << std::left << std::setw(16) << name << std::right << std::setw(14)
       << format_bytes(u.current) << std::setw(14) << format_bytes(u.peak) << "\n";
  };
  for (int k = 0; k < kMemoryTagCount; ++k)
    line(memory_tag_name(static_cast<MemoryTag>(k)), t.usage(static_cast<MemoryTag>(k)));
  for (int k = 0; k < kMemoryKindCount; ++k)
    line(memory_kind_name(static_cast<MemoryKind>(k)), t.usage(static_cast<MemoryKind>(k)));
  line("total", t.total());
  return os.str();
}

std::string memory_report_json(const MemoryReport& r) {
  std::ostringstream os;
  auto usage = [&](const MemoryUsage& u) {
    os << "{\"current\": " << u.current << ", \"peak\": " << u.peak
       << ", \"allocations\": " << u.allocations << "}";
  };
  os << "{\n  \"schema\": \"edgert-memory-report/1\",\n  \"engine\": \"" << json_escape(r.engine)
     << "\",\n  \"target\": \"" << json_escape(r.target) << "\",\n  \"io_memory\": \""
     << json_escape(r.io_memory) << "\",\n  \"static\": {\"file_bytes\": " << r.file_bytes
     << ", \"weight_bytes\": " << r.weight_bytes << ", \"arena_bytes\": " << r.arena_bytes
     << ", \"naive_activation_bytes\": " << r.naive_activation_bytes
     << ", \"io_bytes\": " << r.io_bytes
     << ", \"runtime_library_bytes\": " << r.runtime_library_bytes << ", \"runtime_library\": \""
     << json_escape(r.runtime_library) << "\"},\n  \"layers\": [";
  for (std::size_t i = 0; i < r.layers.size(); ++i)
    os << (i ? ",\n    " : "\n    ") << "{\"name\": \"" << json_escape(r.layers[i].name)
       << "\", \"type\": \"" << json_escape(r.layers[i].type)
       << "\", \"weight_bytes\": " << r.layers[i].weight_bytes
       << ", \"avg_ms\": " << num(r.layers[i].avg_ms, 6) << "}";
  os << "\n  ],\n  \"dynamic\": {\"runs\": " << r.runs
     << ", \"engine_load_bytes\": " << r.engine_load_bytes
     << ", \"context_bytes\": " << r.context_bytes << ", \"library_bytes\": " << r.library_bytes
     << ", \"leaked_bytes\": " << r.leaked_bytes << ",\n    \"total\": ";
  usage(r.total);
  os << ",\n    \"tags\": {";
  for (int k = 0; k < kMemoryTagCount; ++k) {
    os << (k ? ", " : "") << "\"" << memory_tag_name(static_cast<MemoryTag>(k)) << "\": ";
    usage(r.tags[k]);
  }
  os << "},\n    \"kinds\": {";
  for (int k = 0; k < kMemoryKindCount; ++k) {
    os << (k ? ", " : "") << "\"" << memory_kind_name(static_cast<MemoryKind>(k)) << "\": ";
    usage(r.kinds[k]);
  }
  os << "},\n    \"phases\": [";
  for (std::size_t i = 0; i < r.phases.size(); ++i)
    os << (i ? ", " : "") << "{\"name\": \"" << r.phases[i].name
       << "\", \"start_ms\": " << num(r.phases[i].start_ms)
       << ", \"end_ms\": " << num(r.phases[i].end_ms) << "}";
  os << "],\n    \"events\": [";
  for (std::size_t i = 0; i < r.events.size(); ++i) {
    const auto& e = r.events[i];
    os << (i ? ",\n      " : "\n      ") << "{\"time_ms\": " << num(e.time_ms)
       << ", \"bytes\": " << e.bytes << ", \"kind\": \"" << memory_kind_name(e.kind)
       << "\", \"tag\": \"" << memory_tag_name(e.tag) << "\", \"id\": " << e.id
       << ", \"measured\": " << (e.measured ? "true" : "false") << ", \"label\": \""
       << json_escape(e.label) << "\"}";
  }
  os << "\n    ]\n  },\n  \"fit\": {\"share\": " << num(r.share, 3) << ", \"modules\": [";
  for (std::size_t i = 0; i < r.fit.size(); ++i)
    os << (i ? ", " : "") << "\n    {\"module\": \"" << r.fit[i].module
       << "\", \"memory_bytes\": " << r.fit[i].memory_bytes
       << ", \"available_bytes\": " << r.fit[i].available_bytes
       << ", \"contexts\": " << r.fit[i].contexts << "}";
  os << "\n  ]}\n}\n";
  return os.str();
}

std::string memory_report_trace(const MemoryReport& r) {
  std::ostringstream os;
  os << "{\"displayTimeUnit\": \"ms\", \"traceEvents\": [\n";
  bool first = true;
  auto ev = [&](const std::string& body) {
    os << (first ? "  " : ",\n  ") << "{" << body << "}";
    first = false;
  };
  auto us = [](double ms) { return num(ms * 1000.0, 1); };
  ev("\"name\": \"process_name\", \"ph\": \"M\", \"pid\": 1, \"args\": {\"name\": \"EdgeRT " +
     json_escape(r.engine) + "\"}");
  ev("\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 1, \"tid\": 1, \"args\": {\"name\": "
     "\"phases\"}");
  ev("\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 1, \"tid\": 2, \"args\": {\"name\": "
     "\"allocations\"}");
  ev("\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 1, \"tid\": 3, \"args\": {\"name\": "
     "\"layers (one profiled inference)\"}");
  for (const auto& p : r.phases)
    ev("\"name\": \"" + p.name + "\", \"ph\": \"X\", \"pid\": 1, \"tid\": 1, \"ts\": " +
       us(p.start_ms) + ", \"dur\": " + us(p.end_ms - p.start_ms));
  // Live bytes per tag as counters; each allocation's lifetime as a slice.
  std::int64_t cur[kMemoryTagCount] = {};
  std::map<std::uint64_t, const MemoryEvent*> open;
  double end = r.phases.empty() ? 0.0 : r.phases.back().end_ms;
  for (const auto& e : r.events) {
    cur[static_cast<int>(e.tag)] += e.bytes;
    std::string args;
    for (int k = 0; k < kMemoryTagCount; ++k)
      args += std::string(k ? ", " : "") + "\"" + memory_tag_name(static_cast<MemoryTag>(k)) +
              "\": " + std::to_string(cur[k]);
    ev("\"name\": \"live bytes\", \"ph\": \"C\", \"pid\": 1, \"ts\": " + us(e.time_ms) +
       ", \"args\": {" + args + "}");
    if (e.bytes > 0) {
      open[e.id] = &e;
    } else if (auto it = open.find(e.id); it != open.end()) {
      const MemoryEvent& a = *it->second;
      ev("\"name\": \"" + json_escape(a.label) + "\", \"cat\": \"" + memory_tag_name(a.tag) +
         "\", \"ph\": \"X\", \"pid\": 1, \"tid\": 2, \"ts\": " + us(a.time_ms) + ", \"dur\": " +
         us(e.time_ms - a.time_ms) + ", \"args\": {\"bytes\": " + std::to_string(a.bytes) +
         ", \"kind\": \"" + memory_kind_name(a.kind) + "\"}");
      open.erase(it);
    }
    end = std::max(end, e.time_ms);
  }
  for (const auto& [id, a] : open)
    ev("\"name\": \"" + json_escape(a->label) + " (not released)\", \"cat\": \"" +
       memory_tag_name(a->tag) + "\", \"ph\": \"X\", \"pid\": 1, \"tid\": 2, \"ts\": " +
       us(a->time_ms) + ", \"dur\": " + us(end - a->time_ms) +
       ", \"args\": {\"bytes\": " + std::to_string(a->bytes) + "}");
  // The layers of one inference, back to back from the start of the inference phase.
  double ts = 0.0;
  for (const auto& p : r.phases)
    if (p.name == "inference") ts = p.start_ms;
  for (const auto& l : r.layers) {
    if (l.avg_ms <= 0.0) continue;
    ev("\"name\": \"" + json_escape(l.name) + "\", \"cat\": \"" + json_escape(l.type) +
       "\", \"ph\": \"X\", \"pid\": 1, \"tid\": 3, \"ts\": " + us(ts) +
       ", \"dur\": " + us(l.avg_ms));
    ts += l.avg_ms;
  }
  os << "\n]}\n";
  return os.str();
}

std::string memory_report_html(const MemoryReport& r) {
  std::ostringstream os;
  os << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>EdgeRT memory "
        "report: "
     << html_escape(r.engine)
     << "</title>\n<style>body{font-family:sans-serif;margin:24px;color:#222}"
        "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;"
        "text-align:right}td:first-child,th:first-child{text-align:left}h2{margin-top:28px}"
        ".legend span{display:inline-block;margin-right:14px}.sw{width:12px;height:12px;"
        "display:inline-block;margin-right:4px;vertical-align:middle}</style></head><body>\n";
  os << "<h1>Memory report</h1>\n<p>Engine <code>" << html_escape(r.engine) << "</code>, target "
     << html_escape(r.target) << (r.io_memory.empty() ? "" : ", I/O " + html_escape(r.io_memory))
     << ".</p>\n";
  auto tr = [&](const std::string& k, const std::string& v) {
    os << "<tr><td>" << html_escape(k) << "</td><td>" << html_escape(v) << "</td></tr>\n";
  };
  os << "<h2>Static</h2>\n<table id=\"static\">\n";
  tr("engine file", format_bytes(r.file_bytes));
  tr("weights", format_bytes(r.weight_bytes));
  tr("activation arena (planned)", format_bytes(r.arena_bytes));
  tr("activations, naive sum", format_bytes(r.naive_activation_bytes));
  tr("inputs + outputs", format_bytes(r.io_bytes));
  tr("runtime library", format_bytes(r.runtime_library_bytes));
  os << "</table>\n<h2>Dynamic</h2>\n<table id=\"dynamic\">\n";
  tr("engine after load", format_bytes(r.engine_load_bytes));
  tr("one context", format_bytes(r.context_bytes));
  tr("measured library overhead", format_bytes(r.library_bytes));
  tr("peak, all tags", format_bytes(r.total.peak));
  tr("left after teardown", format_bytes(r.leaked_bytes));
  os << "</table>\n";

  // Timeline: live bytes per tag, stacked, as step areas.
  const double w = 900, h = 260, left = 70, bottom = 30;
  double t_end = 1e-3;
  for (const auto& p : r.phases) t_end = std::max(t_end, p.end_ms);
  for (const auto& e : r.events) t_end = std::max(t_end, e.time_ms);
  const double ymax = std::max<double>(1.0, static_cast<double>(r.total.peak));
  auto X = [&](double ms) { return left + (w - left - 10) * ms / t_end; };
  auto Y = [&](double b) { return h - bottom - (h - bottom - 10) * b / ymax; };
  os << "<h2>Allocation timeline</h2>\n<div class=\"legend\">";
  for (int k = 0; k < kMemoryTagCount; ++k)
    os << "<span><i class=\"sw\" style=\"background:" << kTagColors[k] << "\"></i>"
       << memory_tag_name(static_cast<MemoryTag>(k)) << "</span>";
  os << "</div>\n<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << w
     << "\" height=\"" << h << "\" viewBox=\"0 0 " << w << " " << h << "\">\n";
  for (std::size_t i = 0; i < r.phases.size(); ++i) {
    const MemoryPhase& p = r.phases[i];
    // Short phases sit side by side: their labels alternate between two rows.
    os << "<rect x=\"" << num(X(p.start_ms), 1) << "\" y=\"0\" width=\""
       << num(std::max(1.0, X(p.end_ms) - X(p.start_ms)), 1) << "\" height=\"" << h - bottom
       << "\" fill=\"#f3f3f3\" stroke=\"#ddd\"/><text x=\"" << num(X(p.start_ms) + 2, 1)
       << "\" y=\"" << h - bottom + 12 + 11 * static_cast<double>(i % 2) << "\" font-size=\"10\">"
       << p.name << "</text>\n";
  }
  // Stacked step series: cumulative sums in tag order.
  std::vector<double> times = {0.0};
  std::vector<std::vector<double>> levels(kMemoryTagCount, std::vector<double>{0.0});
  {
    std::int64_t cur[kMemoryTagCount] = {};
    for (const auto& e : r.events) {
      cur[static_cast<int>(e.tag)] += e.bytes;
      times.push_back(e.time_ms);
      double acc = 0;
      for (int k = 0; k < kMemoryTagCount; ++k) {
        acc += static_cast<double>(std::max<std::int64_t>(0, cur[k]));
        levels[k].push_back(acc);
      }
    }
    times.push_back(t_end);
    for (auto& l : levels) l.push_back(l.back());
  }
  for (int k = kMemoryTagCount - 1; k >= 0; --k) {
    std::ostringstream pts;
    pts << num(X(0), 1) << "," << num(Y(0), 1);
    for (std::size_t i = 0; i + 1 < times.size(); ++i)
      pts << " " << num(X(times[i]), 1) << "," << num(Y(levels[k][i]), 1) << " "
          << num(X(times[i + 1]), 1) << "," << num(Y(levels[k][i]), 1);
    pts << " " << num(X(t_end), 1) << "," << num(Y(0), 1);
    os << "<polygon class=\"series\" data-tag=\"" << memory_tag_name(static_cast<MemoryTag>(k))
       << "\" points=\"" << pts.str() << "\" fill=\"" << kTagColors[k]
       << "\" fill-opacity=\"0.85\"/>\n";
  }
  os << "<line x1=\"" << left << "\" y1=\"" << Y(0) << "\" x2=\"" << w - 10 << "\" y2=\"" << Y(0)
     << "\" stroke=\"#333\"/><line x1=\"" << left << "\" y1=\"10\" x2=\"" << left << "\" y2=\""
     << Y(0) << "\" stroke=\"#333\"/>\n<text x=\"4\" y=\"16\" font-size=\"10\">"
     << format_bytes(r.total.peak) << "</text><text x=\"4\" y=\"" << Y(0)
     << "\" font-size=\"10\">0</text><text x=\"" << w - 80 << "\" y=\"" << h - 4
     << "\" font-size=\"10\">" << num(t_end, 1) << " ms</text>\n</svg>\n";

  // Per-layer weight bars (the 40 largest).
  std::vector<const LayerMemory*> heavy;
  for (const auto& l : r.layers)
    if (l.weight_bytes) heavy.push_back(&l);
  std::sort(heavy.begin(), heavy.end(), [](const LayerMemory* a, const LayerMemory* b) {
    return a->weight_bytes > b->weight_bytes;
  });
  if (heavy.size() > 40) heavy.resize(40);
  const double bar_h = 16, label_w = 330, bw = 520;
  const double bmax = heavy.empty() ? 1.0 : static_cast<double>(heavy.front()->weight_bytes);
  os << "<h2>Weights per layer (largest " << heavy.size()
     << ")</h2>\n<svg id=\"layers\" "
        "xmlns=\"http://www.w3.org/2000/svg\" width=\""
     << label_w + bw + 100 << "\" height=\"" << bar_h * static_cast<double>(heavy.size()) + 10
     << "\">\n";
  for (std::size_t i = 0; i < heavy.size(); ++i) {
    const double y = 5 + bar_h * static_cast<double>(i);
    const double len = bw * static_cast<double>(heavy[i]->weight_bytes) / bmax;
    os << "<text x=\"" << label_w - 6 << "\" y=\"" << y + 12
       << "\" font-size=\"11\" text-anchor=\"end\">" << html_escape(heavy[i]->name.substr(0, 48))
       << "</text><rect class=\"bar\" x=\"" << label_w << "\" y=\"" << y + 2 << "\" width=\""
       << num(std::max(1.0, len), 1) << "\" height=\"" << bar_h - 4 << "\" fill=\"#4e79a7\"/>"
       << "<text x=\"" << num(label_w + len + 4, 1) << "\" y=\"" << y + 12 << "\" font-size=\"10\">"
       << format_bytes(heavy[i]->weight_bytes) << "</text>\n";
  }
  os << "</svg>\n<h2>Phases</h2>\n<table id=\"phases\"><tr><th>phase</th><th>start ms</th>"
        "<th>duration ms</th></tr>\n";
  for (const auto& p : r.phases)
    os << "<tr><td>" << p.name << "</td><td>" << num(p.start_ms) << "</td><td>"
       << num(p.end_ms - p.start_ms) << "</td></tr>\n";
  os << "</table>\n<h2>Peak per tag</h2>\n<table id=\"tags\"><tr><th>tag</th><th>peak</th>"
        "<th>allocations</th></tr>\n";
  for (int k = 0; k < kMemoryTagCount; ++k)
    os << "<tr><td>" << memory_tag_name(static_cast<MemoryTag>(k)) << "</td><td>"
       << format_bytes(r.tags[k].peak) << "</td><td>" << r.tags[k].allocations << "</td></tr>\n";
  os << "</table>\n<h2>Fit (" << num(r.share * 100, 0)
     << " % of each module)</h2>\n<table id=\"fit\"><tr><th>module</th><th>memory</th>"
        "<th>available</th><th>contexts</th></tr>\n";
  for (const auto& f : r.fit)
    os << "<tr><td>" << f.module << "</td><td>" << format_bytes(f.memory_bytes) << "</td><td>"
       << format_bytes(f.available_bytes) << "</td><td>"
       << (f.contexts < 0 ? std::string("unbounded") : std::to_string(f.contexts))
       << "</td></tr>\n";
  os << "</table>\n<p>Generated by <code>edgert memreport</code>.</p>\n</body></html>\n";
  return os.str();
}

}  // namespace edgert
