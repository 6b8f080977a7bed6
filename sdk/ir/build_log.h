// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// The builder's verbose log, in the spirit of TensorRT's: one line per fusion, one line per
// candidate pattern that was not fused (and why), precision and tactic decisions. Every line also
// goes to the logger at kVerbose; the lines are kept so the tool and tests can read them back.

#include <map>
#include <string>
#include <vector>

namespace edgert::ir {

class BuildLog {
 public:
  /// "Fusing conv1 with relu1 (conv+activation)".
  void fused(const std::string& pattern, const std::vector<std::string>& nodes);
  /// "Not fusing conv1 with relu1 (conv+activation): relu1 has 2 consumers".
  void not_fused(const std::string& pattern, const std::vector<std::string>& nodes,
                 const std::string& reason);
  /// Any other decision ("Removing identity 'id1'", "Layer conv1 kept in fp32: ...").
  void note(const std::string& line);

  const std::vector<std::string>& lines() const { return lines_; }
  /// Fusions applied, by pattern name.
  const std::map<std::string, int>& fusion_counts() const { return fusion_counts_; }
  int total_fusions() const;

 private:
  void add(std::string line);
  std::vector<std::string> lines_;
  std::map<std::string, int> fusion_counts_;
};

}  // namespace edgert::ir
