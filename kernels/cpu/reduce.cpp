// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The reduce family: Reduce* (10 ops), ArgMax/ArgMin, TopK; Softmax/LogSoftmax/Hardmax live in
// softmax.cpp. Reductions collapse the input shape into alternating runs of kept/reduced dims
// first, so the hot cases (global average pooling = [kept, reduced], a single axis =
// [kept, reduced, kept]) run as plain strided loops with no per-element index arithmetic.

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <numeric>

#include "kernels/cpu/op_families.h"
#include "kernels/cpu/reduce_ops.h"

namespace edgert::cpu {
namespace {

enum class ReduceKind { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kLogSum, kLogSumExp, kSumSquare };

ReduceKind reduce_kind(const std::string& op) {
  if (op == "ReduceMean") return ReduceKind::kMean;
  if (op == "ReduceMax") return ReduceKind::kMax;
  if (op == "ReduceMin") return ReduceKind::kMin;
  if (op == "ReduceProd") return ReduceKind::kProd;
  if (op == "ReduceL1") return ReduceKind::kL1;
  if (op == "ReduceL2") return ReduceKind::kL2;
  if (op == "ReduceLogSum") return ReduceKind::kLogSum;
  if (op == "ReduceLogSumExp") return ReduceKind::kLogSumExp;
  if (op == "ReduceSumSquare") return ReduceKind::kSumSquare;
  return ReduceKind::kSum;
}

struct ReduceParams {
  bool keepdims = true;
  bool noop_with_empty_axes = false;
  bool axes_known = true;          // false: axes come from an input whose value is not known yet
  std::vector<std::int64_t> axes;  // as given (unnormalised); empty = all (or none with noop)
};

// Axes move from attribute to input at opset 13 for ReduceSum and opset 18 for the others.
int axes_input_opset(const std::string& op) { return op == "ReduceSum" ? 13 : 18; }

Expected<ReduceParams> parse_reduce(const NodeInfo& node, bool has_axes_input,
                                    const Tensor* axes_value) {
  ReduceParams p;
  EDGERT_ASSIGN_OR_RETURN(auto keep, node.attrs.get_int("keepdims", 1));
  EDGERT_ASSIGN_OR_RETURN(auto noop, node.attrs.get_int("noop_with_empty_axes", 0));
  p.keepdims = keep != 0;
  p.noop_with_empty_axes = noop != 0;
  if (node.opset >= axes_input_opset(node.op_type)) {
    if (has_axes_input) {
      if (axes_value) {
        EDGERT_ASSIGN_OR_RETURN(p.axes, tensor_to_int64s(node, *axes_value, "axes"));
      } else {
        p.axes_known = false;
      }
    } else {
      // Not in the spec at this opset, but some exporters keep the attribute: honour it rather
      // than silently reducing everything.
      EDGERT_ASSIGN_OR_RETURN(p.axes, node.attrs.get_ints("axes"));
    }
  } else {
    if (has_axes_input)
      return invalid(
          node, "axes as an input needs opset " + std::to_string(axes_input_opset(node.op_type)));
    EDGERT_ASSIGN_OR_RETURN(p.axes, node.attrs.get_ints("axes"));
  }
  return p;
}

// Which dims of a rank-`rank` input are reduced; error on a bad or repeated axis.
Expected<std::vector<bool>> reduced_mask(const NodeInfo& node, const ReduceParams& p,
                                         std::int64_t rank) {
  std::vector<bool> red(static_cast<std::size_t>(rank), false);
  if (p.axes.empty()) {
    if (!p.noop_with_empty_axes) std::fill(red.begin(), red.end(), true);
    return red;
  }
  for (std::int64_t a : p.axes) {
    EDGERT_ASSIGN_OR_RETURN(auto ax, normalize_axis(node, a, rank));
    if (red[ax]) return invalid(node, "axis " + std::to_string(a) + " repeated in axes");
    red[ax] = true;
  }
  return red;
}

bool reduce_type_ok(ReduceKind k, DataType t) {
  if (t == DataType::kFloat32 || t == DataType::kFloat16 || t == DataType::kInt32 ||
      t == DataType::kInt64)
    return true;
  // Max/Min also take 8-bit integers (opset 12+).
  return (k == ReduceKind::kMax || k == ReduceKind::kMin) &&
         (t == DataType::kInt8 || t == DataType::kUInt8);
}

Status infer_reduce(InferContext& ctx) {
  const NodeInfo& node = ctx.node;
  const ReduceKind kind = reduce_kind(node.op_type);
  const TensorInfo& in = ctx.inputs[0];
  if (!reduce_type_ok(kind, in.dtype)) return unsupported_dtype(node, 0, in.dtype);
  EDGERT_ASSIGN_OR_RETURN(auto p, parse_reduce(node, ctx.has_input(1), ctx.value(1)));
  if (in.shape.unknown_rank()) {
    set_output(ctx, 0, in.dtype, Shape::unknown());
    return Status();
  }
  const auto rank = static_cast<std::int64_t>(in.shape.rank());
  if (!p.axes_known) {
    // Which dims are reduced is unknown: with keepdims the rank survives, otherwise nothing does.
    if (!p.keepdims) {
      set_output(ctx, 0, in.dtype, Shape::unknown());
    } else {
      set_output(ctx, 0, in.dtype, Shape(std::vector<std::int64_t>(rank, Shape::kUnknownDim)));
    }
    return Status();
  }
  EDGERT_ASSIGN_OR_RETURN(auto red, reduced_mask(node, p, rank));
  std::vector<std::int64_t> out;
  for (std::int64_t d = 0; d < rank; ++d) {
    if (!red[d]) {
      out.push_back(in.shape[d]);
    } else if (p.keepdims) {
      out.push_back(1);
    }
  }
  set_output(ctx, 0, in.dtype, Shape(out));
  return Status();
}

// A run of adjacent input dims that are all kept or all reduced, merged into one.
struct Group {
  std::int64_t len;
  bool reduced;
  std::int64_t out_stride;  // stride in the output (0 for reduced runs)
};

std::vector<Group> collapse(const Shape& s, const std::vector<bool>& red) {
  std::vector<Group> g;
  for (std::size_t d = 0; d < s.rank(); ++d) {
    if (s[d] == 1) continue;  // size-1 dims change nothing in the layout
    if (!g.empty() && g.back().reduced == red[d]) {
      g.back().len *= s[d];
    } else {
      g.push_back({s[d], red[d], 0});
    }
  }
  if (g.empty()) g.push_back({1, false, 0});
  std::int64_t st = 1;
  for (std::size_t i = g.size(); i-- > 0;) {
    if (!g[i].reduced) {
      g[i].out_stride = st;
      st *= g[i].len;
    }
  }
  return g;
}

// Folds every input element x into acc[out(x)] with acc = comb(acc, map(x, out)). The first group
// (when kept) is split across threads: its indices write disjoint outputs.
template <class A, class Map, class Comb>
void fold(const A* in, A* acc, const std::vector<Group>& g, Map map, Comb comb) {
  const bool split = g.size() > 1 && !g[0].reduced;
  const std::size_t first = split ? 1 : 0;
  const std::int64_t n_par = split ? g[0].len : 1;
  const std::int64_t par_out_stride = split ? g[0].out_stride : 0;
  const Group& last = g.back();
  std::int64_t in_per_par = 1;
  for (std::size_t i = first; i < g.size(); ++i) in_per_par *= g[i].len;
  std::int64_t n_outer = in_per_par / last.len;  // iterations of the odometer over middle groups
  const std::size_t n_mid = g.size() - 1 - first;

#pragma omp parallel for schedule(static) if (n_par > 1 && n_par * in_per_par > (1 << 15))
  for (std::int64_t p = 0; p < n_par; ++p) {
    std::vector<std::int64_t> idx(n_mid, 0);
    const A* src = in + p * in_per_par;
    std::int64_t out_off = p * par_out_stride;
    for (std::int64_t it = 0; it < n_outer; ++it) {
      const A* row = src + it * last.len;
      if (last.reduced) {
        A a = acc[out_off];
        for (std::int64_t j = 0; j < last.len; ++j) a = comb(a, map(row[j], out_off));
        acc[out_off] = a;
      } else {
        A* o = acc + out_off;
        for (std::int64_t j = 0; j < last.len; ++j) o[j] = comb(o[j], map(row[j], out_off + j));
      }
      // Advance the odometer over the middle groups, keeping out_off in step.
      for (std::size_t k = n_mid; k-- > 0;) {
        const Group& gr = g[first + k];
        out_off += gr.out_stride;
        if (++idx[k] < gr.len) break;
        out_off -= gr.out_stride * gr.len;
        idx[k] = 0;
      }
    }
  }
}

template <class A>
A lowest_value() {
  return std::numeric_limits<A>::has_infinity ? -std::numeric_limits<A>::infinity()
                                              : std::numeric_limits<A>::lowest();
}
template <class A>
A highest_value() {
  return std::numeric_limits<A>::has_infinity ? std::numeric_limits<A>::infinity()
                                              : std::numeric_limits<A>::max();
}

template <class A>
void run_reduce(ReduceKind kind, const A* in, std::vector<A>& acc, const std::vector<Group>& g,
                std::int64_t count) {
  auto id = [](A x, std::int64_t) { return x; };
  auto add = [](A a, A b) { return a + b; };
  auto init = [&](A v) { std::fill(acc.begin(), acc.end(), v); };
  switch (kind) {
    case ReduceKind::kSum:
    case ReduceKind::kMean:
    case ReduceKind::kLogSum:
      init(A(0));
      fold(in, acc.data(), g, id, add);
      break;
    case ReduceKind::kMax:
      init(lowest_value<A>());
      fold(in, acc.data(), g, id, [](A a, A b) { return b > a ? b : a; });
      break;
    case ReduceKind::kMin:
      init(highest_value<A>());
      fold(in, acc.data(), g, id, [](A a, A b) { return b < a ? b : a; });
      break;
    case ReduceKind::kProd:
      init(A(1));
      fold(in, acc.data(), g, id, [](A a, A b) { return a * b; });
      break;
    case ReduceKind::kL1:
      init(A(0));
      fold(
          in, acc.data(), g, [](A x, std::int64_t) { return x < A(0) ? -x : x; }, add);
      break;
    case ReduceKind::kL2:
    case ReduceKind::kSumSquare:
      init(A(0));
      fold(
          in, acc.data(), g, [](A x, std::int64_t) { return x * x; }, add);
      break;
    case ReduceKind::kLogSumExp: {
      // Shift by the max for stability: log(sum(exp(x - m))) + m.
      std::vector<A> mx(acc.size(), lowest_value<A>());
      fold(in, mx.data(), g, id, [](A a, A b) { return b > a ? b : a; });
      for (auto& m : mx)
        if (!std::isfinite(static_cast<double>(m))) m = A(0);
      init(A(0));
      const A* m = mx.data();
      fold(
          in, acc.data(), g, [m](A x, std::int64_t o) { return A(std::exp(x - m[o])); }, add);
      for (std::size_t i = 0; i < acc.size(); ++i) acc[i] = A(std::log(acc[i])) + mx[i];
      return;
    }
  }
  switch (kind) {
    case ReduceKind::kMean:
      for (auto& a : acc) a = a / static_cast<A>(count);
      break;
    case ReduceKind::kL2:
      for (auto& a : acc) a = static_cast<A>(std::sqrt(a));
      break;
    case ReduceKind::kLogSum:
      for (auto& a : acc) a = static_cast<A>(std::log(a));
      break;
    default: break;
  }
}

template <class A>
Status reduce_with(ReduceKind kind, const Tensor& x, const std::vector<bool>& red, Tensor& out) {
  std::vector<A> buf;
  const A* in = load_as<A>(x, buf);
  std::vector<A> acc(static_cast<std::size_t>(out.numel()));
  std::int64_t count = 1;
  for (std::size_t d = 0; d < red.size(); ++d)
    if (red[d]) count *= x.shape()[d];
  if (x.numel() == 0) {
    // Reducing an empty set gives the identity of the reduction.
    A v = A(0);
    if (kind == ReduceKind::kMax) v = lowest_value<A>();
    if (kind == ReduceKind::kMin) v = highest_value<A>();
    if (kind == ReduceKind::kProd) v = A(1);
    if (kind == ReduceKind::kLogSum || kind == ReduceKind::kLogSumExp) v = lowest_value<A>();
    if (kind == ReduceKind::kMean) v = std::numeric_limits<A>::quiet_NaN();  // 0 for integers
    std::fill(acc.begin(), acc.end(), v);
  } else {
    run_reduce<A>(kind, in, acc, collapse(x.shape(), red), count);
  }
  store_as(acc.data(), out);
  return Status();
}

Status compute_reduce(ComputeContext& ctx) {
  const NodeInfo& node = ctx.node;
  const ReduceKind kind = reduce_kind(node.op_type);
  const Tensor& x = *ctx.inputs[0];
  EDGERT_ASSIGN_OR_RETURN(
      auto p, parse_reduce(node, ctx.has_input(1), ctx.has_input(1) ? ctx.inputs[1] : nullptr));
  EDGERT_ASSIGN_OR_RETURN(auto red, reduced_mask(node, p, x.shape().rank()));
  Tensor& out = *ctx.outputs[0];
  if (is_float(x.dtype())) return reduce_with<float>(kind, x, red, out);
  // Integers: exact int64 accumulation, except where the result is a real function of the sum.
  if (kind == ReduceKind::kL2 || kind == ReduceKind::kLogSum || kind == ReduceKind::kLogSumExp)
    return reduce_with<double>(kind, x, red, out);
  return reduce_with<std::int64_t>(kind, x, red, out);
}

// ---------------------------------------------------------------- ArgMax / ArgMin

struct ArgParams {
  std::int64_t axis = 0;
  bool keepdims = true;
  bool select_last = false;
};

Expected<ArgParams> parse_arg(const NodeInfo& node) {
  ArgParams p;
  EDGERT_ASSIGN_OR_RETURN(p.axis, node.attrs.get_int("axis", 0));
  EDGERT_ASSIGN_OR_RETURN(auto keep, node.attrs.get_int("keepdims", 1));
  EDGERT_ASSIGN_OR_RETURN(auto last, node.attrs.get_int("select_last_index", 0));
  p.keepdims = keep != 0;
  p.select_last = last != 0;
  return p;
}

bool arg_type_ok(DataType t) {
  return t == DataType::kFloat32 || t == DataType::kFloat16 || t == DataType::kInt32 ||
         t == DataType::kInt64 || t == DataType::kInt8 || t == DataType::kUInt8;
}

Status infer_arg(InferContext& ctx) {
  const TensorInfo& in = ctx.inputs[0];
  if (!arg_type_ok(in.dtype)) return unsupported_dtype(ctx.node, 0, in.dtype);
  EDGERT_ASSIGN_OR_RETURN(auto p, parse_arg(ctx.node));
  if (in.shape.unknown_rank()) {
    set_output(ctx, 0, DataType::kInt64, Shape::unknown());
    return Status();
  }
  const auto rank = static_cast<std::int64_t>(in.shape.rank());
  EDGERT_ASSIGN_OR_RETURN(auto axis, normalize_axis(ctx.node, p.axis, rank));
  if (in.shape[axis] == 0) return invalid(ctx.node, "cannot take ArgMax/ArgMin of an empty axis");
  std::vector<std::int64_t> out;
  for (std::int64_t d = 0; d < rank; ++d) {
    if (d != axis) {
      out.push_back(in.shape[d]);
    } else if (p.keepdims) {
      out.push_back(1);
    }
  }
  set_output(ctx, 0, DataType::kInt64, Shape(out));
  return Status();
}

template <class A>
void arg_kernel(const A* in, std::int64_t* out, std::int64_t outer, std::int64_t n,
                std::int64_t inner, bool is_max, bool last) {
#pragma omp parallel for schedule(static) if (outer > 1 && outer * n * inner > (1 << 15))
  for (std::int64_t o = 0; o < outer; ++o) {
    const A* base = in + o * n * inner;
    std::int64_t* dst = out + o * inner;
    std::vector<A> best(base, base + inner);  // per outer slice, not per element
    std::fill(dst, dst + inner, 0);
    for (std::int64_t j = 1; j < n; ++j) {
      const A* row = base + j * inner;
      for (std::int64_t i = 0; i < inner; ++i) {
        const A v = row[i];
        const bool better =
            is_max ? (last ? v >= best[i] : v > best[i]) : (last ? v <= best[i] : v < best[i]);
        if (better) {
          best[i] = v;
          dst[i] = j;
        }
      }
    }
  }
}

Status compute_arg(ComputeContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  EDGERT_ASSIGN_OR_RETURN(auto p, parse_arg(ctx.node));
  const auto rank = static_cast<std::int64_t>(x.shape().rank());
  EDGERT_ASSIGN_OR_RETURN(auto axis, normalize_axis(ctx.node, p.axis, rank));
  const std::int64_t outer = dims_product(x.shape(), 0, axis);
  const std::int64_t n = x.shape()[axis];
  const std::int64_t inner = dims_product(x.shape(), axis + 1, rank);
  const bool is_max = ctx.node.op_type == "ArgMax";
  std::int64_t* out = ctx.outputs[0]->data<std::int64_t>();
  if (is_float(x.dtype())) {
    std::vector<float> buf;
    arg_kernel(load_as<float>(x, buf), out, outer, n, inner, is_max, p.select_last);
  } else {
    std::vector<std::int64_t> buf;
    arg_kernel(load_as<std::int64_t>(x, buf), out, outer, n, inner, is_max, p.select_last);
  }
  return Status();
}

// ---------------------------------------------------------------- TopK

struct TopKParams {
  std::int64_t axis = -1;
  bool largest = true;
  bool sorted = true;
  std::int64_t k = -1;  // -1: not known yet
};

Expected<TopKParams> parse_topk(const NodeInfo& node, const Tensor* k_value) {
  TopKParams p;
  EDGERT_ASSIGN_OR_RETURN(p.axis, node.attrs.get_int("axis", -1));
  EDGERT_ASSIGN_OR_RETURN(auto largest, node.attrs.get_int("largest", 1));
  EDGERT_ASSIGN_OR_RETURN(auto sorted, node.attrs.get_int("sorted", 1));
  p.largest = largest != 0;
  p.sorted = sorted != 0;
  if (node.opset < 10) {
    if (!node.attrs.has("k")) return invalid(node, "attribute 'k' is required before opset 10");
    EDGERT_ASSIGN_OR_RETURN(p.k, node.attrs.get_int("k", -1));
  } else if (k_value) {
    EDGERT_ASSIGN_OR_RETURN(auto kv, tensor_to_int64s(node, *k_value, "K"));
    if (kv.size() != 1) return invalid(node, "K must hold exactly one value");
    p.k = kv[0];
  }
  if (node.opset >= 10 && !k_value) p.k = -1;
  if (p.k < -1 || (p.k == -1 && node.opset < 10))
    return invalid(node, "k must be non-negative, got " + std::to_string(p.k));
  return p;
}

Status infer_topk(InferContext& ctx) {
  const NodeInfo& node = ctx.node;
  const TensorInfo& in = ctx.inputs[0];
  if (!arg_type_ok(in.dtype)) return unsupported_dtype(node, 0, in.dtype);
  if (node.opset >= 10 && !ctx.has_input(1)) return invalid(node, "input K is required");
  if (node.opset < 10 && ctx.has_input(1))
    return invalid(node, "K is an attribute before opset 10");
  EDGERT_ASSIGN_OR_RETURN(auto p, parse_topk(node, ctx.value(1)));
  if (in.shape.unknown_rank()) {
    set_output(ctx, 0, in.dtype, Shape::unknown());
    set_output(ctx, 1, DataType::kInt64, Shape::unknown());
    return Status();
  }
  const auto rank = static_cast<std::int64_t>(in.shape.rank());
  EDGERT_ASSIGN_OR_RETURN(auto axis, normalize_axis(node, p.axis, rank));
  Shape out = in.shape;
  const std::int64_t dim = in.shape[axis];
  if (p.k >= 0 && dim != Shape::kUnknownDim && p.k > dim)
    return invalid(node, "k=" + std::to_string(p.k) + " exceeds axis size " + std::to_string(dim));
  out[axis] = p.k;  // -1 (unknown) when k is not known
  set_output(ctx, 0, in.dtype, out);
  set_output(ctx, 1, DataType::kInt64, out);
  return Status();
}

template <class A>
void topk_kernel(const A* in, A* vals, std::int64_t* idx, std::int64_t outer, std::int64_t n,
                 std::int64_t inner, std::int64_t k, bool largest) {
#pragma omp parallel for schedule(static) if (outer * inner > 64 && outer * n * inner > (1 << 15))
  for (std::int64_t oi = 0; oi < outer * inner; ++oi) {
    const std::int64_t o = oi / inner, i = oi % inner;
    const A* src = in + o * n * inner + i;
    std::vector<std::int64_t> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    // Ties keep the lower index first (the spec's required order).
    auto cmp = [&](std::int64_t a, std::int64_t b) {
      const A va = src[a * inner], vb = src[b * inner];
      if (va != vb) return largest ? va > vb : va < vb;
      return a < b;
    };
    std::partial_sort(order.begin(), order.begin() + k, order.end(), cmp);
    const std::int64_t dst = o * k * inner + i;
    for (std::int64_t j = 0; j < k; ++j) {
      vals[dst + j * inner] = src[order[j] * inner];
      idx[dst + j * inner] = order[j];
    }
  }
}

Status compute_topk(ComputeContext& ctx) {
  const NodeInfo& node = ctx.node;
  const Tensor& x = *ctx.inputs[0];
  EDGERT_ASSIGN_OR_RETURN(auto p, parse_topk(node, ctx.has_input(1) ? ctx.inputs[1] : nullptr));
  const auto rank = static_cast<std::int64_t>(x.shape().rank());
  EDGERT_ASSIGN_OR_RETURN(auto axis, normalize_axis(node, p.axis, rank));
  const std::int64_t outer = dims_product(x.shape(), 0, axis);
  const std::int64_t n = x.shape()[axis];
  const std::int64_t inner = dims_product(x.shape(), axis + 1, rank);
  Tensor& values = *ctx.outputs[0];
  std::int64_t* idx = ctx.outputs[1] ? ctx.outputs[1]->data<std::int64_t>() : nullptr;
  std::vector<std::int64_t> idx_buf;
  if (!idx) {  // indices output omitted: still needed internally
    idx_buf.resize(static_cast<std::size_t>(values.numel()));
    idx = idx_buf.data();
  }
  if (is_float(x.dtype())) {
    std::vector<float> buf, out(static_cast<std::size_t>(values.numel()));
    topk_kernel(load_as<float>(x, buf), out.data(), idx, outer, n, inner, p.k, p.largest);
    store_as(out.data(), values);
  } else {
    std::vector<std::int64_t> buf, out(static_cast<std::size_t>(values.numel()));
    topk_kernel(load_as<std::int64_t>(x, buf), out.data(), idx, outer, n, inner, p.k, p.largest);
    store_as(out.data(), values);
  }
  return Status();
}

constexpr const char* kReduceRestr = "float32, float16, int32, int64";
constexpr const char* kReduceMaxRestr = "float32, float16, int32, int64, int8, uint8";

static const OpDef kOps[] = {
    {"ReduceSum", 1, 1, 2, infer_reduce, compute_reduce, kReduceRestr},
    {"ReduceMean", 1, 1, 2, infer_reduce, compute_reduce,
     "float32, float16, int32, int64 (integer mean truncates)"},
    {"ReduceMax", 1, 1, 2, infer_reduce, compute_reduce, kReduceMaxRestr},
    {"ReduceMin", 1, 1, 2, infer_reduce, compute_reduce, kReduceMaxRestr},
    {"ReduceProd", 1, 1, 2, infer_reduce, compute_reduce, kReduceRestr},
    {"ReduceL1", 1, 1, 2, infer_reduce, compute_reduce, kReduceRestr},
    {"ReduceL2", 1, 1, 2, infer_reduce, compute_reduce, kReduceRestr},
    {"ReduceLogSum", 1, 1, 2, infer_reduce, compute_reduce, kReduceRestr},
    {"ReduceLogSumExp", 1, 1, 2, infer_reduce, compute_reduce, kReduceRestr},
    {"ReduceSumSquare", 1, 1, 2, infer_reduce, compute_reduce, kReduceRestr},
    {"ArgMax", 1, 1, 1, infer_arg, compute_arg, kReduceMaxRestr},
    {"ArgMin", 1, 1, 1, infer_arg, compute_arg, kReduceMaxRestr},
    {"TopK", 1, 1, 2, infer_topk, compute_topk,
     "float32, float16, int32, int64, int8, uint8; output always sorted"},
    {"Softmax", 1, 1, 1, infer_softmax, compute_softmax, "float32, float16"},
    {"LogSoftmax", 1, 1, 1, infer_softmax, compute_softmax, "float32, float16"},
    {"Hardmax", 1, 1, 1, infer_softmax, compute_softmax, "float32, float16"},
};

}  // namespace

OpTable reduce_ops() {
  static_assert(std::size(kOps) == kReduceOpCount, "update kReduceOpCount in op_families.h");
  return {kOps, std::size(kOps)};
}

}  // namespace edgert::cpu
