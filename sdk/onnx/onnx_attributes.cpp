// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// AttributeProto -> AttrMap.

#include "kernels/cpu/op_util.h"
#include "onnx/onnx_internal.h"

namespace edgert::onnx {
namespace {

using Attr = ::onnx::AttributeProto;

// Very old exporters leave `type` unset; the populated field tells the kind then.
int attr_type(const Attr& a) {
  if (a.type() != Attr::UNDEFINED) return a.type();
  if (a.has_f()) return Attr::FLOAT;
  if (a.has_i()) return Attr::INT;
  if (a.has_s()) return Attr::STRING;
  if (a.has_t()) return Attr::TENSOR;
  if (a.has_g()) return Attr::GRAPH;
  if (a.floats_size()) return Attr::FLOATS;
  if (a.ints_size()) return Attr::INTS;
  if (a.strings_size()) return Attr::STRINGS;
  if (a.graphs_size()) return Attr::GRAPHS;
  return Attr::UNDEFINED;
}

std::string attr_type_name(int t) {
  if (::onnx::AttributeProto_AttributeType_IsValid(t))
    return ::onnx::AttributeProto_AttributeType_Name(
        static_cast<::onnx::AttributeProto_AttributeType>(t));
  return "type " + std::to_string(t);
}

}  // namespace

Status convert_attributes(const ::onnx::NodeProto& proto, const std::string& base_dir,
                          cpu::NodeInfo& node) {
  for (const Attr& a : proto.attribute()) {
    const std::string& name = a.name();
    if (name.empty()) return cpu::invalid(node, "an attribute has no name");
    if (!a.ref_attr_name().empty())
      return cpu::unsupported(
          node, "attribute '" + name + "' refers to a function attribute (ref_attr_name)");
    int type = attr_type(a);
    switch (type) {
      case Attr::INT: node.attrs.set(name, static_cast<std::int64_t>(a.i())); break;
      case Attr::FLOAT: node.attrs.set(name, a.f()); break;
      case Attr::STRING: node.attrs.set(name, a.s()); break;
      case Attr::INTS:
        node.attrs.set(name, std::vector<std::int64_t>(a.ints().begin(), a.ints().end()));
        break;
      case Attr::FLOATS:
        node.attrs.set(name, std::vector<float>(a.floats().begin(), a.floats().end()));
        break;
      case Attr::STRINGS:
        node.attrs.set(name, std::vector<std::string>(a.strings().begin(), a.strings().end()));
        break;
      case Attr::TENSOR: {
        auto t = convert_tensor(a.t(), base_dir, "attribute '" + name + "'");
        if (!t) return t.status().with_context(node.describe());
        node.attrs.set(name, std::move(t).value());
        break;
      }
      default:
        return cpu::unsupported(
            node, "attribute '" + name + "' of type " + attr_type_name(type) + " is not supported");
    }
  }
  return Status();
}

}  // namespace edgert::onnx
