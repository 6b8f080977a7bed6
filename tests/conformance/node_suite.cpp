// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "conformance/node_suite.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <catch2/catch.hpp>

#include "edgert/builder.h"
#include "edgert/engine.h"
#include "edgert/runtime.h"
#include "ir/interpreter.h"
#include "onnx/importer.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace edgert::test {
namespace {

CaseResult outcome_of(const std::string& name, const Status& s) {
  CaseResult r{
      name, s.code() == StatusCode::kUnsupported ? CaseOutcome::kUnsupported : CaseOutcome::kFailed,
      s.to_string()};
  return r;
}

// Compares one output; empty string when it matches.
std::string compare(const Tensor& got, const Tensor& want, const Tolerance& tol) {
  if (got.dtype() != want.dtype())
    return std::string("dtype ") + dtype_name(got.dtype()) + " != expected " +
           dtype_name(want.dtype());
  if (got.shape() != want.shape())
    return "shape " + got.shape().to_string() + " != expected " + want.shape().to_string();
  bool exact = !is_float(want.dtype());
  for (std::int64_t i = 0; i < want.numel(); ++i) {
    double g = got.get_as_double(i), w = want.get_as_double(i);
    if (exact) {
      if (got.dtype() == DataType::kInt64 ? got.get_as_int64(i) != want.get_as_int64(i) : g != w) {
        std::ostringstream os;
        os << "element " << i << ": " << g << " != expected " << w;
        return os.str();
      }
      continue;
    }
    if (std::isnan(w) && std::isnan(g)) continue;
    if (std::isinf(w) && g == w) continue;
    if (!(std::fabs(g - w) <= tol.atol + tol.rtol * std::fabs(w))) {
      std::ostringstream os;
      os << "element " << i << ": " << g << " != expected " << w << " (rtol " << tol.rtol
         << ", atol " << tol.atol << ")";
      return os.str();
    }
  }
  return {};
}

std::vector<std::string> sorted_files(const fs::path& dir, const std::string& prefix) {
  std::vector<std::string> v;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string f = e.path().filename().string();
    if (f.rfind(prefix, 0) == 0 && e.path().extension() == ".pb") v.push_back(e.path().string());
  }
  // input_10.pb must come after input_9.pb: order by the number after the prefix.
  std::sort(v.begin(), v.end(), [&](const std::string& a, const std::string& b) {
    auto num = [&](const std::string& p) {
      std::string f = fs::path(p).stem().string();
      return std::atoi(f.c_str() + prefix.size());
    };
    return num(a) < num(b);
  });
  return v;
}

/// `detail` with the suite's directory left out of the paths it names ("test_x/model.onnx: ..."),
/// so a report reads the same wherever the suite is installed.
std::string relative(std::string detail) {
  const std::string root = node_suite_dir() + "/";
  if (root.size() > 1)
    for (std::size_t p; (p = detail.find(root)) != std::string::npos;) detail.erase(p, root.size());
  return detail;
}

}  // namespace

std::string node_suite_dir() {
  const char* env = std::getenv("EDGERT_ONNX_TESTDATA");
  std::string d = env ? env : "/usr/share/libonnx-testdata/data/node";
  return fs::is_directory(d) ? d : std::string();
}

std::vector<std::string> node_case_dirs(const std::string& root) {
  std::vector<std::string> dirs;
  for (const auto& e : fs::directory_iterator(root))
    if (e.is_directory() && fs::exists(e.path() / "model.onnx")) dirs.push_back(e.path().string());
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

CaseRunner interpreter_runner() {
  return [](const std::string& model) -> Expected<CaseRun> {
    onnx::ImportOptions opts;
    // Fold nothing: every op must run through its kernel, not through the importer.
    opts.fold_constants = false;
    auto imported = onnx::import_model(model, opts);
    if (!imported) return imported.status();
    std::shared_ptr<ir::Graph> graph = std::move(imported).value();
    return CaseRun([graph](const std::vector<Tensor>& in) -> Expected<std::vector<Tensor>> {
      const auto& gin = graph->inputs();
      if (in.size() != gin.size())
        return Status(StatusCode::kInvalidArgument, "test has " + std::to_string(in.size()) +
                                                        " inputs, graph has " +
                                                        std::to_string(gin.size()));
      std::map<std::string, Tensor> inputs;
      for (std::size_t i = 0; i < in.size(); ++i) inputs[gin[i]->name] = in[i];
      auto run = ir::run_graph(*graph, inputs);
      if (!run) return run.status();
      return std::move(run->outputs);
    });
  };
}

CaseRunner engine_runner(const std::string& target, Precision p, EngineStats* stats) {
  return [target, p, stats](const std::string& model) -> Expected<CaseRun> {
    BuildConfig c;
    c.onnx_path = model;
    c.target = target;
    c.precision = p;
    BuildReport r;
    auto bytes = build_engine(c, &r);
    if (!bytes) return bytes.status();
    auto engine = Engine::from_memory(std::move(bytes).value());
    if (!engine) return engine.status();
    if (stats) {
      ++stats->engines;
      stats->fallback_cases += r.fallback_layers > 0;
    }
    auto ctx = (*engine)->create_context();
    if (!ctx) return ctx.status();
    std::shared_ptr<ExecutionContext> context = std::move(ctx).value();
    return CaseRun([context](const std::vector<Tensor>& in) -> Expected<std::vector<Tensor>> {
      std::vector<const Tensor*> ins;
      for (const auto& t : in) ins.push_back(&t);
      std::vector<Tensor> outs;
      Status s = context->execute(ins, outs);
      if (!s.ok()) return s;
      return outs;
    });
  };
}

CaseResult run_node_case(const std::string& dir, const CaseRunner& runner, const Tolerance& tol) {
  std::string name = fs::path(dir).filename().string();
  auto run_case = runner((fs::path(dir) / "model.onnx").string());
  if (!run_case) return outcome_of(name, run_case.status());

  int sets = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (!e.is_directory() || e.path().filename().string().rfind("test_data_set_", 0) != 0) continue;
    ++sets;
    std::vector<Tensor> inputs;
    for (const auto& f : sorted_files(e.path(), "input_")) {
      auto t = onnx::read_tensor_file(f);
      if (!t) return outcome_of(name, t.status());
      inputs.push_back(std::move(t).value());
    }
    auto run = (*run_case)(inputs);
    if (!run) return outcome_of(name, run.status());
    auto out_files = sorted_files(e.path(), "output_");
    if (out_files.size() != run->size())
      return {name, CaseOutcome::kFailed,
              "expected " + std::to_string(out_files.size()) + " outputs, got " +
                  std::to_string(run->size())};
    for (std::size_t i = 0; i < out_files.size(); ++i) {
      auto want = onnx::read_tensor_file(out_files[i]);
      if (!want) return outcome_of(name, want.status());
      std::string diff = compare((*run)[i], *want, tol);
      if (!diff.empty())
        return {name, CaseOutcome::kFailed,
                e.path().filename().string() + " output " + std::to_string(i) + ": " + diff};
    }
  }
  if (sets == 0) return {name, CaseOutcome::kFailed, "no test_data_set_* directory"};
  return {name, CaseOutcome::kPassed, ""};
}

SuiteResult run_node_suite(const std::vector<std::string>& dirs, const CaseRunner& runner,
                           const Tolerance& tol) {
  const char* env = std::getenv("EDGERT_CONFORMANCE_PROGRESS");
  const bool progress = env && std::string(env) == "1";
  SuiteResult r;
  for (const auto& d : dirs) {
    if (progress) {
      std::printf("node test %s\n", d.c_str());
      std::fflush(stdout);
    }
    r.cases.push_back(run_node_case(d, runner, tol));
    r.passed += r.cases.back().outcome == CaseOutcome::kPassed;
    r.failed += r.cases.back().outcome == CaseOutcome::kFailed;
    r.unsupported += r.cases.back().outcome == CaseOutcome::kUnsupported;
  }
  return r;
}

void write_report(const std::vector<CaseResult>& results, const std::string& path,
                  const std::string& title, const Tolerance& tol) {
  std::size_t passed = 0, failed = 0, unsupported = 0;
  for (const auto& r : results) {
    passed += r.outcome == CaseOutcome::kPassed;
    failed += r.outcome == CaseOutcome::kFailed;
    unsupported += r.outcome == CaseOutcome::kUnsupported;
  }
  std::ofstream os(path);
  if (title.empty())
    os << "# ONNX backend node tests (libonnx-testdata)\n\n"
       << "Generated by `test_onnx_conformance` (tests/conformance/); the suite is Debian's\n"
       << "libonnx-testdata (ONNX 1.12).";
  else
    os << "# " << title;  // a heading line, a blank line and a paragraph the tolerance ends
  os << " Tolerance: |got - want| <= " << tol.atol << " + " << tol.rtol
     << " * |want| for floating point, exact otherwise.\n\n"
     << "| total | passed | failed | unsupported |\n|---|---|---|---|\n"
     << "| " << results.size() << " | " << passed << " | " << failed << " | " << unsupported
     << " |\n\n";
  if (failed) {
    os << "## Failed\n\n";
    for (const auto& r : results)
      if (r.outcome == CaseOutcome::kFailed)
        os << "- `" << r.name << "`: " << relative(r.detail) << "\n";
    os << "\n";
  }
  os << "## Unsupported (test: reason)\n\n";
  for (const auto& r : results)
    if (r.outcome == CaseOutcome::kUnsupported) {
      std::string d = relative(r.detail);
      std::replace(d.begin(), d.end(), '\n', ' ');
      os << "- `" << r.name << "`: " << d << "\n";
    }
}

void check_node_suite(const std::string& label, const CaseRunner& runner, const Tolerance& tol,
                      const std::string& report_path, const std::function<std::string()>& title,
                      std::size_t min_passed) {
  const std::string root = node_suite_dir();
  if (root.empty()) EDGERT_SKIP("libonnx-testdata not installed");
  const std::vector<std::string> dirs = node_case_dirs(root);
  REQUIRE(dirs.size() > 100);
  const SuiteResult r = run_node_suite(dirs, runner, tol);
  for (const auto& c : r.cases)
    if (c.outcome == CaseOutcome::kFailed)
      UNSCOPED_INFO(label << ": " << c.name << ": " << c.detail);
  fs::create_directories(fs::path(report_path).parent_path());
  write_report(r.cases, report_path, title ? title() : std::string(), tol);
  std::printf(
      "ONNX node tests, %s: %zu total, %zu passed, %zu failed, %zu unsupported (report: %s)\n",
      label.c_str(), dirs.size(), r.passed, r.failed, r.unsupported, report_path.c_str());
  std::fflush(stdout);
  CHECK(r.failed == 0);
  CHECK(r.passed >= min_passed);
}

}  // namespace edgert::test
