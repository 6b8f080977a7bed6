// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Running the `edgert` program from the tool tests and reading what it writes.

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace edgert::test {

struct ToolRun {
  int code = -1;
  std::string out, err;
};

inline std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

/// Runs `edgert ARGS`; stdout and stderr are kept in <prefix>.out and <prefix>.err.
inline ToolRun run_tool(const std::string& args, const std::string& prefix) {
  std::filesystem::create_directories(std::filesystem::path(prefix).parent_path());
  const std::string out = prefix + ".out";
  const std::string err = prefix + ".err";
  const std::string cmd = std::string(EDGERT_TARGET_RUN) + "'" + EDGERT_TOOL + "' " + args +
                          " > '" + out + "' 2> '" + err + "'";
  const int status = std::system(cmd.c_str());
  ToolRun r;
  r.code = status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_text(out);
  r.err = read_text(err);
  return r;
}

inline nlohmann::json read_json(const std::string& path) {
  std::ifstream f(path);
  REQUIRE(f);
  return nlohmann::json::parse(f);
}

}  // namespace edgert::test
