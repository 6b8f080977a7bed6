// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The layer passes (make_fused_layers, fuse_conv_add, fuse_conv_activation, fuse_conv_maxpool,
// fuse_gemm) and the whole pipeline on small graphs built in code: the rewritten structure, the
// build log lines (fusions and refusals with their reasons) and numerical equality with the
// unoptimized graph on random inputs (both run by the reference interpreter).

#include <functional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "conv_pass_helpers.h"

namespace edgert::test::conv_passes {

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

}  // namespace edgert::test::conv_passes
