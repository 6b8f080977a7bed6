// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// ModelProto -> ir::Graph, and the file-level entry points of the importer.

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <climits>
#include <filesystem>
#include <fstream>
#include <new>
#include <set>

#include "ir/constant_folding.h"
#include "kernels/cpu/op_util.h"
#include "onnx/importer.h"
#include "onnx/onnx_internal.h"

namespace edgert::onnx {
namespace fs = std::filesystem;
namespace {

constexpr int kMinOpset = 7;
constexpr int kMaxOpset = 18;
// IR version 3 came with opset 7's era (ONNX 1.1); 8 is ONNX 1.12's, 9 is written by 1.13+
// for opsets we still accept.
constexpr std::int64_t kMinIrVersion = 3;
constexpr std::int64_t kMaxIrVersion = 9;

bool is_default_domain(const std::string& d) { return d.empty() || d == "ai.onnx"; }

// Reads a whole file into memory with clear errors for the usual mistakes.
Expected<std::string> read_file(const std::string& path, const char* what) {
  std::error_code ec;
  auto st = fs::status(path, ec);
  if (ec || !fs::exists(st)) return make_error(StatusCode::kNotFound, path + ": no such file");
  if (fs::is_directory(st))
    return make_error(StatusCode::kInvalidArgument, path + ": is a directory, expected " + what);
  if (!fs::is_regular_file(st))
    return make_error(StatusCode::kInvalidArgument, path + ": not a regular file");
  auto size = fs::file_size(path, ec);
  if (ec) return make_error(StatusCode::kIoError, path + ": cannot stat: " + ec.message());
  if (size == 0)
    return make_error(StatusCode::kParseError, path + ": empty file (0 bytes), not " + what);
  // Protobuf messages are limited to 2 GB; larger models must use external data.
  if (size > static_cast<std::uintmax_t>(INT_MAX))
    return make_error(StatusCode::kUnsupported,
                      path + ": " + std::to_string(size) +
                          " bytes exceeds the 2 GB protobuf limit (store weights as external "
                          "data)");
  try {
    std::string data(static_cast<std::size_t>(size), '\0');
    std::ifstream in(path, std::ios::binary);
    in.read(data.data(), static_cast<std::streamsize>(size));
    if (!in) return make_error(StatusCode::kIoError, path + ": read failed");
    return data;
  } catch (const std::bad_alloc&) {
    return make_error(StatusCode::kOutOfMemory,
                      path + ": cannot allocate " + std::to_string(size) + " bytes to read it");
  }
}

// Parses a protobuf message with the total-bytes limit raised to 2 GB (older protobuf defaults to
// 64 MB, which real models exceed).
template <typename Message>
Status parse_message(const void* data, std::size_t size, Message& msg, const std::string& label,
                     const char* what) {
  if (size > static_cast<std::size_t>(INT_MAX))
    return make_error(StatusCode::kUnsupported,
                      label + ": " + std::to_string(size) + " bytes exceeds the 2 GB limit");
  try {
    google::protobuf::io::ArrayInputStream raw(data, static_cast<int>(size));
    google::protobuf::io::CodedInputStream in(&raw);
    in.SetTotalBytesLimit(INT_MAX);
    if (!msg.ParseFromCodedStream(&in) || !in.ConsumedEntireMessage())
      return make_error(StatusCode::kParseError, label + ": not a valid " + what +
                                                     ": protobuf parse failed (" +
                                                     std::to_string(size) + " bytes)");
  } catch (const std::bad_alloc&) {
    return make_error(StatusCode::kOutOfMemory,
                      label + ": out of memory while parsing " + std::to_string(size) + " bytes");
  }
  return Status();
}

// ValueInfoProto's type -> TensorInfo. Unknown/symbolic dims stay unknown.
Expected<cpu::TensorInfo> convert_value_info(const ::onnx::ValueInfoProto& vi,
                                             const std::string& what) {
  cpu::TensorInfo info;
  if (!vi.has_type()) return info;
  if (!vi.type().has_tensor_type())
    return make_error(StatusCode::kUnsupported,
                      what + ": only tensor types are supported (not sequences, maps, optionals)");
  const auto& tt = vi.type().tensor_type();
  if (tt.elem_type() != 0) {
    info.dtype = convert_dtype(tt.elem_type());
    if (info.dtype == DataType::kUndefined)
      return make_error(
          StatusCode::kUnsupported,
          what + ": element type " + onnx_dtype_name(tt.elem_type()) + " is not supported");
  }
  if (tt.has_shape()) {
    std::vector<std::int64_t> dims;
    for (const auto& d : tt.shape().dim())
      dims.push_back(d.has_dim_value() && d.dim_value() >= 0 ? d.dim_value() : Shape::kUnknownDim);
    info.shape = Shape(dims);
  }
  return info;
}

Status apply_shape_override(ir::Value& v, const Shape& want) {
  const Shape& have = v.info.shape;
  if (!have.unknown_rank()) {
    bool ok = have.rank() == want.rank();
    for (std::size_t d = 0; ok && d < have.rank(); ++d)
      ok = have[d] < 0 || want[d] < 0 || have[d] == want[d];
    if (!ok)
      return make_error(StatusCode::kInvalidArgument,
                        "input '" + v.name + "': shape override " + want.to_string() +
                            " conflicts with the declared shape " + have.to_string());
  }
  v.info.shape = want;
  return Status();
}

// A Constant node becomes a constant value directly: it is an ONNX-level way of writing an
// initializer, and this keeps shape inference independent of the op table for it.
Status add_constant_node(ir::Graph& g, const ::onnx::NodeProto& np, const cpu::NodeInfo& info) {
  if (np.output_size() != 1 || np.output(0).empty())
    return cpu::invalid(info, "Constant must have exactly one output");
  const AttrMap& a = info.attrs;
  Tensor t;
  if (const Tensor* tv = a.get_tensor("value")) {
    t = *tv;
  } else if (a.has("value_float") || a.has("value_int")) {
    bool is_float = a.has("value_float");
    EDGERT_ASSIGN_OR_RETURN(
        t, Tensor::allocate(is_float ? DataType::kFloat32 : DataType::kInt64, Shape{}));
    if (is_float) {
      EDGERT_ASSIGN_OR_RETURN(t.data<float>()[0], a.get_float("value_float", 0.f));
    } else {
      EDGERT_ASSIGN_OR_RETURN(t.data<std::int64_t>()[0], a.get_int("value_int", 0));
    }
  } else if (a.has("value_floats")) {
    EDGERT_ASSIGN_OR_RETURN(auto v, a.get_floats("value_floats"));
    EDGERT_ASSIGN_OR_RETURN(
        t, Tensor::allocate(DataType::kFloat32, Shape{static_cast<std::int64_t>(v.size())}));
    std::copy(v.begin(), v.end(), t.data<float>());
  } else if (a.has("value_ints")) {
    EDGERT_ASSIGN_OR_RETURN(auto v, a.get_ints("value_ints"));
    EDGERT_ASSIGN_OR_RETURN(
        t, Tensor::allocate(DataType::kInt64, Shape{static_cast<std::int64_t>(v.size())}));
    std::copy(v.begin(), v.end(), t.data<std::int64_t>());
  } else {
    std::string have = a.size() ? a.to_string() : "none";
    return cpu::unsupported(info,
                            "Constant without a supported value attribute (has: " + have + ")");
  }
  auto added = g.add_constant(np.output(0), std::move(t));
  if (!added) return added.status().with_context(info.describe());
  return Status();
}

Status add_nodes(ir::Graph& g, const ::onnx::GraphProto& gp, const std::string& base_dir) {
  std::set<std::string> names;
  for (const auto& np : gp.node()) names.insert(np.name());
  for (int i = 0; i < gp.node_size(); ++i) {
    const auto& np = gp.node(i);
    cpu::NodeInfo info;
    info.op_type = np.op_type();
    info.opset = g.opset;
    info.index = i;
    info.name = np.name();
    if (info.name.empty()) {
      // Unique even if the model also has a node literally named like that.
      std::string base = np.op_type() + "_" + std::to_string(i);
      info.name = base;
      for (int k = 1; names.count(info.name); ++k) info.name = base + "_" + std::to_string(k);
      names.insert(info.name);
    }
    if (info.op_type.empty()) return cpu::invalid(info, "node has no op_type");
    if (!is_default_domain(np.domain()))
      return cpu::unsupported(
          info, "domain '" + np.domain() + "' is not supported (only the default ONNX domain is)");
    EDGERT_RETURN_IF_ERROR(convert_attributes(np, base_dir, info));
    if (info.op_type == "Constant") {
      EDGERT_RETURN_IF_ERROR(add_constant_node(g, np, info));
      continue;
    }
    std::vector<std::string> ins(np.input().begin(), np.input().end());
    std::vector<std::string> outs(np.output().begin(), np.output().end());
    auto n = g.add_node(std::move(info), "", ins, outs);
    if (!n) return n.status();
  }
  return Status();
}

Status build_graph(const ::onnx::ModelProto& model, const std::string& base_dir,
                   const ImportOptions& options, ir::Graph& g) {
  if (!model.has_graph())
    return make_error(StatusCode::kParseError, "not a valid ONNX model: it has no graph");
  if (model.ir_version() <= 0)
    return make_error(StatusCode::kParseError, "not a valid ONNX model: ir_version is missing");
  if (model.ir_version() < kMinIrVersion || model.ir_version() > kMaxIrVersion)
    return make_error(StatusCode::kUnsupported, "ir_version " + std::to_string(model.ir_version()) +
                                                    " is not supported (" +
                                                    std::to_string(kMinIrVersion) + ".." +
                                                    std::to_string(kMaxIrVersion) + ")");
  int opset = -1;
  for (const auto& op : model.opset_import())
    if (is_default_domain(op.domain())) opset = static_cast<int>(op.version());
  if (opset < 0) {
    // Models of only other domains (ai.onnx.preview.training, ai.onnx.ml) are well-formed, just
    // outside what EdgeRT runs.
    std::string others;
    for (const auto& op : model.opset_import())
      others += (others.empty() ? "'" : ", '") + op.domain() + "'";
    if (!others.empty())
      return make_error(StatusCode::kUnsupported, "the model imports only the domains " + others +
                                                      ", not the default ONNX domain");
    return make_error(StatusCode::kInvalidArgument,
                      "opset_import has no entry for the default ONNX domain");
  }
  if (opset < kMinOpset || opset > kMaxOpset)
    return make_error(StatusCode::kUnsupported,
                      "opset " + std::to_string(opset) + " is not supported (supported: " +
                          std::to_string(kMinOpset) + ".." + std::to_string(kMaxOpset) + ")");
  const auto& gp = model.graph();
  g.name = gp.name();
  g.opset = opset;
  g.producer = model.producer_name();
  if (!model.producer_version().empty()) g.producer += " " + model.producer_version();
  for (const auto& prop : model.metadata_props()) g.metadata[prop.key()] = prop.value();
  if (gp.node_size() == 0 && gp.output_size() == 0)
    return make_error(StatusCode::kInvalidArgument,
                      "graph '" + gp.name() + "' is empty (no nodes, no outputs)");
  if (gp.output_size() == 0)
    return make_error(StatusCode::kInvalidArgument, "graph '" + gp.name() + "' has no outputs");
  if (gp.sparse_initializer_size() > 0)
    return make_error(
        StatusCode::kUnsupported,
        "sparse initializer '" + gp.sparse_initializer(0).values().name() + "' is not supported");

  std::set<std::string> initializers;
  for (int i = 0; i < gp.initializer_size(); ++i) {
    const auto& tp = gp.initializer(i);
    if (tp.name().empty())
      return make_error(StatusCode::kInvalidArgument,
                        "initializer #" + std::to_string(i) + " has no name");
    std::string what = "initializer '" + tp.name() + "'";
    EDGERT_ASSIGN_OR_RETURN(Tensor t, convert_tensor(tp, base_dir, what));
    auto v = g.add_constant(tp.name(), std::move(t));
    if (!v) return v.status();
    initializers.insert(tp.name());
  }

  std::set<std::string> overridden;
  for (const auto& vi : gp.input()) {
    // Before IR 4 initializers had to be listed as inputs too; they are constants here.
    if (initializers.count(vi.name())) continue;
    if (vi.name().empty())
      return make_error(StatusCode::kInvalidArgument, "a graph input has no name");
    ir::Value* v = g.get_or_add_value(vi.name());
    if (v->is_graph_input)
      return make_error(StatusCode::kInvalidArgument,
                        "graph input '" + vi.name() + "' listed twice");
    EDGERT_ASSIGN_OR_RETURN(v->info, convert_value_info(vi, "graph input '" + vi.name() + "'"));
    v->is_graph_input = true;
    g.inputs().push_back(v);
    auto it = options.input_shapes.find(vi.name());
    if (it != options.input_shapes.end()) {
      EDGERT_RETURN_IF_ERROR(apply_shape_override(*v, it->second));
      overridden.insert(vi.name());
    }
  }
  for (const auto& [name, shape] : options.input_shapes) {
    if (overridden.count(name)) continue;
    std::string have;
    for (const ir::Value* v : g.inputs()) have += (have.empty() ? "" : ", ") + v->name;
    return make_error(
        StatusCode::kInvalidArgument,
        "shape override for '" + name + "': no graph input of that name (inputs: " + have + ")");
  }

  EDGERT_RETURN_IF_ERROR(add_nodes(g, gp, base_dir));

  // value_info is advisory: entries of types we do not handle are ignored rather than fatal, since
  // they only matter if a node actually computes in that type (which then fails on its own).
  for (const auto& vi : gp.value_info()) {
    ir::Value* v = g.find_value(vi.name());
    if (!v || v->is_constant || v->is_graph_input) continue;
    auto info = convert_value_info(vi, "value_info '" + vi.name() + "'");
    if (info) v->info = std::move(info).value();
  }
  for (const auto& vi : gp.output()) {
    if (vi.name().empty())
      return make_error(StatusCode::kInvalidArgument, "a graph output has no name");
    ir::Value* v = g.get_or_add_value(vi.name());
    if (v->is_graph_output)
      return make_error(StatusCode::kInvalidArgument,
                        "graph output '" + vi.name() + "' listed twice");
    if (!v->is_constant) {
      EDGERT_ASSIGN_OR_RETURN(cpu::TensorInfo info,
                              convert_value_info(vi, "graph output '" + vi.name() + "'"));
      if (info.dtype != DataType::kUndefined) v->info.dtype = info.dtype;
      if (!info.shape.unknown_rank()) v->info.shape = info.shape;
    }
    v->is_graph_output = true;
    g.outputs().push_back(v);
  }

  EDGERT_RETURN_IF_ERROR(g.topological_sort());
  EDGERT_RETURN_IF_ERROR(g.infer_shapes());
  if (options.fold_constants) EDGERT_RETURN_IF_ERROR(ir::fold_constants(g));
  return Status();
}

}  // namespace

Expected<std::unique_ptr<ir::Graph>> import_model_from_memory(const void* data, std::size_t size,
                                                              const std::string& base_dir,
                                                              const std::string& label,
                                                              const ImportOptions& options) {
  if (size == 0 || data == nullptr)
    return make_error(StatusCode::kParseError,
                      label + ": empty input (0 bytes), not an ONNX model");
  ::onnx::ModelProto model;
  EDGERT_RETURN_IF_ERROR(parse_message(data, size, model, label, "ONNX model"));
  try {
    auto g = std::make_unique<ir::Graph>();
    Status st = build_graph(model, base_dir, options, *g);
    if (!st.ok()) return st.with_context(label);
    return g;
  } catch (const std::bad_alloc&) {
    return make_error(StatusCode::kOutOfMemory, label + ": out of memory while importing");
  }
}

Expected<std::unique_ptr<ir::Graph>> import_model(const std::string& path,
                                                  const ImportOptions& options) {
  EDGERT_ASSIGN_OR_RETURN(std::string bytes, read_file(path, "an ONNX model file"));
  std::string dir = fs::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  return import_model_from_memory(bytes.data(), bytes.size(), dir, path, options);
}

Expected<Tensor> read_tensor_file(const std::string& path, std::string* name) {
  EDGERT_ASSIGN_OR_RETURN(std::string bytes, read_file(path, "a TensorProto file"));
  ::onnx::TensorProto proto;
  EDGERT_RETURN_IF_ERROR(parse_message(bytes.data(), bytes.size(), proto, path, "TensorProto"));
  std::string dir = fs::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  std::string what = "tensor '" + proto.name() + "'";
  auto t = convert_tensor(proto, dir, what);
  if (!t) return t.status().with_context(path);
  if (name) *name = proto.name();
  return t;
}

}  // namespace edgert::onnx
