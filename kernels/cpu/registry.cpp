// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The explicit op table (no static initializers: the linker drops those from static libraries).

#include <string>
#include <unordered_map>

#include "kernels/cpu/op_families.h"

namespace edgert::cpu {
namespace {

struct Registry {
  std::vector<const OpDef*> ops;
  std::unordered_map<std::string, const OpDef*> by_name;
};

const Registry& registry() {
  static const Registry r = [] {
    Registry reg;
    const OpTable tables[] = {unary_ops(),      binary_ops(),          nn_ops(),
                              tensor_ops(),     reduce_ops(),          misc_ops(),
                              fused_conv_ops(), fused_pointwise_ops(), int8_ops()};
    static_assert(sizeof(tables) / sizeof(tables[0]) == 9, "list every family in op_families.h");
    for (const auto& t : tables)
      for (std::size_t i = 0; i < t.count; ++i) {
        reg.ops.push_back(&t.ops[i]);
        reg.by_name.emplace(t.ops[i].op_type, &t.ops[i]);
      }
    return reg;
  }();
  return r;
}

}  // namespace

const OpDef* find_op(const std::string& op_type) {
  const auto& r = registry();
  auto it = r.by_name.find(op_type);
  return it == r.by_name.end() ? nullptr : it->second;
}

const std::vector<const OpDef*>& all_ops() { return registry().ops; }

}  // namespace edgert::cpu
