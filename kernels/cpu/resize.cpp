// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The misc family: Resize and Upsample here, the quantization ops in quant.cpp. Nearest and
// (multi-)linear interpolation are separable, so Resize runs one 1-D pass per resized dim over an
// [outer, n, inner] view with precomputed per-coordinate source indices and weights: the inner
// loops are contiguous row copies/blends.

#include <algorithm>
#include <cmath>
#include <iterator>
#include <type_traits>

#include "kernels/cpu/misc_ops.h"
#include "kernels/cpu/op_families.h"
#include "kernels/cpu/reduce_ops.h"

namespace edgert::cpu {
namespace {

enum class Coord {
  kHalfPixel,
  kPytorchHalfPixel,
  kAlignCorners,
  kAsymmetric,
  kTfHalfPixelForNn,
  kTfCropAndResize
};
enum class Nearest { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil };

struct ResizeParams {
  bool linear = false;
  Coord coord = Coord::kHalfPixel;
  Nearest nearest = Nearest::kRoundPreferFloor;
  float extrapolation = 0.f;
};

Expected<ResizeParams> parse_resize(const NodeInfo& node) {
  ResizeParams p;
  EDGERT_ASSIGN_OR_RETURN(auto mode, node.attrs.get_string("mode", "nearest"));
  if (mode == "linear" || mode == "bilinear") {
    p.linear = true;
  } else if (mode != "nearest") {
    return unsupported(node, "attribute 'mode'=" + mode + " is not supported");
  }
  // Upsample and Resize-10 map output to input coordinates as x / scale and take the floor.
  if (node.op_type == "Upsample" || node.opset < 11) {
    p.coord = Coord::kAsymmetric;
    p.nearest = Nearest::kFloor;
    return p;
  }
  EDGERT_ASSIGN_OR_RETURN(auto ct,
                          node.attrs.get_string("coordinate_transformation_mode", "half_pixel"));
  if (ct == "half_pixel")
    p.coord = Coord::kHalfPixel;
  else if (ct == "pytorch_half_pixel")
    p.coord = Coord::kPytorchHalfPixel;
  else if (ct == "align_corners")
    p.coord = Coord::kAlignCorners;
  else if (ct == "asymmetric")
    p.coord = Coord::kAsymmetric;
  else if (ct == "tf_half_pixel_for_nn")
    p.coord = Coord::kTfHalfPixelForNn;
  else if (ct == "tf_crop_and_resize")
    p.coord = Coord::kTfCropAndResize;
  else
    return unsupported(node,
                       "attribute 'coordinate_transformation_mode'=" + ct + " is not supported");
  EDGERT_ASSIGN_OR_RETURN(auto nm, node.attrs.get_string("nearest_mode", "round_prefer_floor"));
  if (nm == "round_prefer_floor")
    p.nearest = Nearest::kRoundPreferFloor;
  else if (nm == "round_prefer_ceil")
    p.nearest = Nearest::kRoundPreferCeil;
  else if (nm == "floor")
    p.nearest = Nearest::kFloor;
  else if (nm == "ceil")
    p.nearest = Nearest::kCeil;
  else
    return unsupported(node, "attribute 'nearest_mode'=" + nm + " is not supported");
  EDGERT_ASSIGN_OR_RETURN(p.extrapolation, node.attrs.get_float("extrapolation_value", 0.f));
  // Opset 18 additions we do not implement.
  EDGERT_ASSIGN_OR_RETURN(auto antialias, node.attrs.get_int("antialias", 0));
  if (antialias != 0) return unsupported(node, "attribute 'antialias'=1 is not supported");
  if (node.attrs.has("axes")) return unsupported(node, "attribute 'axes' is not supported");
  EDGERT_ASSIGN_OR_RETURN(auto policy,
                          node.attrs.get_string("keep_aspect_ratio_policy", "stretch"));
  if (policy != "stretch")
    return unsupported(node,
                       "attribute 'keep_aspect_ratio_policy'=" + policy + " is not supported");
  return p;
}

// Where the scales / sizes / roi come from, by op and opset; a slot is -1 where the op has none.
struct ResizeInputs {
  int roi = -1, scales = -1, sizes = -1;
};
ResizeInputs resize_inputs(const NodeInfo& node) {
  if (node.op_type == "Upsample") return {-1, node.opset >= 9 ? 1 : -1, -1};
  if (node.opset < 11) return {-1, 1, -1};
  return {1, 2, 3};
}

// Output dims and per-dim scales (output / input, as the coordinate transforms use them).
struct ResizeGeometry {
  bool known = false;  // false: the scales/sizes values are not known yet
  std::vector<std::int64_t> out;
  std::vector<double> scales;
  std::vector<double> roi;  // starts then ends; empty unless tf_crop_and_resize
};

// `get(i)` returns the value of input i or null; `present(i)` whether the input is given.
template <class Get, class Present>
Expected<ResizeGeometry> resize_geometry(const NodeInfo& node, const ResizeParams& p,
                                         const Shape& in, Get get, Present present) {
  ResizeGeometry g;
  const std::size_t rank = in.rank();
  const ResizeInputs slots = resize_inputs(node);
  std::vector<double> scales;
  std::vector<std::int64_t> sizes;
  bool have_scales = false, have_sizes = false;
  if (slots.scales < 0) {  // Upsample-7: attribute
    EDGERT_ASSIGN_OR_RETURN(auto s, node.attrs.get_floats("scales"));
    scales.assign(s.begin(), s.end());
    have_scales = true;
  }
  // An input that is present but empty counts as absent (opset 11 exporters pass an empty scales
  // tensor next to sizes).
  // Returns false when the input is given but its value is not known (static inference).
  auto read = [&](int slot, bool& have, auto& dst) {
    if (slot < 0 || !present(slot)) return true;
    const Tensor* t = get(slot);
    if (!t) return false;
    if (t->numel() == 0) return true;
    have = true;
    using V = typename std::decay_t<decltype(dst)>::value_type;
    dst.clear();
    for (std::int64_t i = 0; i < t->numel(); ++i)
      dst.push_back(static_cast<V>(t->get_as_double(i)));
    return true;
  };
  const bool known_scales = read(slots.scales, have_scales, scales);
  const bool known_sizes = read(slots.sizes, have_sizes, sizes);
  if (!known_scales || !known_sizes) return g;
  if (slots.sizes >= 0 && present(slots.sizes) && get(slots.sizes) &&
      get(slots.sizes)->dtype() != DataType::kInt64)
    return invalid(node, "sizes must be int64");
  if (have_scales == have_sizes)
    return invalid(node, "exactly one of scales and sizes must be given");
  if (have_scales && scales.size() != rank)
    return invalid(node, "scales has " + std::to_string(scales.size()) + " values for rank " +
                             std::to_string(rank));
  if (have_sizes && sizes.size() != rank)
    return invalid(node, "sizes has " + std::to_string(sizes.size()) + " values for rank " +
                             std::to_string(rank));
  if (p.coord == Coord::kTfCropAndResize) {
    if (slots.roi < 0 || !present(slots.roi)) return invalid(node, "tf_crop_and_resize needs roi");
    const Tensor* r = get(slots.roi);
    if (!r) return g;
    if (r->numel() != static_cast<std::int64_t>(2 * rank))
      return invalid(node, "roi must have 2 * rank values");
    for (std::int64_t i = 0; i < r->numel(); ++i) g.roi.push_back(r->get_as_double(i));
  }
  g.known = true;
  g.out.resize(rank);
  g.scales.resize(rank);
  for (std::size_t d = 0; d < rank; ++d) {
    if (have_scales) {
      if (!(scales[d] > 0)) return invalid(node, "scales must be positive");
      g.scales[d] = scales[d];
      double extent = in[d];
      if (!g.roi.empty()) extent *= g.roi[rank + d] - g.roi[d];
      g.out[d] = in[d] == Shape::kUnknownDim
                     ? Shape::kUnknownDim
                     : static_cast<std::int64_t>(std::floor(extent * scales[d]));
    } else {
      if (sizes[d] < 0) return invalid(node, "sizes must be non-negative");
      g.out[d] = sizes[d];
      g.scales[d] = in[d] > 0 ? static_cast<double>(sizes[d]) / static_cast<double>(in[d]) : 1.0;
    }
  }
  return g;
}

bool resize_type_ok(const ResizeParams& p, DataType t) {
  if (is_float(t)) return true;
  return !p.linear && (t == DataType::kInt8 || t == DataType::kUInt8 || t == DataType::kInt32 ||
                       t == DataType::kInt64);
}

Status infer_resize(InferContext& ctx) {
  const NodeInfo& node = ctx.node;
  EDGERT_ASSIGN_OR_RETURN(auto p, parse_resize(node));
  const TensorInfo& in = ctx.inputs[0];
  if (!resize_type_ok(p, in.dtype)) return unsupported_dtype(node, 0, in.dtype);
  if (node.op_type == "Resize" && node.opset >= 11 && node.opset < 13 && !ctx.has_input(2))
    return invalid(node, "input scales is required before opset 13");
  if (in.shape.unknown_rank()) {
    set_output(ctx, 0, in.dtype, Shape::unknown());
    return Status();
  }
  EDGERT_ASSIGN_OR_RETURN(auto g, resize_geometry(
                                      node, p, in.shape, [&](int i) { return ctx.value(i); },
                                      [&](int i) { return ctx.has_input(i); }));
  if (!g.known) {
    set_output(ctx, 0, in.dtype,
               Shape(std::vector<std::int64_t>(in.shape.rank(), Shape::kUnknownDim)));
    return Status();
  }
  for (std::size_t d = 0; d < in.shape.rank(); ++d)
    if (in.shape[d] == 0 && g.out[d] > 0)
      return invalid(node, "cannot resize an empty dimension to a non-empty one");
  set_output(ctx, 0, in.dtype, Shape(g.out));
  return Status();
}

// Per output coordinate along one dim: source indices i0/i1, weight of i1, or extrapolation.
struct Tap {
  std::int64_t i0, i1;
  float w;
  bool extrapolate;
};

// The ONNX reference maps coordinates with the unrounded resized length (in_len * scale); with
// sizes given, scale = out_len / in_len and the two agree.
double to_source(const ResizeParams& p, double x, double scale, std::int64_t in_len,
                 std::int64_t out_len, double roi_start, double roi_end) {
  double resized = static_cast<double>(in_len) * scale;
  // With sizes given the scale is out_len / in_len, rounded: snap back to the exact length.
  if (std::fabs(resized - static_cast<double>(out_len)) < 1e-4)
    resized = static_cast<double>(out_len);
  const double in_last = static_cast<double>(in_len - 1);
  switch (p.coord) {
    case Coord::kHalfPixel: return (x + 0.5) / scale - 0.5;
    // PyTorch (and ONNX Runtime) test the integer output length here.
    case Coord::kPytorchHalfPixel: return out_len > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
    case Coord::kAlignCorners: return resized == 1 ? 0.0 : x * in_last / (resized - 1);
    case Coord::kAsymmetric: return x / scale;
    case Coord::kTfHalfPixelForNn: return (x + 0.5) / scale;
    case Coord::kTfCropAndResize:
      return resized > 1 ? roi_start * in_last + x * (roi_end - roi_start) * in_last / (resized - 1)
                         : 0.5 * (roi_start + roi_end) * in_last;
  }
  return 0.0;
}

std::int64_t round_nearest(Nearest m, double x) {
  const double f = std::floor(x);
  switch (m) {
    case Nearest::kRoundPreferFloor:
      return static_cast<std::int64_t>(x - f == 0.5 ? f : std::round(x));
    case Nearest::kRoundPreferCeil:
      return static_cast<std::int64_t>(x - f == 0.5 ? f + 1 : std::round(x));
    case Nearest::kFloor: return static_cast<std::int64_t>(f);
    case Nearest::kCeil: return static_cast<std::int64_t>(std::ceil(x));
  }
  return 0;
}

// Taps of one dim; returns false when the pass is the identity and can be skipped.
bool make_taps(const ResizeParams& p, std::int64_t in_len, std::int64_t out_len, double scale,
               double roi_start, double roi_end, std::vector<Tap>& taps) {
  taps.resize(static_cast<std::size_t>(out_len));
  bool identity = in_len == out_len;
  for (std::int64_t x = 0; x < out_len; ++x) {
    double src = to_source(p, static_cast<double>(x), scale, in_len, out_len, roi_start, roi_end);
    Tap t{0, 0, 0.f, false};
    if (p.coord == Coord::kTfCropAndResize &&
        (src < 0.0 || src > static_cast<double>(in_len - 1))) {
      t.extrapolate = true;
    } else if (p.linear) {
      src = std::min(std::max(src, 0.0), static_cast<double>(in_len - 1));
      const double f = std::floor(src);
      t.i0 = static_cast<std::int64_t>(f);
      t.i1 = std::min(t.i0 + 1, in_len - 1);
      t.w = static_cast<float>(src - f);
    } else {
      t.i0 = std::min(std::max(round_nearest(p.nearest, src), std::int64_t{0}), in_len - 1);
      t.i1 = t.i0;
    }
    if (t.extrapolate || t.i0 != x || (t.w != 0.f && t.i1 != t.i0)) identity = false;
    taps[x] = t;
  }
  return !identity;
}

template <class A>
void resize_pass(const A* src, A* dst, std::int64_t outer, std::int64_t in_len, std::int64_t inner,
                 const std::vector<Tap>& taps, A extrap) {
  const auto out_len = static_cast<std::int64_t>(taps.size());
#pragma omp parallel for schedule(static) if (outer > 1 && outer * out_len * inner > (1 << 15))
  for (std::int64_t o = 0; o < outer; ++o) {
    const A* s = src + o * in_len * inner;
    A* d = dst + o * out_len * inner;
    for (std::int64_t x = 0; x < out_len; ++x) {
      const Tap& t = taps[x];
      A* row = d + x * inner;
      if (t.extrapolate) {
        std::fill(row, row + inner, extrap);
      } else if (t.w == 0.f || t.i0 == t.i1) {
        std::copy(s + t.i0 * inner, s + (t.i0 + 1) * inner, row);
      } else {
        const A* a = s + t.i0 * inner;
        const A* b = s + t.i1 * inner;
        const A w1 = static_cast<A>(t.w), w0 = static_cast<A>(1) - w1;
        for (std::int64_t i = 0; i < inner; ++i) row[i] = w0 * a[i] + w1 * b[i];
      }
    }
  }
}

template <class A>
Status resize_with(const ResizeParams& p, const ResizeGeometry& g, const Tensor& x, Tensor& y) {
  std::vector<A> in_buf, cur, next;
  const A* src = load_as<A>(x, in_buf);
  std::vector<std::int64_t> dims = x.shape().dims();
  const std::size_t rank = dims.size();
  std::vector<Tap> taps;
  // Innermost dim first, as the reference interpolates.
  for (std::size_t d = rank; d-- > 0;) {
    const double rs = g.roi.empty() ? 0.0 : g.roi[d];
    const double re = g.roi.empty() ? 1.0 : g.roi[rank + d];
    if (!make_taps(p, dims[d], g.out[d], g.scales[d], rs, re, taps)) continue;
    const std::int64_t outer = dims_product(Shape(dims), 0, d);
    const std::int64_t inner = dims_product(Shape(dims), d + 1, rank);
    next.assign(static_cast<std::size_t>(outer * g.out[d] * inner), A(0));
    resize_pass(src, next.data(), outer, dims[d], inner, taps, static_cast<A>(p.extrapolation));
    dims[d] = g.out[d];
    cur.swap(next);
    src = cur.data();
  }
  store_as(src, y);
  return Status();
}

Status compute_resize(ComputeContext& ctx) {
  const NodeInfo& node = ctx.node;
  EDGERT_ASSIGN_OR_RETURN(auto p, parse_resize(node));
  const Tensor& x = *ctx.inputs[0];
  EDGERT_ASSIGN_OR_RETURN(
      auto g,
      resize_geometry(
          node, p, x.shape(), [&](int i) { return ctx.has_input(i) ? ctx.inputs[i] : nullptr; },
          [&](int i) { return ctx.has_input(i); }));
  if (!g.known) return node_error(node, StatusCode::kInternal, "resize geometry unknown");
  if (ctx.outputs[0]->numel() == 0) return Status();
  if (is_float(x.dtype())) return resize_with<float>(p, g, x, *ctx.outputs[0]);
  return resize_with<std::int64_t>(p, g, x, *ctx.outputs[0]);
}

static const OpDef kOps[] = {
    {"Resize", 10, 1, 4, infer_resize, compute_resize,
     "float32, float16 (nearest also int8, uint8, int32, int64); modes nearest, linear; "
     "no cubic, no antialias/axes/keep_aspect_ratio_policy (opset 18)"},
    {"Upsample", 7, 1, 2, infer_resize, compute_resize,
     "float32, float16 (nearest also int8, uint8, int32, int64); nearest, linear"},
    {"QuantizeLinear", 10, 2, 3, infer_quantize, compute_quantize,
     "x float32, float16, int32; output uint8, int8; per-tensor and per-axis"},
    {"DequantizeLinear", 10, 2, 3, infer_dequantize, compute_dequantize,
     "x uint8, int8, int32; output float32; per-tensor and per-axis"},
    {"DynamicQuantizeLinear", 11, 1, 1, infer_dynamic_quantize, compute_dynamic_quantize,
     "float32 -> uint8"},
};

}  // namespace

OpTable misc_ops() {
  static_assert(std::size(kOps) == kMiscOpCount, "update kMiscOpCount in op_families.h");
  return {kOps, std::size(kOps)};
}

}  // namespace edgert::cpu
