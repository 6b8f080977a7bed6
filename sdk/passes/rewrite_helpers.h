// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Graph-editing helpers shared by the graph-level passes (eliminate_noops, fold_qdq,
// collapse_reshapes, recognize_patterns, fuse_softmax_topk, fuse_pointwise): constant lookups,
// rewiring consumers, removing a node that forwards its input, adding constants and nodes under
// fresh names.

#include <cstdint>
#include <string>
#include <vector>

#include "passes/pass.h"

namespace edgert::passes::rw {

/// The constant tensor of `v`, or null when `v` is absent or not constant.
const Tensor* constant(const ir::Value* v);
/// True when `v` is a constant with one element; its value (as double) in `out`.
bool scalar_constant(const ir::Value* v, double& out);
/// True when `v` is a constant (any numel >= 1) whose elements all equal `x`.
bool constant_all_equal(const ir::Value* v, double x);
/// |a - b| <= rel * |b|.
bool near(double a, double b, double rel);

/// True when `v` is read by exactly one input slot and is not a graph output.
bool single_use(const ir::Value* v);
/// The one node reading `v` (null unless single_use).
ir::Node* sole_consumer(const ir::Value* v);

/// Every input slot that reads `from` reads `to` instead.
void replace_uses(ir::Value* from, ir::Value* to);

/// Removes `n`, whose output `out` always equals its input `in`, so that `out`'s readers read `in`.
/// When `out` is a graph output, `in` gives way instead: its producer writes `out` and `in`'s
/// other readers read `out` (activation scales follow); that needs `in` produced by a node and not
/// a graph input/output. Returns false (graph unchanged, `why` set) when neither is possible.
bool bypass(ir::Graph& g, ir::Node* n, ir::Value* in, ir::Value* out, std::string* why);

/// A value name not used in `g`, from `base`.
std::string fresh_name(const ir::Graph& g, const std::string& base);
/// Adds an int64 1-D constant under a fresh name derived from `base`.
Expected<ir::Value*> add_int64s(ir::Graph& g, const std::string& base,
                                const std::vector<std::int64_t>& v);
/// Adds a float32 constant of `shape` (filled with `v`, or `fill` when v is empty).
Expected<ir::Value*> add_floats(ir::Graph& g, const std::string& base, const Shape& shape,
                                const std::vector<float>& v, float fill = 0.f);
/// NodeInfo for a node the passes create.
cpu::NodeInfo node_info(const std::string& op, const std::string& name, int opset);

/// The ints of attribute `name` or of constant input `input` (whichever the op's opset uses);
/// false when neither is known statically. `present` is false when neither is given at all.
bool ints_from_attr_or_input(const ir::Node& n, const char* name, std::size_t input,
                             std::vector<std::int64_t>& out, bool& present);

/// Compacts, sorts and re-infers shapes: how every pass leaves the graph.
Status finish(ir::Graph& g);

/// "'a' -> 'b'" lists for log lines.
std::vector<std::string> names_of(const std::vector<ir::Node*>& nodes);
/// Origin names of all nodes, concatenated (for a fused node's `fused` list).
std::vector<std::string> origins_of(const std::vector<ir::Node*>& nodes);

}  // namespace edgert::passes::rw
