// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Precision assignment and lowering: which precision each layer runs in (assign_precision), and
// the rewrite that makes the graph compute it (lower_precision): int8 layers become ConvInt8 /
// GemmInt8 with quantized weights, fp16 layers get fp16-rounded weights and round their outputs.
// The modes, the heuristics and the int8 error bounds are described in docs/precision.md.

#include <map>
#include <string>

#include "edgert/status.h"
#include "edgert/types.h"
#include "ir/build_log.h"
#include "ir/graph.h"

namespace edgert::builder {

struct PrecisionConfig {
  /// The precision requested for the weighted layers (convolutions, GEMMs); every other op runs
  /// in fp32 on the CPU target.
  Precision mode = Precision::kFP32;
  /// --best: each weighted layer in the lowest precision it supports on the CPU target: int8
  /// where possible, else fp32 (fp16 is emulated on the CPU and gives no speed). `mode` is ignored.
  bool best = false;
  /// --layer-precisions: per-layer overrides by node name, or by the name of any original model
  /// node fused into the layer (Node::fused). They win over the mode and the tail heuristic. A
  /// name that matches no layer is an error.
  std::map<std::string, Precision> layer_precisions;
  /// Obey strictly: an int8/fp16 request (mode or override) that a layer cannot honour is an
  /// error instead of a logged fallback, and the tail heuristic is off (int8 is forced).
  bool force = false;
  /// Noise reduction: the last N weighted layers before the graph outputs (e.g. the classifier
  /// Gemm) stay in `fallback` instead of int8 (0 turns it off). See docs/precision.md.
  int high_precision_tail = 1;
  /// Where int8 is requested but not possible (no activation scale, non-constant weights) or the
  /// tail heuristic applies: fp32 by default; fp16 for targets where fp16 is fast.
  Precision fallback = Precision::kFP32;
};

/// Sets Node::precision of every live node, logging each decision that departs from the request
/// (with its reason) and one summary line. Errors: an override naming no layer (the message lists
/// the closest names), conflicting overrides on one layer, and, with `force`, a request that
/// cannot be honoured.
Status assign_precision(ir::Graph& g, const PrecisionConfig& cfg, ir::BuildLog& log);

/// Rewrites the graph for the assigned precisions:
/// - int8 FusedConv / Conv -> ConvInt8 (weights int8, symmetric per output channel; the weight
///   Value's weight_scales, from explicit Q/DQ, are used as they are so that the model's own int8
///   values are reproduced), int8 FusedGemm / Gemm -> GemmInt8 (per output column of B);
/// - a tensor produced by an int8 layer whose every consumer is an int8 layer reading it as X (or
///   as the residual Z) flows in int8 (producer y_scale = its activation scale); other tensors
///   stay float32;
/// - fp16 FusedConv / FusedGemm (plain Conv / Gemm become those) get fp16-rounded weights and
///   round_fp16 = 1.
/// Leaves the graph sorted, compacted and shape-inferred.
/// `emulate_fp16`: the CPU target's fp16 (weights and outputs rounded in float32 layers); the
/// CUDA target passes false and gets real float16 layers from lower_for_cuda instead.
Status lower_precision(ir::Graph& g, ir::BuildLog& log, bool emulate_fp16 = true);

/// The layers precision assignment chooses for: Conv, Gemm, FusedConv, FusedGemm.
bool is_weighted_layer(const ir::Node& n);

/// Empty when `n` can run in int8 on the CPU target, else why not ("no scale for tensor 'x'").
std::string int8_blocker(const ir::Graph& g, const ir::Node& n);

}  // namespace edgert::builder
