// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "kernels/cpu/op_def.h"

#include "kernels/cpu/op_util.h"

namespace edgert::cpu {

std::string NodeInfo::describe() const {
  std::string s = "node '" + name + "' (";
  if (index >= 0) s += "#" + std::to_string(index) + ", ";
  s += op_type + ", opset " + std::to_string(opset) + ")";
  return s;
}

namespace {

InferContext infer_context(const NodeInfo& node, const std::vector<const Tensor*>& inputs,
                           std::size_t num_outputs) {
  InferContext ictx{node, {}, {}, {}, {}};
  for (const Tensor* t : inputs) {
    ictx.inputs.push_back(t ? TensorInfo{t->dtype(), t->shape()} : TensorInfo{});
    ictx.present.push_back(t != nullptr);
    ictx.values.push_back(t);
  }
  ictx.outputs.resize(num_outputs);
  return ictx;
}

}  // namespace

bool shapes_depend_on_values(const InferContext& ictx) {
  for (const TensorInfo& o : ictx.outputs)
    if (o.dtype != DataType::kUndefined && !o.shape.is_static()) return true;
  return false;
}

Status check_output_shapes(const OpDef& op, const NodeInfo& node,
                           const std::vector<const Tensor*>& inputs,
                           const std::vector<Tensor*>& outputs) {
  InferContext ictx = infer_context(node, inputs, outputs.size());
  EDGERT_RETURN_IF_ERROR(op.infer(ictx));
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    if (!outputs[i] || ictx.outputs[i].dtype == DataType::kUndefined) continue;
    if (ictx.outputs[i].shape != outputs[i]->shape())
      return node_error(node, StatusCode::kInvalidArgument,
                        "output " + std::to_string(i) + " depends on input values: these inputs " +
                            "give shape " + ictx.outputs[i].shape.to_string() +
                            ", the engine was built for " + outputs[i]->shape().to_string() +
                            " (rebuild with these input values)");
  }
  return {};
}

Status run_node(const NodeInfo& node, const std::vector<const Tensor*>& inputs,
                std::vector<Tensor>& outputs, std::size_t num_outputs) {
  const OpDef* def = find_op(node.op_type);
  if (!def) return unsupported(node, "no CPU implementation of op type '" + node.op_type + "'");
  std::size_t n_in = inputs.size();
  while (n_in > 0 && inputs[n_in - 1] == nullptr) --n_in;  // trailing omitted optionals
  if (static_cast<int>(n_in) < def->min_inputs || static_cast<int>(n_in) > def->max_inputs)
    return invalid(node, "takes " + std::to_string(def->min_inputs) + " to " +
                             std::to_string(def->max_inputs) + " inputs, got " +
                             std::to_string(n_in));

  InferContext ictx = infer_context(node, inputs, num_outputs);
  EDGERT_RETURN_IF_ERROR(def->infer(ictx));

  outputs.clear();
  outputs.resize(num_outputs);
  ComputeContext cctx{node, inputs, {}};
  for (std::size_t i = 0; i < num_outputs; ++i) {
    const TensorInfo& oi = ictx.outputs[i];
    if (oi.dtype == DataType::kUndefined) {  // optional output the op does not produce
      cctx.outputs.push_back(nullptr);
      continue;
    }
    if (!oi.shape.is_static())
      return node_error(node, StatusCode::kInternal,
                        "output " + std::to_string(i) + " shape " + oi.shape.to_string() +
                            " not static with all inputs known");
    auto t = Tensor::allocate(oi.dtype, oi.shape);
    if (!t) return t.status().with_context(node.describe());
    outputs[i] = std::move(t).value();
    cctx.outputs.push_back(&outputs[i]);
  }
  return def->compute(cctx);
}

}  // namespace edgert::cpu
