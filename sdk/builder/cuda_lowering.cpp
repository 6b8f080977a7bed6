// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Formats for the CUDA target. Each layer states what it reads (per input: a type and an order,
// or "as produced") and what it writes; Reformat layers bridge the differences. The rules:
//   FusedConv fp16: reads and writes float16 NHWC (x and the residual z); fp32: float32 linear.
//   FusedGemm fp16: float16 linear; fp32: float32 linear.
//   ConvInt8 (2-D, ungrouped or depthwise): int8 NHWC x (a float x is quantized by the Reformat
//     with the layer's x_scale), z int8 or float32 NHWC, y int8 or float32 NHWC; other ConvInt8
//     run on the CPU fallback: the same types, linear. GemmInt8: int8 linear A.
//   pools, element-wise ops, Pointwise, Concat: run in whatever type/order input 0 has (the
//     other inputs are brought to it), write the same.
//   Softmax, SoftmaxTopK, views (Reshape, Flatten, ...): any float type, linear order.
//   everything else (CPU fallback and kernels that read linear float32): float32 linear.
// A 4-D tensor with H = W = 1 is the same bytes in both orders: it is always called linear.

#include "builder/cuda_lowering.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "builder/engine_lowering.h"
#include "edgert/half.h"
#include "kernels/cpu/op_def.h"
#include "passes/rewrite_helpers.h"

namespace edgert::builder {
namespace {

namespace rw = passes::rw;

struct Format {
  DataType dtype = DataType::kFloat32;
  bool nhwc = false;
  bool operator==(const Format& o) const { return dtype == o.dtype && nhwc == o.nhwc; }
  bool operator<(const Format& o) const {
    return std::tie(dtype, nhwc) < std::tie(o.dtype, o.nhwc);
  }
};

const std::set<std::string>& follow_ops() {
  static const std::set<std::string> k = {"MaxPool",       "AveragePool", "GlobalAveragePool",
                                          "GlobalMaxPool", "Pointwise",   "SiLU",
                                          "Relu",          "Clip",        "LeakyRelu",
                                          "Sigmoid",       "HardSigmoid", "HardSwish",
                                          "Gelu",          "Tanh",        "Exp",
                                          "Log",           "Sqrt",        "Abs",
                                          "Neg",           "Reciprocal",  "Erf",
                                          "Floor",         "Ceil",        "Add",
                                          "Sub",           "Mul",         "Div",
                                          "Pow",           "Max",         "Min",
                                          "Concat"};
  return k;
}

/// A layer that runs in the format its input 0 arrives in (element-wise with at most one
/// operand, Pointwise chains, pools, Concat).
bool follows(const ir::Node& n) {
  const std::string& t = n.info.op_type;
  if (!follow_ops().count(t)) return false;
  return t == "Pointwise" || t == "Concat" || t == "Clip" || n.inputs.size() <= 2;
}

bool nhwc_possible(const ir::Value& v) {
  const Shape& s = v.info.shape;
  return s.rank() == 4 && s.is_static() && s[2] * s[3] != 1;
}

Expected<Tensor> to_fp16(const Tensor& t) {
  EDGERT_ASSIGN_OR_RETURN(Tensor r, Tensor::allocate(DataType::kFloat16, t.shape()));
  const float* src = t.data<float>();
  auto* dst = r.data<std::uint16_t>();
  for (std::int64_t i = 0; i < t.numel(); ++i) dst[i] = float_to_half(src[i]);
  return r;
}

/// A ConvInt8 that EdgeRT's int8 kernels run (2-D, ungrouped or depthwise): int8 NHWC in and
/// out. Other int8 convolutions run on the CPU fallback, which reads linear tensors.
bool int8_conv_on_gpu(const ir::Node& n) {
  if (n.info.op_type != "ConvInt8" || n.inputs.size() < 2 || !n.inputs[0] || !n.inputs[1])
    return false;
  const Shape& xs = n.inputs[0]->info.shape;
  const Shape& ws = n.inputs[1]->info.shape;
  if (xs.rank() != 4 || ws.rank() != 4 || !xs.is_static() || !ws.is_static()) return false;
  const auto ga = n.info.attrs.get_int("group", 1);
  const std::int64_t group = ga.ok() ? *ga : 1;
  return group == 1 || (group == xs[1] && ws[0] == xs[1] && ws[1] == 1);
}

/// What layer n needs on input k; `produced` is the format input 0 arrives in.
Format required(const ir::Node& n, std::size_t k, const Format& in0, const ir::Value& v) {
  const std::string& t = n.info.op_type;
  const bool fp16 = n.precision == Precision::kFP16;
  if (t == "ConvInt8") {
    // x int8 (a float x is quantized on the way in, as the CPU op does inside); z int8 or float32.
    if (k == 0) return {DataType::kInt8, int8_conv_on_gpu(n) && nhwc_possible(v)};
    if (k == 4)
      return {v.info.dtype == DataType::kInt8 ? DataType::kInt8 : DataType::kFloat32,
              int8_conv_on_gpu(n) && nhwc_possible(v)};
    return {v.info.dtype, false};  // weights and scales as stored
  }
  if (t == "GemmInt8") {
    if (k == 0) return {DataType::kInt8, false};
    return {v.info.dtype, false};
  }
  if (t == "FusedConv") {
    if (k == 1 || k == 2) return {v.info.dtype, false};  // weights as stored
    return fp16 ? Format{DataType::kFloat16, nhwc_possible(v)} : Format{DataType::kFloat32, false};
  }
  if (t == "FusedGemm") {
    if (k >= 1) return {v.info.dtype, false};
    return {fp16 ? DataType::kFloat16 : DataType::kFloat32, false};
  }
  // A follow op whose input 0 is not floating point (Pow(int, float), Add(int64, int64)) runs on
  // the CPU fallback: its float operands are not brought to input 0's type.
  if (follows(n) && is_float(in0.dtype)) {
    if (v.is_constant && k > 0 && t != "Concat") {
      // Constant operands (Clip bounds, broadcast operands) follow input 0's type.
      return {is_float(v.info.dtype) && t != "Clip" ? in0.dtype : v.info.dtype, false};
    }
    if (k == 0) return {v.info.dtype, v.nhwc};
    return {in0.dtype, in0.nhwc && nhwc_possible(v)};
  }
  if (t == "Softmax" || t == "LogSoftmax" || t == "SoftmaxTopK" || is_view_op(t) ||
      t == "Transpose")
    return {v.info.dtype, false};
  // CPU fallback: float32 linear for float inputs; other types untouched.
  return {is_float(v.info.dtype) ? DataType::kFloat32 : v.info.dtype, false};
}

class Lowerer {
 public:
  Lowerer(ir::Graph& g, ir::BuildLog& log) : g_(g), log_(log) {
    for (const ir::Value* v : g_.outputs()) declared_[v->name] = v->info.dtype;
  }

  Status run() {
    EDGERT_RETURN_IF_ERROR(convert_weights());
    const std::vector<ir::Node*> nodes = g_.nodes();
    for (ir::Node* n : nodes) {
      if (n->dead) continue;
      EDGERT_RETURN_IF_ERROR(place_inputs(*n));
      set_outputs(*n);
    }
    EDGERT_RETURN_IF_ERROR(fix_graph_outputs());
    log_.note("CUDA formats: " + std::to_string(reformats_) + " Reformat layer(s) inserted");
    g_.compact();
    return g_.topological_sort();
  }

 private:
  Status convert_weights() {
    for (ir::Node* n : g_.nodes()) {
      if (n->dead || n->precision != Precision::kFP16) continue;
      const std::string& t = n->info.op_type;
      if (t == "Conv" || t == "Gemm") {
        n->info.op_type = t == "Conv" ? "FusedConv" : "FusedGemm";
        n->domain = "edgert";
        if (n->fused.empty()) n->fused = {n->info.name};
      }
      if (n->info.op_type != "FusedConv" && n->info.op_type != "FusedGemm") continue;
      ir::Value* w = n->inputs.size() > 1 ? n->inputs[1] : nullptr;
      ir::Value* b = n->inputs.size() > 2 ? n->inputs[2] : nullptr;
      if ((w && !w->is_constant) || (b && !b->is_constant)) {
        // The GPU kernels take constant weights; the CPU fallback that runs this layer computes
        // in float32.
        n->precision = Precision::kFP32;
        log_.note("Layer " + n->info.name + " runs in fp32: its weights are a run-time input");
        continue;
      }
      if (!w || w->data.dtype() != DataType::kFloat32) continue;
      EDGERT_ASSIGN_OR_RETURN(Tensor h, to_fp16(w->data));
      EDGERT_ASSIGN_OR_RETURN(ir::Value * hv,
                              g_.add_constant(rw::fresh_name(g_, w->name + "_fp16"), std::move(h)));
      replace_input(*n, 1, hv);
    }
    return {};
  }

  void replace_input(ir::Node& n, std::size_t k, ir::Value* v) {
    ir::Value* old = n.inputs[k];
    if (old) {
      auto it = std::find(old->consumers.begin(), old->consumers.end(), &n);
      if (it != old->consumers.end()) old->consumers.erase(it);
    }
    n.inputs[k] = v;
    if (v) v->consumers.push_back(&n);
  }

  Format current(const ir::Value& v) const { return {v.info.dtype, v.nhwc}; }

  /// A value holding `v` in format f (v itself, or the output of a (shared) Reformat).
  /// `qscale`: the int8 scale when f quantizes a float value (the tensor's one activation scale).
  Expected<ir::Value*> in_format(ir::Value* v, const Format& f, float qscale = 0.f) {
    if (current(*v) == f) return v;
    auto key = std::make_pair(v, f);
    if (auto it = converted_.find(key); it != converted_.end()) return it->second;
    if (v->is_constant && !v->nhwc && v->data.dtype() == DataType::kFloat32 &&
        f.dtype == DataType::kFloat16 && !f.nhwc) {
      EDGERT_ASSIGN_OR_RETURN(Tensor h, to_fp16(v->data));
      EDGERT_ASSIGN_OR_RETURN(ir::Value * c,
                              g_.add_constant(rw::fresh_name(g_, v->name + "_fp16"), std::move(h)));
      converted_[key] = c;
      return c;
    }
    const char* suffix = f.dtype == DataType::kFloat16 ? "_fp16"
                         : f.dtype == DataType::kInt8  ? "_int8"
                                                       : "";
    const std::string out = rw::fresh_name(g_, v->name + (f.nhwc ? "_nhwc" : "_linear") + suffix);
    EDGERT_ASSIGN_OR_RETURN(ir::Value * o, add_reformat(*v, out, f, qscale));
    converted_[key] = o;
    return o;
  }

  /// A Reformat layer from `in` to a new value `out` of format f.
  Expected<ir::Value*> add_reformat(const ir::Value& in, const std::string& out, const Format& f,
                                    float qscale = 0.f) {
    cpu::NodeInfo info = rw::node_info("Reformat", rw::fresh_name(g_, "reformat_" + in.name), 17);
    info.attrs.set("to", static_cast<std::int64_t>(f.dtype));
    info.attrs.set("x_format", static_cast<std::int64_t>(in.nhwc ? 1 : 0));
    info.attrs.set("y_format", static_cast<std::int64_t>(f.nhwc ? 1 : 0));
    if (f.dtype == DataType::kInt8 && in.info.dtype != DataType::kInt8) {
      if (!(qscale > 0.f))
        return make_error(StatusCode::kInternal,
                          "CUDA lowering: quantizing '" + in.name + "' without a scale");
      info.attrs.set("y_scale", qscale);
    }
    EDGERT_ASSIGN_OR_RETURN(ir::Node * r, g_.add_node(info, "edgert", {in.name}, {out}));
    r->precision = f.dtype == DataType::kFloat16 ? Precision::kFP16 : Precision::kFP32;
    ir::Value* o = r->outputs[0];
    o->info.dtype = f.dtype;
    o->info.shape = in.info.shape;
    o->nhwc = f.nhwc;
    ++reformats_;
    return o;
  }

  Status place_inputs(ir::Node& n) {
    if (n.inputs.empty() || !n.inputs[0]) return {};
    Format in0 = current(*n.inputs[0]);
    for (std::size_t k = 0; k < n.inputs.size(); ++k) {
      ir::Value* v = n.inputs[k];
      if (!v) continue;
      Format want = required(n, k, in0, *v);
      if (!is_float(v->info.dtype) && !(v->info.dtype == DataType::kInt8)) want = current(*v);
      if (k == 0 && follows(n)) {
        // Follow ops run on what arrives, except the CPU-only cases: non-float types.
        want = current(*v);
      }
      // Int8 layers quantize a float x with their x_scale, as the CPU op does inside.
      float qscale = 0.f;
      if (k == 0 && (n.info.op_type == "ConvInt8" || n.info.op_type == "GemmInt8"))
        if (auto xs = n.info.attrs.get_float("x_scale", 0.f); xs.ok()) qscale = *xs;
      EDGERT_ASSIGN_OR_RETURN(ir::Value * w, in_format(v, want, qscale));
      if (w != v) replace_input(n, k, w);
      if (k == 0) in0 = current(*n.inputs[0]);
    }
    return {};
  }

  void set_outputs(ir::Node& n) {
    const std::string& t = n.info.op_type;
    if (t == "Reformat") return;
    const bool fp16 = n.precision == Precision::kFP16;
    for (std::size_t k = 0; k < n.outputs.size(); ++k) {
      ir::Value* o = n.outputs[k];
      if (!o) continue;
      const bool float_out = is_float(o->info.dtype);
      if (t == "FusedConv") {
        o->info.dtype = fp16 ? DataType::kFloat16 : DataType::kFloat32;
        o->nhwc = fp16 && nhwc_possible(*o);
      } else if (t == "ConvInt8") {
        o->nhwc = int8_conv_on_gpu(n) && nhwc_possible(*o);  // int8 or float32, as inferred
      } else if (t == "FusedGemm") {
        o->info.dtype = fp16 ? DataType::kFloat16 : DataType::kFloat32;
      } else if (follows(n) && n.inputs[0] && float_out) {
        o->info.dtype = n.inputs[0]->info.dtype;
        o->nhwc = n.inputs[0]->nhwc && nhwc_possible(*o);
      } else if ((t == "Softmax" || t == "LogSoftmax" || is_view_op(t) || t == "Transpose" ||
                  (t == "SoftmaxTopK" && k == 0)) &&
                 n.inputs[0] && float_out) {
        o->info.dtype = n.inputs[0]->info.dtype;
      }
    }
    if (!typed_above(n)) infer_fallback_types(n);
  }

  /// The layers set_outputs types itself; the others run CPU ops on float32 linear inputs.
  static bool typed_above(const ir::Node& n) {
    const std::string& t = n.info.op_type;
    if (t == "FusedConv" || t == "ConvInt8" || t == "FusedGemm" || t == "Softmax" ||
        t == "LogSoftmax" || t == "SoftmaxTopK" || t == "Transpose" || is_view_op(t))
      return true;
    return follows(n) && n.inputs[0] && is_float(n.inputs[0]->info.dtype);
  }

  /// Output types as the CPU op infers them from the inputs as lowered: a float16 input is now
  /// float32 (Mod of float16 model inputs computes float32), a Cast to float16 still gives float16.
  void infer_fallback_types(ir::Node& n) {
    const cpu::OpDef* op = cpu::find_op(n.info.op_type);
    if (!op) return;
    cpu::InferContext ictx = ir::infer_context(n);
    if (!op->infer(ictx).ok()) return;  // the types stay as the graph inferred them
    for (std::size_t k = 0; k < n.outputs.size(); ++k)
      if (n.outputs[k] && ictx.outputs[k].dtype != DataType::kUndefined)
        n.outputs[k]->info.dtype = ictx.outputs[k].dtype;
  }

  Status fix_graph_outputs() {
    for (ir::Value*& out : g_.outputs()) {
      ir::Value* v = out;
      if (!v->nhwc && (v->info.dtype == original_dtype(*v))) continue;
      // The producer writes an internal value; a Reformat writes the declared graph output.
      ir::Node* p = v->producer;
      if (!p) continue;
      const std::string inner = rw::fresh_name(g_, v->name + "_internal");
      ir::Value* iv = g_.get_or_add_value(inner);
      iv->info = v->info;
      iv->nhwc = v->nhwc;
      for (auto& po : p->outputs)
        if (po == v) po = iv;
      iv->producer = p;
      iv->consumers = v->consumers;
      for (ir::Node* c : iv->consumers)
        for (auto& ci : c->inputs)
          if (ci == v) ci = iv;
      v->consumers.clear();
      v->producer = nullptr;
      EDGERT_RETURN_IF_ERROR(add_reformat(*iv, v->name, {original_dtype(*v), false}).status());
    }
    return {};
  }

  /// Graph outputs keep the model's types: a float16 the lowering chose is internal to the engine,
  /// a float16 the model declares (a Cast to float16, float16 inputs) stays.
  DataType original_dtype(const ir::Value& v) const {
    auto it = declared_.find(v.name);
    return it != declared_.end() ? it->second : v.info.dtype;
  }

  ir::Graph& g_;
  ir::BuildLog& log_;
  std::map<std::pair<ir::Value*, Format>, ir::Value*> converted_;
  std::map<std::string, DataType> declared_;  ///< graph output -> the model's type
  int reformats_ = 0;
};

}  // namespace

Status lower_for_cuda(ir::Graph& g, ir::BuildLog& log) { return Lowerer(g, log).run(); }

}  // namespace edgert::builder
