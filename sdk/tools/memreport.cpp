// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// `edgert memreport ENGINE`: the memory-footprint report (edgert/memory_report.h) as a table on
// stdout, and optionally as JSON, HTML and a Chrome/Perfetto trace.
#include <cstdio>
#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>

#include "edgert/memory_report.h"
#include "tools/cli_util.h"
#include "tools/commands.h"

namespace {

struct MemreportArgs {
  std::string engine;
  int runs = 10;
  double share = 0.5;
  std::string json, html, trace;
  std::string io_memory = "auto";
  std::string budget;
} g_args;

bool write_file(const std::string& path, const std::string& text, const std::string& what) {
  std::error_code ec;
  if (std::filesystem::equivalent(path, g_args.engine, ec)) {
    std::fprintf(stderr, "edgert memreport: --%s '%s' is the engine itself: not overwritten\n",
                 what.c_str(), path.c_str());
    return false;
  }
  if (edgert::Status st = edgert::tools::write_file_atomic(path, text.data(), text.size());
      !st.ok()) {
    std::fprintf(stderr, "edgert memreport: --%s: %s\n", what.c_str(), st.to_string().c_str());
    return false;
  }
  std::printf("%s: %s\n", what.c_str(), path.c_str());
  return true;
}

}  // namespace

CLI::App* setup_memreport_command(CLI::App& app) {
  CLI::App* c = app.add_subcommand(
      "memreport",
      "Memory footprint of an engine: static, measured (load, context, inferences) "
      "and how many contexts fit on each Jetson Orin module");
  c->add_option("engine", g_args.engine, "Engine file")->required();
  c->add_option("--runs", g_args.runs, "Inferences measured after the context is created")
      ->check(CLI::NonNegativeNumber);
  c->add_option("--share", g_args.share, "Share of a module's memory the engine may use (fit)")
      ->check(CLI::Range(0.01, 1.0));
  c->add_option("--json", g_args.json, "Write the report as JSON (docs/memory.md)");
  c->add_option("--html", g_args.html, "Write a self-contained HTML page with charts");
  c->add_option("--trace", g_args.trace, "Write a Chrome/Perfetto trace-event file");
  c->add_option("--io-memory", g_args.io_memory, "CUDA engines: auto, zero-copy or staged")
      ->check(CLI::IsMember({"auto", "zero-copy", "staged"}));
  c->add_option("--budget", g_args.budget,
                "Memory budget (e.g. 512M): the load or the context fails if it is exceeded");
  return c;
}

int run_memreport_command() {
  using namespace edgert;  // NOLINT(google-build-using-namespace): tool entry point
  if (!g_args.budget.empty()) {
    auto b = parse_byte_size(g_args.budget);
    if (!b) {
      std::fprintf(stderr, "edgert memreport: --budget: %s\n", b.status().message().c_str());
      return 2;
    }
    tracking_allocator().set_budget(*b);
  }
  MemoryReportOptions o;
  o.runs = g_args.runs;
  o.share = g_args.share;
  o.context.io_memory = g_args.io_memory == "zero-copy" ? IoMemory::kZeroCopy
                        : g_args.io_memory == "staged"  ? IoMemory::kStaged
                                                        : IoMemory::kAuto;
  auto r = measure_memory(g_args.engine, o);
  if (!r) {
    std::fprintf(stderr, "edgert memreport: %s\n", r.status().to_string().c_str());
    return 1;
  }
  std::fputs(memory_report_text(*r).c_str(), stdout);
  bool ok = true;
  if (!g_args.json.empty()) ok &= write_file(g_args.json, memory_report_json(*r), "json");
  if (!g_args.html.empty()) ok &= write_file(g_args.html, memory_report_html(*r), "html");
  if (!g_args.trace.empty()) ok &= write_file(g_args.trace, memory_report_trace(*r), "trace");
  if (r->leaked_bytes) {
    std::fprintf(stderr, "edgert memreport: %llu bytes still allocated after teardown:\n%s",
                 static_cast<unsigned long long>(r->leaked_bytes),
                 tracking_allocator().leak_report().c_str());
    ok = false;
  }
  return ok ? 0 : 1;
}
