// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The ONNX backend node test suite: every test whose ops, types and attributes are in the support
// matrix must pass; the rest must be reported unsupported (never a crash or a wrong answer).

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <catch2/catch.hpp>

#include "conformance/node_suite.h"
#include "test_util.h"

namespace fs = std::filesystem;
using edgert::test::CaseOutcome;

TEST_CASE("ONNX node test suite", "[conformance]") {
  std::string root = edgert::test::node_suite_dir();
  if (root.empty()) EDGERT_SKIP("libonnx-testdata not installed");
  std::vector<std::string> dirs;
  for (const auto& e : fs::directory_iterator(root))
    if (e.is_directory() && fs::exists(e.path() / "model.onnx")) dirs.push_back(e.path().string());
  std::sort(dirs.begin(), dirs.end());
  REQUIRE(dirs.size() > 100);

  std::vector<edgert::test::CaseResult> results;
  std::size_t passed = 0, failed = 0, unsupported = 0;
  for (const auto& d : dirs) {
    results.push_back(edgert::test::run_node_case(d));
    const auto& r = results.back();
    passed += r.outcome == CaseOutcome::kPassed;
    unsupported += r.outcome == CaseOutcome::kUnsupported;
    if (r.outcome == CaseOutcome::kFailed) {
      ++failed;
      UNSCOPED_INFO(r.name << ": " << r.detail);
    }
  }
  const char* report = std::getenv("EDGERT_CONFORMANCE_REPORT");
  std::string report_path = report ? report : std::string(EDGERT_TEST_DATA_DIR) + "/conformance.md";
  fs::create_directories(fs::path(report_path).parent_path());
  edgert::test::write_report(results, report_path);
  std::printf("ONNX node tests: %zu total, %zu passed, %zu failed, %zu unsupported (report: %s)\n",
              dirs.size(), passed, failed, unsupported, report_path.c_str());
  CHECK(failed == 0);
  CHECK(passed >= 400);
}
