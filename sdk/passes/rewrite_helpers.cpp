// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "passes/rewrite_helpers.h"

#include <algorithm>
#include <cmath>

namespace edgert::passes::rw {

const Tensor* constant(const ir::Value* v) {
  if (!v || !v->is_constant || v->data.empty()) return nullptr;
  return &v->data;
}

bool scalar_constant(const ir::Value* v, double& out) {
  const Tensor* t = constant(v);
  if (!t || t->numel() != 1) return false;
  out = t->get_as_double(0);
  return true;
}

bool constant_all_equal(const ir::Value* v, double x) {
  const Tensor* t = constant(v);
  if (!t || t->numel() < 1) return false;
  for (std::int64_t i = 0; i < t->numel(); ++i)
    if (t->get_as_double(i) != x) return false;
  return true;
}

bool near(double a, double b, double rel) { return std::fabs(a - b) <= rel * std::fabs(b); }

bool single_use(const ir::Value* v) { return v && !v->is_graph_output && v->consumers.size() == 1; }

ir::Node* sole_consumer(const ir::Value* v) { return single_use(v) ? v->consumers[0] : nullptr; }

void replace_uses(ir::Value* from, ir::Value* to) {
  if (from == to) return;
  std::vector<ir::Node*> readers = from->consumers;
  std::sort(readers.begin(), readers.end());
  readers.erase(std::unique(readers.begin(), readers.end()), readers.end());
  for (ir::Node* n : readers)
    for (ir::Value*& in : n->inputs)
      if (in == from) {
        in = to;
        to->consumers.push_back(n);
      }
  from->consumers.clear();
}

namespace {

void move_scale(ir::Graph& g, const std::string& from, const std::string& to) {
  auto it = g.activation_scales.find(from);
  if (it == g.activation_scales.end()) return;
  g.activation_scales.emplace(to, it->second);  // keeps `to`'s own scale when it has one
  g.activation_scales.erase(it);
}

}  // namespace

bool bypass(ir::Graph& g, ir::Node* n, ir::Value* in, ir::Value* out, std::string* why) {
  if (!out->is_graph_output) {
    move_scale(g, out->name, in->name);
    g.remove_node(n);
    replace_uses(out, in);
    return true;
  }
  if (in->is_graph_output || in->is_graph_input) {
    if (why)
      *why = "its output '" + out->name + "' is a graph output and its input '" + in->name +
             "' is a graph " + (in->is_graph_input ? "input" : "output");
    return false;
  }
  if (in->is_constant) {  // the graph output becomes a constant one (as constant folding does)
    g.remove_node(n);
    out->is_constant = true;
    out->data = in->data;
    out->info = in->info;
    return true;
  }
  ir::Node* p = in->producer;
  if (!p || p->dead) {
    if (why) *why = "its input '" + in->name + "' has no producer to write '" + out->name + "'";
    return false;
  }
  g.remove_node(n);
  for (ir::Value*& o : p->outputs)
    if (o == in) o = out;
  out->producer = p;
  in->producer = nullptr;
  if (out->info.shape.unknown_rank() || out->info.dtype == DataType::kUndefined)
    out->info = in->info;
  replace_uses(in, out);
  move_scale(g, in->name, out->name);
  return true;
}

std::string fresh_name(const ir::Graph& g, const std::string& base) {
  if (!g.find_value(base)) return base;
  for (int i = 1;; ++i) {
    std::string s = base + "_" + std::to_string(i);
    if (!g.find_value(s)) return s;
  }
}

Expected<ir::Value*> add_int64s(ir::Graph& g, const std::string& base,
                                const std::vector<std::int64_t>& v) {
  EDGERT_ASSIGN_OR_RETURN(
      Tensor t, Tensor::allocate(DataType::kInt64, Shape{static_cast<std::int64_t>(v.size())}));
  std::copy(v.begin(), v.end(), t.data<std::int64_t>());
  return g.add_constant(fresh_name(g, base), std::move(t));
}

Expected<ir::Value*> add_floats(ir::Graph& g, const std::string& base, const Shape& shape,
                                const std::vector<float>& v, float fill) {
  EDGERT_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(DataType::kFloat32, shape));
  float* d = t.data<float>();
  for (std::int64_t i = 0; i < t.numel(); ++i)
    d[i] = v.empty() ? fill : v[static_cast<std::size_t>(i)];
  return g.add_constant(fresh_name(g, base), std::move(t));
}

cpu::NodeInfo node_info(const std::string& op, const std::string& name, int opset) {
  cpu::NodeInfo info;
  info.op_type = op;
  info.name = name;
  info.opset = opset;
  return info;
}

bool ints_from_attr_or_input(const ir::Node& n, const char* name, std::size_t input,
                             std::vector<std::int64_t>& out, bool& present) {
  present = true;
  if (n.info.attrs.has(name)) {
    auto v = n.info.attrs.get_ints(name);
    if (!v) return false;
    out = *v;
    return true;
  }
  if (input < n.inputs.size() && n.inputs[input]) {
    const Tensor* t = constant(n.inputs[input]);
    if (!t || !is_integer(t->dtype())) return false;
    out.clear();
    for (std::int64_t i = 0; i < t->numel(); ++i) out.push_back(t->get_as_int64(i));
    return true;
  }
  present = false;
  out.clear();
  return true;
}

Status finish(ir::Graph& g) {
  g.compact();
  EDGERT_RETURN_IF_ERROR(g.topological_sort());
  return g.infer_shapes();
}

std::vector<std::string> names_of(const std::vector<ir::Node*>& nodes) {
  std::vector<std::string> s;
  for (const ir::Node* n : nodes) s.push_back(n->info.name);
  return s;
}

std::vector<std::string> origins_of(const std::vector<ir::Node*>& nodes) {
  std::vector<std::string> s;
  for (const ir::Node* n : nodes)
    for (auto& o : origin_names(*n)) s.push_back(o);
  return s;
}

}  // namespace edgert::passes::rw
