// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Runs the ONNX backend node test suite (Debian's libonnx-testdata) through the importer and the
// CPU reference executor, or through engines the builder makes from each test's model (any target
// and precision), and classifies every test as passed, failed or unsupported.

#include <functional>
#include <string>
#include <vector>

#include "edgert/status.h"
#include "edgert/tensor.h"
#include "edgert/types.h"

namespace edgert::test {

enum class CaseOutcome { kPassed, kFailed, kUnsupported };

struct CaseResult {
  std::string name;  ///< e.g. "test_conv_with_strides_padding"
  CaseOutcome outcome = CaseOutcome::kFailed;
  std::string detail;  ///< why it failed / is unsupported
};

/// The suite's root (EDGERT_ONNX_TESTDATA or /usr/share/libonnx-testdata/data/node); empty if
/// absent.
std::string node_suite_dir();

/// Runs one data set: the model's inputs in graph-input order to its outputs in graph-output order.
using CaseRun = std::function<Expected<std::vector<Tensor>>(const std::vector<Tensor>& inputs)>;
/// Makes the run of one test's model (`model_path`): an error with StatusCode::kUnsupported marks
/// the test unsupported, any other error failed.
using CaseRunner = std::function<Expected<CaseRun>(const std::string& model_path)>;

/// Per-element tolerance of floating-point outputs: |got - want| <= atol + rtol * |want|.
struct Tolerance {
  double rtol =
      1e-3;  ///< ONNX's own backend test runner (numpy assert_allclose defaults it passes)
  double atol = 1e-7;
};

/// Imports each test's model with nothing folded (every op runs through its kernel) and runs the
/// data sets with the CPU reference executor.
CaseRunner interpreter_runner();

/// Runs one test directory (model.onnx + test_data_set_*/) with `runner` and tolerance `tol`.
CaseResult run_node_case(const std::string& dir, const CaseRunner& runner, const Tolerance& tol);

/// What the engine runner built.
struct EngineStats {
  int engines = 0;         ///< engines built
  int fallback_cases = 0;  ///< engines with a layer on the CPU fallback (CUDA target)
};

/// Builds each test's model with the builder (`build_engine`, constant folding and fusions on) for
/// `target` ("cpu" or "cuda") at precision `p`, loads the engine and runs every data set through
/// one execution context of it: the path a user's model takes. `stats` (may be null) counts.
CaseRunner engine_runner(const std::string& target, Precision p, EngineStats* stats);

/// The test directories under `root`, sorted.
std::vector<std::string> node_case_dirs(const std::string& root);

struct SuiteResult {
  std::vector<CaseResult> cases;
  std::size_t passed = 0, failed = 0, unsupported = 0;
};

/// Runs every directory in `dirs` with `runner`. With EDGERT_CONFORMANCE_PROGRESS=1 in the
/// environment each test's name is printed before it runs (to find a test that crashes).
SuiteResult run_node_suite(const std::vector<std::string>& dirs, const CaseRunner& runner,
                           const Tolerance& tol);

/// Writes the markdown report (counts; failures; unsupported grouped by reason) under `title`
/// (default: the CPU reference executor's).
void write_report(const std::vector<CaseResult>& results, const std::string& path,
                  const std::string& title = "", const Tolerance& tol = {});

/// The whole suite under node_suite_dir() as one test: runs it with `runner`, writes the report
/// (`title()` is read after the run, so it can quote what the runner counted), prints the counts
/// under `label` and checks that no test failed and at least `min_passed` passed.
void check_node_suite(const std::string& label, const CaseRunner& runner, const Tolerance& tol,
                      const std::string& report_path, const std::function<std::string()>& title,
                      std::size_t min_passed);

}  // namespace edgert::test
