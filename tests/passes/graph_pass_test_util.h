// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Helpers of the graph-pass tests (test_graph_passes.cpp, test_qdq_passes.cpp): a small graph
// builder, and a runner that builds a graph twice (a Graph cannot be copied), applies a pass to
// one copy and runs both with the reference interpreter on the same random inputs.

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

namespace edgert::passes::test_util {

class GraphBuilder {
 public:
  explicit GraphBuilder(ir::Graph& g, int opset = 17) : g_(g), opset_(opset) { g_.opset = opset; }

  ir::Graph& graph() { return g_; }
  int opset() const { return opset_; }

  void input(const std::string& name, Shape shape, DataType t = DataType::kFloat32) {
    ir::Value* v = g_.get_or_add_value(name);
    v->is_graph_input = true;
    v->info = cpu::TensorInfo{t, std::move(shape)};
    g_.inputs().push_back(v);
  }
  void output(const std::string& name) {
    ir::Value* v = g_.get_or_add_value(name);
    v->is_graph_output = true;
    g_.outputs().push_back(v);
  }
  std::string constant(const std::string& name, Tensor t) {
    REQUIRE(g_.add_constant(name, std::move(t)).ok());
    return name;
  }
  std::string scalar(const std::string& name, float v, Shape shape = Shape{}) {
    Tensor t = Tensor::allocate(DataType::kFloat32, std::move(shape)).value();
    for (std::int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = v;
    return constant(name, t);
  }
  std::string ints(const std::string& name, const std::vector<std::int64_t>& v) {
    Tensor t =
        Tensor::allocate(DataType::kInt64, Shape{static_cast<std::int64_t>(v.size())}).value();
    for (std::size_t i = 0; i < v.size(); ++i) t.data<std::int64_t>()[i] = v[i];
    return constant(name, t);
  }
  std::string floats(const std::string& name, Shape shape, std::mt19937& rng, double lo = -1,
                     double hi = 1) {
    return constant(name, test::random_tensor(DataType::kFloat32, shape, rng, lo, hi));
  }
  ir::Node* node(const std::string& op, const std::string& name,
                 const std::vector<std::string>& ins, const std::vector<std::string>& outs,
                 AttrMap attrs = {}, const std::string& domain = "", int opset = 0) {
    cpu::NodeInfo info;
    info.op_type = op;
    info.name = name;
    info.opset = opset ? opset : opset_;
    info.attrs = std::move(attrs);
    auto n = g_.add_node(std::move(info), domain, ins, outs);
    INFO(n.status().message());
    REQUIRE(n.ok());
    return *n;
  }
  void finish() {
    Status s = g_.topological_sort();
    if (s.ok()) s = g_.infer_shapes();
    INFO(s.message());
    REQUIRE(s.ok());
  }

 private:
  ir::Graph& g_;
  int opset_;
};

inline AttrMap attrs(std::initializer_list<std::pair<const std::string, AttrValue>> kv) {
  AttrMap m;
  for (const auto& [k, v] : kv) m.set(k, v);
  return m;
}

using BuildFn = std::function<void(GraphBuilder&)>;

struct PassResult {
  std::unique_ptr<ir::Graph> before, after;
  ir::BuildLog log;
  std::map<std::string, Tensor> inputs;
  std::vector<Tensor> want, got;

  /// Live nodes of `after` of one op type.
  std::vector<const ir::Node*> nodes(const std::string& op) const {
    std::vector<const ir::Node*> r;
    for (const ir::Node* n : after->nodes())
      if (!n->dead && n->info.op_type == op) r.push_back(n);
    return r;
  }
  std::size_t node_count() const {
    std::size_t c = 0;
    for (const ir::Node* n : after->nodes()) c += n->dead ? 0 : 1;
    return c;
  }
  bool logged(const std::string& text) const {
    for (const auto& l : log.lines())
      if (l.find(text) != std::string::npos) return true;
    return false;
  }
  std::string log_text() const {
    std::string s;
    for (const auto& l : log.lines()) s += l + "\n";
    return s;
  }
};

/// Random inputs for every graph input (float32 in [lo, hi)); unknown dims are 2.
inline std::map<std::string, Tensor> random_inputs(const ir::Graph& g, std::mt19937& rng,
                                                   double lo = -1, double hi = 1) {
  std::map<std::string, Tensor> in;
  for (const ir::Value* v : g.inputs()) {
    Shape s = v->info.shape;
    for (auto& d : s.dims()) d = d < 0 ? 2 : d;
    in[v->name] = test::random_tensor(v->info.dtype, s, rng, lo, hi);
  }
  return in;
}

/// Builds the graph twice, applies `pass` to the second, runs both on the same random inputs.
inline PassResult run_pass(const BuildFn& build, PassFn pass, unsigned seed = 1,
                           std::map<std::string, Precision> precisions = {}, int opset = 17,
                           double lo = -1, double hi = 1) {
  PassResult r;
  r.before = std::make_unique<ir::Graph>();
  r.after = std::make_unique<ir::Graph>();
  {
    GraphBuilder b(*r.before, opset);
    build(b);
    b.finish();
  }
  {
    GraphBuilder b(*r.after, opset);
    build(b);
    b.finish();
  }
  PassContext ctx{r.log, std::move(precisions)};
  Status s = pass(*r.after, ctx);
  INFO(s.message());
  REQUIRE(s.ok());
  INFO(r.after->dump());
  // The pass leaves the graph sorted and inferred: sorting again keeps it valid.
  REQUIRE(r.after->topological_sort().ok());
  std::mt19937 rng(seed);
  r.inputs = random_inputs(*r.before, rng, lo, hi);
  auto want = ir::run_graph(*r.before, r.inputs);
  INFO(want.status().message());
  REQUIRE(want.ok());
  auto got = ir::run_graph(*r.after, r.inputs);
  INFO(got.status().message());
  REQUIRE(got.ok());
  r.want = want->outputs;
  r.got = got->outputs;
  return r;
}

/// Every output of the pass's graph matches the original's within `tol` (relative L2), with the
/// same shape and type.
inline void check_outputs(const PassResult& r, double tol) {
  REQUIRE(r.got.size() == r.want.size());
  for (std::size_t i = 0; i < r.got.size(); ++i) {
    INFO("output " << i << " (" << r.after->outputs()[i]->name << ")\n"
                   << r.after->dump() << r.log_text());
    REQUIRE(r.got[i].dtype() == r.want[i].dtype());
    REQUIRE(r.got[i].shape() == r.want[i].shape());
    CHECK(test::rel_l2(r.got[i], r.want[i]) <= tol);
  }
}

}  // namespace edgert::passes::test_util
