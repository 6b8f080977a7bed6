// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "ir/build_log.h"

#include "edgert/logger.h"

namespace edgert::ir {
namespace {

std::string join_with(const std::vector<std::string>& nodes) {
  std::string s;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (i > 0) s += (i + 1 == nodes.size()) ? " with " : ", ";
    s += nodes[i];
  }
  return s;
}

}  // namespace

void BuildLog::add(std::string line) {
  EDGERT_LOG(kVerbose, line);
  lines_.push_back(std::move(line));
}

void BuildLog::fused(const std::string& pattern, const std::vector<std::string>& nodes) {
  ++fusion_counts_[pattern];
  add("Fusing " + join_with(nodes) + " (" + pattern + ")");
}

void BuildLog::not_fused(const std::string& pattern, const std::vector<std::string>& nodes,
                         const std::string& reason) {
  add("Not fusing " + join_with(nodes) + " (" + pattern + "): " + reason);
}

void BuildLog::note(const std::string& line) { add(line); }

int BuildLog::total_fusions() const {
  int n = 0;
  for (const auto& [k, v] : fusion_counts_) n += v;
  return n;
}

}  // namespace edgert::ir
