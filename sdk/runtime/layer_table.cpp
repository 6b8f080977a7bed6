// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Engine::layer_table: the text table `edgert build` and `edgert inspect` print.

#include <algorithm>
#include <map>
#include <sstream>

#include "edgert/engine.h"
#include "runtime/runtime_internal.h"

namespace edgert {
namespace {

std::string shapes_of(const std::vector<std::string>& names,
                      const std::map<std::string, const engine::TensorDef*>& by_name,
                      bool skip_weights) {
  std::string s;
  for (const auto& n : names) {
    auto it = by_name.find(n);
    if (n.empty() || it == by_name.end()) continue;
    if (skip_weights && it->second->storage == engine::Storage::kWeight) continue;
    if (!s.empty()) s += " ";
    s += it->second->shape.to_string();
    if (it->second->dtype != DataType::kFloat32)
      s += std::string(":") + dtype_name(it->second->dtype);
  }
  return s;
}

std::string pad(std::string s, std::size_t w) {
  if (s.size() < w) s.resize(w, ' ');
  return s;
}

}  // namespace

std::string Engine::layer_table() const {
  const auto& def = impl().def;
  std::map<std::string, const engine::TensorDef*> by_name;
  for (const auto& t : def.tensors) by_name[t.name] = &t;
  struct Row {
    std::string idx, name, type, precision, tactic, in, out, fused;
  };
  std::vector<Row> rows;
  rows.push_back({"#", "layer", "type", "precision", "tactic", "inputs", "outputs", "fuses"});
  std::size_t i = 0;
  for (const LayerDesc& l : layers()) {
    Row r;
    r.idx = std::to_string(i++);
    r.name = l.name;
    r.type = l.type + (l.alias ? " (view)" : (l.in_place ? " (in place)" : ""));
    r.precision = precision_name(l.precision);
    r.tactic = l.tactic;
    r.in = shapes_of(l.inputs, by_name, /*skip_weights=*/true);
    r.out = shapes_of(l.outputs, by_name, false);
    for (const auto& f : l.fused) r.fused += (r.fused.empty() ? "" : ", ") + f;
    rows.push_back(std::move(r));
  }
  std::size_t w[7] = {};
  for (const Row& r : rows) {
    const std::string* cols[7] = {&r.idx, &r.name, &r.type, &r.precision, &r.tactic, &r.in, &r.out};
    for (int c = 0; c < 7; ++c) w[c] = std::max(w[c], std::min<std::size_t>(cols[c]->size(), 40));
  }
  std::ostringstream os;
  for (const Row& r : rows) {
    os << pad(r.idx, w[0]) << "  " << pad(r.name, w[1]) << "  " << pad(r.type, w[2]) << "  "
       << pad(r.precision, w[3]) << "  " << pad(r.tactic, w[4]) << "  " << pad(r.in, w[5]) << " -> "
       << pad(r.out, w[6]) << "  " << r.fused << "\n";
  }
  return os.str();
}

}  // namespace edgert
