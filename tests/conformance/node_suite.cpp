// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "conformance/node_suite.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "ir/interpreter.h"
#include "onnx/importer.h"

namespace fs = std::filesystem;

namespace edgert::test {
namespace {

// The tolerance of ONNX's own backend test runner (numpy assert_allclose defaults it passes).
constexpr double kRtol = 1e-3;
constexpr double kAtol = 1e-7;

CaseResult outcome_of(const std::string& name, const Status& s) {
  CaseResult r{
      name, s.code() == StatusCode::kUnsupported ? CaseOutcome::kUnsupported : CaseOutcome::kFailed,
      s.to_string()};
  return r;
}

// Compares one output; empty string when it matches.
std::string compare(const Tensor& got, const Tensor& want) {
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
    if (!(std::fabs(g - w) <= kAtol + kRtol * std::fabs(w))) {
      std::ostringstream os;
      os << "element " << i << ": " << g << " != expected " << w << " (rtol " << kRtol << ")";
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

}  // namespace

std::string node_suite_dir() {
  const char* env = std::getenv("EDGERT_ONNX_TESTDATA");
  std::string d = env ? env : "/usr/share/libonnx-testdata/data/node";
  return fs::is_directory(d) ? d : std::string();
}

CaseResult run_node_case(const std::string& dir) {
  std::string name = fs::path(dir).filename().string();
  onnx::ImportOptions opts;
  // Fold nothing: every op must run through its kernel, not through the importer.
  opts.fold_constants = false;
  auto graph = onnx::import_model((fs::path(dir) / "model.onnx").string(), opts);
  if (!graph) return outcome_of(name, graph.status());

  int sets = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (!e.is_directory() || e.path().filename().string().rfind("test_data_set_", 0) != 0) continue;
    ++sets;
    std::map<std::string, Tensor> inputs;
    auto in_files = sorted_files(e.path(), "input_");
    const auto& gin = (*graph)->inputs();
    if (in_files.size() != gin.size())
      return {name, CaseOutcome::kFailed,
              "test has " + std::to_string(in_files.size()) + " inputs, graph has " +
                  std::to_string(gin.size())};
    for (std::size_t i = 0; i < in_files.size(); ++i) {
      auto t = onnx::read_tensor_file(in_files[i]);
      if (!t) return outcome_of(name, t.status());
      inputs[gin[i]->name] = std::move(t).value();
    }
    auto run = ir::run_graph(**graph, inputs);
    if (!run) return outcome_of(name, run.status());
    auto out_files = sorted_files(e.path(), "output_");
    if (out_files.size() != run->outputs.size())
      return {name, CaseOutcome::kFailed,
              "expected " + std::to_string(out_files.size()) + " outputs, got " +
                  std::to_string(run->outputs.size())};
    for (std::size_t i = 0; i < out_files.size(); ++i) {
      auto want = onnx::read_tensor_file(out_files[i]);
      if (!want) return outcome_of(name, want.status());
      std::string diff = compare(run->outputs[i], *want);
      if (!diff.empty())
        return {name, CaseOutcome::kFailed,
                e.path().filename().string() + " output " + std::to_string(i) + ": " + diff};
    }
  }
  if (sets == 0) return {name, CaseOutcome::kFailed, "no test_data_set_* directory"};
  return {name, CaseOutcome::kPassed, ""};
}

void write_report(const std::vector<CaseResult>& results, const std::string& path) {
  std::size_t passed = 0, failed = 0, unsupported = 0;
  for (const auto& r : results) {
    passed += r.outcome == CaseOutcome::kPassed;
    failed += r.outcome == CaseOutcome::kFailed;
    unsupported += r.outcome == CaseOutcome::kUnsupported;
  }
  std::ofstream os(path);
  os << "# ONNX backend node tests (libonnx-testdata)\n\n"
     << "Generated by `test_onnx_conformance` (tests/conformance/); the suite is Debian's\n"
     << "libonnx-testdata (ONNX 1.12). Tolerance: |got - want| <= " << kAtol << " + " << kRtol
     << " * |want| for floating point, exact otherwise.\n\n"
     << "| total | passed | failed | unsupported |\n|---|---|---|---|\n"
     << "| " << results.size() << " | " << passed << " | " << failed << " | " << unsupported
     << " |\n\n";
  if (failed) {
    os << "## Failed\n\n";
    for (const auto& r : results)
      if (r.outcome == CaseOutcome::kFailed) os << "- `" << r.name << "`: " << r.detail << "\n";
    os << "\n";
  }
  os << "## Unsupported (test: reason)\n\n";
  for (const auto& r : results)
    if (r.outcome == CaseOutcome::kUnsupported) {
      std::string d = r.detail;
      std::replace(d.begin(), d.end(), '\n', ' ');
      os << "- `" << r.name << "`: " << d << "\n";
    }
}

}  // namespace edgert::test
