// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Constant folding: evaluates, once at build time, the nodes whose result does not depend on the
// graph inputs. Most of what it removes in exported models is shape arithmetic
// (Shape->Gather->Unsqueeze->Concat->Reshape chains from PyTorch), which only becomes constant
// once the input shapes are static; folding it makes the downstream shapes static too.

#include "edgert/status.h"
#include "ir/graph.h"

namespace edgert::ir {

/// Repeatedly folds every deterministic node whose inputs are all constants (run with the CPU op
/// table) and every Shape/Size of a statically shaped value, re-running shape inference between
/// rounds; folded nodes are removed and the graph compacted. A graph output that becomes constant
/// stays a graph output (a constant one). `folded_count` receives the number of folded nodes.
Status fold_constants(Graph& graph, int* folded_count = nullptr);

}  // namespace edgert::ir
