// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "kernels/cpu/nn_common.h"

namespace edgert::cpu {
namespace {

std::string join(const std::vector<std::int64_t>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

}  // namespace

Expected<WindowAttrs> parse_window_attrs(const NodeInfo& node, const std::string& prefix) {
  WindowAttrs w;
  EDGERT_ASSIGN_OR_RETURN(w.kernel_shape, node.attrs.get_ints(prefix + "kernel_shape"));
  EDGERT_ASSIGN_OR_RETURN(w.strides, node.attrs.get_ints(prefix + "strides"));
  EDGERT_ASSIGN_OR_RETURN(w.dilations, node.attrs.get_ints(prefix + "dilations"));
  EDGERT_ASSIGN_OR_RETURN(w.pads, node.attrs.get_ints(prefix + "pads"));
  EDGERT_ASSIGN_OR_RETURN(std::string ap, node.attrs.get_string(prefix + "auto_pad", "NOTSET"));
  EDGERT_ASSIGN_OR_RETURN(std::int64_t ceil_mode, node.attrs.get_int(prefix + "ceil_mode", 0));
  w.ceil_mode = ceil_mode != 0;
  if (ap == "NOTSET" || ap.empty()) {
    w.auto_pad = AutoPad::kNotSet;
  } else if (ap == "SAME_UPPER") {
    w.auto_pad = AutoPad::kSameUpper;
  } else if (ap == "SAME_LOWER") {
    w.auto_pad = AutoPad::kSameLower;
  } else if (ap == "VALID") {
    w.auto_pad = AutoPad::kValid;
  } else {
    return invalid(node, "attribute '" + prefix + "auto_pad'=" + ap + " is not a valid value");
  }
  for (auto k : w.kernel_shape)
    if (k < 1)
      return invalid(node, prefix + "kernel_shape " + join(w.kernel_shape) + " must be positive");
  for (auto s : w.strides)
    if (s < 1) return invalid(node, prefix + "strides " + join(w.strides) + " must be positive");
  for (auto d : w.dilations)
    if (d < 1)
      return invalid(node, prefix + "dilations " + join(w.dilations) + " must be positive");
  for (auto p : w.pads)
    if (p < 0) return invalid(node, prefix + "pads " + join(w.pads) + " must be non-negative");
  return w;
}

Status resolve_window_attrs(const NodeInfo& node, std::size_t nd, WindowAttrs& w) {
  if (nd < 1 || nd > kMaxSpatialRank)
    return unsupported(node, std::to_string(nd) + "-D spatial input is not supported (1-D to " +
                                 std::to_string(kMaxSpatialRank) + "-D)");
  if (!w.kernel_shape.empty() && w.kernel_shape.size() != nd)
    return invalid(node, "kernel_shape " + join(w.kernel_shape) + " does not have " +
                             std::to_string(nd) + " spatial dims");
  if (w.strides.empty()) w.strides.assign(nd, 1);
  if (w.dilations.empty()) w.dilations.assign(nd, 1);
  if (w.pads.empty()) w.pads.assign(2 * nd, 0);
  if (w.strides.size() != nd)
    return invalid(node,
                   "strides " + join(w.strides) + " do not have " + std::to_string(nd) + " values");
  if (w.dilations.size() != nd)
    return invalid(
        node, "dilations " + join(w.dilations) + " do not have " + std::to_string(nd) + " values");
  if (w.pads.size() != 2 * nd)
    return invalid(node,
                   "pads " + join(w.pads) + " do not have " + std::to_string(2 * nd) + " values");
  return {};
}

Status window_output_dim(const NodeInfo& node, const WindowAttrs& w, std::size_t d, std::int64_t in,
                         std::int64_t kernel, std::int64_t& out, std::int64_t& pad_begin,
                         std::int64_t& pad_end) {
  const std::size_t nd = w.strides.size();
  const std::int64_t s = w.strides[d];
  const std::int64_t ek = (kernel - 1) * w.dilations[d] + 1;  // dilated kernel extent
  pad_begin = pad_end = 0;
  if (in == Shape::kUnknownDim || kernel == Shape::kUnknownDim) {
    out = Shape::kUnknownDim;
    return {};
  }
  switch (w.auto_pad) {
    case AutoPad::kNotSet: {
      pad_begin = w.pads[d];
      pad_end = w.pads[d + nd];
      const std::int64_t span = in + pad_begin + pad_end - ek;
      if (span < 0) break;
      if (w.ceil_mode) {
        out = ceil_div(span, s) + 1;
        // A last window that would start inside the end padding is dropped (as in ORT/PyTorch).
        if ((out - 1) * s >= in + pad_begin) --out;
      } else {
        out = span / s + 1;
      }
      return {};
    }
    case AutoPad::kValid:
      if (in < ek) break;
      out = (in - ek) / s + 1;
      return {};
    case AutoPad::kSameUpper:
    case AutoPad::kSameLower: {
      out = ceil_div(in, s);
      const std::int64_t total = std::max<std::int64_t>(0, (out - 1) * s + ek - in);
      const std::int64_t small = total / 2;
      pad_begin = w.auto_pad == AutoPad::kSameUpper ? small : total - small;
      pad_end = total - pad_begin;
      if (in < 1) break;
      return {};
    }
  }
  return invalid(node, "spatial dim " + std::to_string(d) + ": window of extent " +
                           std::to_string(ek) + " is larger than the padded input " +
                           std::to_string(in) + " (pads " + join(w.pads) + ")");
}

}  // namespace edgert::cpu
