// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Graph optimization passes: one pass per .cpp, each one function over the graph (a pattern plus a
// rewrite); pipeline.cpp states the order. A pass leaves the graph topologically sorted with
// shapes inferred, logs every fusion and every candidate it declined (with the reason) to the
// BuildLog, and must not change what the graph computes (beyond float rounding).

#include <map>
#include <string>

#include "edgert/status.h"
#include "edgert/types.h"
#include "ir/build_log.h"
#include "ir/graph.h"

namespace edgert::passes {

struct PassContext {
  ir::BuildLog& log;
  /// User per-layer precision constraints by original node name (--layer-precisions). Two nodes
  /// constrained to different precisions are not fused ("different precision").
  std::map<std::string, Precision> layer_precisions;
};

using PassFn = Status (*)(ir::Graph&, PassContext&);

struct PassInfo {
  const char* name;
  PassFn run;
};

// The passes (see pipeline.cpp for the order and the file of each).
Status eliminate_noops(ir::Graph& g, PassContext& ctx);
Status fold_qdq(ir::Graph& g, PassContext& ctx);
Status collapse_reshapes(ir::Graph& g, PassContext& ctx);
Status recognize_patterns(ir::Graph& g, PassContext& ctx);
Status fold_batchnorm(ir::Graph& g, PassContext& ctx);
Status fold_scale(ir::Graph& g, PassContext& ctx);
Status fold_pad(ir::Graph& g, PassContext& ctx);
Status make_fused_layers(ir::Graph& g, PassContext& ctx);
Status fuse_conv_add(ir::Graph& g, PassContext& ctx);
Status fuse_conv_activation(ir::Graph& g, PassContext& ctx);
Status fuse_conv_maxpool(ir::Graph& g, PassContext& ctx);
Status fuse_gemm(ir::Graph& g, PassContext& ctx);
Status fuse_softmax_topk(ir::Graph& g, PassContext& ctx);
Status fuse_pointwise(ir::Graph& g, PassContext& ctx);

/// The passes in the order optimize() runs them.
const std::vector<PassInfo>& pipeline();
/// Runs the pipeline (constant folding first and last). The graph must be sorted and inferred.
Status optimize(ir::Graph& g, PassContext& ctx);

/// Helpers shared by the passes.
/// The names of the original nodes a node stands for (its own name when not fused).
std::vector<std::string> origin_names(const ir::Node& n);
/// Non-empty when two nodes may not be fused because of the user's precision constraints.
std::string precision_conflict(const PassContext& ctx, const ir::Node& a, const ir::Node& b);

}  // namespace edgert::passes
