// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Builder layer ops (domain "edgert") of the graph passes: Pointwise chains, SoftmaxTopK, SiLU.
// Gelu (ONNX opset 20, approximate none|tanh) is ONNX's own op and lives in the unary family
// (activation.cpp); recognize_patterns produces it there.
//
// Pointwise: y = op_n(... op_2(op_1(x)) ...), one pass over the main tensor x.
//   Inputs   x (main; float32 or float16), then operands 1..N (x's dtype; each broadcasts
//            unidirectionally to x's shape). The output has x's dtype and shape.
//   ops      strings, one per step, applied in order to the running value `acc` (= x at first):
//            activations (the shared epilogue, activation_fn.h): Relu, Clip, LeakyRelu, Sigmoid,
//              HardSigmoid, HardSwish, SiLU, Gelu (erf form), Tanh;
//            other unary math: Exp, Log, Sqrt, Abs, Neg, Reciprocal, Erf, Floor, Ceil;
//            binary: Add, Sub, Mul, Div, Pow, Max, Min (acc OP operand).
//   operands ints, one per step: the input index (>= 1) of a binary step's operand; -1 for unary.
//   reversed ints, one per step (optional, default 0): 1 puts the operand on the left
//            (acc = operand OP acc), for the non-commutative Sub, Div, Pow.
//   alphas, betas  floats, one per step (optional, default 0): Clip min/max, LeakyRelu alpha,
//            HardSigmoid alpha/beta (the pass writes ONNX's defaults explicitly).
//   round_fp16  int 0/1 (optional): the float32 output is rounded to fp16 values (fp16 emulation
//            on the CPU target, as FusedConv).
//   Arithmetic is float throughout; a float16 main tensor is rounded once, at the end (a chain of
//   float16 ops rounds after every op: the fused result is the more accurate one).
//
// SoftmaxTopK: Softmax over the last axis, then TopK or ArgMax over that same axis, per row, so
// the softmax tensor is never materialised. Input X (float32, float16).
//   mode     "TopK" (outputs values, indices: as TopK) or "ArgMax" (output indices: as ArgMax)
//   axis     int (default -1): must be the last axis
//   k, largest, sorted   TopK's (k from its constant K input); output always sorted
//   keepdims, select_last_index   ArgMax's
//   Selection runs on the softmax values themselves (not the logits), so ties that the softmax
//   rounding creates resolve exactly as in the unfused Softmax -> TopK/ArgMax.
//
// SiLU: y = x * sigmoid(x) (float32, float16), the activation epilogue's kSiLU.

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "edgert/half.h"
#include "kernels/cpu/activation_fn.h"
#include "kernels/cpu/op_families.h"
#include "kernels/cpu/op_util.h"

namespace edgert::cpu {
namespace {

// ---- Pointwise ----------------------------------------------------------------------------------

enum class StepKind : std::uint8_t {
  kActivation,
  kExp,
  kLog,
  kSqrt,
  kAbs,
  kNeg,
  kReciprocal,
  kErf,
  kFloor,
  kCeil,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kPow,
  kMax,
  kMin,
};

struct StepName {
  const char* name;
  StepKind kind;
};

constexpr StepName kMathSteps[] = {
    {"Exp", StepKind::kExp}, {"Log", StepKind::kLog},     {"Sqrt", StepKind::kSqrt},
    {"Abs", StepKind::kAbs}, {"Neg", StepKind::kNeg},     {"Reciprocal", StepKind::kReciprocal},
    {"Erf", StepKind::kErf}, {"Floor", StepKind::kFloor}, {"Ceil", StepKind::kCeil},
    {"Add", StepKind::kAdd}, {"Sub", StepKind::kSub},     {"Mul", StepKind::kMul},
    {"Div", StepKind::kDiv}, {"Pow", StepKind::kPow},     {"Max", StepKind::kMax},
    {"Min", StepKind::kMin},
};

bool is_binary(StepKind k) { return k >= StepKind::kAdd; }

struct Step {
  StepKind kind = StepKind::kActivation;
  ActivationParams act;  // kActivation
  int operand = -1;      // binary: input index
  bool reversed = false;
};

struct Program {
  std::vector<Step> steps;
  bool round_fp16 = false;
};

Expected<Program> parse_pointwise(const NodeInfo& node, std::size_t num_inputs) {
  EDGERT_ASSIGN_OR_RETURN(auto ops, node.attrs.get_strings("ops"));
  EDGERT_ASSIGN_OR_RETURN(auto operands, node.attrs.get_ints("operands"));
  EDGERT_ASSIGN_OR_RETURN(auto reversed, node.attrs.get_ints("reversed"));
  EDGERT_ASSIGN_OR_RETURN(auto alphas, node.attrs.get_floats("alphas"));
  EDGERT_ASSIGN_OR_RETURN(auto betas, node.attrs.get_floats("betas"));
  EDGERT_ASSIGN_OR_RETURN(auto round16, node.attrs.get_int("round_fp16", 0));
  const std::size_t n = ops.size();
  if (n == 0) return invalid(node, "attribute 'ops' must list at least one op");
  auto check_len = [&](std::size_t len, const char* what, bool optional) -> Status {
    if (len == n || (optional && len == 0)) return {};
    return invalid(node, std::string("attribute '") + what + "' has " + std::to_string(len) +
                             " entries for " + std::to_string(n) + " ops");
  };
  EDGERT_RETURN_IF_ERROR(check_len(operands.size(), "operands", false));
  EDGERT_RETURN_IF_ERROR(check_len(reversed.size(), "reversed", true));
  EDGERT_RETURN_IF_ERROR(check_len(alphas.size(), "alphas", true));
  EDGERT_RETURN_IF_ERROR(check_len(betas.size(), "betas", true));
  Program prog;
  prog.round_fp16 = round16 != 0;
  std::vector<bool> used(num_inputs, false);
  for (std::size_t i = 0; i < n; ++i) {
    Step s;
    const std::string where = "op " + std::to_string(i) + " ('" + ops[i] + "')";
    auto math = std::find_if(std::begin(kMathSteps), std::end(kMathSteps),
                             [&](const StepName& m) { return ops[i] == m.name; });
    if (math != std::end(kMathSteps)) {
      s.kind = math->kind;
    } else {
      auto act = parse_activation(ops[i]);
      if (!act || *act == Activation::kNone)
        return unsupported(node, where + " is not a Pointwise op");
      s.kind = StepKind::kActivation;
      s.act.kind = *act;
      s.act.alpha = alphas.empty() ? 0.f : alphas[i];
      s.act.beta = betas.empty() ? 0.f : betas[i];
    }
    s.reversed = !reversed.empty() && reversed[i] != 0;
    if (is_binary(s.kind)) {
      if (operands[i] < 1 || operands[i] >= static_cast<std::int64_t>(num_inputs))
        return invalid(node, where + " reads operand input " + std::to_string(operands[i]) +
                                 ", the node has inputs 1.." + std::to_string(num_inputs - 1));
      s.operand = static_cast<int>(operands[i]);
      used[static_cast<std::size_t>(s.operand)] = true;
    } else if (operands[i] != -1) {
      return invalid(node, where + " is unary: its operand index must be -1");
    }
    prog.steps.push_back(s);
  }
  for (std::size_t i = 1; i < num_inputs; ++i)
    if (!used[i]) return invalid(node, "input " + std::to_string(i) + " is read by no op");
  return prog;
}

/// True when `s` broadcasts to `main` without changing it (unknown dims are given the benefit).
bool broadcasts_into(const Shape& s, const Shape& main) {
  if (s.unknown_rank() || main.unknown_rank()) return true;
  if (s.rank() > main.rank()) return false;
  for (std::size_t i = 0; i < s.rank(); ++i) {
    const std::int64_t d = s[i], m = main[main.rank() - s.rank() + i];
    if (d == 1 || d == Shape::kUnknownDim || m == Shape::kUnknownDim) continue;
    if (d != m) return false;
  }
  return true;
}

Status infer_pointwise(InferContext& ctx) {
  const TensorInfo& x = ctx.inputs[0];
  if (x.dtype != DataType::kFloat32 && x.dtype != DataType::kFloat16)
    return unsupported_dtype(ctx.node, 0, x.dtype);
  EDGERT_ASSIGN_OR_RETURN(Program prog, parse_pointwise(ctx.node, ctx.inputs.size()));
  if (prog.round_fp16 && x.dtype != DataType::kFloat32)
    return invalid(ctx.node, "round_fp16 applies to a float32 output only");
  for (std::size_t i = 1; i < ctx.inputs.size(); ++i) {
    if (!ctx.has_input(i))
      return invalid(ctx.node, "operand input " + std::to_string(i) + " is missing");
    if (ctx.inputs[i].dtype != x.dtype)
      return invalid(ctx.node, "operand input " + std::to_string(i) + " has type " +
                                   dtype_name(ctx.inputs[i].dtype) + ", the main input has " +
                                   dtype_name(x.dtype));
    if (!broadcasts_into(ctx.inputs[i].shape, x.shape))
      return invalid(ctx.node, "operand input " + std::to_string(i) + " of shape " +
                                   ctx.inputs[i].shape.to_string() +
                                   " does not broadcast to the main shape " + x.shape.to_string());
  }
  set_output(ctx, 0, x.dtype, x.shape);
  return {};
}

inline float max_nan(float a, float b) {
  if (std::isnan(a)) return a;  // NaN propagates, as the Max op
  if (std::isnan(b)) return b;
  return a < b ? b : a;
}
inline float min_nan(float a, float b) {
  if (std::isnan(a)) return a;
  if (std::isnan(b)) return b;
  return b < a ? b : a;
}

/// acc[i] = f(acc[i], b[i * stride]) over one row, with the operand on the left when reversed.
template <class F>
void binary_row(float* acc, const float* b, std::int64_t stride, std::int64_t len, bool reversed,
                F f) {
  if (reversed) {
    for (std::int64_t i = 0; i < len; ++i) acc[i] = f(b[i * stride], acc[i]);
  } else {
    for (std::int64_t i = 0; i < len; ++i) acc[i] = f(acc[i], b[i * stride]);
  }
}

void apply_step(const Step& s, float* acc, const float* b, std::int64_t stride, std::int64_t len) {
  auto unary = [&](auto f) {
    for (std::int64_t i = 0; i < len; ++i) acc[i] = f(acc[i]);
  };
  switch (s.kind) {
    case StepKind::kActivation: apply_activation(s.act, acc, len); return;
    case StepKind::kExp: unary([](float v) { return std::exp(v); }); return;
    case StepKind::kLog: unary([](float v) { return std::log(v); }); return;
    case StepKind::kSqrt: unary([](float v) { return std::sqrt(v); }); return;
    case StepKind::kAbs: unary([](float v) { return std::fabs(v); }); return;
    case StepKind::kNeg: unary([](float v) { return -v; }); return;
    case StepKind::kReciprocal: unary([](float v) { return 1.f / v; }); return;
    case StepKind::kErf: unary([](float v) { return std::erf(v); }); return;
    case StepKind::kFloor: unary([](float v) { return std::floor(v); }); return;
    case StepKind::kCeil: unary([](float v) { return std::ceil(v); }); return;
    case StepKind::kAdd: binary_row(acc, b, stride, len, s.reversed, std::plus<float>()); return;
    case StepKind::kSub: binary_row(acc, b, stride, len, s.reversed, std::minus<float>()); return;
    case StepKind::kMul:
      binary_row(acc, b, stride, len, s.reversed, std::multiplies<float>());
      return;
    case StepKind::kDiv: binary_row(acc, b, stride, len, s.reversed, std::divides<float>()); return;
    case StepKind::kPow:
      binary_row(acc, b, stride, len, s.reversed, [](float p, float q) { return std::pow(p, q); });
      return;
    case StepKind::kMax: binary_row(acc, b, stride, len, s.reversed, max_nan); return;
    case StepKind::kMin: binary_row(acc, b, stride, len, s.reversed, min_nan); return;
  }
}

/// Float copies of float16 tensors (float32 tensors are read in place).
const float* as_float(const Tensor& t, std::vector<float>& buf) {
  if (t.dtype() == DataType::kFloat32) return t.data<float>();
  buf.resize(static_cast<std::size_t>(t.numel()));
  const std::uint16_t* h = t.data<std::uint16_t>();
  for (std::int64_t i = 0; i < t.numel(); ++i)
    buf[static_cast<std::size_t>(i)] = half_to_float(h[i]);
  return buf.data();
}

Status compute_pointwise(ComputeContext& ctx) {
  EDGERT_ASSIGN_OR_RETURN(Program prog, parse_pointwise(ctx.node, ctx.inputs.size()));
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  const Shape& shape = x.shape();
  const std::size_t rank = shape.rank();
  // Rows along the last dim; every operand's offset per row from its broadcast strides.
  const std::int64_t len = rank == 0 ? 1 : shape[rank - 1];
  const std::int64_t rows = len == 0 ? 0 : x.numel() / len;
  std::vector<std::vector<float>> bufs(ctx.inputs.size());
  std::vector<const float*> data(ctx.inputs.size());
  std::vector<std::vector<std::int64_t>> strides(ctx.inputs.size());
  for (std::size_t i = 0; i < ctx.inputs.size(); ++i) {
    data[i] = as_float(*ctx.inputs[i], bufs[i]);
    strides[i] = broadcast_strides(ctx.inputs[i]->shape(), shape);
  }
  const bool half_out = y.dtype() == DataType::kFloat16;
#pragma omp parallel if (x.numel() >= (1 << 15))
  {
    std::vector<float> acc(static_cast<std::size_t>(len));
    std::vector<std::int64_t> idx(rank, 0);
#pragma omp for schedule(static)
    for (std::int64_t r = 0; r < rows; ++r) {
      // Multi-index of the row's first element (the last dim is 0).
      std::int64_t rem = r;
      for (std::size_t d = rank >= 1 ? rank - 1 : 0; d-- > 0;) {
        idx[d] = rem % shape[d];
        rem /= shape[d];
      }
      auto offset = [&](std::size_t input) {
        std::int64_t off = 0;
        for (std::size_t d = 0; d + 1 < rank; ++d) off += idx[d] * strides[input][d];
        return off;
      };
      const float* xr = data[0] + offset(0);
      const std::int64_t xs = rank == 0 ? 0 : strides[0][rank - 1];
      for (std::int64_t i = 0; i < len; ++i) acc[static_cast<std::size_t>(i)] = xr[i * xs];
      for (const Step& s : prog.steps) {
        const float* b = nullptr;
        std::int64_t bs = 0;
        if (s.operand > 0) {
          const auto k = static_cast<std::size_t>(s.operand);
          b = data[k] + offset(k);
          bs = rank == 0 ? 0 : strides[k][rank - 1];
        }
        apply_step(s, acc.data(), b, bs, len);
      }
      const std::int64_t o = r * len;
      if (half_out) {
        std::uint16_t* yh = y.data<std::uint16_t>() + o;
        for (std::int64_t i = 0; i < len; ++i)
          yh[i] = float_to_half(acc[static_cast<std::size_t>(i)]);
      } else {
        float* yf = y.data<float>() + o;
        for (std::int64_t i = 0; i < len; ++i) {
          const float v = acc[static_cast<std::size_t>(i)];
          yf[i] = prog.round_fp16 ? half_to_float(float_to_half(v)) : v;
        }
      }
    }
  }
  return {};
}

// ---- SoftmaxTopK --------------------------------------------------------------------------------

struct SoftmaxTopKParams {
  bool argmax = false;
  std::int64_t k = 1;
  bool largest = true;
  bool keepdims = true;
  bool select_last = false;
};

Expected<SoftmaxTopKParams> parse_softmax_topk(const NodeInfo& node, const Shape& x) {
  SoftmaxTopKParams p;
  EDGERT_ASSIGN_OR_RETURN(auto mode, node.attrs.get_string("mode", ""));
  if (mode == "ArgMax") {
    p.argmax = true;
  } else if (mode != "TopK") {
    return invalid(node, "attribute 'mode'='" + mode + "' must be TopK or ArgMax");
  }
  EDGERT_ASSIGN_OR_RETURN(auto axis, node.attrs.get_int("axis", -1));
  EDGERT_ASSIGN_OR_RETURN(p.k, node.attrs.get_int("k", 1));
  EDGERT_ASSIGN_OR_RETURN(auto largest, node.attrs.get_int("largest", 1));
  EDGERT_ASSIGN_OR_RETURN(auto keepdims, node.attrs.get_int("keepdims", 1));
  EDGERT_ASSIGN_OR_RETURN(auto last, node.attrs.get_int("select_last_index", 0));
  p.largest = largest != 0;
  p.keepdims = keepdims != 0;
  p.select_last = last != 0;
  if (!x.unknown_rank()) {
    const auto rank = static_cast<std::int64_t>(x.rank());
    if (rank == 0) return invalid(node, "input must have rank >= 1");
    EDGERT_ASSIGN_OR_RETURN(auto a, normalize_axis(node, axis, rank));
    if (a != rank - 1)
      return unsupported(node, "axis " + std::to_string(axis) + " is not the last axis");
    const std::int64_t n = x[static_cast<std::size_t>(a)];
    if (!p.argmax && (p.k < 0 || (n != Shape::kUnknownDim && p.k > n)))
      return invalid(node,
                     "k=" + std::to_string(p.k) + " is outside [0, " + std::to_string(n) + "]");
    if (p.argmax && n == 0) return invalid(node, "cannot take ArgMax of an empty axis");
  }
  return p;
}

Status infer_softmax_topk(InferContext& ctx) {
  const TensorInfo& in = ctx.inputs[0];
  if (in.dtype != DataType::kFloat32 && in.dtype != DataType::kFloat16)
    return unsupported_dtype(ctx.node, 0, in.dtype);
  EDGERT_ASSIGN_OR_RETURN(auto p, parse_softmax_topk(ctx.node, in.shape));
  if (in.shape.unknown_rank()) {
    if (!p.argmax) set_output(ctx, 0, in.dtype, Shape::unknown());
    set_output(ctx, p.argmax ? 0 : 1, DataType::kInt64, Shape::unknown());
    return {};
  }
  std::vector<std::int64_t> dims = in.shape.dims();
  if (p.argmax) {
    if (p.keepdims) {
      dims.back() = 1;
    } else {
      dims.pop_back();
    }
    set_output(ctx, 0, DataType::kInt64, Shape(dims));
    if (ctx.outputs.size() > 1) return invalid(ctx.node, "mode ArgMax has one output");
    return {};
  }
  dims.back() = p.k;
  set_output(ctx, 0, in.dtype, Shape(dims));
  set_output(ctx, 1, DataType::kInt64, Shape(dims));
  if (ctx.outputs.size() > 2) return invalid(ctx.node, "mode TopK has two outputs");
  return {};
}

/// Softmax of one row (max-shifted exp, sum, multiply by the reciprocal: the Softmax op's order
/// of operations, so the values match it).
void softmax_row(const float* x, float* y, std::int64_t n) {
  float mx = -std::numeric_limits<float>::infinity();
  for (std::int64_t j = 0; j < n; ++j) mx = std::max(mx, x[j]);
  if (!std::isfinite(mx)) mx = 0.f;
  float sum = 0.f;
  for (std::int64_t j = 0; j < n; ++j) {
    y[j] = std::exp(x[j] - mx);
    sum += y[j];
  }
  const float inv = 1.f / sum;
  for (std::int64_t j = 0; j < n; ++j) y[j] *= inv;
}

Status compute_softmax_topk(ComputeContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  EDGERT_ASSIGN_OR_RETURN(auto p, parse_softmax_topk(ctx.node, x.shape()));
  const std::int64_t n = x.shape().dims().back();
  const std::int64_t rows = n == 0 ? 0 : x.numel() / n;
  std::vector<float> xbuf;
  const float* xs = as_float(x, xbuf);
  const bool half = x.dtype() == DataType::kFloat16;
  const std::int64_t k = p.argmax ? 1 : p.k;
  Tensor* values = p.argmax ? nullptr : ctx.outputs[0];
  Tensor* indices =
      ctx.outputs.size() > (p.argmax ? 0u : 1u) ? ctx.outputs[p.argmax ? 0 : 1] : nullptr;
#pragma omp parallel if (x.numel() >= (1 << 15))
  {
    std::vector<float> y(static_cast<std::size_t>(n));
    std::vector<std::int64_t> order(static_cast<std::size_t>(n));
#pragma omp for schedule(static)
    for (std::int64_t r = 0; r < rows; ++r) {
      softmax_row(xs + r * n, y.data(), n);
      // A float16 Softmax output is rounded to half before TopK/ArgMax see it.
      if (half)
        for (float& v : y) v = half_to_float(float_to_half(v));
      if (p.argmax) {
        std::int64_t best = 0;
        for (std::int64_t j = 1; j < n; ++j)
          if (p.select_last ? y[j] >= y[best] : y[j] > y[best]) best = j;
        if (indices) indices->data<std::int64_t>()[r] = best;
        continue;
      }
      std::iota(order.begin(), order.end(), 0);
      // Ties keep the lower index first, as TopK.
      auto cmp = [&](std::int64_t a, std::int64_t b) {
        const float va = y[a], vb = y[b];
        if (va != vb) return p.largest ? va > vb : va < vb;
        return a < b;
      };
      std::partial_sort(order.begin(), order.begin() + k, order.end(), cmp);
      for (std::int64_t j = 0; j < k; ++j) {
        const std::int64_t o = r * k + j;
        const float v = y[static_cast<std::size_t>(order[j])];
        if (values && half) {
          values->data<std::uint16_t>()[o] = float_to_half(v);
        } else if (values) {
          values->data<float>()[o] = v;
        }
        if (indices) indices->data<std::int64_t>()[o] = order[j];
      }
    }
  }
  return {};
}

// ---- SiLU ---------------------------------------------------------------------------------------

Status infer_silu(InferContext& ctx) {
  const TensorInfo& x = ctx.inputs[0];
  if (x.dtype != DataType::kFloat32 && x.dtype != DataType::kFloat16)
    return unsupported_dtype(ctx.node, 0, x.dtype);
  set_output(ctx, 0, x.dtype, x.shape);
  return {};
}

Status compute_silu(ComputeContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  const ActivationParams silu{Activation::kSiLU, 0.f, 0.f};
  const std::int64_t n = x.numel();
  if (x.dtype() == DataType::kFloat32) {
    const float* xs = x.data<float>();
    float* ys = y.data<float>();
#pragma omp parallel for if (n >= (1 << 15))
    for (std::int64_t i = 0; i < n; ++i) ys[i] = apply_activation(silu, xs[i]);
    return {};
  }
  const std::uint16_t* xs = x.data<std::uint16_t>();
  std::uint16_t* ys = y.data<std::uint16_t>();
#pragma omp parallel for if (n >= (1 << 15))
  for (std::int64_t i = 0; i < n; ++i)
    ys[i] = float_to_half(apply_activation(silu, half_to_float(xs[i])));
  return {};
}

// ---- Reformat: a tensor to another type and/or memory order (the CUDA target's format
// boundaries; the CPU op is their reference). Attributes: to (DataType code), x_format /
// y_format (0 linear, 1 NHWC: rank 4 only), x_scale / y_scale (int8 <-> float, symmetric:
// int8 -> float q * x_scale; float -> int8 clamp(round_half_even(v / y_scale), -127, 127)).

bool reformat_type_ok(DataType t) {
  return t == DataType::kFloat32 || t == DataType::kFloat16 || t == DataType::kInt8;
}

Status infer_reformat(InferContext& ctx) {
  EDGERT_ASSIGN_OR_RETURN(std::int64_t to, ctx.node.attrs.get_int("to", 0));
  const auto yt = static_cast<DataType>(to);
  if (!reformat_type_ok(yt)) return invalid(ctx.node, "attribute 'to' is not float32/float16/int8");
  const TensorInfo& x = ctx.inputs[0];
  if (x.dtype != DataType::kUndefined && !reformat_type_ok(x.dtype))
    return unsupported_dtype(ctx.node, 0, x.dtype);
  for (const char* f : {"x_format", "y_format"}) {
    EDGERT_ASSIGN_OR_RETURN(std::int64_t v, ctx.node.attrs.get_int(f, 0));
    if (v != 0 && v != 1) return invalid(ctx.node, std::string(f) + " must be 0 or 1");
    if (v == 1 && !x.shape.unknown_rank() && x.shape.rank() != 4)
      return invalid(ctx.node, std::string(f) + "=1 (NHWC) needs a 4-D tensor");
  }
  set_output(ctx, 0, yt, x.shape);
  return {};
}

Status compute_reformat(ComputeContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  const auto& a = ctx.node.attrs;
  EDGERT_ASSIGN_OR_RETURN(std::int64_t xf, a.get_int("x_format", 0));
  EDGERT_ASSIGN_OR_RETURN(std::int64_t yf, a.get_int("y_format", 0));
  EDGERT_ASSIGN_OR_RETURN(float xs, a.get_float("x_scale", 1.f));
  EDGERT_ASSIGN_OR_RETURN(float ys, a.get_float("y_scale", 1.f));
  const std::int64_t n = x.numel();
  auto load = [&](std::int64_t i) -> float {
    switch (x.dtype()) {
      case DataType::kFloat16: return half_to_float(x.data<std::uint16_t>()[i]);
      case DataType::kInt8: return static_cast<float>(x.data<std::int8_t>()[i]) * xs;
      default: return x.data<float>()[i];
    }
  };
  auto store = [&](std::int64_t i, float v) {
    switch (y.dtype()) {
      case DataType::kFloat16: y.data<std::uint16_t>()[i] = float_to_half(v); break;
      case DataType::kInt8: {
        const float q = std::nearbyint(v / ys);
        y.data<std::int8_t>()[i] =
            !(q >= -127.f) ? std::int8_t{-127}
                           : (q > 127.f ? std::int8_t{127} : static_cast<std::int8_t>(q));
        break;
      }
      default: y.data<float>()[i] = v;
    }
  };
  if (xf == yf) {
    for (std::int64_t i = 0; i < n; ++i) store(i, load(i));
    return {};
  }
  const auto& d = x.shape().dims();
  const std::int64_t N = d[0], C = d[1], H = d[2], W = d[3];
  for (std::int64_t in = 0; in < N; ++in)
    for (std::int64_t c = 0; c < C; ++c)
      for (std::int64_t h = 0; h < H; ++h)
        for (std::int64_t w = 0; w < W; ++w) {
          const std::int64_t nchw = ((in * C + c) * H + h) * W + w;
          const std::int64_t nhwc = ((in * H + h) * W + w) * C + c;
          if (xf == 0)
            store(nhwc, load(nchw));
          else
            store(nchw, load(nhwc));
        }
  return {};
}

static const OpDef kOps[] = {
    {"Pointwise", 1, 1, 64, infer_pointwise, compute_pointwise,
     "float32, float16; domain edgert; a chain of unary/binary elementwise ops on the main input "
     "(operands broadcast to it)"},
    {"SoftmaxTopK", 1, 1, 1, infer_softmax_topk, compute_softmax_topk,
     "float32, float16; domain edgert; Softmax + TopK/ArgMax over the last axis"},
    {"SiLU", 1, 1, 1, infer_silu, compute_silu, "float32, float16; domain edgert; x * sigmoid(x)"},
    {"Reformat", 1, 1, 1, infer_reformat, compute_reformat,
     "float32, float16, int8; domain edgert; type and NCHW/NHWC order conversion (CUDA target)"},
};

}  // namespace

OpTable fused_pointwise_ops() {
  static_assert(std::size(kOps) == kFusedPointwiseOpCount,
                "update kFusedPointwiseOpCount in op_families.h");
  return {kOps, std::size(kOps)};
}

}  // namespace edgert::cpu
