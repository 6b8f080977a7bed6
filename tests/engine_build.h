// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Engines built by the builder in tests: loaded from memory, or written to a file once per path
// (the bundled model for the tests that load engines from files: tools, memory reports,
// GStreamer).

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "edgert/builder.h"
#include "edgert/engine.h"

namespace edgert::test {

/// Builds `c` and loads the engine from memory; REQUIREs both. `report` may be null.
inline std::shared_ptr<const Engine> build_and_load(const BuildConfig& c,
                                                    BuildReport* report = nullptr) {
  auto bytes = build_engine(c, report);
  INFO(c.onnx_path << " target " << c.target << ": " << bytes.status().to_string());
  REQUIRE(bytes);
  auto e = Engine::from_memory(std::move(bytes).value());
  INFO(e.status().to_string());
  REQUIRE(e);
  return *e;
}

/// Builds `c` into `path` unless it is there (written under a temporary name and renamed, so a
/// half-written file is never reused).
inline std::string build_engine_file(const BuildConfig& c, const std::string& path) {
  namespace fs = std::filesystem;
  if (fs::exists(path)) return path;
  fs::create_directories(fs::path(path).parent_path());
  auto bytes = build_engine(c);
  INFO(c.onnx_path << ": " << bytes.status().to_string());
  REQUIRE(bytes);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary);
    f.write(reinterpret_cast<const char*>(bytes->data()),
            static_cast<std::streamsize>(bytes->size()));
    REQUIRE(f);
  }
  fs::rename(tmp, path);
  return path;
}

/// examples/fashion/fashion_resnet.onnx built for `target` at `batch` into `path`, once.
inline std::string fashion_engine_file(const std::string& path, std::int64_t batch,
                                       const std::string& target = "cpu") {
  BuildConfig c;
  c.onnx_path = std::string(EDGERT_SOURCE_DIR) + "/examples/fashion/fashion_resnet.onnx";
  c.batch = batch;
  c.target = target;
  return build_engine_file(c, path);
}

}  // namespace edgert::test
