// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Runs the ONNX backend node test suite (Debian's libonnx-testdata) through the importer and the
// CPU reference executor and classifies every test as passed, failed or unsupported.

#include <string>
#include <vector>

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

/// Runs one test directory (model.onnx + test_data_set_*/).
CaseResult run_node_case(const std::string& dir);

/// Writes the markdown report (counts; failures; unsupported grouped by reason).
void write_report(const std::vector<CaseResult>& results, const std::string& path);

}  // namespace edgert::test
