// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// A layer whose output shape depends on the values of an engine input (Resize with its scales fed
// at run time): the engine keeps the shape it was built for, and a run whose values ask for
// another one is refused with an error naming the layer, before the kernel could write past the
// output buffer.

#include <catch2/catch.hpp>

#include "edgert/builder.h"
#include "edgert/engine.h"
#include "edgert/runtime.h"
#include "engine_build.h"
#include "onnx/model_builder.h"
#include "test_util.h"

using namespace edgert;  // NOLINT(google-build-using-namespace): test file

TEST_CASE("engine: run-time values that change a built output shape are refused",
          "[engine][runtime]") {
  // Y = Resize(X, scales) with X [1,1,2,3] and the output declared [1,1,4,6] (scales 1,1,2,2).
  auto m = test::make_model(13);
  auto* g = m.mutable_graph();
  test::add_input(g, "X", {1, 1, 2, 3});
  test::add_input(g, "scales", {4});
  test::add_output(g, "Y", 1, {1, 1, 4, 6}, true);
  auto* n = test::add_node(g, "Resize", "resize", {"X", "", "scales"}, {"Y"});
  auto* mode = n->add_attribute();
  mode->set_name("mode");
  mode->set_type(::onnx::AttributeProto::STRING);
  mode->set_s("nearest");
  BuildConfig c;
  c.onnx_path = test::save_model(m, test::test_dir("value_shapes"));
  auto engine = test::build_and_load(c);
  auto ctx = engine->create_context();
  REQUIRE(ctx);

  auto x = Tensor::allocate(DataType::kFloat32, Shape{1, 1, 2, 3});
  REQUIRE(x);
  for (int i = 0; i < 6; ++i) x->data<float>()[i] = static_cast<float>(i);
  auto run = [&](std::vector<float> s, std::vector<Tensor>& out) {
    auto scales = Tensor::allocate(DataType::kFloat32, Shape{4});
    REQUIRE(scales);
    for (int i = 0; i < 4; ++i) scales->data<float>()[i] = s[static_cast<std::size_t>(i)];
    return (*ctx)->execute({&*x, &*scales}, out);
  };

  std::vector<Tensor> out;
  Status ok = run({1, 1, 2, 2}, out);
  INFO(ok.to_string());
  REQUIRE(ok.ok());
  REQUIRE(out.size() == 1);
  REQUIRE(out[0].shape() == Shape{1, 1, 4, 6});
  // Nearest, asymmetric, round_prefer_floor (the defaults): each input pixel becomes a 2x2 block.
  for (int y = 0; y < 4; ++y)
    for (int xx = 0; xx < 6; ++xx) CHECK(out[0].data<float>()[y * 6 + xx] == (y / 2) * 3 + xx / 2);

  for (const std::vector<float>& bad : {std::vector<float>{1, 1, 4, 4}, {1, 1, 1, 1}}) {
    std::vector<Tensor> o;
    Status s = run(bad, o);
    INFO(s.to_string());
    CHECK(s.code() == StatusCode::kInvalidArgument);
    CHECK(s.message().find("resize") != std::string::npos);
    CHECK(s.message().find("depends on input values") != std::string::npos);
    CHECK(s.message().find("[1,1,4,6]") != std::string::npos);
  }
}
