// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Helpers of the conv/gemm pass tests (test_conv_passes.cpp, test_conv_fusion_passes.cpp): a
// small graph builder with seeded constants, and run_passes, which builds a graph twice, runs
// passes on one copy and checks that the interpreter gives both the same outputs.

#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "ir/interpreter.h"
#include "passes/pass.h"
#include "test_util.h"

namespace edgert::test::conv_passes {

using Ints = std::vector<std::int64_t>;

/// Builds a graph; constants come from a seeded generator so that building twice gives the same
/// graph (one copy stays unoptimized as the reference).
class Builder {
 public:
  explicit Builder(ir::Graph& g, int opset = 13) : g_(g), opset_(opset), rng_(99) {
    g_.opset = opset;
  }

  void input(const std::string& name, Shape shape) {
    ir::Value* v = g_.get_or_add_value(name);
    v->is_graph_input = true;
    v->info = cpu::TensorInfo{DataType::kFloat32, std::move(shape)};
    g_.inputs().push_back(v);
  }
  void output(const std::string& name) {
    ir::Value* v = g_.get_or_add_value(name);
    v->is_graph_output = true;
    g_.outputs().push_back(v);
  }
  /// A random float32 constant in [lo, hi).
  void constant(const std::string& name, const Shape& shape, double lo = -1.0, double hi = 1.0) {
    REQUIRE(g_.add_constant(name, random_tensor(DataType::kFloat32, shape, rng_, lo, hi)).ok());
  }
  void constant(const std::string& name, Tensor t) { REQUIRE(g_.add_constant(name, t).ok()); }
  void ints(const std::string& name, const Ints& v) {
    Tensor t =
        Tensor::allocate(DataType::kInt64, Shape{static_cast<std::int64_t>(v.size())}).value();
    for (std::size_t i = 0; i < v.size(); ++i) t.data<std::int64_t>()[i] = v[i];
    constant(name, t);
  }
  void scalar(const std::string& name, float v) {
    Tensor t = Tensor::allocate(DataType::kFloat32, Shape{}).value();
    t.data<float>()[0] = v;
    constant(name, t);
  }
  cpu::NodeInfo& node(const std::string& op, const std::string& name,
                      const std::vector<std::string>& in, const std::vector<std::string>& out,
                      int opset = 0) {
    cpu::NodeInfo info;
    info.op_type = op;
    info.name = name;
    info.opset = opset ? opset : opset_;
    auto n = g_.add_node(info, "", in, out);
    INFO(n.status().to_string());
    REQUIRE(n.ok());
    return (*n)->info;
  }
  /// Conv with weights "<name>_W" [m, c/group, k, k] (and bias "<name>_B" when `bias`).
  cpu::NodeInfo& conv(const std::string& name, const std::string& x, const std::string& y,
                      std::int64_t c, std::int64_t m, std::int64_t k, bool bias = true,
                      std::int64_t group = 1) {
    constant(name + "_W", Shape{m, c / group, k, k}, -0.5, 0.5);
    std::vector<std::string> in = {x, name + "_W"};
    if (bias) {
      constant(name + "_B", Shape{m});
      in.push_back(name + "_B");
    }
    auto& n = node("Conv", name, in, {y});
    n.attrs.set("pads", Ints{k / 2, k / 2, k / 2, k / 2});
    if (group != 1) n.attrs.set("group", group);
    return n;
  }
  /// Inference BatchNormalization with random statistics ("<name>_s/_b/_m/_v").
  void batchnorm(const std::string& name, const std::string& x, const std::string& y,
                 std::int64_t c) {
    constant(name + "_s", Shape{c}, 0.5, 1.5);
    constant(name + "_b", Shape{c});
    constant(name + "_m", Shape{c}, -0.2, 0.2);
    constant(name + "_v", Shape{c}, 0.5, 1.5);
    node("BatchNormalization", name, {x, name + "_s", name + "_b", name + "_m", name + "_v"}, {y})
        .attrs.set("epsilon", 1e-3f);
  }

 private:
  ir::Graph& g_;
  int opset_;
  std::mt19937 rng_;
};

using BuildFn = std::function<void(Builder&)>;

inline std::unique_ptr<ir::Graph> build(const BuildFn& fn, int opset = 13) {
  auto g = std::make_unique<ir::Graph>();
  Builder b(*g, opset);
  fn(b);
  REQUIRE(g->topological_sort().ok());
  Status st = g->infer_shapes();
  INFO(st.to_string());
  REQUIRE(st.ok());
  return g;
}

/// Random inputs of the graph's (static) input shapes.
inline std::map<std::string, Tensor> random_inputs(const ir::Graph& g, std::mt19937& rng) {
  std::map<std::string, Tensor> in;
  for (const ir::Value* v : g.inputs())
    in[v->name] = random_tensor(v->info.dtype, v->info.shape, rng);
  return in;
}

struct Optimized {
  std::unique_ptr<ir::Graph> graph;
  ir::BuildLog log;
};

/// Builds the graph twice, runs `passes` on one copy (or the whole pipeline when empty) and checks
/// that both copies compute the same outputs on random inputs (rel L2 < 1e-5).
inline std::unique_ptr<Optimized> run_passes(const BuildFn& fn,
                                             const std::vector<passes::PassFn>& pass_list,
                                             int opset = 13,
                                             std::map<std::string, Precision> precisions = {}) {
  auto ref = build(fn, opset);
  auto out = std::make_unique<Optimized>();
  out->graph = build(fn, opset);
  passes::PassContext ctx{out->log, std::move(precisions)};
  if (pass_list.empty()) {
    Status st = passes::optimize(*out->graph, ctx);
    INFO(st.to_string());
    REQUIRE(st.ok());
  }
  for (auto pass : pass_list) {
    Status st = pass(*out->graph, ctx);
    INFO(st.to_string() << "\n" << out->graph->dump());
    REQUIRE(st.ok());
  }
  // The pass contract: sorted (sorting again keeps the order) and inferred.
  std::vector<ir::Node*> order = out->graph->nodes();
  REQUIRE(out->graph->topological_sort().ok());
  CHECK(order == out->graph->nodes());
  REQUIRE(out->graph->infer_shapes().ok());

  std::mt19937 rng(7);
  for (int trial = 0; trial < 2; ++trial) {
    const auto inputs = random_inputs(*ref, rng);
    auto a = ir::run_graph(*ref, inputs);
    auto b = ir::run_graph(*out->graph, inputs);
    INFO(a.status().to_string() << " / " << b.status().to_string() << "\n" << out->graph->dump());
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    REQUIRE(a->outputs.size() == b->outputs.size());
    for (std::size_t i = 0; i < a->outputs.size(); ++i) {
      INFO("output " << ref->outputs()[i]->name);
      REQUIRE(a->outputs[i].shape() == b->outputs[i].shape());
      CHECK(rel_l2(b->outputs[i], a->outputs[i]) < 1e-5);
    }
  }
  return out;
}

/// Live node op types in order.
inline std::vector<std::string> ops(const ir::Graph& g) {
  std::vector<std::string> v;
  for (const ir::Node* n : g.nodes()) v.push_back(n->info.op_type);
  return v;
}

inline const ir::Node* find_node(const ir::Graph& g, const std::string& name) {
  for (const ir::Node* n : g.nodes())
    if (n->info.name == name) return n;
  return nullptr;
}

inline bool has_line(const ir::BuildLog& log, const std::string& line) {
  for (const auto& l : log.lines())
    if (l == line) return true;
  return false;
}

inline std::string all_lines(const ir::BuildLog& log) {
  std::string s;
  for (const auto& l : log.lines()) s += l + "\n";
  return s;
}

#define CHECK_LOG(opt, line)                 \
  do {                                       \
    INFO("log:\n" << all_lines((opt)->log)); \
    CHECK(has_line((opt)->log, line));       \
  } while (0)

using V = std::vector<std::string>;
inline const Shape kImage{1, 4, 8, 8};

}  // namespace edgert::test::conv_passes
