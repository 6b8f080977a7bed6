// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// `edgert bench` run as a program on the bundled model (examples/fashion) built for the CPU: the
// JSON report, the exported per-iteration times and per-layer profile, inputs from .npy files and
// the errors for bad arguments. The [cuda] cases build the same model for the GPU.

#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/npy.h"
#include "edgert/builder.h"
#include "edgert/engine.h"
#include "engine_build.h"
#include "test_util.h"
#include "tools/tool_util.h"

namespace fs = std::filesystem;
using namespace edgert;  // NOLINT(google-build-using-namespace): test file
using nlohmann::json;
using test::read_json;
using test::read_text;
using test::ToolRun;

namespace {

const std::string kModel = std::string(EDGERT_SOURCE_DIR) + "/examples/fashion/fashion_resnet.onnx";
const std::string kWork = std::string(EDGERT_TEST_DATA_DIR) + "/bench";

ToolRun run_tool(const std::string& args, const std::string& tag) {
  return test::run_tool(args, kWork + "/" + tag);
}

/// The fashion model built for `target` at batch 8, once per target.
std::string fashion_engine(const std::string& target = "cpu") {
  return test::fashion_engine_file(kWork + "/fashion_b8_" + target + ".engine", 8, target);
}

std::size_t engine_layers(const std::string& path) {
  auto e = Engine::load(path);
  REQUIRE(e);
  return (*e)->layers().size();
}

/// min <= median <= max, mean and every percentile within [min, max], percentiles in order; min
/// > 0 where `positive` (a copy of a few bytes may time as 0 at the events' resolution).
void check_stats(const json& s, const std::vector<std::string>& pct_keys, bool positive = true) {
  INFO(s.dump());
  REQUIRE(s.is_object());
  const double mn = s["min"], mx = s["max"], mean = s["mean"], median = s["median"];
  CHECK(mn >= 0.0);
  if (positive) CHECK(mn > 0.0);
  CHECK(mn <= median);
  CHECK(median <= mx);
  CHECK(mn <= mean);
  CHECK(mean <= mx);
  double prev = mn;
  for (const auto& k : pct_keys) {
    REQUIRE(s.contains(k));
    const double p = s[k];
    CHECK(p >= prev);
    CHECK(p <= mx);
    prev = p;
  }
}

}  // namespace

TEST_CASE("bench: CPU engine, the JSON report has every field with plausible values",
          "[tools][bench]") {
  const std::string engine = fashion_engine();
  const std::string report = kWork + "/report.json";
  fs::remove(report);
  const ToolRun r = run_tool("bench --engine '" + engine +
                                 "' --iterations 12 --duration 0.1 --warmup 5 "
                                 "--percentile 50,90,99.9 --report-json '" +
                                 report + "'",
                             "report");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("=== Performance summary ==="));
  CHECK_THAT(r.out, Catch::Contains("Throughput:"));
  CHECK_THAT(r.out, Catch::Contains("percentile(99.9%)"));
  CHECK_THAT(r.out, Catch::Contains("Batch:      8"));

  const json j = read_json(report);
  INFO(j.dump(2));
  CHECK(j["engine"] == engine);
  CHECK(j["onnx"].is_null());
  CHECK(j["gpu"] == false);
  CHECK(j["target"] == "cpu");
  CHECK(j["batch"] == 8);
  CHECK(j["streams"] == 1);
  CHECK(j["layers"] == engine_layers(engine));
  CHECK(j["precision"]["fp32"].get<int>() >= 1);
  CHECK(j["inputs"].size() == 1);
  CHECK(j["inputs"][0]["name"] == "image");
  CHECK(j["inputs"][0]["shape"] == json::array({8, 3, 64, 64}));
  const std::int64_t iterations = j["iterations"];
  CHECK(iterations >= 12);
  CHECK(j["min_iterations"] == 12);
  check_stats(j["latency_ms"], {"p50", "p90", "p99.9"});
  // Only the latency is measured on the CPU.
  for (const char* k : {"enqueue_ms", "h2d_ms", "compute_ms", "d2h_ms", "gpu_compute_total_s"})
    CHECK(j[k].is_null());
  // One stream stepped by one thread: the iterations run back to back, so the throughput is one
  // over the mean latency, less the loop's own overhead between iterations.
  const double qps = j["throughput_qps"];
  const double mean = j["latency_ms"]["mean"];
  CHECK(qps <= 1000.0 / mean * 1.001);
  CHECK(qps >= 1000.0 / mean * 0.8);
  CHECK(j["throughput_ips"].get<double>() == Approx(qps * 8));
  const double timeline = j["timeline_s"], walltime = j["host_walltime_s"];
  CHECK(timeline >= 0.1 * 0.99);  // --duration 0.1
  CHECK(walltime >= timeline * 0.999);
  CHECK(timeline == Approx(static_cast<double>(iterations) / qps));
}

TEST_CASE("bench: --onnx builds in memory; two streams on their own threads", "[tools][bench]") {
  const std::string report = kWork + "/onnx_report.json";
  const std::string times = kWork + "/onnx_times.json";
  const ToolRun r = run_tool("bench --onnx '" + kModel +
                                 "' --batch 8 --streams 2 --threads --iterations 8 --duration 0 "
                                 "--warmup 0 --report-json '" +
                                 report + "' --export-times '" + times + "'",
                             "onnx");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("built in memory from"));
  const json j = read_json(report);
  INFO(j.dump(2));
  CHECK(j["engine"].is_null());
  CHECK(j["onnx"] == kModel);
  CHECK(j["build_seconds"].get<double>() > 0.0);
  CHECK(j["streams"] == 2);
  CHECK(j["threads"] == true);
  CHECK(j["iterations"].get<std::int64_t>() >= 8);
  check_stats(j["latency_ms"], {"p90", "p95", "p99"});
  // Each stream runs its iterations one after the other: at most `streams` at a time.
  const double qps = j["throughput_qps"];
  CHECK(qps <= 2 * 1000.0 / j["latency_ms"]["min"].get<double>() * 1.001);
  const json t = read_json(times);
  REQUIRE(t.size() == j["iterations"].get<std::size_t>());
  std::set<int> streams;
  for (const auto& it : t) streams.insert(it["stream"].get<int>());
  CHECK(streams == std::set<int>{0, 1});
}

TEST_CASE("bench: --export-times has one entry per iteration, --export-profile one per layer",
          "[tools][bench]") {
  const std::string engine = fashion_engine();
  const std::string report = kWork + "/export_report.json";
  const std::string times = kWork + "/times.json";
  const std::string profile = kWork + "/profile.json";
  fs::remove(times);
  fs::remove(profile);
  const ToolRun r = run_tool(
      "bench --engine '" + engine + "' --iterations 7 --duration 0 --warmup 0 --report-json '" +
          report + "' --export-times '" + times + "' --export-profile '" + profile + "'",
      "export");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  const json j = read_json(report);
  const json t = read_json(times);
  REQUIRE(t.is_array());
  CHECK(t.size() == j["iterations"].get<std::size_t>());
  CHECK(t.size() >= 7);
  double prev_start = -1.0;
  for (const auto& it : t) {
    INFO(it.dump());
    const double start = it["start_ms"], end = it["end_ms"], latency = it["latency_ms"];
    CHECK(start >= 0.0);
    CHECK(start >= prev_start);  // in time order
    CHECK(end >= start);
    CHECK(latency == Approx(end - start).margin(1e-3));
    CHECK(it["stream"] == 0);
    CHECK(it["compute_ms"].is_null());
    CHECK(it.contains("enqueue_ms"));
    CHECK(it.contains("h2d_ms"));
    CHECK(it.contains("d2h_ms"));
    prev_start = start;
  }

  auto e = Engine::load(engine);
  REQUIRE(e);
  const json p = read_json(profile);
  INFO(p.dump(2));
  REQUIRE(p["layers"].size() == (*e)->layers().size());
  CHECK(p["runs"].get<std::int64_t>() >= 7);
  double percent = 0.0;
  for (std::size_t i = 0; i < (*e)->layers().size(); ++i) {
    const json& l = p["layers"][i];
    CHECK(l["name"] == (*e)->layers()[i].name);
    CHECK(l["avg_ms"].get<double>() >= 0.0);
    percent += l["percent"].get<double>();
  }
  CHECK(percent == Approx(100.0).margin(0.1));
  CHECK_THAT(r.out, Catch::Contains("=== Profile"));
  CHECK_THAT(r.out, Catch::Contains("FusedConv"));
}

TEST_CASE("bench: --input reads a whole batch or one sample from .npy", "[tools][bench]") {
  const std::string engine = fashion_engine();
  std::mt19937 rng(7);
  const Tensor batch = test::random_tensor(DataType::kFloat32, Shape({8, 3, 64, 64}), rng);
  const Tensor sample = test::random_tensor(DataType::kFloat32, Shape({3, 64, 64}), rng);
  const Tensor wrong = test::random_tensor(DataType::kFloat32, Shape({2, 3, 64, 64}), rng);
  const Tensor ints = test::random_tensor(DataType::kInt32, Shape({8, 3, 64, 64}), rng, 0, 9);
  fs::create_directories(kWork);
  for (const auto& [name, t] : {std::pair<std::string, const Tensor*>{"batch", &batch},
                                {"sample", &sample},
                                {"wrong", &wrong},
                                {"ints", &ints}})
    REQUIRE(write_npy(kWork + "/in_" + name + ".npy", *t).ok());
  const std::string common =
      "bench --engine '" + engine + "' --iterations 2 --duration 0 --warmup 0 ";
  for (const char* name : {"batch", "sample"}) {
    const std::string file = kWork + "/in_" + name + ".npy";
    const std::string report = kWork + "/in_" + name + ".json";
    const ToolRun r =
        run_tool(common + "--input 'image=" + file + "' --report-json '" + report + "'",
                 std::string("in_") + name);
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    CHECK(read_json(report)["inputs"][0]["source"] == file);
  }
  ToolRun r = run_tool(common + "--input 'image=" + kWork + "/in_wrong.npy'", "in_wrong");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("[2,3,64,64]"));
  CHECK_THAT(r.err, Catch::Contains("[8,3,64,64]"));
  r = run_tool(common + "--input 'image=" + kWork + "/in_ints.npy'", "in_ints");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("int32"));
  r = run_tool(common + "--input 'image=" + kWork + "/no_such.npy'", "in_missing");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("no_such.npy"));
}

TEST_CASE("bench: bad arguments give clear errors", "[tools][bench]") {
  const std::string engine = fashion_engine();
  const std::string ok = "--iterations 1 --duration 0 --warmup 0";
  struct Case {
    std::string args, expect;
    int code;
  };
  const Case cases[] = {
      {"bench --engine '" + kWork + "/missing.engine' " + ok, "missing.engine", 1},
      {"bench " + ok, "give either --engine FILE or --onnx FILE", 2},
      {"bench --engine '" + engine + "' --onnx '" + kModel + "' " + ok, "either --engine", 2},
      {"bench --engine '" + engine + "' --input nope=x.npy " + ok, "no input named 'nope'", 2},
      {"bench --engine '" + engine + "' --input nope=x.npy " + ok, "'image'", 2},
      {"bench --engine '" + engine + "' --input image " + ok, "NAME=file.npy", 2},
      {"bench --engine '" + engine + "' --percentile 90,abc " + ok, "--percentile '90,abc'", 2},
      {"bench --engine '" + engine + "' --percentile 0 " + ok, "(0, 100]", 2},
      {"bench --engine '" + engine + "' --percentile 101 " + ok, "(0, 100]", 2},
      {"bench --engine '" + engine + "' --percentile 90,,99 " + ok, "--percentile", 2},
      {"bench --engine '" + engine + "' --fp16 " + ok, "--fp16 is a build option", 2},
      {"bench --onnx '" + kWork + "/missing.onnx' --batch 8 " + ok, "missing.onnx", 1},
  };
  int i = 0;
  for (const Case& c : cases) {
    const ToolRun r = run_tool(c.args, "bad_" + std::to_string(i++));
    INFO(c.args << "\nstdout: " << r.out << "\nstderr: " << r.err);
    CHECK(r.code == c.code);
    CHECK_THAT(r.err, Catch::Contains(c.expect));
  }
  // Out-of-range numbers are refused by the option parser.
  for (const char* bad : {"--iterations 0", "--streams 0", "--duration -1", "--warmup -5"}) {
    const ToolRun r = run_tool("bench --engine '" + engine + "' " + bad, "bad_range");
    INFO(bad << "\n" << r.err);
    CHECK(r.code != 0);
    CHECK_THAT(r.err, Catch::Contains(std::string(bad).substr(0, std::string(bad).find(' '))));
  }
}

TEST_CASE("bench: GPU engine with transfers, CUDA graph and several streams",
          "[tools][bench][cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  const std::string engine = fashion_engine("cuda");
  const std::string report = kWork + "/gpu_report.json";
  const std::string times = kWork + "/gpu_times.json";
  ToolRun r = run_tool("bench --engine '" + engine +
                           "' --iterations 50 --duration 0.2 --warmup 20 --report-json '" + report +
                           "' --export-times '" + times + "'",
                       "gpu_transfers");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  json j = read_json(report);
  INFO(j.dump(2));
  CHECK(j["gpu"] == true);
  CHECK(j["data_transfers"] == true);
  CHECK_THAT(j["device"].get<std::string>(), Catch::Contains("GPU #0"));
  for (const char* k : {"latency_ms", "compute_ms"}) check_stats(j[k], {"p90", "p95", "p99"});
  for (const char* k : {"enqueue_ms", "h2d_ms", "d2h_ms"})
    check_stats(j[k], {"p90", "p95", "p99"}, /*positive=*/false);
  // An iteration's latency spans its H2D, compute and D2H (GPU events around each).
  const json t = read_json(times);
  REQUIRE(t.size() == j["iterations"].get<std::size_t>());
  for (const auto& it : t) {
    INFO(it.dump());
    const double parts =
        it["h2d_ms"].get<double>() + it["compute_ms"].get<double>() + it["d2h_ms"].get<double>();
    CHECK(it["latency_ms"].get<double>() >= it["compute_ms"].get<double>());
    CHECK(it["latency_ms"].get<double>() == Approx(parts).margin(0.05));
  }

  r = run_tool("bench --engine '" + engine +
                   "' --use-cuda-graph --no-data-transfers --streams 2 --iterations 50 "
                   "--duration 0.2 --warmup 20 --report-json '" +
                   report + "'",
               "gpu_graph");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  j = read_json(report);
  CHECK(j["cuda_graph"] == true);
  CHECK(j["data_transfers"] == false);
  CHECK(j["h2d_ms"].is_null());
  CHECK(j["d2h_ms"].is_null());
  check_stats(j["compute_ms"], {"p90", "p95", "p99"});
  CHECK(j["latency_ms"]["median"].get<double>() >= j["compute_ms"]["median"].get<double>());

  const std::string profile = kWork + "/gpu_profile.json";
  r = run_tool("bench --engine '" + engine +
                   "' --threads --streams 2 --iterations 20 "
                   "--duration 0 --warmup 0 --export-profile '" +
                   profile + "'",
               "gpu_profile");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK(read_json(profile)["layers"].size() == engine_layers(engine));
}
