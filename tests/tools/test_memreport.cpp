// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// `edgert memreport` run as a program on the bundled model built for the CPU: the table, the JSON
// (checked against the engine and for internal consistency), the trace-event file, the HTML page
// rendered by headless Chromium (its charts must be in the rendered DOM and the screenshot must
// not be blank), the budget option and bad arguments.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "edgert/builder.h"
#include "edgert/engine.h"
#include "engine_build.h"
#include "test_util.h"
#include "tools/tool_util.h"

namespace fs = std::filesystem;
using namespace edgert;  // NOLINT(google-build-using-namespace): test file
using nlohmann::json;

namespace {

const std::string kWork = std::string(EDGERT_TEST_DATA_DIR) + "/memreport";

test::ToolRun run_tool(const std::string& args, const std::string& tag) {
  return test::run_tool(args, kWork + "/" + tag);
}

std::string engine_file() { return test::fashion_engine_file(kWork + "/fashion_b8.engine", 8); }

std::string chromium() {
  for (const char* c : {"chromium", "chromium-browser", "google-chrome"}) {
    const std::string probe = std::string("command -v ") + c + " > /dev/null 2>&1";
    if (std::system(probe.c_str()) == 0) return c;
  }
  return {};
}

}  // namespace

TEST_CASE("memreport: table, JSON, trace and HTML of the bundled model", "[tools][memory]") {
  const std::string engine = engine_file();
  const std::string j = kWork + "/report.json", h = kWork + "/report.html",
                    t = kWork + "/report.trace.json";
  const auto r = run_tool("memreport '" + engine + "' --runs 4 --share 0.25 --json '" + j +
                              "' --html '" + h + "' --trace '" + t + "'",
                          "report");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK(r.out.find("Static (from the engine)") != std::string::npos);
  CHECK(r.out.find("Jetson AGX Orin 64GB") != std::string::npos);

  auto e = Engine::load(engine);
  REQUIRE(e);
  const json doc = test::read_json(j);
  CHECK(doc["schema"] == "edgert-memory-report/1");
  CHECK(doc["target"] == "cpu");
  CHECK(doc["static"]["file_bytes"] == fs::file_size(engine));
  CHECK(doc["static"]["weight_bytes"] == (*e)->memory().weight_bytes);
  CHECK(doc["static"]["arena_bytes"] == (*e)->memory().arena_bytes);
  CHECK(doc["layers"].size() == (*e)->layers().size());
  const json& dyn = doc["dynamic"];
  CHECK(dyn["runs"] == 4);
  CHECK(dyn["leaked_bytes"] == 0);
  CHECK(dyn["context_bytes"].get<std::uint64_t>() >= (*e)->memory().arena_bytes);
  CHECK(dyn["tags"]["activations"]["peak"].get<std::uint64_t>() >= (*e)->memory().arena_bytes);
  CHECK(dyn["total"]["peak"].get<std::uint64_t>() ==
        dyn["engine_load_bytes"].get<std::uint64_t>() + dyn["context_bytes"].get<std::uint64_t>());
  std::int64_t net = 0;
  for (const auto& ev : dyn["events"]) net += ev["bytes"].get<std::int64_t>();
  CHECK(net == 0);
  CHECK(doc["fit"]["share"] == 0.25);
  CHECK(doc["fit"]["modules"].size() == 6);
  CHECK(doc["fit"]["modules"][0]["available_bytes"] == (4ull << 30) / 4);

  // Trace: loads as JSON with counter, slice and metadata events.
  const json trace = test::read_json(t);
  int counters = 0, slices = 0, layers = 0;
  for (const auto& ev : trace["traceEvents"]) {
    counters += ev["ph"] == "C";
    slices += ev["ph"] == "X";
    layers += ev["ph"] == "X" && ev.value("tid", 0) == 3;
  }
  CHECK(counters == static_cast<int>(dyn["events"].size()));
  CHECK(layers > 0);
  CHECK(slices > layers);

  // HTML: rendered by headless Chromium; the charts are in the DOM it renders.
  const std::string html = test::read_text(h);
  CHECK(html.find("<svg id=\"timeline\"") != std::string::npos);
  const std::string browser = chromium();
  if (browser.empty()) EDGERT_SKIP("chromium not installed: the HTML page was not rendered");
  const std::string png = kWork + "/report.png", dom = kWork + "/report.dom.html";
  const std::string flags = " --headless --no-sandbox --disable-gpu --window-size=1100,1600 ";
  const std::string shot = "timeout 120 " + browser + flags + "--screenshot='" + png +
                           "' 'file://" + h + "' > '" + kWork + "/chromium.log' 2>&1";
  REQUIRE(std::system(shot.c_str()) == 0);
  REQUIRE(fs::exists(png));
  CHECK(fs::file_size(png) > 20000);  // a blank 1100x1600 PNG is a few KB
  const std::string dump = "timeout 120 " + browser + flags + "--dump-dom 'file://" + h + "' > '" +
                           dom + "' 2> /dev/null";
  REQUIRE(std::system(dump.c_str()) == 0);
  const std::string rendered = test::read_text(dom);
  CHECK(rendered.find("id=\"timeline\"") != std::string::npos);
  CHECK(rendered.find("class=\"series\"") != std::string::npos);
  CHECK(rendered.find("class=\"bar\"") != std::string::npos);
  CHECK(rendered.find("Jetson Orin Nano 4GB") != std::string::npos);
}

TEST_CASE("memreport: a budget too small and bad arguments are clear errors", "[tools][memory]") {
  const std::string engine = engine_file();
  // bench's short form: what the run held, per tag and kind.
  auto b = run_tool("bench --engine '" + engine + "' --iterations 2 --duration 0.1 --memory-report",
                    "bench_memory");
  INFO(b.err);
  CHECK(b.code == 0);
  CHECK(b.out.find("Memory (tracking allocator") != std::string::npos);
  CHECK(b.out.find("activations") != std::string::npos);
  auto r = run_tool("memreport '" + engine + "' --budget 100K", "budget");
  CHECK(r.code == 1);
  CHECK(r.err.find("memory budget exceeded") != std::string::npos);
  r = run_tool("memreport '" + engine + "' --budget lots", "bad_budget");
  CHECK(r.code == 2);
  CHECK(r.err.find("'lots' is not a byte size") != std::string::npos);
  r = run_tool("memreport '" + kWork + "/missing.engine'", "missing");
  CHECK(r.code == 1);
  CHECK(r.err.find("missing.engine") != std::string::npos);
  // The engine itself is never overwritten by an output.
  const auto size = fs::file_size(engine);
  r = run_tool("memreport '" + engine + "' --runs 1 --json '" + engine + "'", "overwrite");
  CHECK(r.code == 1);
  CHECK(r.err.find("is the engine itself") != std::string::npos);
  CHECK(fs::file_size(engine) == size);
}
