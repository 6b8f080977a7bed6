// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The verifier: truncated, corrupted and mismatched engines are refused with an error that says
// what and why, never a crash. Fuzz loops use fixed seeds.

#include <cstring>

#include <catch2/catch.hpp>

#include "core/hash.h"
#include "engine/engine_file.h"
#include "test_graphs.h"

namespace edgert::test {
namespace {

std::vector<std::uint8_t> sample_engine_bytes() {
  std::mt19937 rng(11);
  auto g = conv_net_graph(rng);
  builder::EngineBuildInfo info;
  info.labels = {"a", "b", "c"};
  info.preprocess["x"].enabled = true;
  info.model_hash = sha256_hex(std::string("m"));
  return build_engine_bytes(*g, info);
}

engine::EngineDef sample_def() {
  std::mt19937 rng(12);
  auto g = reshape_chain_graph();
  auto def = builder::lower_to_engine(*g, {});
  REQUIRE(def.ok());
  return std::move(def).value();
}

Status load_status(std::vector<std::uint8_t> bytes) {
  return Engine::from_memory(std::move(bytes)).status();
}

template <typename T>
void poke(std::vector<std::uint8_t>& bytes, std::size_t at, T v) {
  std::memcpy(bytes.data() + at, &v, sizeof(T));
}

// Runs a loaded engine once on random inputs: must return (ok or an error), not crash.
void run_once(const Engine& e, std::mt19937& rng) {
  auto ctx = e.create_context();
  if (!ctx.ok()) return;
  std::vector<Tensor> ins;
  std::vector<const Tensor*> ptrs;
  for (const auto& d : e.inputs()) ins.push_back(random_tensor(d.dtype, d.shape, rng));
  for (const auto& t : ins) ptrs.push_back(&t);
  std::vector<Tensor> outs;
  (void)(*ctx)->execute(ptrs, outs);
}

}  // namespace

TEST_CASE("verifier: an intact engine loads", "[engine][verifier]") {
  auto bytes = sample_engine_bytes();
  CHECK(bytes.size() % 64 == 0);
  CHECK(std::memcmp(bytes.data(), "EDGERTEN", 8) == 0);
  Status s = load_status(bytes);
  INFO(s.to_string());
  CHECK(s.ok());
}

TEST_CASE("verifier: truncation at many offsets is reported as truncation", "[engine][verifier]") {
  const auto bytes = sample_engine_bytes();
  std::vector<std::size_t> cuts;
  for (std::size_t n = 0; n < 300 && n < bytes.size(); ++n) cuts.push_back(n);
  for (std::size_t n = 300; n < bytes.size(); n += 37) cuts.push_back(n);
  cuts.push_back(bytes.size() - 1);
  for (std::size_t n : cuts) {
    std::vector<std::uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    Status s = load_status(cut);
    INFO("truncated to " << n << " of " << bytes.size() << " bytes: " << s.to_string());
    REQUIRE_FALSE(s.ok());
    CHECK(s.code() == StatusCode::kParseError);
    if (n < 8) {
      CHECK_THAT(s.message(), Catch::Contains("too short"));
    } else {
      CHECK_THAT(s.message(), Catch::Contains("truncated"));
    }
  }
}

TEST_CASE("verifier: random byte flips are caught by the checksum", "[engine][verifier]") {
  const auto bytes = sample_engine_bytes();
  std::mt19937 rng(1234);
  std::uniform_int_distribution<std::size_t> pos(0, bytes.size() - 1);
  for (int i = 0; i < 300; ++i) {
    auto bad = bytes;
    const int flips = 1 + i % 4;
    for (int f = 0; f < flips; ++f) bad[pos(rng)] ^= static_cast<std::uint8_t>(1 + rng() % 255);
    Status s = load_status(bad);
    INFO("iteration " << i << ": " << s.to_string());
    CHECK_FALSE(s.ok());
  }
}

TEST_CASE(
    "verifier: corrupted content with a valid checksum never crashes the decoder, the "
    "verifier or the runtime",
    "[engine][verifier]") {
  // The checksum is recomputed after each corruption, so decoding, verification and execution
  // see the damaged fields themselves.
  const auto bytes = sample_engine_bytes();
  std::mt19937 rng(4321);
  std::uniform_int_distribution<std::size_t> pos(engine::kHeaderBytes, bytes.size() - 1);
  int loaded = 0, refused = 0;
  for (int i = 0; i < 3000; ++i) {
    auto bad = bytes;
    const int flips = 1 + i % 3;
    for (int f = 0; f < flips; ++f) {
      const std::size_t p = pos(rng);
      // Mostly small changes (counts, offsets, enum values), sometimes random bytes.
      bad[p] = (i % 2) ? static_cast<std::uint8_t>(rng())
                       : static_cast<std::uint8_t>(bad[p] ^ (1u << (rng() % 8)));
    }
    engine::restamp_checksum(bad);
    auto e = Engine::from_memory(bad);
    if (e.ok()) {
      ++loaded;
      run_once(**e, rng);
    } else {
      ++refused;
      CHECK_FALSE(e.status().message().empty());
    }
  }
  // Most flips land in the weights (harmless); the rest must have been refused, not crashed.
  INFO("loaded " << loaded << ", refused " << refused);
  CHECK(refused > 0);
  CHECK(loaded + refused == 3000);
}

TEST_CASE("verifier: not an engine, other format versions", "[engine][verifier]") {
  auto bytes = sample_engine_bytes();
  SECTION("ONNX bytes") {
    std::vector<std::uint8_t> onnx = {0x08, 0x07, 0x12, 0x07, 'p', 'y', 't', 'o', 'r', 'c', 'h'};
    onnx.resize(200, 0);
    Status s = load_status(onnx);
    CHECK(s.code() == StatusCode::kParseError);
    CHECK_THAT(s.message(), Catch::Contains("not an EdgeRT engine") && Catch::Contains("EDGERTEN"));
  }
  SECTION("newer format") {
    poke<std::uint32_t>(bytes, 8, engine::kFormatVersion + 1);
    engine::restamp_checksum(bytes);
    Status s = load_status(bytes);
    INFO(s.to_string());
    CHECK(s.code() == StatusCode::kVersionMismatch);
    CHECK_THAT(s.message(),
               Catch::Contains("format version " + std::to_string(engine::kFormatVersion + 1)) &&
                   Catch::Contains("newer") && Catch::Contains("rebuild"));
  }
  SECTION("older format") {
    poke<std::uint32_t>(bytes, 8, 0);
    Status s = load_status(bytes);  // version is checked before the checksum: no restamp needed
    INFO(s.to_string());
    CHECK(s.code() == StatusCode::kVersionMismatch);
    CHECK_THAT(s.message(), Catch::Contains("older"));
  }
  SECTION("trailing bytes") {
    bytes.resize(bytes.size() + 64, 0);
    Status s = load_status(bytes);
    CHECK_THAT(s.message(), Catch::Contains("unexpected bytes after its end"));
  }
  SECTION("checksum") {
    bytes[bytes.size() / 2] ^= 0x40;
    Status s = load_status(bytes);
    CHECK_THAT(s.message(), Catch::Contains("checksum mismatch"));
  }
}

TEST_CASE("verifier: a cuda engine on the CPU runtime names both targets", "[engine][verifier]") {
  std::mt19937 rng(13);
  auto g = gemm_graph(rng);
  builder::EngineBuildInfo info;
  info.target.kind = "cuda";
  info.target.sm = 87;
  info.target.device_name = "Orin";
  info.target.cuda_version = "12.2";
  info.target.cudnn_version = "8.9.4";
  info.target.cublas_version = "12.2.5";
  CHECK(info.target.compatibility_key() == "cuda.sm_87.cuda12.cudnn8");
  Status s = load_status(build_engine_bytes(*g, info));
  INFO(s.to_string());
  CHECK(s.code() == StatusCode::kVersionMismatch);
  CHECK_THAT(s.message(), Catch::Contains("cuda sm_87 (Orin), CUDA 12.2, cuDNN 8.9.4") &&
                              Catch::Contains("target 'cpu'"));
}

TEST_CASE("verifier: inconsistent tables are refused with the field named", "[engine][verifier]") {
  struct Case {
    const char* name;
    void (*patch)(engine::EngineDef&);
    const char* expect;
  };
  const Case cases[] = {
      {"tensor size", [](engine::EngineDef& d) { d.tensors[1].nbytes += 4; }, "needs"},
      {"misaligned arena offset",
       [](engine::EngineDef& d) {
         for (auto& t : d.tensors)
           if (t.storage == engine::Storage::kArena) {
             t.offset += 4;
             break;
           }
       },
       "not 64-byte aligned"},
      {"arena offset out of bounds",
       [](engine::EngineDef& d) {
         for (auto& t : d.tensors)
           if (t.storage == engine::Storage::kArena) {
             t.offset = d.memory.arena_bytes;
             break;
           }
       },
       "outside the"},
      {"weight out of bounds",
       [](engine::EngineDef& d) {
         for (auto& t : d.tensors)
           if (t.storage == engine::Storage::kWeight) {
             t.offset = d.weights.size();
             break;
           }
       },
       "weights section"},
      {"layer input out of range", [](engine::EngineDef& d) { d.layers[2].inputs[0] = 999; },
       "refers to tensor #999"},
      {"read before write",
       [](engine::EngineDef& d) { d.layers[0].inputs[0] = d.layers.back().outputs[0]; },
       "before any layer produced it"},
      {"unknown op", [](engine::EngineDef& d) { d.layers[1].type = "FancyOp"; },
       "op type 'FancyOp' is not in this runtime's CPU op table"},
      {"wrong recorded shape",
       [](engine::EngineDef& d) {
         // softmax's output recorded smaller than what the kernel writes.
         for (auto& l : d.layers)
           if (l.name == "softmax") {
             auto& t = d.tensors[static_cast<std::size_t>(l.outputs[0])];
             t.shape = Shape{4, 23};
             t.nbytes = 4 * 23 * 4;
           }
       },
       "is recorded as float32 [4,23], but the op computes float32 [4,24]"},
      {"view of a bigger tensor",
       [](engine::EngineDef& d) {
         for (auto& t : d.tensors)
           if (t.storage == engine::Storage::kAlias) {
             t.shape = Shape{2, 4};
             t.nbytes = 32;
             break;
           }
       },
       "is a view of"},
      {"layer writes an input", [](engine::EngineDef& d) { d.layers[0].outputs[0] = d.inputs[0]; },
       "already an input"},
      {"output never produced",
       [](engine::EngineDef& d) {
         d.layers.pop_back();
         d.memory.in_place_layers = 0;
         for (auto& l : d.layers) l.flags &= ~engine::kLayerInPlace;
       },
       "produced by no layer"},
  };
  for (const Case& c : cases) {
    engine::EngineDef def = sample_def();
    c.patch(def);
    Status s = load_status(engine::serialize_engine(def));
    INFO(c.name << ": " << s.to_string());
    CHECK_FALSE(s.ok());
    CHECK_THAT(s.message(), Catch::Contains(c.expect));
    CHECK_THAT(s.message(), Catch::Contains("engine '<memory>'"));
  }
}

}  // namespace edgert::test
