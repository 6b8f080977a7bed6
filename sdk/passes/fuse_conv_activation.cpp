// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Pass fuse_conv_activation: FusedConv / FusedGemm + activation. The single reader of a layer's
// output being Relu, Clip (constant bounds: Relu6 and friends), LeakyRelu, Sigmoid, HardSigmoid,
// HardSwish, Tanh, SiLU or Gelu (the last two recognized by recognize_patterns) becomes the
// layer's `activation` with its parameters in `activation_alpha`/`activation_beta`. The layer must
// not have an activation or a max pool already (the epilogue order is residual, act, pool).

#include "passes/conv_fusion.h"

namespace edgert::passes {

Status fuse_conv_activation(ir::Graph& g, PassContext& ctx) {
  bool changed = false;
  const std::vector<ir::Node*> nodes = g.nodes();
  for (ir::Node* act : nodes) {
    if (act->dead || !is_fusable_activation(act->info.op_type) || act->inputs.empty() ||
        !act->inputs[0])
      continue;
    ir::Node* layer = act->inputs[0]->producer;
    if (!layer) continue;
    const std::string& op = layer->info.op_type;
    if (op != "FusedConv" && op != "FusedGemm") continue;
    changed |= try_fuse_activation(g, ctx, *layer, *act,
                                   op == "FusedConv" ? "conv+activation" : "gemm+activation");
  }
  return changed ? finish_pass(g) : Status::ok_status();
}

}  // namespace edgert::passes
