// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// The bundled model (examples/fashion) built into an engine file once per path, for the tests
// that load engines from files (the tools, memory reports).

#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "edgert/builder.h"

namespace edgert::test {

/// Builds examples/fashion/fashion_resnet.onnx for `target` at `batch` into `path` unless it is
/// there (written under a temporary name and renamed, so a half-written file is never reused).
inline std::string fashion_engine_file(const std::string& path, std::int64_t batch,
                                       const std::string& target = "cpu") {
  namespace fs = std::filesystem;
  if (fs::exists(path)) return path;
  fs::create_directories(fs::path(path).parent_path());
  BuildConfig c;
  c.onnx_path = std::string(EDGERT_SOURCE_DIR) + "/examples/fashion/fashion_resnet.onnx";
  c.batch = batch;
  c.target = target;
  auto bytes = build_engine(c);
  INFO(bytes.status().to_string());
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

}  // namespace edgert::test
