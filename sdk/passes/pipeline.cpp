// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The order of the optimization passes, in one place.

#include "ir/constant_folding.h"
#include "passes/pass.h"

namespace edgert::passes {

const std::vector<PassInfo>& pipeline() {
  static const std::vector<PassInfo> kPasses = {
      {"eliminate_noops", eliminate_noops},  // eliminate_noops.cpp: Identity, Dropout (inference)
                                             // and no-op Reshape/Transpose/Cast/Pad removed
      {"fold_qdq", fold_qdq},  // fold_qdq.cpp: explicit quantization: Q/DQ pairs become per-tensor
                               // scales, DQ'd weights int8 + scales
      {"collapse_reshapes",
       collapse_reshapes},  // collapse_reshapes.cpp: Reshape/Flatten/Squeeze/Unsqueeze chains into
                            // one Reshape; Transpose chains composed
      {"recognize_patterns",
       recognize_patterns},  // recognize_patterns.cpp: ReduceMean over HW as GlobalAveragePool;
                             // Gelu, LayerNorm and x*sigmoid(x) subgraphs
      {"fold_batchnorm", fold_batchnorm},  // fold_batchnorm.cpp: BatchNormalization folded into the
                                           // preceding Conv/Gemm
      {"fold_scale", fold_scale},  // fold_scale.cpp: per-channel Mul/Add after a Conv folded into
                                   // its weights/bias
      {"fold_pad",
       fold_pad},  // fold_pad.cpp: zero Pad over spatial dims folded into the following Conv's pads
      {"make_fused_layers",
       make_fused_layers},  // make_fused_layers.cpp: every Conv becomes FusedConv, every
                            // Gemm/MatMul with constant weights FusedGemm
      {"fuse_conv_add", fuse_conv_add},  // fuse_conv_add.cpp: FusedConv + residual Add
      {"fuse_conv_activation",
       fuse_conv_activation},                    // fuse_conv_activation.cpp: FusedConv + activation
      {"fuse_conv_maxpool", fuse_conv_maxpool},  // fuse_conv_maxpool.cpp: FusedConv + MaxPool
      {"fuse_gemm", fuse_gemm},                  // fuse_gemm.cpp: FusedGemm + bias Add + activation
      {"fuse_softmax_topk", fuse_softmax_topk},  // fuse_softmax_topk.cpp: Softmax + TopK/ArgMax
      {"fuse_pointwise",
       fuse_pointwise},  // fuse_pointwise.cpp: chains of pointwise ops into one Pointwise layer
  };
  return kPasses;
}

Status optimize(ir::Graph& g, PassContext& ctx) {
  EDGERT_RETURN_IF_ERROR(ir::fold_constants(g));
  for (const auto& p : pipeline()) {
    Status s = p.run(g, ctx);
    if (!s.ok()) return Status(s.code(), std::string("pass ") + p.name + ": " + s.message());
  }
  EDGERT_RETURN_IF_ERROR(ir::fold_constants(g));
  g.compact();
  return g.topological_sort();
}

std::vector<std::string> origin_names(const ir::Node& n) {
  if (!n.fused.empty()) return n.fused;
  return {n.info.name};
}

std::string precision_conflict(const PassContext& ctx, const ir::Node& a, const ir::Node& b) {
  const Precision* pa = nullptr;
  const Precision* pb = nullptr;
  for (const auto& name : origin_names(a))
    if (auto it = ctx.layer_precisions.find(name); it != ctx.layer_precisions.end())
      pa = &it->second;
  for (const auto& name : origin_names(b))
    if (auto it = ctx.layer_precisions.find(name); it != ctx.layer_precisions.end())
      pb = &it->second;
  if (pa && pb && *pa != *pb)
    return std::string("different precision (") + precision_name(*pa) + " vs " +
           precision_name(*pb) + ")";
  return {};
}

}  // namespace edgert::passes
