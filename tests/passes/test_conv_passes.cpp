// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The conv/gemm passes (fold_batchnorm, fold_scale, fold_pad, make_fused_layers, fuse_conv_add,
// fuse_conv_activation, fuse_conv_maxpool, fuse_gemm): on small graphs built in code, the rewritten
// structure, the build log lines (fusions and refusals with their reasons) and numerical equality
// with the unoptimized graph on random inputs (both run by the reference interpreter).

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

namespace edgert::test {
namespace {

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

std::unique_ptr<ir::Graph> build(const BuildFn& fn, int opset = 13) {
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
std::map<std::string, Tensor> random_inputs(const ir::Graph& g, std::mt19937& rng) {
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
std::unique_ptr<Optimized> run_passes(const BuildFn& fn,
                                      const std::vector<passes::PassFn>& pass_list, int opset = 13,
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
std::vector<std::string> ops(const ir::Graph& g) {
  std::vector<std::string> v;
  for (const ir::Node* n : g.nodes()) v.push_back(n->info.op_type);
  return v;
}

const ir::Node* find_node(const ir::Graph& g, const std::string& name) {
  for (const ir::Node* n : g.nodes())
    if (n->info.name == name) return n;
  return nullptr;
}

bool has_line(const ir::BuildLog& log, const std::string& line) {
  for (const auto& l : log.lines())
    if (l == line) return true;
  return false;
}

std::string all_lines(const ir::BuildLog& log) {
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
const Shape kImage{1, 4, 8, 8};

}  // namespace

// ---------------------------------------------------------------------------------------------
// fold_batchnorm

TEST_CASE("fold_batchnorm folds BN into Conv (with and without bias, grouped)", "[passes][bn]") {
  for (std::int64_t group : {1, 2, 4})
    for (bool bias : {false, true}) {
      INFO("group " << group << " bias " << bias);
      auto opt = run_passes(
          [&](Builder& b) {
            b.input("x", kImage);
            b.conv("conv1", "x", "c", 4, 8, 3, bias, group);
            b.batchnorm("bn1", "c", "y", 8);
            b.output("y");
          },
          {passes::fold_batchnorm});
      CHECK(ops(*opt->graph) == V{"Conv"});
      const ir::Node* conv = find_node(*opt->graph, "conv1");
      REQUIRE(conv);
      CHECK(conv->fused == V{"conv1", "bn1"});
      CHECK(conv->outputs[0]->name == "y");
      REQUIRE(conv->inputs.size() == 3);
      CHECK(conv->inputs[2]->is_constant);
      CHECK_LOG(opt, "Fusing conv1 with bn1 (conv+batchnorm)");
    }
}

TEST_CASE("fold_batchnorm keeps weights shared with another conv intact", "[passes][bn]") {
  auto opt = run_passes(
      [](Builder& b) {
        b.input("x", kImage);
        b.constant("W", Shape{4, 4, 3, 3});
        auto& c1 = b.node("Conv", "conv1", {"x", "W"}, {"c1"});
        c1.attrs.set("pads", Ints{1, 1, 1, 1});
        b.batchnorm("bn1", "c1", "y1", 4);
        auto& c2 = b.node("Conv", "conv2", {"x", "W"}, {"y2"});
        c2.attrs.set("pads", Ints{1, 1, 1, 1});
        b.output("y1");
        b.output("y2");
      },
      {passes::fold_batchnorm});
  CHECK(ops(*opt->graph) == V{"Conv", "Conv"});
  CHECK(find_node(*opt->graph, "conv1")->inputs[1] != find_node(*opt->graph, "conv2")->inputs[1]);
}

TEST_CASE("fold_batchnorm folds BN into Gemm and 2-D MatMul", "[passes][bn]") {
  SECTION("Gemm transB, alpha, beta, C [N]") {
    auto opt = run_passes(
        [](Builder& b) {
          b.input("x", Shape{3, 5});
          b.constant("B", Shape{6, 5});
          b.constant("C", Shape{6});
          auto& gm = b.node("Gemm", "fc", {"x", "B", "C"}, {"f"});
          gm.attrs.set("transB", std::int64_t{1});
          gm.attrs.set("alpha", 1.5f);
          gm.attrs.set("beta", 0.5f);
          b.batchnorm("bn", "f", "y", 6);
          b.output("y");
        },
        {passes::fold_batchnorm});
    CHECK(ops(*opt->graph) == V{"Gemm"});
    CHECK_LOG(opt, "Fusing fc with bn (gemm+batchnorm)");
  }
  SECTION("Gemm with C [M, 1], no transB") {
    auto opt = run_passes(
        [](Builder& b) {
          b.input("x", Shape{3, 5});
          b.constant("B", Shape{5, 6});
          b.constant("C", Shape{3, 1});
          b.node("Gemm", "fc", {"x", "B", "C"}, {"f"});
          b.batchnorm("bn", "f", "y", 6);
          b.output("y");
        },
        {passes::fold_batchnorm});
    CHECK(ops(*opt->graph) == V{"Gemm"});
  }
  SECTION("MatMul becomes a Gemm with a bias") {
    auto opt = run_passes(
        [](Builder& b) {
          b.input("x", Shape{2, 5});
          b.constant("B", Shape{5, 6});
          b.node("MatMul", "mm", {"x", "B"}, {"f"});
          b.batchnorm("bn", "f", "y", 6);
          b.output("y");
        },
        {passes::fold_batchnorm});
    CHECK(ops(*opt->graph) == V{"Gemm"});
    CHECK(find_node(*opt->graph, "mm")->fused == V{"mm", "bn"});
  }
}

TEST_CASE("fold_batchnorm leaves BNs it cannot fold, with the reason", "[passes][bn]") {
  SECTION("no producer") {
    auto opt = run_passes(
        [](Builder& b) {
          b.input("x", kImage);
          b.batchnorm("bn", "x", "y", 4);
          b.output("y");
        },
        {passes::fold_batchnorm});
    CHECK(ops(*opt->graph) == V{"BatchNormalization"});
    CHECK_LOG(opt,
              "Not fusing bn (batchnorm folding): input 'x' is not produced by a node, not by a "
              "Conv, Gemm or MatMul");
  }
  SECTION("conv output read twice") {
    auto opt = run_passes(
        [](Builder& b) {
          b.input("x", kImage);
          b.conv("conv1", "x", "c", 4, 4, 3);
          b.batchnorm("bn", "c", "y", 4);
          b.node("Relu", "relu", {"c"}, {"r"});
          b.output("y");
          b.output("r");
        },
        {passes::fold_batchnorm});
    CHECK(ops(*opt->graph) == V{"Conv", "BatchNormalization", "Relu"});
    CHECK_LOG(opt, "Not fusing conv1 with bn (conv+batchnorm): conv1 output 'c' has 2 consumers");
  }
  SECTION("conv output is a graph output") {
    auto opt = run_passes(
        [](Builder& b) {
          b.input("x", kImage);
          b.conv("conv1", "x", "c", 4, 4, 3);
          b.batchnorm("bn", "c", "y", 4);
          b.output("y");
          b.output("c");
        },
        {passes::fold_batchnorm});
    CHECK(ops(*opt->graph) == V{"Conv", "BatchNormalization"});
    CHECK_LOG(opt, "Not fusing conv1 with bn (conv+batchnorm): conv1 output 'c' is a graph output");
  }
  SECTION("statistics computed at run time") {
    auto opt = run_passes(
        [](Builder& b) {
          b.input("x", kImage);
          b.input("mean", Shape{4});
          b.conv("conv1", "x", "c", 4, 4, 3);
          b.constant("s", Shape{4}, 0.5, 1.5);
          b.constant("bb", Shape{4});
          b.constant("v", Shape{4}, 0.5, 1.5);
          b.node("BatchNormalization", "bn", {"c", "s", "bb", "mean", "v"}, {"y"});
          b.output("y");
        },
        {passes::fold_batchnorm});
    CHECK(ops(*opt->graph) == V{"Conv", "BatchNormalization"});
    CHECK_LOG(opt,
              "Not fusing conv1 with bn (conv+batchnorm): BatchNormalization scale/B/mean/var are "
              "not all float32 constants");
  }
  SECTION("user precisions differ") {
    auto opt = run_passes(
        [](Builder& b) {
          b.input("x", kImage);
          b.conv("conv1", "x", "c", 4, 4, 3);
          b.batchnorm("bn", "c", "y", 4);
          b.output("y");
        },
        {passes::fold_batchnorm}, 13, {{"conv1", Precision::kFP16}, {"bn", Precision::kFP32}});
    CHECK(ops(*opt->graph) == V{"Conv", "BatchNormalization"});
    CHECK_LOG(opt, "Not fusing conv1 with bn (conv+batchnorm): different precision (fp16 vs fp32)");
  }
}

// ---------------------------------------------------------------------------------------------
// fold_scale

TEST_CASE("fold_scale folds per-channel Mul and Add after a Conv", "[passes][scale]") {
  auto opt = run_passes(
      [](Builder& b) {
        b.input("x", kImage);
        b.conv("conv1", "x", "c", 4, 6, 3, false);
        b.constant("k", Shape{6, 1, 1}, 0.5, 2.0);
        b.node("Mul", "mul", {"c", "k"}, {"m"});
        b.constant("t", Shape{1, 6, 1, 1});
        b.node("Add", "add", {"t", "m"}, {"a"});  // constant first: either side
        b.scalar("two", 2.0f);
        b.node("Mul", "mul2", {"a", "two"}, {"y"});
        b.output("y");
      },
      {passes::fold_scale});
  CHECK(ops(*opt->graph) == V{"Conv"});
  CHECK(find_node(*opt->graph, "conv1")->fused == V{"conv1", "mul", "add", "mul2"});
  CHECK_LOG(opt, "Fusing conv1 with mul (conv+scale)");
  CHECK_LOG(opt, "Fusing conv1 with add (conv+scale)");
  CHECK_LOG(opt, "Fusing conv1 with mul2 (conv+scale)");
}

TEST_CASE("fold_scale refuses constants that are not per channel", "[passes][scale]") {
  auto opt = run_passes(
      [](Builder& b) {
        b.input("x", kImage);
        b.conv("conv1", "x", "c", 4, 6, 3);
        b.constant("k", Shape{1, 1, 8, 8});
        b.node("Mul", "mul", {"c", "k"}, {"y"});
        b.output("y");
      },
      {passes::fold_scale});
  CHECK(ops(*opt->graph) == V{"Conv", "Mul"});
  CHECK_LOG(opt,
            "Not fusing conv1 with mul (conv+scale): constant 'k' of shape [1,1,8,8] is not per "
            "output channel");
}

// ---------------------------------------------------------------------------------------------
// fold_pad

TEST_CASE("fold_pad adds a zero Pad to the Conv's pads", "[passes][pad]") {
  SECTION("opset 13: pads input, conv with its own pads") {
    auto opt = run_passes(
        [](Builder& b) {
          b.input("x", kImage);
          b.ints("pads", Ints{0, 0, 1, 2, 0, 0, 2, 0});
          b.node("Pad", "pad", {"x", "pads"}, {"p"});
          b.conv("conv1", "p", "y", 4, 4, 3);
          b.output("y");
        },
        {passes::fold_pad});
    CHECK(ops(*opt->graph) == V{"Conv"});
    const ir::Node* conv = find_node(*opt->graph, "conv1");
    CHECK(conv->info.attrs.get_ints("pads").value() == Ints{2, 3, 3, 1});
    CHECK(conv->fused == V{"pad", "conv1"});
    CHECK_LOG(opt, "Fusing pad with conv1 (pad+conv)");
  }
  SECTION("opset 9: pads attribute, explicit zero value") {
    auto opt = run_passes(
        [](Builder& b) {
          b.input("x", kImage);
          auto& p = b.node("Pad", "pad", {"x"}, {"p"});
          p.attrs.set("pads", Ints{0, 0, 1, 1, 0, 0, 1, 1});
          p.attrs.set("value", 0.0f);
          b.constant("W", Shape{4, 4, 3, 3});
          b.node("Conv", "conv1", {"p", "W"}, {"y"});
          b.output("y");
        },
        {passes::fold_pad}, 9);
    CHECK(ops(*opt->graph) == V{"Conv"});
  }
  SECTION("opset 18: axes input") {
    auto opt = run_passes(
        [](Builder& b) {
          b.input("x", kImage);
          b.ints("pads", Ints{1, 2, 1, 0});
          b.ints("axes", Ints{-1, 2});
          b.node("Pad", "pad", {"x", "pads", "", "axes"}, {"p"});
          b.conv("conv1", "p", "y", 4, 4, 3);
          b.output("y");
        },
        {passes::fold_pad}, 18);
    CHECK(ops(*opt->graph) == V{"Conv"});
    CHECK(find_node(*opt->graph, "conv1")->info.attrs.get_ints("pads").value() == Ints{3, 2, 1, 2});
  }
}

TEST_CASE("fold_pad refuses pads a Conv cannot take", "[passes][pad]") {
  struct Case {
    const char* what;
    std::function<void(Builder&)> pad;
    std::string auto_pad;
    std::string reason;
    std::int64_t conv_channels = 4;  // input channels of the conv after the Pad
  };
  const std::vector<Case> cases = {
      {"reflect",
       [](Builder& b) {
         b.ints("pads", Ints{0, 0, 1, 1, 0, 0, 1, 1});
         b.node("Pad", "pad", {"x", "pads"}, {"p"}).attrs.set("mode", std::string("reflect"));
       },
       "", "Pad mode 'reflect'"},
      {"non-zero value",
       [](Builder& b) {
         b.ints("pads", Ints{0, 0, 1, 1, 0, 0, 1, 1});
         b.scalar("val", 0.5f);
         b.node("Pad", "pad", {"x", "pads", "val"}, {"p"});
       },
       "", "Pad value 0.500000 is not zero"},
      {"channel pads",
       [](Builder& b) {
         b.ints("pads", Ints{0, 1, 0, 0, 0, 0, 0, 0});
         b.node("Pad", "pad", {"x", "pads"}, {"p"});
       },
       "", "Pad pads [0,1,0,0,0,0,0,0] pad the batch or channel dim", 5},
      {"SAME conv",
       [](Builder& b) {
         b.ints("pads", Ints{0, 0, 1, 1, 0, 0, 1, 1});
         b.node("Pad", "pad", {"x", "pads"}, {"p"});
       },
       "SAME_UPPER", "conv1 has auto_pad SAME_UPPER"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    auto opt = run_passes(
        [&](Builder& b) {
          b.input("x", kImage);
          c.pad(b);
          b.constant("W", Shape{4, c.conv_channels, 3, 3});
          auto& conv = b.node("Conv", "conv1", {"p", "W"}, {"y"});
          if (!c.auto_pad.empty()) conv.attrs.set("auto_pad", c.auto_pad);
          b.output("y");
        },
        {passes::fold_pad});
    CHECK_LOG(opt, "Not fusing pad with conv1 (pad+conv): " + c.reason);
    CHECK(ops(*opt->graph) == V{"Pad", "Conv"});
  }
}

// ---------------------------------------------------------------------------------------------
// make_fused_layers

TEST_CASE("make_fused_layers turns Conv/Gemm/MatMul into FusedConv/FusedGemm", "[passes][layers]") {
  auto opt = run_passes(
      [](Builder& b) {
        b.input("x", kImage);
        b.input("s", Shape{2, 3, 5});
        b.input("bdyn", Shape{5, 4});
        b.conv("conv1", "x", "c", 4, 6, 3);
        b.node("Flatten", "flat", {"c"}, {"f"});
        b.constant("B", Shape{10, 384});
        b.constant("C", Shape{10});
        b.node("Gemm", "fc", {"f", "B", "C"}, {"y"}).attrs.set("transB", std::int64_t{1});
        b.constant("M", Shape{5, 7});
        b.node("MatMul", "mm", {"s", "M"}, {"z"});
        b.node("MatMul", "mm_dyn", {"s", "bdyn"}, {"zd"});  // B computed: stays
        b.constant("W1", Shape{4, 4, 3});
        b.input("x1", Shape{1, 4, 10});
        b.node("Conv", "conv1d", {"x1", "W1"}, {"q"});  // 1-D: stays
        b.output("y");
        b.output("z");
        b.output("zd");
        b.output("q");
      },
      {passes::make_fused_layers});
  CHECK(ops(*opt->graph) == V{"FusedConv", "Flatten", "FusedGemm", "FusedGemm", "MatMul", "Conv"});
  const ir::Node* conv = find_node(*opt->graph, "conv1");
  CHECK(conv->domain == "edgert");
  CHECK(conv->fused == V{"conv1"});
  CHECK_LOG(opt, "Layer conv1: Conv -> FusedConv");
  CHECK_LOG(opt, "Layer mm: MatMul -> FusedGemm");
  CHECK_LOG(opt, "Not fusing mm_dyn (gemm layer): MatMul stays (its weights are not constant)");
  CHECK_LOG(opt,
            "Not fusing conv1d (conv layer): Conv stays (1-D convolution (only 2-D convs become "
            "FusedConv))");
}

// ---------------------------------------------------------------------------------------------
// fuse_conv_add

TEST_CASE("fuse_conv_add takes a residual Add into the FusedConv", "[passes][add]") {
  SECTION("identity shortcut, then the ReLU") {
    auto opt = run_passes(
        [](Builder& b) {
          b.input("x", kImage);
          b.conv("conv1", "x", "c", 4, 4, 3);
          b.node("Add", "add", {"x", "c"}, {"a"});
          b.node("Relu", "relu", {"a"}, {"y"});
          b.output("y");
        },
        {passes::make_fused_layers, passes::fuse_conv_add, passes::fuse_conv_activation});
    CHECK(ops(*opt->graph) == V{"FusedConv"});
    const ir::Node* conv = find_node(*opt->graph, "conv1");
    CHECK(conv->fused == V{"conv1", "add", "relu"});
    REQUIRE(conv->inputs.size() == 4);
    CHECK(conv->inputs[3]->name == "x");
    CHECK(conv->info.attrs.get_string("activation", "").value() == "Relu");
    CHECK_LOG(opt, "Fusing conv1 with add (conv+add)");
    CHECK_LOG(opt, "Fusing conv1 with relu (conv+activation)");
  }
  SECTION("two convs: into the later one") {
    auto opt = run_passes(
        [](Builder& b) {
          b.input("x", kImage);
          b.conv("early", "x", "c1", 4, 4, 1, false);
          b.node("Relu", "r", {"x"}, {"xr"});
          b.conv("late", "xr", "c2", 4, 4, 3);
          b.node("Add", "add", {"c2", "c1"}, {"y"});
          b.output("y");
        },
        {passes::make_fused_layers, passes::fuse_conv_add});
    CHECK_LOG(opt, "Fusing late with add (conv+add)");
    CHECK(find_node(*opt->graph, "late")->inputs[3]->name == "c1");
  }
  SECTION("the later conv cannot: into the earlier one") {
    auto opt = run_passes(
        [](Builder& b) {
          b.input("x", kImage);
          b.conv("early", "x", "c1", 4, 4, 1, false);
          b.conv("late", "x", "c2", 4, 4, 3);
          b.node("Add", "add", {"c1", "c2"}, {"y"});
          b.node("Relu", "r", {"c2"}, {"z"});  // late's output is read twice
          b.output("y");
          b.output("z");
        },
        {passes::make_fused_layers, passes::fuse_conv_add});
    CHECK_LOG(opt, "Fusing early with add (conv+add)");
  }
}

TEST_CASE("fuse_conv_add refuses Adds that are not residuals", "[passes][add]") {
  SECTION("broadcast") {
    auto opt = run_passes(
        [](Builder& b) {
          b.input("x", kImage);
          b.input("v", Shape{1, 4, 1, 1});
          b.conv("conv1", "x", "c", 4, 4, 3);
          b.node("Add", "add", {"c", "v"}, {"y"});
          b.output("y");
        },
        {passes::make_fused_layers, passes::fuse_conv_add});
    CHECK(ops(*opt->graph) == V{"FusedConv", "Add"});
    CHECK_LOG(opt,
              "Not fusing conv1 with add (conv+add): the other Add input 'v' of shape [1,4,1,1] "
              "does not have the conv output's shape [1,4,8,8]");
  }
  SECTION("constant") {
    auto opt = run_passes(
        [](Builder& b) {
          b.input("x", kImage);
          b.constant("k", kImage);
          b.conv("conv1", "x", "c", 4, 4, 3);
          b.node("Add", "add", {"c", "k"}, {"y"});
          b.output("y");
        },
        {passes::make_fused_layers, passes::fuse_conv_add});
    CHECK_LOG(opt, "Not fusing conv1 with add (conv+add): the other Add input 'k' is a constant");
  }
  SECTION("conv already has an activation") {
    auto opt = run_passes(
        [](Builder& b) {
          b.input("x", kImage);
          b.conv("conv1", "x", "c", 4, 4, 3);
          b.node("Relu", "relu", {"c"}, {"r"});
          b.node("Add", "add", {"r", "x"}, {"y"});
          b.output("y");
        },
        {passes::make_fused_layers, passes::fuse_conv_activation, passes::fuse_conv_add});
    CHECK(ops(*opt->graph) == V{"FusedConv", "Add"});
    CHECK_LOG(opt, "Not fusing conv1 with add (conv+add): conv1 already has activation Relu");
  }
}

// ---------------------------------------------------------------------------------------------
// fuse_conv_activation

TEST_CASE("fuse_conv_activation fuses every supported activation", "[passes][act]") {
  struct Case {
    std::string op;
    std::function<void(Builder&)> make;  // c -> y
    float alpha, beta;
  };
  const std::vector<Case> cases = {
      {"Relu", [](Builder& b) { b.node("Relu", "act", {"c"}, {"y"}); }, 0.f, 0.f},
      {"Clip",
       [](Builder& b) {
         b.scalar("lo", 0.0f);
         b.scalar("hi", 6.0f);
         b.node("Clip", "act", {"c", "lo", "hi"}, {"y"});
       },
       0.f, 6.f},
      {"Clip",
       [](Builder& b) {
         auto& n = b.node("Clip", "act", {"c"}, {"y"}, 6);
         n.attrs.set("min", -0.25f);
         n.attrs.set("max", 0.5f);
       },
       -0.25f, 0.5f},
      {"LeakyRelu",
       [](Builder& b) { b.node("LeakyRelu", "act", {"c"}, {"y"}).attrs.set("alpha", 0.2f); }, 0.2f,
       0.f},
      {"Sigmoid", [](Builder& b) { b.node("Sigmoid", "act", {"c"}, {"y"}); }, 0.f, 0.f},
      {"HardSigmoid", [](Builder& b) { b.node("HardSigmoid", "act", {"c"}, {"y"}); }, 0.2f, 0.5f},
      {"HardSwish", [](Builder& b) { b.node("HardSwish", "act", {"c"}, {"y"}); }, 0.f, 0.f},
      {"Tanh", [](Builder& b) { b.node("Tanh", "act", {"c"}, {"y"}); }, 0.f, 0.f},
  };
  for (const auto& c : cases) {
    INFO(c.op);
    auto opt = run_passes(
        [&](Builder& b) {
          b.input("x", kImage);
          b.conv("conv1", "x", "c", 4, 4, 3);
          c.make(b);
          b.output("y");
        },
        {passes::make_fused_layers, passes::fuse_conv_activation});
    CHECK(ops(*opt->graph) == V{"FusedConv"});
    const auto& attrs = find_node(*opt->graph, "conv1")->info.attrs;
    CHECK(attrs.get_string("activation", "").value() == c.op);
    CHECK(attrs.get_float("activation_alpha", 99.f).value() == c.alpha);
    CHECK(attrs.get_float("activation_beta", 99.f).value() == c.beta);
    CHECK_LOG(opt, "Fusing conv1 with act (conv+activation)");
  }
}

TEST_CASE("fuse_conv_activation fuses SiLU and Gelu layers by name", "[passes][act]") {
  for (const char* op : {"SiLU", "Gelu"}) {
    INFO(op);
    if (!cpu::find_op(op)) {
      WARN("op " << op << " is not registered yet (passes-graph work); skipped");
      continue;
    }
    auto opt = run_passes(
        [&](Builder& b) {
          b.input("x", kImage);
          b.conv("conv1", "x", "c", 4, 4, 3);
          b.node(op, "act", {"c"}, {"y"});
          b.output("y");
        },
        {passes::make_fused_layers, passes::fuse_conv_activation});
    CHECK(ops(*opt->graph) == V{"FusedConv"});
  }
}

TEST_CASE("fuse_conv_activation on FusedGemm, and its refusals", "[passes][act]") {
  SECTION("Gemm + Sigmoid") {
    auto opt = run_passes(
        [](Builder& b) {
          b.input("x", Shape{3, 5});
          b.constant("B", Shape{5, 4});
          b.constant("C", Shape{4});
          b.node("Gemm", "fc", {"x", "B", "C"}, {"f"});
          b.node("Sigmoid", "sig", {"f"}, {"y"});
          b.output("y");
        },
        {passes::make_fused_layers, passes::fuse_conv_activation});
    CHECK(ops(*opt->graph) == V{"FusedGemm"});
    CHECK_LOG(opt, "Fusing fc with sig (gemm+activation)");
  }
  SECTION("Clip bounds computed at run time") {
    auto opt = run_passes(
        [](Builder& b) {
          b.input("x", kImage);
          b.input("hi", Shape{});
          b.conv("conv1", "x", "c", 4, 4, 3);
          b.node("Clip", "clip", {"c", "", "hi"}, {"y"});
          b.output("y");
        },
        {passes::make_fused_layers, passes::fuse_conv_activation});
    CHECK(ops(*opt->graph) == V{"FusedConv", "Clip"});
    CHECK_LOG(opt, "Not fusing conv1 with clip (conv+activation): Clip bounds are not constant");
  }
  SECTION("conv output is a graph output") {
    auto opt = run_passes(
        [](Builder& b) {
          b.input("x", kImage);
          b.conv("conv1", "x", "c", 4, 4, 3);
          b.node("Relu", "relu", {"c"}, {"y"});
          b.output("c");
          b.output("y");
        },
        {passes::make_fused_layers, passes::fuse_conv_activation});
    CHECK(ops(*opt->graph) == V{"FusedConv", "Relu"});
    CHECK_LOG(opt,
              "Not fusing conv1 with relu (conv+activation): conv1 output 'c' is a graph output");
  }
}

// ---------------------------------------------------------------------------------------------
// fuse_conv_maxpool

TEST_CASE("fuse_conv_maxpool appends the MaxPool to the FusedConv", "[passes][pool]") {
  struct Case {
    const char* what;
    std::function<void(cpu::NodeInfo&)> attrs;
  };
  const std::vector<Case> cases = {
      {"2x2 s2",
       [](cpu::NodeInfo& n) {
         n.attrs.set("kernel_shape", Ints{2, 2});
         n.attrs.set("strides", Ints{2, 2});
       }},
      {"3x3 s2 pads 1 ceil",
       [](cpu::NodeInfo& n) {
         n.attrs.set("kernel_shape", Ints{3, 3});
         n.attrs.set("strides", Ints{2, 2});
         n.attrs.set("pads", Ints{1, 1, 1, 1});
         n.attrs.set("ceil_mode", std::int64_t{1});
       }},
      {"SAME_UPPER 3x3 s2",
       [](cpu::NodeInfo& n) {
         n.attrs.set("kernel_shape", Ints{3, 3});
         n.attrs.set("strides", Ints{2, 2});
         n.attrs.set("auto_pad", std::string("SAME_UPPER"));
       }},
      {"VALID, dilated",
       [](cpu::NodeInfo& n) {
         n.attrs.set("kernel_shape", Ints{2, 2});
         n.attrs.set("dilations", Ints{2, 2});
         n.attrs.set("auto_pad", std::string("VALID"));
       }},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    auto opt = run_passes(
        [&](Builder& b) {
          b.input("x", Shape{1, 4, 9, 9});
          b.conv("conv1", "x", "c", 4, 6, 3);
          b.node("Relu", "relu", {"c"}, {"r"});
          c.attrs(b.node("MaxPool", "pool", {"r"}, {"y"}));
          b.output("y");
        },
        {passes::make_fused_layers, passes::fuse_conv_activation, passes::fuse_conv_maxpool});
    CHECK(ops(*opt->graph) == V{"FusedConv"});
    CHECK(find_node(*opt->graph, "conv1")->fused == V{"conv1", "relu", "pool"});
    CHECK_LOG(opt, "Fusing conv1 with pool (conv+maxpool)");
  }
}

TEST_CASE("fuse_conv_maxpool refuses pools it cannot append", "[passes][pool]") {
  SECTION("Indices output") {
    auto opt = run_passes(
        [](Builder& b) {
          b.input("x", kImage);
          b.conv("conv1", "x", "c", 4, 4, 3);
          b.node("MaxPool", "pool", {"c"}, {"y", "idx"}).attrs.set("kernel_shape", Ints{2, 2});
          b.output("y");
          b.output("idx");
        },
        {passes::make_fused_layers, passes::fuse_conv_maxpool});
    CHECK(ops(*opt->graph) == V{"FusedConv", "MaxPool"});
    CHECK_LOG(opt, "Not fusing conv1 with pool (conv+maxpool): MaxPool has an Indices output");
  }
  SECTION("conv read twice") {
    auto opt = run_passes(
        [](Builder& b) {
          b.input("x", kImage);
          b.conv("conv1", "x", "c", 4, 4, 3);
          b.node("MaxPool", "pool", {"c"}, {"y"}).attrs.set("kernel_shape", Ints{2, 2});
          b.node("Relu", "relu", {"c"}, {"z"});
          b.output("y");
          b.output("z");
        },
        {passes::make_fused_layers, passes::fuse_conv_maxpool});
    CHECK_LOG(opt, "Not fusing conv1 with pool (conv+maxpool): conv1 output 'c' has 2 consumers");
  }
}

// ---------------------------------------------------------------------------------------------
// fuse_gemm

TEST_CASE("fuse_gemm takes a bias Add and the activation after it", "[passes][gemm]") {
  SECTION("MatMul rank 3 + bias + Relu") {
    auto opt = run_passes(
        [](Builder& b) {
          b.input("x", Shape{2, 3, 5});
          b.constant("W", Shape{5, 4});
          b.node("MatMul", "mm", {"x", "W"}, {"m"});
          b.constant("bias", Shape{4});
          b.node("Add", "add", {"m", "bias"}, {"a"});
          b.node("Relu", "relu", {"a"}, {"y"});
          b.output("y");
        },
        {passes::make_fused_layers, passes::fuse_conv_activation, passes::fuse_gemm});
    CHECK(ops(*opt->graph) == V{"FusedGemm"});
    CHECK(find_node(*opt->graph, "mm")->fused == V{"mm", "add", "relu"});
    CHECK_LOG(opt, "Fusing mm with add (gemm+bias)");
    CHECK_LOG(opt, "Fusing mm with relu (gemm+activation)");
  }
  SECTION("Gemm with C [M, N], beta 0.5, bias [1, N] first") {
    auto opt = run_passes(
        [](Builder& b) {
          b.input("x", Shape{3, 5});
          b.constant("B", Shape{5, 4});
          b.constant("C", Shape{3, 4});
          b.node("Gemm", "fc", {"x", "B", "C"}, {"f"}).attrs.set("beta", 0.5f);
          b.constant("bias", Shape{1, 4});
          b.node("Add", "add", {"bias", "f"}, {"y"});
          b.output("y");
        },
        {passes::make_fused_layers, passes::fuse_gemm});
    CHECK(ops(*opt->graph) == V{"FusedGemm"});
  }
  SECTION("bias over rows is refused") {
    auto opt = run_passes(
        [](Builder& b) {
          b.input("x", Shape{3, 5});
          b.constant("B", Shape{5, 4});
          b.node("Gemm", "fc", {"x", "B"}, {"f"});
          b.constant("bias", Shape{3, 1});
          b.node("Add", "add", {"f", "bias"}, {"y"});
          b.output("y");
        },
        {passes::make_fused_layers, passes::fuse_gemm});
    CHECK(ops(*opt->graph) == V{"FusedGemm", "Add"});
    CHECK_LOG(opt,
              "Not fusing fc with add (gemm+bias): bias 'bias' of shape [3,1] does not broadcast "
              "over the last dim of [3,4]");
  }
}

// ---------------------------------------------------------------------------------------------
// The whole pipeline on a ResNet-like stem + block + head.

TEST_CASE("optimize fuses a ResNet-like network into layers", "[passes][pipeline]") {
  auto opt = run_passes(
      [](Builder& b) {
        b.input("x", Shape{1, 3, 16, 16});
        b.ints("pads", Ints{0, 0, 1, 1, 0, 0, 1, 1});
        b.node("Pad", "pad", {"x", "pads"}, {"xp"});
        b.conv("stem", "xp", "s", 3, 8, 3, false).attrs.set("pads", Ints{0, 0, 0, 0});
        b.batchnorm("stem_bn", "s", "sb", 8);
        b.node("Relu", "stem_relu", {"sb"}, {"sr"});
        auto& mp = b.node("MaxPool", "stem_pool", {"sr"}, {"p"});
        mp.attrs.set("kernel_shape", Ints{3, 3});
        mp.attrs.set("strides", Ints{2, 2});
        mp.attrs.set("pads", Ints{1, 1, 1, 1});
        b.conv("b_conv1", "p", "c1", 8, 8, 3, false);
        b.batchnorm("b_bn1", "c1", "c1b", 8);
        b.node("Relu", "b_relu1", {"c1b"}, {"c1r"});
        b.conv("b_conv2", "c1r", "c2", 8, 8, 3, false);
        b.batchnorm("b_bn2", "c2", "c2b", 8);
        b.node("Add", "b_add", {"c2b", "p"}, {"sum"});
        b.node("Relu", "b_relu2", {"sum"}, {"out"});
        b.node("GlobalAveragePool", "gap", {"out"}, {"g"});
        b.node("Flatten", "flat", {"g"}, {"f"});
        b.constant("fc_W", Shape{10, 8});
        b.constant("fc_B", Shape{10});
        b.node("Gemm", "fc", {"f", "fc_W", "fc_B"}, {"logits"})
            .attrs.set("transB", std::int64_t{1});
        b.output("logits");
      },
      {});
  CHECK(ops(*opt->graph) ==
        V{"FusedConv", "FusedConv", "FusedConv", "GlobalAveragePool", "Flatten", "FusedGemm"});
  CHECK(find_node(*opt->graph, "stem")->fused ==
        V{"pad", "stem", "stem_bn", "stem_relu", "stem_pool"});
  CHECK(find_node(*opt->graph, "b_conv2")->fused == V{"b_conv2", "b_bn2", "b_add", "b_relu2"});
  CHECK(opt->log.fusion_counts().at("conv+batchnorm") == 3);
}

}  // namespace edgert::test
