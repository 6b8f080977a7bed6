// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The folding passes (fold_batchnorm, fold_scale, fold_pad) on small graphs built in code: the
// rewritten structure, the build log lines (fusions and refusals with their reasons) and numerical
// equality with the unoptimized graph on random inputs (both run by the reference interpreter).

#include <functional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "conv_pass_helpers.h"

namespace edgert::test::conv_passes {

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

}  // namespace edgert::test::conv_passes
