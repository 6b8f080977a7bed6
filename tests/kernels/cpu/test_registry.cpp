// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The op table is complete, unique, and documented.

#include <fstream>
#include <set>
#include <sstream>

#include <catch2/catch.hpp>

#include "kernels/cpu/op_families.h"

namespace edgert::test {

TEST_CASE("every registered op is unique, complete and in docs/operators.md", "[cpu][registry]") {
  const auto& ops = cpu::all_ops();
  REQUIRE(ops.size() == cpu::kOpCount);
  std::ifstream f(std::string(EDGERT_SOURCE_DIR) + "/docs/operators.md");
  REQUIRE(f.good());
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string doc = ss.str();
  std::set<std::string> seen;
  for (const cpu::OpDef* op : ops) {
    INFO(op->op_type);
    CHECK(seen.insert(op->op_type).second);
    CHECK(op->infer != nullptr);
    CHECK(op->compute != nullptr);
    CHECK(op->min_inputs <= op->max_inputs);
    CHECK(cpu::find_op(op->op_type) == op);
    CHECK(doc.find("| " + std::string(op->op_type) + " |") != std::string::npos);
  }
  CHECK(cpu::find_op("NoSuchOp") == nullptr);
}

}  // namespace edgert::test
