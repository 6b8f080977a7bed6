// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "ir/graph.h"

#include <algorithm>
#include <functional>
#include <queue>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "kernels/cpu/op_util.h"

namespace edgert::ir {
namespace {

std::string info_string(const cpu::TensorInfo& info) {
  std::string s = info.dtype == DataType::kUndefined ? "?" : dtype_name(info.dtype);
  return s + info.shape.to_string();
}

// Merges an inferred TensorInfo into the one a value already has (declared by the model or
// inferred earlier): the more specific wins, contradictions are errors. Declared shapes are kept
// even when inference knows less, since exporters often know more (symbolic batch dims etc.).
Status merge_info(const cpu::NodeInfo& node, Value& v, const cpu::TensorInfo& inferred) {
  cpu::TensorInfo merged = v.info;
  auto conflict = [&] {
    return cpu::invalid(node, "output '" + v.name + "' inferred as " + info_string(inferred) +
                                  " but declared as " + info_string(v.info));
  };
  if (inferred.dtype != DataType::kUndefined) {
    if (merged.dtype != DataType::kUndefined && merged.dtype != inferred.dtype) return conflict();
    merged.dtype = inferred.dtype;
  }
  if (!inferred.shape.unknown_rank()) {
    if (merged.shape.unknown_rank()) {
      merged.shape = inferred.shape;
    } else {
      if (merged.shape.rank() != inferred.shape.rank()) return conflict();
      for (std::size_t d = 0; d < merged.shape.rank(); ++d) {
        std::int64_t a = merged.shape[d];
        std::int64_t b = inferred.shape[d];
        if (a >= 0 && b >= 0 && a != b) return conflict();
        if (a < 0) merged.shape[d] = b;
      }
    }
  }
  v.info = std::move(merged);
  return Status();
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

}  // namespace

Value* Graph::get_or_add_value(const std::string& name) {
  auto it = by_name_.find(name);
  if (it != by_name_.end()) return it->second;
  Value& v = values_.emplace_back();
  v.name = name;
  by_name_.emplace(name, &v);
  return &v;
}

Value* Graph::find_value(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

Expected<Value*> Graph::add_constant(const std::string& name, Tensor data) {
  Value* v = get_or_add_value(name);
  if (v->producer)
    return make_error(StatusCode::kInvalidArgument, "constant '" + name + "' is also produced by " +
                                                        v->producer->info.describe());
  if (v->is_constant)
    return make_error(StatusCode::kInvalidArgument, "constant '" + name + "' defined twice");
  v->is_constant = true;
  v->info = cpu::TensorInfo{data.dtype(), data.shape()};
  v->data = std::move(data);
  return v;
}

Expected<Node*> Graph::add_node(cpu::NodeInfo info, std::string domain,
                                const std::vector<std::string>& inputs,
                                const std::vector<std::string>& outputs) {
  // Validate the outputs before wiring anything so that a failed add leaves the graph unchanged.
  std::set<std::string> seen;
  for (const auto& o : outputs) {
    if (o.empty()) continue;
    if (!seen.insert(o).second) return cpu::invalid(info, "output '" + o + "' listed twice");
    if (const Value* v = find_value(o)) {
      if (v->producer)
        return cpu::invalid(
            info, "output '" + o + "' is already produced by " + v->producer->info.describe());
      if (v->is_constant)
        return cpu::invalid(info, "output '" + o + "' is also an initializer/constant");
      if (v->is_graph_input) return cpu::invalid(info, "output '" + o + "' is also a graph input");
    }
  }
  Node& n = node_storage_.emplace_back();
  if (info.index < 0) info.index = static_cast<std::int64_t>(node_storage_.size() - 1);
  n.info = std::move(info);
  n.domain = std::move(domain);
  for (const auto& i : inputs) {
    if (i.empty()) {
      n.inputs.push_back(nullptr);
      continue;
    }
    Value* v = get_or_add_value(i);
    v->consumers.push_back(&n);
    n.inputs.push_back(v);
  }
  for (const auto& o : outputs) {
    if (o.empty()) {
      n.outputs.push_back(nullptr);
      continue;
    }
    Value* v = get_or_add_value(o);
    v->producer = &n;
    n.outputs.push_back(v);
  }
  order_.push_back(&n);
  return &n;
}

Status Graph::topological_sort() {
  std::vector<Node*> live;
  for (Node* n : order_)
    if (!n->dead) live.push_back(n);
  // Position in the current order: ties are broken by it so that an already sorted graph keeps
  // its order (the dump then matches the file).
  std::unordered_map<const Node*, std::size_t> pos;
  for (std::size_t i = 0; i < live.size(); ++i) pos[live[i]] = i;

  std::vector<int> pending(live.size(), 0);
  for (std::size_t i = 0; i < live.size(); ++i) {
    const Node* n = live[i];
    for (const Value* v : n->inputs) {
      if (!v) continue;
      if (v->producer && !v->producer->dead) {
        ++pending[i];
      } else if (!v->is_constant && !v->is_graph_input) {
        return make_error(StatusCode::kInvalidArgument,
                          n->info.describe() + ": input '" + v->name +
                              "' is neither produced by a node, nor an initializer/constant, "
                              "nor a graph input");
      }
    }
  }
  for (const Value* v : outputs_)
    if (!v->producer && !v->is_constant && !v->is_graph_input)
      return make_error(StatusCode::kInvalidArgument,
                        "graph output '" + v->name + "' is not produced by any node");

  std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> ready;
  for (std::size_t i = 0; i < live.size(); ++i)
    if (pending[i] == 0) ready.push(i);
  std::vector<Node*> sorted;
  sorted.reserve(live.size());
  while (!ready.empty()) {
    std::size_t i = ready.top();
    ready.pop();
    Node* n = live[i];
    sorted.push_back(n);
    for (const Value* v : n->outputs) {
      if (!v) continue;
      std::unordered_set<const Node*> done;
      for (const Node* c : v->consumers) {
        auto it = pos.find(c);
        if (it == pos.end() || !done.insert(c).second) continue;
        // A consumer reading the same value in several slots was counted once per slot.
        for (const Value* in : c->inputs)
          if (in == v && --pending[it->second] == 0) ready.push(it->second);
      }
    }
  }
  if (sorted.size() != live.size()) {
    // Walk producer links from a blocked node; within |live| steps the walk is on a cycle.
    std::size_t cur = 0;
    while (pending[cur] == 0) ++cur;
    for (std::size_t step = 0; step < live.size(); ++step) {
      for (const Value* v : live[cur]->inputs) {
        if (v && v->producer && !v->producer->dead) {
          std::size_t p = pos.at(v->producer);
          if (pending[p] > 0) {
            cur = p;
            break;
          }
        }
      }
    }
    return make_error(StatusCode::kInvalidArgument,
                      "the graph has a cycle through " + live[cur]->info.describe() + " (" +
                          std::to_string(live.size() - sorted.size()) +
                          " nodes cannot be ordered)");
  }
  order_ = std::move(sorted);
  return Status();
}

cpu::InferContext infer_context(const Node& n) {
  cpu::InferContext ctx{n.info, {}, {}, {}, {}};
  for (const Value* v : n.inputs) {
    ctx.inputs.push_back(v ? v->info : cpu::TensorInfo{});
    ctx.present.push_back(v != nullptr);
    ctx.values.push_back(v && v->is_constant ? &v->data : nullptr);
  }
  ctx.outputs.resize(n.outputs.size());
  return ctx;
}

Status Graph::infer_shapes() {
  for (Node* n : order_) {
    if (n->dead) continue;
    const cpu::OpDef* def = cpu::find_op(n->info.op_type);
    if (!def)
      return cpu::unsupported(
          n->info, "op type '" + n->info.op_type + "' is not supported (no CPU implementation)");
    std::size_t n_in = n->inputs.size();
    while (n_in > 0 && n->inputs[n_in - 1] == nullptr) --n_in;
    if (static_cast<int>(n_in) < def->min_inputs || static_cast<int>(n_in) > def->max_inputs)
      return cpu::invalid(n->info, "takes " + std::to_string(def->min_inputs) + " to " +
                                       std::to_string(def->max_inputs) + " inputs, got " +
                                       std::to_string(n_in));
    cpu::InferContext ctx = infer_context(*n);
    EDGERT_RETURN_IF_ERROR(def->infer(ctx));
    for (std::size_t i = 0; i < n->outputs.size() && i < ctx.outputs.size(); ++i) {
      if (!n->outputs[i]) continue;
      EDGERT_RETURN_IF_ERROR(merge_info(n->info, *n->outputs[i], ctx.outputs[i]));
    }
  }
  return Status();
}

void Graph::compact() {
  order_.erase(std::remove_if(order_.begin(), order_.end(), [](const Node* n) { return n->dead; }),
               order_.end());
  // Storage stays put (values and nodes are addressed by stable pointers); unreferenced values
  // are only unlisted, and their data released.
  for (auto it = by_name_.begin(); it != by_name_.end();) {
    Value* v = it->second;
    bool used = (v->producer && !v->producer->dead) || !v->consumers.empty() || v->is_graph_input ||
                v->is_graph_output;
    if (used) {
      ++it;
    } else {
      v->data = Tensor();
      v->producer = nullptr;
      it = by_name_.erase(it);
    }
  }
}

void Graph::remove_node(Node* n) {
  if (!n || n->dead) return;
  n->dead = true;
  for (Value* v : n->inputs) {
    if (!v) continue;
    auto& c = v->consumers;
    c.erase(std::remove(c.begin(), c.end(), n), c.end());
  }
  for (Value* v : n->outputs)
    if (v && v->producer == n) v->producer = nullptr;
}

std::string Graph::dump(bool with_constants) const {
  std::ostringstream os;
  os << "graph '" << name << "'  opset " << opset;
  if (!producer.empty()) os << "  producer '" << producer << "'";
  os << '\n';
  os << "inputs (" << inputs_.size() << "):\n";
  for (const Value* v : inputs_) os << "  " << v->name << ' ' << info_string(v->info) << '\n';
  os << "outputs (" << outputs_.size() << "):\n";
  for (const Value* v : outputs_) {
    os << "  " << v->name << ' ' << info_string(v->info);
    if (v->is_constant) os << " (const)";
    os << '\n';
  }
  std::size_t n_const = 0;
  std::size_t const_bytes = 0;
  for (const auto& [vname, v] : by_name_) {
    if (!v->is_constant) continue;
    ++n_const;
    const_bytes += v->data.nbytes();
  }
  os << "constants: " << n_const << " (" << const_bytes << " bytes)\n";
  if (with_constants)
    for (const auto& [vname, v] : by_name_)
      if (v->is_constant) os << "  " << vname << ' ' << info_string(v->info) << '\n';
  std::size_t live = 0;
  for (const Node* n : order_) live += n->dead ? 0 : 1;
  os << "nodes: " << live << '\n';
  for (const Node* n : order_) {
    if (n->dead) continue;
    std::string op = n->domain.empty() ? n->info.op_type : n->domain + "::" + n->info.op_type;
    os << pad(op, 18) << pad(n->info.name, 24) << " in:";
    for (const Value* v : n->inputs) {
      if (!v) {
        os << " _";
      } else if (v->is_constant) {
        os << ' ' << v->name << "(const)";
      } else {
        os << ' ' << v->name << v->info.shape.to_string();
      }
    }
    os << "  out:";
    for (const Value* v : n->outputs) {
      if (!v) {
        os << " _";
      } else {
        os << ' ' << v->name << v->info.shape.to_string();
      }
    }
    if (n->info.attrs.size()) os << "  " << n->info.attrs.to_string();
    os << '\n';
  }
  return os.str();
}

}  // namespace edgert::ir
