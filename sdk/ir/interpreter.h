// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// The CPU reference executor: runs an ir::Graph node by node with the CPU op table
// (kernels/cpu). It is the truth the optimized backends are tested against.

#include <map>
#include <string>
#include <vector>

#include "edgert/status.h"
#include "edgert/tensor.h"
#include "ir/graph.h"

namespace edgert::ir {

struct RunOptions {
  /// Keep every intermediate value (name -> tensor) in RunResult::values, for debugging/tests.
  bool keep_intermediates = false;
};

struct RunResult {
  std::vector<Tensor> outputs;  ///< in the order of graph.outputs()
  std::map<std::string, Tensor> values;
};

/// Runs `graph` (topologically sorted) on `inputs` (graph input name -> tensor). Checks that every
/// graph input is given with the declared type and a compatible shape. Frees intermediates as soon
/// as their last consumer ran unless keep_intermediates is set.
Expected<RunResult> run_graph(const Graph& graph, const std::map<std::string, Tensor>& inputs,
                              const RunOptions& options = {});

}  // namespace edgert::ir
