// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "ir/constant_folding.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <unordered_set>

#include "kernels/cpu/op_util.h"

namespace edgert::ir {
namespace {

// Ops whose output differs from run to run: folding them would freeze one sample.
bool is_nondeterministic(const std::string& op) {
  static const std::unordered_set<std::string> kOps = {"RandomNormal",  "RandomNormalLike",
                                                       "RandomUniform", "RandomUniformLike",
                                                       "Multinomial",   "Bernoulli"};
  return kOps.count(op) != 0;
}

// Shape / Size of a value whose shape is static, without needing the op table (the value itself
// need not be constant). Returns an empty tensor when the node cannot be folded this way.
Expected<Tensor> fold_shape_op(const Node& n) {
  if (n.inputs.empty() || !n.inputs[0]) return Tensor();
  const Shape& s = n.inputs[0]->info.shape;
  if (!s.is_static()) return Tensor();
  if (n.info.op_type == "Size") {
    EDGERT_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(DataType::kInt64, Shape{}));
    t.data<std::int64_t>()[0] = s.numel();
    return t;
  }
  // Shape; opset 15 added start/end (negative = from the back, clamped to [0, rank]).
  auto rank = static_cast<std::int64_t>(s.rank());
  EDGERT_ASSIGN_OR_RETURN(std::int64_t start, n.info.attrs.get_int("start", 0));
  EDGERT_ASSIGN_OR_RETURN(std::int64_t end, n.info.attrs.get_int("end", rank));
  auto clamp = [rank](std::int64_t v) {
    if (v < 0) v += rank;
    return std::clamp<std::int64_t>(v, 0, rank);
  };
  start = clamp(start);
  end = std::max(clamp(end), start);
  EDGERT_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(DataType::kInt64, Shape{end - start}));
  for (std::int64_t i = start; i < end; ++i)
    t.data<std::int64_t>()[i - start] = s[static_cast<std::size_t>(i)];
  return t;
}

// Evaluates `n` if it can be folded; returns false (and leaves `out` empty) if not.
Expected<bool> try_fold(const Node& n, std::vector<Tensor>& out) {
  if (!n.domain.empty() || is_nondeterministic(n.info.op_type)) return false;
  // Q/DQ on constant weights carry the model's int8 values and scales: pass fold_qdq turns them
  // into float weights plus Value::weight_scales; folding them here would lose the scales.
  if (n.info.op_type == "QuantizeLinear" || n.info.op_type == "DequantizeLinear") return false;
  if (n.info.op_type == "Shape" || n.info.op_type == "Size") {
    if (n.outputs.size() != 1) return false;
    EDGERT_ASSIGN_OR_RETURN(Tensor t, fold_shape_op(n));
    if (t.empty()) return false;
    out.clear();
    out.push_back(std::move(t));
    return true;
  }
  std::vector<const Tensor*> inputs;
  for (const Value* v : n.inputs) {
    if (v && !v->is_constant) return false;
    inputs.push_back(v ? &v->data : nullptr);
  }
  if (!cpu::find_op(n.info.op_type)) return false;
  Status st = cpu::run_node(n.info, inputs, out, n.outputs.size());
  // An op/type combination the CPU kernels do not cover is left in the graph for the backends
  // (which may cover it) instead of failing the build.
  if (st.code() == StatusCode::kUnsupported) return false;
  if (!st.ok()) return st.with_context("constant folding");
  return true;
}

}  // namespace

Status fold_constants(Graph& graph, int* folded_count) {
  int folded = 0;
  bool changed = true;
  while (changed) {
    changed = false;
    // Copy: remove_node does not reorder, but keep iteration independent of graph edits.
    std::vector<Node*> nodes = graph.nodes();
    for (Node* n : nodes) {
      if (n->dead) continue;
      std::vector<Tensor> out;
      EDGERT_ASSIGN_OR_RETURN(bool ok, try_fold(*n, out));
      if (!ok) continue;
      std::vector<Value*> outputs = n->outputs;
      graph.remove_node(n);
      for (std::size_t i = 0; i < outputs.size(); ++i) {
        Value* v = outputs[i];
        if (!v) continue;
        if (i >= out.size() || out[i].empty()) {
          // Optional output the op did not produce: nothing may read it.
          if (!v->consumers.empty() || v->is_graph_output)
            return cpu::node_error(n->info, StatusCode::kInternal,
                                   "folding left output '" + v->name + "' without a value");
          continue;
        }
        v->is_constant = true;
        v->info = cpu::TensorInfo{out[i].dtype(), out[i].shape()};
        v->data = std::move(out[i]);
      }
      ++folded;
      changed = true;
    }
    if (changed) {
      graph.compact();
      // Folded values may make downstream shapes static (a Reshape fed by a folded shape chain),
      // which in turn enables folding Shape of them in the next round.
      EDGERT_RETURN_IF_ERROR(graph.infer_shapes());
    }
  }
  if (folded_count) *folded_count = folded;
  return Status();
}

}  // namespace edgert::ir
