// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Small helpers shared by the nn family's kernel tests (test_conv/pool/gemm/norm.cpp).

#include <string>
#include <vector>

#include "kernels/cpu/op_def.h"

namespace edgert::test::nn {

inline cpu::NodeInfo make_node(const std::string& op, int opset = 17) {
  cpu::NodeInfo n;
  n.op_type = op;
  n.name = "t_" + op;
  n.opset = opset;
  return n;
}

/// Runs `node` and returns its status; the outputs land in `out`.
inline Status run(const cpu::NodeInfo& node, const std::vector<const Tensor*>& inputs,
                  std::vector<Tensor>& out, std::size_t num_outputs = 1) {
  return cpu::run_node(node, inputs, out, num_outputs);
}

/// Static shape inference from input types/shapes only (no values), as the graph runs it.
inline Status infer(const cpu::NodeInfo& node, const std::vector<cpu::TensorInfo>& inputs,
                    std::vector<cpu::TensorInfo>& outputs, std::size_t num_outputs = 1) {
  const cpu::OpDef* def = cpu::find_op(node.op_type);
  if (!def) return Status(StatusCode::kNotFound, node.op_type);
  cpu::InferContext ctx{node,
                        inputs,
                        std::vector<bool>(inputs.size(), true),
                        std::vector<const Tensor*>(inputs.size(), nullptr),
                        {}};
  for (std::size_t i = 0; i < inputs.size(); ++i)
    ctx.present[i] = inputs[i].dtype != DataType::kUndefined;
  ctx.outputs.resize(num_outputs);
  Status st = def->infer(ctx);
  outputs = ctx.outputs;
  return st;
}

inline std::string dims_str(const std::vector<std::int64_t>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

}  // namespace edgert::test::nn
