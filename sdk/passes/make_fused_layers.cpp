// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Pass make_fused_layers: every 2-D Conv with constant weights becomes a FusedConv, every Gemm
// with a constant B and every MatMul with a constant 2-D right side a FusedGemm (domain "edgert").
// The later fusion passes only extend these layers. The node keeps its name, inputs, outputs and
// attributes (FusedConv takes Conv's; a MatMul is a FusedGemm with the Gemm defaults), and its
// `fused` list names the original nodes.

#include "passes/conv_fusion.h"

namespace edgert::passes {
namespace {

constexpr const char* kDomain = "edgert";

/// Why `n` does not become a fused layer ("" when it does).
std::string layer_problem(const ir::Node& n) {
  const std::string& op = n.info.op_type;
  const ir::Value* w = n.inputs.size() > 1 ? n.inputs[1] : nullptr;
  if (!w || !w->is_constant) return "its weights are not constant";
  if (w->data.dtype() != DataType::kFloat32) return "its weights are not float32";
  if (op == "Conv") {
    if (w->data.shape().rank() != 4)
      return std::to_string(static_cast<int>(w->data.shape().rank()) - 2) +
             "-D convolution (only 2-D convs become FusedConv)";
    return {};
  }
  if (w->data.shape().rank() != 2) return "B is not 2-D";
  if (op == "MatMul") {
    const Shape& as = n.inputs[0]->info.shape;
    if (as.unknown_rank()) return "the rank of A is unknown";
    if (as.rank() < 2) return "A is 1-D";
  }
  return {};
}

}  // namespace

Status make_fused_layers(ir::Graph& g, PassContext& ctx) {
  bool changed = false;
  for (ir::Node* n : g.nodes()) {
    const std::string op = n->info.op_type;
    if (n->dead || (op != "Conv" && op != "Gemm" && op != "MatMul")) continue;
    const std::string target = op == "Conv" ? "FusedConv" : "FusedGemm";
    const std::string reason = layer_problem(*n);
    if (!reason.empty()) {
      ctx.log.not_fused(op == "Conv" ? "conv layer" : "gemm layer", {n->info.name},
                        op + " stays (" + reason + ")");
      continue;
    }
    n->fused = origin_names(*n);
    n->info.op_type = target;
    n->domain = kDomain;
    ctx.log.note("Layer " + n->info.name + ": " + op + " -> " + target);
    changed = true;
  }
  return changed ? finish_pass(g) : Status::ok_status();
}

}  // namespace edgert::passes
