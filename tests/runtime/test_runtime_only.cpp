// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The runtime without the builder: an engine described by hand (conv -> relu in place -> reshape
// view -> softmax), written with the engine writer, loaded by mmap and run; compared with the CPU
// kernels called one by one. This executable links edgert_runtime only, and checks that no
// builder, protobuf or ONNX library is mapped into the process.

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <catch2/catch.hpp>

#include "core/file_util.h"
#include "edgert/runtime.h"
#include "engine/engine_file.h"
#include "runtime/runtime_internal.h"
#include "test_util.h"

namespace edgert::test {
namespace {

using engine::Storage;

engine::TensorDef tensor(const std::string& name, DataType dt, Shape shape, Storage storage,
                         std::uint64_t offset = 0, std::int32_t io = -1, std::int32_t alias = -1) {
  engine::TensorDef t;
  t.name = name;
  t.dtype = dt;
  t.nbytes = static_cast<std::uint64_t>(shape.numel()) * dtype_size(dt);
  t.shape = std::move(shape);
  t.storage = storage;
  t.offset = offset;
  t.io_index = io;
  t.alias_of = alias;
  return t;
}

engine::LayerDef layer(const std::string& type, const std::string& name,
                       std::vector<std::int32_t> ins, std::vector<std::int32_t> outs,
                       std::uint32_t flags = 0) {
  engine::LayerDef l;
  l.type = type;
  l.name = name;
  l.opset = 13;
  l.tactic = "cpu." + type;
  l.inputs = std::move(ins);
  l.outputs = std::move(outs);
  l.flags = flags;
  return l;
}

void put_weight(engine::EngineDef& d, const engine::TensorDef& t, const Tensor& value) {
  if (d.weights.size() < t.offset + t.nbytes)
    d.weights.resize(engine::align_up(t.offset + t.nbytes));
  std::memcpy(d.weights.data() + t.offset, value.raw(), t.nbytes);
}

struct HandEngine {
  engine::EngineDef def;
  Tensor w, b, shape;
};

HandEngine hand_engine(std::mt19937& rng) {
  HandEngine h;
  engine::EngineDef& d = h.def;
  d.header.sdk_version = EDGERT_VERSION;
  d.header.model_name = "hand";
  d.tensors = {
      tensor("x", DataType::kFloat32, Shape{1, 2, 5, 5}, Storage::kInput, 0, 0),
      tensor("w", DataType::kFloat32, Shape{3, 2, 3, 3}, Storage::kWeight, 0),
      tensor("b", DataType::kFloat32, Shape{3}, Storage::kWeight, 256),
      tensor("c", DataType::kFloat32, Shape{1, 3, 5, 5}, Storage::kArena, 0),
      tensor("r", DataType::kFloat32, Shape{1, 3, 5, 5}, Storage::kArena, 0),  // over c
      tensor("shape", DataType::kInt64, Shape{2}, Storage::kWeight, 320),
      tensor("f", DataType::kFloat32, Shape{1, 75}, Storage::kAlias, 0, -1, 4),
      tensor("y", DataType::kFloat32, Shape{1, 75}, Storage::kOutput, 0, 0),
  };
  d.inputs = {0};
  d.outputs = {7};
  d.preprocess.resize(1);
  d.preprocess[0].enabled = true;
  d.labels = {"zero", "one", "two"};
  h.w = random_tensor(DataType::kFloat32, Shape{3, 2, 3, 3}, rng);
  h.b = random_tensor(DataType::kFloat32, Shape{3}, rng);
  h.shape = *Tensor::allocate(DataType::kInt64, Shape{2});
  h.shape.data<std::int64_t>()[0] = 1;
  h.shape.data<std::int64_t>()[1] = 75;
  put_weight(d, d.tensors[1], h.w);
  put_weight(d, d.tensors[2], h.b);
  put_weight(d, d.tensors[5], h.shape);
  d.layers = {
      layer("Conv", "conv", {0, 1, 2}, {3}),
      layer("Relu", "relu", {3}, {4}, engine::kLayerInPlace),
      layer("Reshape", "reshape", {4, 5}, {6}, engine::kLayerAlias),
      layer("Softmax", "softmax", {6}, {7}),
  };
  d.layers[0].attrs.set("kernel_shape", std::vector<std::int64_t>{3, 3});
  d.layers[0].attrs.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  d.layers[3].attrs.set("axis", std::int64_t{1});
  d.memory.arena_bytes = 320;
  d.memory.naive_bytes = 3 * 320;
  d.memory.weight_bytes = d.weights.size();
  d.memory.alias_layers = 1;
  d.memory.in_place_layers = 1;
  return h;
}

// The same computation with the CPU kernels one node at a time.
Tensor reference(const HandEngine& h, const Tensor& x) {
  std::vector<Tensor> out;
  cpu::NodeInfo conv{"Conv", "conv", 13, 0, {}};
  conv.attrs.set("kernel_shape", std::vector<std::int64_t>{3, 3});
  conv.attrs.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  REQUIRE(cpu::run_node(conv, {&x, &h.w, &h.b}, out, 1).ok());
  const Tensor c = out[0];
  REQUIRE(cpu::run_node({"Relu", "relu", 13, 1, {}}, {&c}, out, 1).ok());
  const Tensor r = out[0];
  REQUIRE(cpu::run_node({"Reshape", "reshape", 13, 2, {}}, {&r, &h.shape}, out, 1).ok());
  const Tensor f = out[0];
  cpu::NodeInfo sm{"Softmax", "softmax", 13, 3, {}};
  sm.attrs.set("axis", std::int64_t{1});
  REQUIRE(cpu::run_node(sm, {&f}, out, 1).ok());
  return out[0];
}

}  // namespace

TEST_CASE("runtime alone: a hand-written engine loads by mmap and runs", "[runtime]") {
  std::mt19937 rng(31);
  HandEngine h = hand_engine(rng);
  Status v = engine::verify_engine(h.def);
  INFO(v.to_string());
  REQUIRE(v.ok());
  const std::string dir = std::string(EDGERT_TEST_DATA_DIR) + "/runtime";
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/hand.engine";
  REQUIRE(engine::write_engine_file(path, engine::serialize_engine(h.def)).ok());

  auto e = Engine::load(path);
  INFO(e.status().to_string());
  REQUIRE(e.ok());
  INFO((*e)->to_string());
  // Weights are used in place: the weight tensor points into the mapped file, 64-byte aligned.
  const Engine::Impl& impl = (*e)->impl();
  const auto* file = static_cast<const MappedFile*>(impl.storage.get());
  const auto* w = static_cast<const std::uint8_t*>(impl.weight_views[1].raw());
  CHECK(w >= file->data());
  CHECK(w + 216 <= file->data() + file->size());
  CHECK(reinterpret_cast<std::uintptr_t>(w) % 64 == 0);
  CHECK(std::memcmp(w, h.w.raw(), 216) == 0);

  auto ctx = (*e)->create_context();
  REQUIRE(ctx.ok());
  for (int run = 0; run < 3; ++run) {
    const Tensor x = random_tensor(DataType::kFloat32, Shape{1, 2, 5, 5}, rng);
    std::vector<Tensor> outs;
    Status s = (*ctx)->execute({&x}, outs);
    INFO(s.to_string());
    REQUIRE(s.ok());
    const Tensor ref = reference(h, x);
    CHECK(outs[0].shape() == Shape({1, 75}));
    CHECK(rel_l2(outs[0], ref) <= 1e-6);
  }
}

TEST_CASE("runtime alone: corrupted engines (checksum recomputed) never crash", "[runtime]") {
  // The same fuzz loop as test_engine's, here on the runtime library alone so that it can run in
  // a sanitizer build without the builder's dependencies.
  std::mt19937 rng(41);
  HandEngine h = hand_engine(rng);
  const auto bytes = engine::serialize_engine(h.def);
  REQUIRE(Engine::from_memory(bytes).ok());
  int loaded = 0;
  for (std::size_t n = 0; n < bytes.size(); n += 7) {
    std::vector<std::uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    INFO("truncated to " << n);
    CHECK_FALSE(Engine::from_memory(cut).ok());
  }
  std::uniform_int_distribution<std::size_t> pos(engine::kHeaderBytes, bytes.size() - 1);
  for (int i = 0; i < 4000; ++i) {
    auto bad = bytes;
    for (int f = 0; f <= i % 3; ++f) {
      const std::size_t p = pos(rng);
      bad[p] = (i % 2) ? static_cast<std::uint8_t>(rng())
                       : static_cast<std::uint8_t>(bad[p] ^ (1u << (rng() % 8)));
    }
    engine::restamp_checksum(bad);
    auto e = Engine::from_memory(bad);
    if (!e.ok()) continue;
    ++loaded;
    auto ctx = (*e)->create_context();
    if (!ctx.ok()) continue;
    const Tensor x = random_tensor(DataType::kFloat32, Shape{1, 2, 5, 5}, rng);
    std::vector<Tensor> outs;
    (void)(*ctx)->execute({&x}, outs);
  }
  INFO("loaded " << loaded << " of 4000");
  CHECK(loaded < 4000);
}

TEST_CASE("runtime alone: no builder, protobuf or ONNX library in the process", "[runtime]") {
  std::ifstream maps("/proc/self/maps");
  if (!maps) EDGERT_SKIP("no /proc/self/maps on this system");
  std::stringstream ss;
  ss << maps.rdbuf();
  const std::string text = ss.str();
  CHECK(text.find("libedgert_runtime") != std::string::npos);  // the check looks at the right list
  CHECK(text.find("libedgert_builder") == std::string::npos);
  CHECK(text.find("protobuf") == std::string::npos);
  CHECK(text.find("libonnx") == std::string::npos);
}

}  // namespace edgert::test
