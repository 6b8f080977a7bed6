// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "ir/interpreter.h"

#include <unordered_map>

namespace edgert::ir {
namespace {

// A declared input dim of kUnknownDim accepts anything; a known one must match exactly.
bool shape_compatible(const Shape& declared, const Shape& actual) {
  if (declared.unknown_rank()) return true;
  if (declared.rank() != actual.rank()) return false;
  for (std::size_t i = 0; i < declared.rank(); ++i)
    if (declared[i] != Shape::kUnknownDim && declared[i] != actual[i]) return false;
  return true;
}

}  // namespace

Expected<RunResult> run_graph(const Graph& graph, const std::map<std::string, Tensor>& inputs,
                              const RunOptions& options) {
  std::unordered_map<const Value*, Tensor> env;
  // Uses left per value, so intermediates are freed after their last reader (peak memory stays
  // near the largest live set, not the sum of all activations).
  std::unordered_map<const Value*, int> uses;
  for (const Node* n : graph.nodes())
    for (const Value* v : n->inputs)
      if (v) ++uses[v];
  for (const Value* v : graph.outputs()) uses[v] += 1 << 20;  // never freed

  for (const auto& [name, t] : inputs) {
    const Value* v = graph.find_value(name);
    if (!v || !v->is_graph_input)
      return make_error(StatusCode::kInvalidArgument,
                        "'" + name + "' is not an input of the graph");
  }
  for (const Value* v : graph.inputs()) {
    auto it = inputs.find(v->name);
    if (it == inputs.end())
      return make_error(StatusCode::kInvalidArgument, "graph input '" + v->name + "' not given");
    const Tensor& t = it->second;
    if (v->info.dtype != DataType::kUndefined && t.dtype() != v->info.dtype)
      return make_error(StatusCode::kInvalidArgument, "graph input '" + v->name + "' expects " +
                                                          dtype_name(v->info.dtype) + ", got " +
                                                          dtype_name(t.dtype()));
    if (!shape_compatible(v->info.shape, t.shape()))
      return make_error(StatusCode::kInvalidArgument,
                        "graph input '" + v->name + "' expects shape " + v->info.shape.to_string() +
                            ", got " + t.shape().to_string());
    env[v] = t;
  }

  RunResult result;
  std::vector<const Tensor*> ins;
  std::vector<Tensor> outs;
  for (const Node* n : graph.nodes()) {
    if (n->dead) continue;
    ins.clear();
    for (const Value* v : n->inputs) {
      if (!v) {
        ins.push_back(nullptr);
        continue;
      }
      if (v->is_constant) {
        ins.push_back(&v->data);
        continue;
      }
      auto it = env.find(v);
      if (it == env.end())
        return make_error(StatusCode::kInternal,
                          n->info.describe() + ": input '" + v->name + "' has not been computed");
      ins.push_back(&it->second);
    }
    EDGERT_RETURN_IF_ERROR(cpu::run_node(n->info, ins, outs, n->outputs.size()));
    for (std::size_t i = 0; i < n->outputs.size(); ++i) {
      const Value* v = n->outputs[i];
      if (!v) continue;
      if (outs[i].empty())
        return make_error(StatusCode::kInternal,
                          n->info.describe() + ": produced no output " + std::to_string(i));
      if (options.keep_intermediates) result.values[v->name] = outs[i];
      if (uses.count(v)) env[v] = std::move(outs[i]);
    }
    for (const Value* v : n->inputs) {
      if (!v || v->is_constant) continue;
      auto u = uses.find(v);
      if (u != uses.end() && --u->second == 0) env.erase(v);
    }
  }

  for (const Value* v : graph.outputs()) {
    if (v->is_constant) {
      result.outputs.push_back(v->data);
      continue;
    }
    auto it = env.find(v);
    if (it == env.end())
      return make_error(StatusCode::kInternal, "graph output '" + v->name + "' was not computed");
    result.outputs.push_back(it->second);
  }
  return result;
}

}  // namespace edgert::ir
