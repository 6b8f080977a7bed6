// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// graph -> lower -> serialize -> load -> execute equals the reference interpreter on the same
// graph; the lowering's structure (views, in-place layers, weights in their dtype); the observer;
// contexts in threads; input validation; metadata round trip; engine files on disk.

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include <catch2/catch.hpp>

#include "core/file_util.h"
#include "core/hash.h"
#include "engine/engine_file.h"
#include "test_graphs.h"

namespace edgert::test {
namespace {

// Tolerance of engine vs interpreter: both run the same kernels on the same data, so the only
// difference allowed is thread-count-dependent summation order in the threaded GEMM.
constexpr double kTol = 1e-6;

std::unique_ptr<ExecutionContext> make_context(const Engine& e) {
  auto ctx = e.create_context();
  INFO(ctx.status().to_string());
  REQUIRE(ctx.ok());
  return std::move(ctx).value();
}

const LayerDesc& layer(const Engine& e, const std::string& name) {
  for (const auto& l : e.layers())
    if (l.name == name) return l;
  FAIL("no layer " << name);
  return e.layers().front();
}

std::string temp_dir(const std::string& name) {
  const std::string dir = std::string(EDGERT_TEST_DATA_DIR) + "/engine/" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("engine round trip: conv, pools, flatten view, gemm, softmax", "[engine]") {
  std::mt19937 rng(1);
  auto g = conv_net_graph(rng);
  auto e = load_engine(build_engine_bytes(*g));
  INFO(e->to_string());
  REQUIRE(e->layers().size() == g->nodes().size());
  CHECK(layer(*e, "flat").alias);
  CHECK(layer(*e, "relu1").in_place);
  CHECK(layer(*e, "sig").in_place);
  CHECK_FALSE(layer(*e, "conv1").in_place);
  CHECK(layer(*e, "conv1").tactic == "cpu.Conv");
  CHECK(e->memory().alias_layers == 1);
  CHECK(e->memory().in_place_layers == 2);
  CHECK(e->memory().arena_bytes < e->memory().naive_bytes);
  auto ctx = make_context(*e);
  for (int run = 0; run < 3; ++run) {  // reuse: later runs see the previous run's arena contents
    INFO("run " << run);
    check_against_interpreter(*g, *ctx, random_inputs(*g, rng), kTol);
  }
}

TEST_CASE("engine round trip: concat and reshape chains as views, outputs read later", "[engine]") {
  std::mt19937 rng(2);
  auto g = reshape_chain_graph();
  auto e = load_engine(build_engine_bytes(*g));
  INFO(e->to_string());
  for (const char* v : {"reshape1", "reshape2", "unsq", "sq"}) CHECK(layer(*e, v).alias);
  // relu reads the caller's input: it must not write over it.
  CHECK_FALSE(layer(*e, "relu").in_place);
  CHECK(e->outputs().size() == 3);
  auto ctx = make_context(*e);
  for (int run = 0; run < 2; ++run)
    check_against_interpreter(*g, *ctx, random_inputs(*g, rng), kTol);
}

TEST_CASE("engine round trip: gemm and matmul", "[engine]") {
  std::mt19937 rng(3);
  auto g = gemm_graph(rng);
  auto e = load_engine(build_engine_bytes(*g));
  CHECK(layer(*e, "tanh").in_place);
  CHECK_FALSE(layer(*e, "relu").in_place);  // writes the caller's output tensor directly
  auto ctx = make_context(*e);
  check_against_interpreter(*g, *ctx, random_inputs(*g, rng), kTol);
}

TEST_CASE("engine round trip: unused split output, clip, int8 weight kept int8", "[engine]") {
  std::mt19937 rng(4);
  auto g = split_int8_graph(rng);
  auto def = builder::lower_to_engine(*g, {});
  INFO(def.status().to_string());
  REQUIRE(def.ok());
  bool found = false;
  for (const auto& t : def->tensors)
    if (t.name == "q") {
      found = true;
      CHECK(t.dtype == DataType::kInt8);
      CHECK(t.storage == engine::Storage::kWeight);
      CHECK(t.nbytes == 12);
      CHECK(std::memcmp(def->weights.data() + t.offset, g->find_value("q")->data.raw(), 12) == 0);
    }
  CHECK(found);
  // Weights: split sizes (16 bytes), lo, hi (4 each), q (12), each 64-aligned.
  CHECK(def->memory.weight_bytes == 4 * 64);
  auto e = load_engine(builder::serialize(*def));
  CHECK(layer(*e, "clip").in_place);
  auto ctx = make_context(*e);
  check_against_interpreter(*g, *ctx, random_inputs(*g, rng), kTol);
}

TEST_CASE("in place only where legal: not over a tensor read later or viewed by another input",
          "[engine]") {
  std::mt19937 rng(14);
  GraphMaker m;
  m.input("x", Shape{1});
  m.ints("to_scalar", {});
  auto hi = Tensor::allocate(DataType::kFloat32, Shape{});
  REQUIRE(hi.ok());
  hi->data<float>()[0] = 0.75f;
  m.constant("hi", *hi);
  m.node("Exp", "exp", {"x"}, {"a"});
  m.node("Relu", "relu_keep", {"a"}, {"b"});  // a is read again by "add": no in place
  m.node("Add", "add", {"a", "b"}, {"c"});
  m.node("Sigmoid", "sig", {"c"}, {"d"});  // c dies here: in place
  m.node("Reshape", "view", {"d", "to_scalar"}, {"dv"});
  m.node("Clip", "clip_view", {"d", "dv", "hi"}, {"e"});  // min reads d's bytes: no in place
  m.node("Neg", "neg", {"e"}, {"out"});
  m.output("out");
  auto g = m.finish();
  auto def = builder::lower_to_engine(*g, {});
  INFO(def.status().to_string());
  REQUIRE(def.ok());
  check_engine_plan(*def);
  auto e = load_engine(builder::serialize(*def));
  INFO(e->to_string());
  CHECK_FALSE(layer(*e, "relu_keep").in_place);
  CHECK(layer(*e, "sig").in_place);
  CHECK(layer(*e, "view").alias);
  CHECK_FALSE(layer(*e, "clip_view").in_place);
  auto ctx = make_context(*e);
  check_against_interpreter(*g, *ctx, random_inputs(*g, rng), kTol);
}

TEST_CASE("engine observer sees every input and layer output with the interpreter's values",
          "[engine]") {
  std::mt19937 rng(5);
  auto g = conv_net_graph(rng);
  auto e = load_engine(build_engine_bytes(*g));
  auto ctx = make_context(*e);
  const auto in = random_inputs(*g, rng);
  ir::RunOptions opts;
  opts.keep_intermediates = true;
  auto ref = ir::run_graph(*g, in, opts);
  REQUIRE(ref.ok());
  std::map<std::string, Tensor> seen;
  ctx->set_tensor_observer([&](const std::string& name, const Tensor& t) {
    auto c = t.clone();  // the arena is reused: keep a copy
    REQUIRE(c.ok());
    seen[name] = *c;
  });
  std::vector<Tensor> outs;
  REQUIRE(ctx->execute(ordered_inputs(*e, in), outs).ok());
  CHECK(seen.size() == ref->values.size() + 1);  // + the graph input
  CHECK(seen.count("x") == 1);
  for (const auto& [name, t] : ref->values) {
    INFO("tensor " << name);
    REQUIRE(seen.count(name) == 1);
    CHECK(rel_l2(seen[name], t) <= kTol);
  }
  // Removing the observer stops the calls.
  ctx->set_tensor_observer(nullptr);
  seen.clear();
  REQUIRE(ctx->execute(ordered_inputs(*e, in), outs).ok());
  CHECK(seen.empty());
}

TEST_CASE("one engine, two contexts in two threads give the interpreter's results", "[engine]") {
  std::mt19937 rng(6);
  auto g = conv_net_graph(rng, 32);
  auto e = load_engine(build_engine_bytes(*g));
  constexpr int kRuns = 8;
  std::vector<std::map<std::string, Tensor>> inputs;
  std::vector<Tensor> expected;
  for (int i = 0; i < kRuns; ++i) {
    inputs.push_back(random_inputs(*g, rng));
    auto ref = ir::run_graph(*g, inputs.back());
    REQUIRE(ref.ok());
    expected.push_back(ref->outputs[0]);
  }
  auto c0 = make_context(*e);
  auto c1 = make_context(*e);
  std::vector<double> err(2 * kRuns, -1.0);
  std::vector<std::string> errors(2);
  auto worker = [&](ExecutionContext* ctx, int t) {
    for (int i = 0; i < kRuns; ++i) {
      const int k = (i + t) % kRuns;  // the two threads run different inputs at the same time
      std::vector<Tensor> outs;
      Status s = ctx->execute(ordered_inputs(*e, inputs[static_cast<std::size_t>(k)]), outs);
      if (!s.ok()) {
        errors[static_cast<std::size_t>(t)] = s.to_string();
        return;
      }
      err[static_cast<std::size_t>(t * kRuns + k)] =
          rel_l2(outs[0], expected[static_cast<std::size_t>(k)]);
    }
  };
  std::thread t0(worker, c0.get(), 0), t1(worker, c1.get(), 1);
  t0.join();
  t1.join();
  CHECK(errors[0].empty());
  CHECK(errors[1].empty());
  for (double x : err) {
    CHECK(x >= 0.0);
    CHECK(x <= kTol);
  }
}

TEST_CASE("execute rejects wrong inputs and outputs with errors naming them", "[engine]") {
  std::mt19937 rng(7);
  auto g = split_int8_graph(rng);
  auto e = load_engine(build_engine_bytes(*g));
  auto ctx = make_context(*e);
  auto in = random_inputs(*g, rng);
  std::vector<Tensor> outs;
  auto expect_error = [&](std::vector<const Tensor*> ins, std::vector<Tensor>& o,
                          const std::string& fragment) {
    Status s = ctx->execute(ins, o);
    INFO(s.to_string());
    CHECK(s.code() == StatusCode::kInvalidArgument);
    CHECK_THAT(s.message(), Catch::Contains(fragment));
  };
  expect_error({&in.at("x")}, outs, "2 inputs, got 1");
  expect_error({&in.at("x"), nullptr}, outs, "'scale' is missing");
  const Tensor wrong_shape = random_tensor(DataType::kFloat32, Shape{3, 9}, rng);
  expect_error({&wrong_shape, &in.at("scale")}, outs,
               "input #0 'x' expects float32 [3,8], got float32 [3,9]");
  const Tensor wrong_type = random_tensor(DataType::kInt32, Shape{3, 8}, rng);
  expect_error({&wrong_type, &in.at("scale")}, outs, "'x' expects float32 [3,8], got int32 [3,8]");
  std::vector<Tensor> two(2);
  expect_error({&in.at("x"), &in.at("scale")}, two, "1 outputs, got 2");
  std::vector<Tensor> bad_out{random_tensor(DataType::kFloat32, Shape{3, 5}, rng)};
  expect_error({&in.at("x"), &in.at("scale")}, bad_out, "output #0 'out' expects float32 [3,4]");
  // A caller-provided output of the right shape is written in place.
  std::vector<Tensor> mine{random_tensor(DataType::kFloat32, Shape{3, 4}, rng)};
  const void* p = mine[0].raw();
  REQUIRE(ctx->execute({&in.at("x"), &in.at("scale")}, mine).ok());
  CHECK(mine[0].raw() == p);
  auto ref = ir::run_graph(*g, in);
  REQUIRE(ref.ok());
  CHECK(rel_l2(mine[0], ref->outputs[0]) <= kTol);
}

TEST_CASE("engine records header, labels and preprocessing", "[engine]") {
  std::mt19937 rng(8);
  auto g = conv_net_graph(rng);
  builder::EngineBuildInfo info;
  info.model_hash = sha256_hex(std::string("model bytes"));
  info.config_hash = sha256_hex(std::string("config"));
  info.config_summary = "precision=fp32 target=cpu";
  info.labels = {"tench", "goldfish", "great white shark", "", "label with ; and =\ttab"};
  PreprocessSpec p;
  p.enabled = true;
  p.width = 16;
  p.height = 16;
  p.color = ColorOrder::kBGR;
  p.resize = ResizeMode::kLetterbox;
  p.layout = TensorLayout::kNCHW;
  p.mean[0] = 123.675f;
  p.mean[1] = 116.28f;
  p.mean[2] = 103.53f;
  p.scale[0] = 0.0171f;
  p.scale[1] = 0.0175f;
  p.scale[2] = 0.0174f;
  p.pad_value = -1.5f;
  info.preprocess["x"] = p;
  auto e = load_engine(build_engine_bytes(*g, info));
  const EngineHeader& h = e->header();
  CHECK(h.format_version == engine_format_version());
  CHECK(h.sdk_version == EDGERT_VERSION);
  CHECK(h.target.kind == "cpu");
  CHECK(h.model_name == "test_graph");
  CHECK(h.model_hash == info.model_hash);
  CHECK(h.config_hash == info.config_hash);
  CHECK(h.config_summary == info.config_summary);
  CHECK(e->labels() == info.labels);
  const PreprocessSpec& q = e->preprocess(0);
  CHECK(q.enabled);
  CHECK(q.width == 16);
  CHECK(q.height == 16);
  CHECK(q.color == ColorOrder::kBGR);
  CHECK(q.resize == ResizeMode::kLetterbox);
  CHECK(q.layout == TensorLayout::kNCHW);
  for (int c = 0; c < 3; ++c) {
    CHECK(q.mean[c] == p.mean[c]);
    CHECK(q.scale[c] == p.scale[c]);
  }
  CHECK(q.pad_value == p.pad_value);
  CHECK(e->input_index("x") == 0);
  CHECK(e->output_index("probs") == 0);
  CHECK(e->input_index("nope") == -1);
  // A spec for a name that is not an input is a builder error.
  info.preprocess["not_an_input"] = p;
  auto bad = builder::lower_to_engine(*g, info);
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.status().message(), Catch::Contains("'not_an_input'"));
}

TEST_CASE("attributes of every kind survive the engine file", "[engine]") {
  std::mt19937 rng(9);
  auto g = gemm_graph(rng);
  auto def = builder::lower_to_engine(*g, {});
  REQUIRE(def.ok());
  AttrMap& a = def->layers[0].attrs;  // extra attributes the Gemm kernel ignores
  a.set("i", std::int64_t{-42});
  a.set("f", 3.25f);
  a.set("s", std::string("text with \0 byte", 16));
  a.set("t", random_tensor(DataType::kInt32, Shape{2, 3}, rng, -100, 100));
  a.set("empty_t", Tensor());
  a.set("is", std::vector<std::int64_t>{1, -2, 3});
  a.set("fs", std::vector<float>{0.5f, -1.0f});
  a.set("ss", std::vector<std::string>{"a", "", "ccc"});
  a.set("no_ints", std::vector<std::int64_t>{});
  auto bytes = builder::serialize(*def);
  auto back = engine::read_engine(bytes.data(), bytes.size());
  INFO(back.status().to_string());
  REQUIRE(back.ok());
  const AttrMap& b = back->layers[0].attrs;
  CHECK(b.size() == a.size());
  CHECK(b.get_int("i", 0).value() == -42);
  CHECK(b.get_float("f", 0).value() == 3.25f);
  CHECK(b.get_string("s", "").value() == std::string("text with \0 byte", 16));
  CHECK(b.get_ints("is").value() == std::vector<std::int64_t>{1, -2, 3});
  CHECK(b.get_floats("fs").value() == std::vector<float>{0.5f, -1.0f});
  CHECK(b.get_strings("ss").value() == std::vector<std::string>{"a", "", "ccc"});
  CHECK(b.get_ints("no_ints", {7}).value().empty());
  REQUIRE(b.get_tensor("t") != nullptr);
  CHECK(max_abs_diff(*b.get_tensor("t"), *a.get_tensor("t")) == 0.0);
  CHECK(b.get_tensor("t")->shape() == Shape({2, 3}));
  REQUIRE(b.get_tensor("empty_t") != nullptr);
  CHECK(b.get_tensor("empty_t")->empty());
  // Everything else equal too: the text forms agree.
  for (std::size_t i = 0; i < def->layers.size(); ++i)
    CHECK(back->layers[i].attrs.to_string() == def->layers[i].attrs.to_string());
  // And the engine still runs (the Gemm kernel ignores unknown attributes).
  auto e = load_engine(bytes);
  auto ctx = make_context(*e);
  check_against_interpreter(*g, *ctx, random_inputs(*g, rng), kTol);
}

TEST_CASE("lowering needs static shapes and names the value that is not", "[engine]") {
  GraphMaker m;
  m.input("images", Shape{Shape::kUnknownDim, 4});
  m.node("Relu", "relu", {"images"}, {"y"});
  m.output("y");
  auto g = m.finish();
  auto def = builder::lower_to_engine(*g, {});
  REQUIRE_FALSE(def.ok());
  CHECK(def.status().code() == StatusCode::kUnsupported);
  CHECK_THAT(def.status().message(),
             Catch::Contains("'images'") && Catch::Contains("[?,4]") && Catch::Contains("static"));
}

TEST_CASE("lowering for the cpu target refuses ops without a CPU kernel", "[engine]") {
  GraphMaker m;
  m.input("x", Shape{2, 2});
  m.node("Relu", "relu", {"x"}, {"y"});
  m.output("y");
  auto g = m.finish();
  // Renamed after shape inference, as a pass producing an unregistered layer op would leave it.
  g->nodes()[0]->info.op_type = "NotAnOp";
  auto def = builder::lower_to_engine(*g, {});
  REQUIRE_FALSE(def.ok());
  CHECK(def.status().code() == StatusCode::kUnsupported);
  CHECK_THAT(def.status().message(), Catch::Contains("'relu'") && Catch::Contains("'NotAnOp'"));
}

TEST_CASE("engine files: mmap load, atomic write, never over an ONNX model", "[engine]") {
  std::mt19937 rng(10);
  auto g = gemm_graph(rng);
  const auto bytes = build_engine_bytes(*g);
  const std::string dir = temp_dir("files");
  const std::string path = dir + "/gemm.engine";
  REQUIRE(engine::write_engine_file(path, bytes).ok());
  REQUIRE(engine::write_engine_file(path, bytes).ok());  // replacing an engine is fine
  auto e = Engine::load(path);
  INFO(e.status().to_string());
  REQUIRE(e.ok());
  auto ctx = make_context(**e);
  check_against_interpreter(*g, *ctx, random_inputs(*g, rng), kTol);
  // No temporary file left next to it.
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    (void)entry;
    ++files;
  }
  CHECK(files == 1);

  // An existing non-engine file (a model) is never replaced; nor is a path named *.onnx.
  const std::string model = dir + "/model.bin";
  { std::ofstream(model) << "\x08\x07\x12\x07pytorch"; }
  Status s = engine::write_engine_file(model, bytes);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(s.message(), Catch::Contains("not an EdgeRT engine"));
  CHECK(std::filesystem::file_size(model) == 11);
  s = engine::write_engine_file(dir + "/model.onnx", bytes);
  CHECK_THAT(s.message(), Catch::Contains("ONNX"));
  CHECK_FALSE(std::filesystem::exists(dir + "/model.onnx"));

  // Loading the model file says what it is not.
  auto not_engine = Engine::load(model);
  REQUIRE_FALSE(not_engine.ok());
  CHECK_THAT(not_engine.status().message(),
             Catch::Contains("model.bin") && Catch::Contains("not an EdgeRT engine"));
  auto missing = Engine::load(dir + "/missing.engine");
  CHECK(missing.status().code() == StatusCode::kNotFound);
}

}  // namespace edgert::test
