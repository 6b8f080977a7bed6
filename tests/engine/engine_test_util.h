// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Helpers of the engine tests: small graphs built in code, lowering + serialization + loading in
// one call, and the comparison of an engine's outputs with the reference interpreter's.

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "builder/engine_lowering.h"
#include "edgert/runtime.h"
#include "ir/graph.h"
#include "ir/interpreter.h"
#include "test_util.h"

namespace edgert::test {

/// Builds an ir::Graph op by op (opset 13). finish() sorts it and infers shapes.
class GraphMaker {
 public:
  GraphMaker() {
    g_ = std::make_unique<ir::Graph>();
    g_->name = "test_graph";
  }

  GraphMaker& input(const std::string& name, Shape shape, DataType dt = DataType::kFloat32) {
    ir::Value* v = g_->get_or_add_value(name);
    v->is_graph_input = true;
    v->info = cpu::TensorInfo{dt, std::move(shape)};
    g_->inputs().push_back(v);
    return *this;
  }
  GraphMaker& output(const std::string& name) {
    ir::Value* v = g_->get_or_add_value(name);
    v->is_graph_output = true;
    g_->outputs().push_back(v);
    return *this;
  }
  GraphMaker& constant(const std::string& name, Tensor t) {
    auto v = g_->add_constant(name, std::move(t));
    INFO(v.status().to_string());
    REQUIRE(v.ok());
    return *this;
  }
  /// A random float32 constant in [-1, 1).
  GraphMaker& weight(const std::string& name, Shape shape, std::mt19937& rng) {
    return constant(name, random_tensor(DataType::kFloat32, shape, rng));
  }
  GraphMaker& ints(const std::string& name, std::vector<std::int64_t> values) {
    auto t = Tensor::allocate(DataType::kInt64, Shape{static_cast<std::int64_t>(values.size())});
    REQUIRE(t.ok());
    for (std::size_t i = 0; i < values.size(); ++i) t->data<std::int64_t>()[i] = values[i];
    return constant(name, *t);
  }
  GraphMaker& node(const std::string& op, const std::string& name,
                   const std::vector<std::string>& ins, const std::vector<std::string>& outs,
                   AttrMap attrs = {}) {
    cpu::NodeInfo info;
    info.op_type = op;
    info.name = name;
    info.opset = 13;
    info.index = static_cast<std::int64_t>(count_++);
    info.attrs = std::move(attrs);
    auto n = g_->add_node(std::move(info), "", ins, outs);
    INFO(n.status().to_string());
    REQUIRE(n.ok());
    return *this;
  }
  std::unique_ptr<ir::Graph> finish() {
    Status s = g_->topological_sort();
    INFO(s.to_string());
    REQUIRE(s.ok());
    s = g_->infer_shapes();
    INFO(s.to_string());
    REQUIRE(s.ok());
    return std::move(g_);
  }

 private:
  std::unique_ptr<ir::Graph> g_;
  std::size_t count_ = 0;
};

inline AttrMap attrs(std::initializer_list<std::pair<const std::string, AttrValue>> kv) {
  AttrMap m;
  for (const auto& [k, v] : kv) m.set(k, v);
  return m;
}

/// Lowers + serializes `g`; REQUIREs success.
inline std::vector<std::uint8_t> build_engine_bytes(const ir::Graph& g,
                                                    const builder::EngineBuildInfo& info = {}) {
  auto def = builder::lower_to_engine(g, info);
  INFO(def.status().to_string());
  REQUIRE(def.ok());
  return builder::serialize(*def);
}

inline std::shared_ptr<const Engine> load_engine(std::vector<std::uint8_t> bytes) {
  auto e = Engine::from_memory(std::move(bytes));
  INFO(e.status().to_string());
  REQUIRE(e.ok());
  return *e;
}

/// Random inputs for every graph input (by name and in engine order).
inline std::map<std::string, Tensor> random_inputs(const ir::Graph& g, std::mt19937& rng) {
  std::map<std::string, Tensor> in;
  for (const ir::Value* v : g.inputs())
    in[v->name] = random_tensor(v->info.dtype, v->info.shape, rng);
  return in;
}

inline std::vector<const Tensor*> ordered_inputs(const Engine& e,
                                                 const std::map<std::string, Tensor>& in) {
  std::vector<const Tensor*> v;
  for (const auto& d : e.inputs()) v.push_back(&in.at(d.name));
  return v;
}

/// Runs `ctx` and the interpreter on the same inputs; checks every output within `tol` (rel L2).
inline void check_against_interpreter(const ir::Graph& g, ExecutionContext& ctx,
                                      const std::map<std::string, Tensor>& in, double tol) {
  auto ref = ir::run_graph(g, in);
  INFO(ref.status().to_string());
  REQUIRE(ref.ok());
  std::vector<Tensor> outs;
  Status s = ctx.execute(ordered_inputs(ctx.engine(), in), outs);
  INFO(s.to_string());
  REQUIRE(s.ok());
  REQUIRE(outs.size() == ref->outputs.size());
  for (std::size_t i = 0; i < outs.size(); ++i) {
    INFO("output " << g.outputs()[i]->name << " " << outs[i].shape().to_string());
    REQUIRE(outs[i].dtype() == ref->outputs[i].dtype());
    REQUIRE(outs[i].shape() == ref->outputs[i].shape());
    CHECK(rel_l2(outs[i], ref->outputs[i]) <= tol);
  }
}

/// Checks an engine's memory plan from its tensor table alone (shares no code with the planner):
/// tensors are grouped by the arena tensor they view, groups joined by in-place layers (whose input
/// group must die at that layer); groups alive at a common layer step must not share bytes.
/// Returns the number of groups.
inline std::size_t check_engine_plan(const engine::EngineDef& def) {
  const std::size_t nt = def.tensors.size();
  auto root = [&](std::int32_t t) {
    while (def.tensors[static_cast<std::size_t>(t)].storage == engine::Storage::kAlias)
      t = def.tensors[static_cast<std::size_t>(t)].alias_of;
    return static_cast<std::size_t>(t);
  };
  std::vector<int> born(nt, -1), last(nt, -1);
  for (std::size_t li = 0; li < def.layers.size(); ++li) {
    for (auto t : def.layers[li].outputs)
      if (t >= 0) born[static_cast<std::size_t>(t)] = static_cast<int>(li);
    for (auto t : def.layers[li].inputs)
      if (t >= 0) last[static_cast<std::size_t>(t)] = static_cast<int>(li);
  }
  // Per arena root: [first, last] over the root and its views.
  std::vector<int> g_first(nt, -1), g_last(nt, -1);
  std::vector<std::size_t> set(nt);
  for (std::size_t t = 0; t < nt; ++t) set[t] = t;
  std::function<std::size_t(std::size_t)> find = [&](std::size_t t) {
    return set[t] == t ? t : set[t] = find(set[t]);
  };
  for (std::size_t t = 0; t < nt; ++t) {
    const std::size_t r = root(static_cast<std::int32_t>(t));
    if (def.tensors[r].storage != engine::Storage::kArena) continue;
    if (t == r) g_first[r] = born[t];
    g_last[r] = std::max({g_last[r], last[t], born[t]});
  }
  for (std::size_t li = 0; li < def.layers.size(); ++li) {
    const auto& l = def.layers[li];
    if (!(l.flags & engine::kLayerInPlace)) continue;
    const std::size_t x = root(l.inputs[0]);
    const auto y = static_cast<std::size_t>(l.outputs[0]);
    INFO("in-place layer " << l.name);
    REQUIRE(def.tensors[x].storage == engine::Storage::kArena);
    CHECK(def.tensors[x].offset == def.tensors[y].offset);
    CHECK(def.tensors[x].nbytes == def.tensors[y].nbytes);
    CHECK(g_last[x] == static_cast<int>(li));          // the input dies where the output is written
    for (std::size_t k = 1; k < l.inputs.size(); ++k)  // and no other input reads those bytes
      if (l.inputs[k] >= 0) CHECK(root(l.inputs[k]) != x);
    set[find(y)] = find(x);
  }
  std::map<std::size_t, std::pair<int, int>> groups;  // set -> lifetime
  for (std::size_t t = 0; t < nt; ++t) {
    if (def.tensors[t].storage != engine::Storage::kArena) continue;
    auto [it, fresh] = groups.emplace(find(t), std::make_pair(g_first[t], g_last[t]));
    if (!fresh) {
      it->second.first = std::min(it->second.first, g_first[t]);
      it->second.second = std::max(it->second.second, g_last[t]);
    }
  }
  std::vector<std::size_t> ids;
  for (const auto& kv : groups) ids.push_back(kv.first);
  for (std::size_t a = 0; a < ids.size(); ++a)
    for (std::size_t b = a + 1; b < ids.size(); ++b) {
      const auto& ta = def.tensors[ids[a]];
      const auto& tb = def.tensors[ids[b]];
      const auto la = groups[ids[a]], lb = groups[ids[b]];
      const bool same_time = la.first <= lb.second && lb.first <= la.second;
      const bool same_bytes =
          ta.offset < tb.offset + tb.nbytes && tb.offset < ta.offset + ta.nbytes;
      INFO(ta.name << " [" << ta.offset << ", +" << ta.nbytes << ") steps " << la.first << ".."
                   << la.second << " vs " << tb.name << " [" << tb.offset << ", +" << tb.nbytes
                   << ") steps " << lb.first << ".." << lb.second);
      CHECK_FALSE((same_time && same_bytes));
    }
  return groups.size();
}

}  // namespace edgert::test
