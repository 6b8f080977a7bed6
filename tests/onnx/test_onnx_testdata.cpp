// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The ONNX backend test data (libonnx-testdata): every node model must import or fail cleanly, and
// every input tensor must read or fail cleanly. Which ones succeed depends on the op table.

#include <algorithm>
#include <filesystem>
#include <map>

#include <catch2/catch.hpp>

#include "onnx/importer.h"
#include "test_util.h"

namespace edgert::onnx {
namespace fs = std::filesystem;
namespace {

const char* kNodeTestDir = "/usr/share/libonnx-testdata/data/node";

std::vector<fs::path> model_dirs() {
  std::vector<fs::path> dirs;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(kNodeTestDir, ec))
    if (fs::exists(e.path() / "model.onnx")) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

}  // namespace

TEST_CASE("every ONNX node test model imports or fails cleanly", "[onnx][testdata]") {
  auto dirs = model_dirs();
  if (dirs.empty()) EDGERT_SKIP(std::string("no ONNX test data under ") + kNodeTestDir);
  int ok = 0;
  std::map<StatusCode, int> failures;
  std::string sample;
  for (const auto& d : dirs) {
    std::string path = (d / "model.onnx").string();
    auto r = import_model(path);
    if (r.ok()) {
      ++ok;
      CHECK_FALSE((*r)->dump().empty());
      continue;
    }
    ++failures[r.status().code()];
    // Every error names the file first and says something.
    CHECK_THAT(r.status().message(), Catch::StartsWith(path + ": "));
    CHECK(r.status().message().size() > path.size() + 10);
    CHECK(r.status().code() != StatusCode::kInternal);
    if (sample.size() < 4000) sample += r.status().to_string() + "\n";
  }
  std::string summary;
  for (const auto& [code, n] : failures)
    summary += std::string(status_code_name(code)) + ": " + std::to_string(n) + "  ";
  WARN(dirs.size() << " models: " << ok << " imported; failures " << summary);
  INFO("sample failures:\n" << sample);
  CHECK(ok + [&] {
    int n = 0;
    for (const auto& f : failures) n += f.second;
    return n;
  }() == static_cast<int>(dirs.size()));
}

TEST_CASE("every ONNX node test input tensor reads or fails cleanly", "[onnx][testdata]") {
  auto dirs = model_dirs();
  if (dirs.empty()) EDGERT_SKIP(std::string("no ONNX test data under ") + kNodeTestDir);
  int ok = 0;
  int failed = 0;
  std::map<StatusCode, int> failures;
  for (const auto& d : dirs) {
    std::error_code ec;
    for (const auto& set : fs::directory_iterator(d, ec)) {
      if (!set.is_directory()) continue;
      for (const auto& f : fs::directory_iterator(set.path(), ec)) {
        if (f.path().extension() != ".pb") continue;
        std::string name;
        auto t = read_tensor_file(f.path().string(), &name);
        if (t.ok()) {
          ++ok;
          continue;
        }
        ++failed;
        ++failures[t.status().code()];
        // Sequences/optionals are stored as other message types; they may parse as garbage
        // tensors but must never crash and must say which file.
        CHECK_THAT(t.status().message(), Catch::StartsWith(f.path().string()));
      }
    }
  }
  std::string summary;
  for (const auto& [code, n] : failures)
    summary += std::string(status_code_name(code)) + ": " + std::to_string(n) + "  ";
  WARN("test-data tensors: " << ok << " read, " << failed << " failed (" << summary << ")");
  CHECK(ok > 1000);
}

}  // namespace edgert::onnx
