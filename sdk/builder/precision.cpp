// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Precision assignment (the lowering is in precision_lower.cpp).

#include "builder/precision.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <unordered_map>

#include "kernels/cpu/gemm_int8.h"
#include "passes/pass.h"

namespace edgert::builder {
namespace {

bool is_conv(const ir::Node& n) {
  return n.info.op_type == "Conv" || n.info.op_type == "FusedConv";
}

/// Edit distance, for "did you mean" lists.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string closest_names(const std::string& name, const std::set<std::string>& known) {
  std::vector<std::pair<std::size_t, std::string>> ranked;
  for (const auto& k : known) ranked.emplace_back(edit_distance(name, k), k);
  std::sort(ranked.begin(), ranked.end());
  std::string s;
  for (std::size_t i = 0; i < ranked.size() && i < 3; ++i)
    s += (i ? ", '" : "'") + ranked[i].second + "'";
  return s.empty() ? "(the graph has no named layers)" : s;
}

std::string layer_label(const ir::Node& n) { return n.info.name + " (" + n.info.op_type + ")"; }

/// How many weighted layers lie between each weighted layer and the nearest graph output, itself
/// included (1: its result reaches an output through no other weighted layer).
std::unordered_map<const ir::Node*, int> tail_ranks(const ir::Graph& g) {
  constexpr int kFar = std::numeric_limits<int>::max();
  std::unordered_map<const ir::Value*, int> dist;
  for (const ir::Value* v : g.outputs()) dist[v] = 0;
  std::unordered_map<const ir::Node*, int> rank;
  const auto& nodes = g.nodes();
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
    const ir::Node* n = *it;
    if (n->dead) continue;
    int d = kFar;
    for (const ir::Value* o : n->outputs)
      if (o)
        if (auto f = dist.find(o); f != dist.end()) d = std::min(d, f->second);
    if (d == kFar) continue;  // reaches no output
    const bool weighted = is_weighted_layer(*n);
    if (weighted) rank[n] = d + 1;
    const int din = weighted ? d + 1 : d;
    for (const ir::Value* in : n->inputs) {
      if (!in || in->is_constant) continue;
      auto [f, inserted] = dist.emplace(in, din);
      if (!inserted) f->second = std::min(f->second, din);
    }
  }
  return rank;
}

/// The override that applies to `n` (by its name or an origin name); error on a conflict.
Expected<const Precision*> find_override(const ir::Node& n, const PrecisionConfig& cfg,
                                         std::string* matched) {
  const Precision* found = nullptr;
  std::vector<std::string> names = passes::origin_names(n);
  if (std::find(names.begin(), names.end(), n.info.name) == names.end())
    names.push_back(n.info.name);
  for (const auto& name : names) {
    auto it = cfg.layer_precisions.find(name);
    if (it == cfg.layer_precisions.end()) continue;
    if (found && *found != it->second)
      return make_error(StatusCode::kInvalidArgument,
                        "conflicting layer precisions for layer " + layer_label(n) + ": '" +
                            *matched + "' is " + precision_name(*found) + " but '" + name +
                            "' is " + precision_name(it->second));
    found = &it->second;
    *matched = name;
  }
  return found;
}

}  // namespace

bool is_weighted_layer(const ir::Node& n) {
  const std::string& t = n.info.op_type;
  return t == "Conv" || t == "FusedConv" || t == "Gemm" || t == "FusedGemm";
}

std::string int8_blocker(const ir::Graph& g, const ir::Node& n) {
  if (!is_weighted_layer(n)) return "op " + n.info.op_type + " has no int8 kernel";
  const ir::Value* x = n.inputs.empty() ? nullptr : n.inputs[0];
  const ir::Value* w = n.inputs.size() > 1 ? n.inputs[1] : nullptr;
  if (!x || !w) return "missing inputs";
  if (!w->is_constant)
    return std::string(is_conv(n) ? "weights" : "B") + " '" + w->name + "' are not constant";
  if (x->info.dtype != DataType::kFloat32 && x->info.dtype != DataType::kUndefined)
    return std::string("input '") + x->name + "' is " + dtype_name(x->info.dtype);
  auto s = g.activation_scales.find(x->name);
  if (s == g.activation_scales.end()) return "no scale for tensor '" + x->name + "'";
  if (!(s->second > 0.f) || !std::isfinite(s->second))
    return "the scale of tensor '" + x->name + "' is not positive";
  const Tensor& wt = w->data;
  if (wt.dtype() != DataType::kFloat32 &&
      !(wt.dtype() == DataType::kInt8 && !w->weight_scales.empty()))
    return std::string("weights of type ") + dtype_name(wt.dtype());
  const Shape& ws = wt.shape();
  std::int64_t k = 0;
  if (is_conv(n)) {
    if (ws.rank() < 3 || ws.rank() > 5) return "weights of rank " + std::to_string(ws.rank());
    k = ws.numel() / std::max<std::int64_t>(1, ws[0]);
  } else {
    if (ws.rank() != 2) return "B of rank " + std::to_string(ws.rank());
    auto tb = n.info.attrs.get_int("transB", 0);
    k = ws[tb.ok() && *tb ? 1 : 0];
  }
  if (k > cpu::kGemmInt8MaxK)
    return "reduction length " + std::to_string(k) + " could overflow int32 accumulators";
  return {};
}

Status assign_precision(ir::Graph& g, const PrecisionConfig& cfg, ir::BuildLog& log) {
  // Every override must name a layer.
  std::set<std::string> known;
  for (const ir::Node* n : g.nodes()) {
    if (n->dead) continue;
    known.insert(n->info.name);
    for (const auto& f : n->fused) known.insert(f);
  }
  for (const auto& [name, p] : cfg.layer_precisions)
    if (!known.count(name))
      return make_error(StatusCode::kInvalidArgument, "layer precision for '" + name +
                                                          "': no layer of that name (closest: " +
                                                          closest_names(name, known) + ")");

  const bool wants_int8 = cfg.best || cfg.mode == Precision::kINT8;
  const auto ranks = tail_ranks(g);
  std::map<std::string, int> fp32_ops;  // op type -> count of unweighted layers kept in fp32
  int counts[3] = {0, 0, 0};
  for (ir::Node* n : g.nodes()) {
    if (n->dead) continue;
    std::string matched;
    EDGERT_ASSIGN_OR_RETURN(const Precision* over, find_override(*n, cfg, &matched));
    const bool weighted = is_weighted_layer(*n);
    Precision want = Precision::kFP32;
    if (over) {
      want = *over;
    } else if (weighted) {
      want = cfg.best ? Precision::kINT8 : cfg.mode;
    }
    Precision got = want;
    if (!weighted && want != Precision::kFP32) {
      const std::string why = std::string("Layer ") + layer_label(*n) + ": " +
                              precision_name(want) + " requested (by '" + matched +
                              "') but the op has no " + precision_name(want) +
                              " kernel on the CPU target; runs in fp32";
      if (cfg.force) return make_error(StatusCode::kUnsupported, why);
      log.note(why);
      got = Precision::kFP32;
    } else if (!weighted && (wants_int8 || cfg.mode == Precision::kFP16)) {
      ++fp32_ops[n->info.op_type];
    }
    if (weighted && want == Precision::kINT8) {
      const std::string blocker = int8_blocker(g, *n);
      auto rank = ranks.find(n);
      const bool tail =
          !over && !cfg.force && rank != ranks.end() && rank->second <= cfg.high_precision_tail;
      const Precision fallback = cfg.best ? Precision::kFP32 : cfg.fallback;
      if (!blocker.empty()) {
        const std::string why = "Layer " + layer_label(*n) + " cannot run in int8: " + blocker;
        if (cfg.force) return make_error(StatusCode::kUnsupported, why);
        log.note(why + "; runs in " + precision_name(fallback));
        got = fallback;
      } else if (tail) {
        log.note("Layer " + layer_label(*n) + " kept in " + precision_name(fallback) +
                 ": one of the last " + std::to_string(cfg.high_precision_tail) +
                 " weighted layer(s) before the outputs (noise reduction; force int8 with "
                 "--layer-precisions or force)");
        got = fallback;
      }
    }
    if (over && got == want && want != (cfg.best ? Precision::kINT8 : cfg.mode) && weighted)
      log.note("Layer " + layer_label(*n) + ": " + precision_name(got) + " (override '" + matched +
               "')");
    n->precision = got;
    ++counts[static_cast<int>(got)];
  }
  std::string summary = std::string("Precision (") +
                        (cfg.best ? "best" : precision_name(cfg.mode)) +
                        "): " + std::to_string(counts[2]) + " int8, " + std::to_string(counts[1]) +
                        " fp16, " + std::to_string(counts[0]) + " fp32 layers";
  if (!fp32_ops.empty()) {
    summary += "; layers without a low-precision kernel on the CPU target run in fp32:";
    for (const auto& [op, c] : fp32_ops) summary += " " + op + " x" + std::to_string(c);
  }
  log.note(summary);
  return {};
}

}  // namespace edgert::builder
