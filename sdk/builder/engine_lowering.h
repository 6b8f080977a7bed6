// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Lowering the optimized graph to an engine: every live node becomes a layer, constants read by
// layers become weights (in their own dtype: int8 weights stay int8), values get storage (caller
// input/output, weight, arena offset from the memory planner, or a view of another tensor), and
// the engine is checked by the same verifier the runtime runs.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "edgert/engine.h"
#include "edgert/preprocess.h"
#include "engine/engine_def.h"
#include "ir/graph.h"

namespace edgert::builder {

/// What the engine records besides the graph.
struct EngineBuildInfo {
  EngineTarget target;         ///< "cpu" by default
  std::string model_hash;      ///< SHA-256 hex of the ONNX bytes (sha256_file_hex)
  std::string config_hash;     ///< SHA-256 hex of the builder configuration
  std::string config_summary;  ///< readable configuration
  /// Per graph input name; inputs not listed are raw tensors.
  std::map<std::string, PreprocessSpec> preprocess;
  std::vector<std::string> labels;  ///< class labels in index order
};

/// Ops whose output may overwrite their input 0 when that input dies at the layer (elementwise:
/// element i of the output depends only on element i of input 0 and on the other inputs).
bool is_in_place_safe(const std::string& op_type);
/// Ops whose output is their input 0 with another shape (no copy at run time).
bool is_view_op(const std::string& op_type);

/// `optimized` must be topologically sorted with static shapes everywhere (the error names the
/// first value that is not). The result passed verify_engine().
Expected<engine::EngineDef> lower_to_engine(const ir::Graph& optimized,
                                            const EngineBuildInfo& info);

/// The engine file's bytes.
std::vector<std::uint8_t> serialize(const engine::EngineDef& def);

}  // namespace edgert::builder
