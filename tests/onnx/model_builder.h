// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Builds small ONNX models with the protobuf API for the importer tests (no python needed), and
// writes them under the build's test data directory.

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace edgert::test {

inline ::onnx::ModelProto make_model(int opset = 13, const std::string& domain = "") {
  ::onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("edgert-test");
  m.set_producer_version("1");
  auto* op = m.add_opset_import();
  op->set_domain(domain);
  op->set_version(opset);
  m.mutable_graph()->set_name("g");
  return m;
}

inline void set_value_info(::onnx::ValueInfoProto* vi, const std::string& name, int elem_type,
                           const std::vector<std::int64_t>& dims, bool has_shape = true) {
  vi->set_name(name);
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(elem_type);
  if (!has_shape) return;
  auto* shape = tt->mutable_shape();
  for (auto d : dims) {
    auto* dim = shape->add_dim();
    if (d >= 0) {
      dim->set_dim_value(d);
    } else {
      dim->set_dim_param("N");
    }
  }
}

inline void add_input(::onnx::GraphProto* g, const std::string& name,
                      const std::vector<std::int64_t>& dims, int elem_type = 1) {
  set_value_info(g->add_input(), name, elem_type, dims);
}

inline void add_output(::onnx::GraphProto* g, const std::string& name, int elem_type = 0,
                       const std::vector<std::int64_t>& dims = {}, bool has_shape = false) {
  auto* vi = g->add_output();
  if (elem_type == 0 && !has_shape) {
    vi->set_name(name);
    return;
  }
  set_value_info(vi, name, elem_type, dims, has_shape);
}

inline ::onnx::NodeProto* add_node(::onnx::GraphProto* g, const std::string& op,
                                   const std::string& name, const std::vector<std::string>& ins,
                                   const std::vector<std::string>& outs) {
  auto* n = g->add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (const auto& i : ins) n->add_input(i);
  for (const auto& o : outs) n->add_output(o);
  return n;
}

inline ::onnx::TensorProto* add_initializer(::onnx::GraphProto* g, const std::string& name,
                                            int elem_type, const std::vector<std::int64_t>& dims) {
  auto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(elem_type);
  for (auto d : dims) t->add_dims(d);
  return t;
}

/// A fresh directory for one test: <build>/test_data/importer/<name>.
inline std::string test_dir(const std::string& name) {
  namespace fs = std::filesystem;
  fs::path p = fs::path(EDGERT_TEST_DATA_DIR) / "importer" / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// Serializes `m` to <dir>/<file> and returns the path.
inline std::string save_model(const ::onnx::ModelProto& m, const std::string& dir,
                              const std::string& file = "model.onnx") {
  std::string path = dir + "/" + file;
  write_bytes(path, m.SerializeAsString());
  return path;
}

}  // namespace edgert::test
