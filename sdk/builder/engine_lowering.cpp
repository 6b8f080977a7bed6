// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// ir::Graph -> engine::EngineDef: tensors, layers, weights, storage and the memory plan.

#include "builder/engine_lowering.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <unordered_map>

#include "builder/memory_planner.h"
#include "engine/engine_file.h"

namespace edgert::builder {
namespace {

using engine::Storage;
using engine::TensorDef;

// Elementwise ops whose kernels compute y[i] from x[i] alone (kernels/cpu unary family, the
// builder's Pointwise/Gelu/SiLU layers): writing y over x is safe.
const std::set<std::string>& in_place_ops() {
  static const std::set<std::string> kOps = {"Abs",
                                             "Neg",
                                             "Reciprocal",
                                             "Sqrt",
                                             "Exp",
                                             "Log",
                                             "Relu",
                                             "Tanh",
                                             "Erf",
                                             "Floor",
                                             "Ceil",
                                             "Round",
                                             "Sign",
                                             "Sin",
                                             "Cos",
                                             "Tan",
                                             "Asin",
                                             "Acos",
                                             "Atan",
                                             "Sinh",
                                             "Cosh",
                                             "Asinh",
                                             "Acosh",
                                             "Atanh",
                                             "Not",
                                             "Sigmoid",
                                             "Softplus",
                                             "Softsign",
                                             "Elu",
                                             "Selu",
                                             "Celu",
                                             "LeakyRelu",
                                             "HardSigmoid",
                                             "HardSwish",
                                             "Mish",
                                             "Gelu",
                                             "ThresholdedRelu",
                                             "Clip",
                                             "Shrink",
                                             "Pointwise",
                                             "SiLU"};
  return kOps;
}

std::string value_origin(const ir::Value& v) {
  if (v.is_graph_input) return "graph input '" + v.name + "'";
  if (v.producer) return "value '" + v.name + "' (output of " + v.producer->info.describe() + ")";
  return "value '" + v.name + "'";
}

Status check_static(const ir::Value& v) {
  if (v.info.dtype == DataType::kUndefined)
    return make_error(
        StatusCode::kUnsupported,
        value_origin(v) + " has no known element type; the engine needs static types");
  if (!v.info.shape.is_static())
    return make_error(StatusCode::kUnsupported,
                      value_origin(v) + " has shape " + v.info.shape.to_string() +
                          "; engines need static shapes (fix the input shapes when building)");
  return Status::ok_status();
}

// Lowering state: tensors by value, the weights blob and per-tensor lifetimes.
class Lowering {
 public:
  Lowering(const ir::Graph& g, const EngineBuildInfo& info) : g_(g), info_(info) {}

  Expected<engine::EngineDef> run();

 private:
  Expected<std::int32_t> add_value(const ir::Value& v, Storage storage, std::int32_t io_index);
  Expected<std::int32_t> add_weight(const ir::Value& v);
  // Output slots the graph omits in the middle of a node's outputs (e.g. [null, y]) that the
  // kernel would still write: they get an anonymous arena tensor.
  Expected<std::int32_t> add_anonymous_output(const ir::Node& n, std::size_t slot);
  Status add_layer(const ir::Node& n);
  void plan();

  const ir::Graph& g_;
  const EngineBuildInfo& info_;
  engine::EngineDef def_;
  std::unordered_map<const ir::Value*, std::int32_t> index_;
  std::unordered_map<const ir::Value*, std::int32_t> output_slot_;
};

Expected<std::int32_t> Lowering::add_value(const ir::Value& v, Storage storage,
                                           std::int32_t io_index) {
  EDGERT_RETURN_IF_ERROR(check_static(v));
  TensorDef t;
  t.name = v.name;
  t.dtype = v.info.dtype;
  t.shape = v.info.shape;
  t.storage = storage;
  t.format = v.nhwc ? engine::TensorFormat::kNHWC : engine::TensorFormat::kLinear;
  t.nbytes = static_cast<std::uint64_t>(t.shape.numel()) * dtype_size(t.dtype);
  t.io_index = io_index;
  const auto idx = static_cast<std::int32_t>(def_.tensors.size());
  def_.tensors.push_back(std::move(t));
  index_[&v] = idx;
  return idx;
}

Expected<std::int32_t> Lowering::add_weight(const ir::Value& v) {
  const Tensor& data = v.data;
  if (data.empty() || data.dtype() != v.info.dtype || data.shape() != v.info.shape)
    return make_error(StatusCode::kInternal,
                      "constant '" + v.name + "' holds " + dtype_name(data.dtype()) + " " +
                          data.shape().to_string() + ", its value info says " +
                          dtype_name(v.info.dtype) + " " + v.info.shape.to_string());
  EDGERT_ASSIGN_OR_RETURN(std::int32_t idx, add_value(v, Storage::kWeight, -1));
  TensorDef& t = def_.tensors[static_cast<std::size_t>(idx)];
  t.offset = engine::align_up(def_.weights.size());
  def_.weights.resize(t.offset + t.nbytes, 0);
  if (t.nbytes) std::memcpy(def_.weights.data() + t.offset, data.raw(), t.nbytes);
  return idx;
}

Expected<std::int32_t> Lowering::add_anonymous_output(const ir::Node& n, std::size_t slot) {
  const cpu::OpDef* op = cpu::find_op(n.info.op_type);
  if (!op) return std::int32_t{-1};  // the runtime will name the unknown op
  cpu::InferContext ictx = ir::infer_context(n);
  Status s = op->infer(ictx);
  if (!s.ok() || slot >= ictx.outputs.size() || ictx.outputs[slot].dtype == DataType::kUndefined)
    return std::int32_t{-1};
  ir::Value tmp;
  tmp.name = n.info.name + ":unused_output_" + std::to_string(slot);
  tmp.info = ictx.outputs[slot];
  tmp.producer = const_cast<ir::Node*>(&n);
  EDGERT_ASSIGN_OR_RETURN(std::int32_t idx, add_value(tmp, Storage::kArena, -1));
  index_.erase(&tmp);
  return idx;
}

Status Lowering::add_layer(const ir::Node& n) {
  if (info_.target.kind == "cpu" && !cpu::find_op(n.info.op_type))
    return make_error(StatusCode::kUnsupported, n.info.describe() + ": op type '" + n.info.op_type +
                                                    "' has no kernel in the CPU op table");
  engine::LayerDef l;
  l.name = n.info.name;
  l.type = n.info.op_type;
  l.domain = n.domain;
  l.opset = n.info.opset;
  l.fused = n.fused;
  l.precision = n.precision;
  l.tactic = n.tactic.empty() ? "cpu." + n.info.op_type : n.tactic;
  l.attrs = n.info.attrs;
  for (const ir::Value* v : n.inputs) {
    if (!v) {
      l.inputs.push_back(-1);
      continue;
    }
    auto it = index_.find(v);
    if (it != index_.end()) {
      l.inputs.push_back(it->second);
    } else if (v->is_constant) {
      EDGERT_ASSIGN_OR_RETURN(std::int32_t idx, add_weight(*v));
      l.inputs.push_back(idx);
    } else {
      return make_error(StatusCode::kInvalidArgument,
                        n.info.describe() + " reads '" + v->name +
                            "', which no earlier node produces (is the graph sorted?)");
    }
  }
  std::size_t n_out = n.outputs.size();
  while (n_out > 0 && !n.outputs[n_out - 1]) --n_out;  // omitted trailing outputs: not requested
  for (std::size_t k = 0; k < n_out; ++k) {
    const ir::Value* v = n.outputs[k];
    std::int32_t idx = -1;
    if (!v) {
      EDGERT_ASSIGN_OR_RETURN(idx, add_anonymous_output(n, k));
    } else if (index_.count(v)) {
      return make_error(StatusCode::kInvalidArgument,
                        n.info.describe() + " writes '" + v->name + "', which already exists");
    } else if (auto o = output_slot_.find(v); o != output_slot_.end()) {
      EDGERT_ASSIGN_OR_RETURN(idx, add_value(*v, Storage::kOutput, o->second));
      def_.outputs[static_cast<std::size_t>(o->second)] = idx;
    } else {
      EDGERT_ASSIGN_OR_RETURN(idx, add_value(*v, Storage::kArena, -1));
    }
    l.outputs.push_back(idx);
  }
  // A view: Reshape-like op over input 0, its output not handed to the caller.
  if (is_view_op(l.type) && !l.inputs.empty() && l.inputs[0] >= 0 && l.outputs.size() == 1 &&
      l.outputs[0] >= 0) {
    TensorDef& out = def_.tensors[static_cast<std::size_t>(l.outputs[0])];
    const TensorDef& in = def_.tensors[static_cast<std::size_t>(l.inputs[0])];
    if (out.storage == Storage::kArena && out.dtype == in.dtype && out.nbytes == in.nbytes) {
      out.storage = Storage::kAlias;
      out.alias_of = l.inputs[0];
      l.flags |= engine::kLayerAlias;
    }
  }
  def_.layers.push_back(std::move(l));
  return Status::ok_status();
}

// Lifetimes -> buffers -> offsets. A buffer holds one arena tensor plus the views of it and the
// in-place outputs written over it; it lives from its first tensor's producer to the last read of
// any of its tensors.
void Lowering::plan() {
  const std::size_t nt = def_.tensors.size();
  std::vector<int> last_use(nt, -1);
  for (std::size_t li = 0; li < def_.layers.size(); ++li)
    for (auto t : def_.layers[li].inputs)
      if (t >= 0) last_use[static_cast<std::size_t>(t)] = static_cast<int>(li);

  std::vector<PlanBuffer> buffers;
  std::vector<int> buffer_of(nt, -1);
  auto root = [&](std::int32_t t) {
    while (def_.tensors[static_cast<std::size_t>(t)].storage == Storage::kAlias)
      t = def_.tensors[static_cast<std::size_t>(t)].alias_of;
    return t;
  };
  auto join = [&](std::size_t t, int b) {
    buffer_of[t] = b;
    buffers[static_cast<std::size_t>(b)].last =
        std::max(buffers[static_cast<std::size_t>(b)].last, last_use[t]);
  };
  for (std::size_t li = 0; li < def_.layers.size(); ++li) {
    engine::LayerDef& l = def_.layers[li];
    const int step = static_cast<int>(li);
    for (std::size_t k = 0; k < l.outputs.size(); ++k) {
      const std::int32_t y = l.outputs[k];
      if (y < 0) continue;
      const TensorDef& ty = def_.tensors[static_cast<std::size_t>(y)];
      if (ty.storage == Storage::kAlias) {
        const int b = buffer_of[static_cast<std::size_t>(root(y))];
        if (b >= 0) join(static_cast<std::size_t>(y), b);
        continue;
      }
      if (ty.storage != Storage::kArena) continue;
      // In place: input 0's buffer dies here and no other input of the layer reads it (directly
      // or through a view); same type and size.
      if (k == 0 && is_in_place_safe(l.type) && !l.inputs.empty() && l.inputs[0] >= 0 &&
          std::none_of(l.inputs.begin() + 1, l.inputs.end(),
                       [&](std::int32_t t) { return t >= 0 && root(t) == root(l.inputs[0]); })) {
        const std::int32_t x = l.inputs[0];
        const TensorDef& tx = def_.tensors[static_cast<std::size_t>(x)];
        const int b = buffer_of[static_cast<std::size_t>(root(x))];
        if (b >= 0 && buffers[static_cast<std::size_t>(b)].last == step && tx.dtype == ty.dtype &&
            tx.nbytes == ty.nbytes) {
          join(static_cast<std::size_t>(y), b);
          buffers[static_cast<std::size_t>(b)].last =
              std::max(buffers[static_cast<std::size_t>(b)].last, step);
          l.flags |= engine::kLayerInPlace;
          continue;
        }
      }
      buffers.push_back({ty.nbytes, step, step});
      join(static_cast<std::size_t>(y), static_cast<int>(buffers.size() - 1));
    }
  }
  const MemoryPlan mp = plan_memory(buffers);
  for (std::size_t t = 0; t < nt; ++t) {
    TensorDef& td = def_.tensors[t];
    if (td.storage == Storage::kArena)
      td.offset = mp.offsets[static_cast<std::size_t>(buffer_of[t])];
    // Naive: every intermediate tensor in its own buffer (what keeping all of them would take).
    if (td.storage == Storage::kArena || td.storage == Storage::kAlias)
      def_.memory.naive_bytes += engine::align_up(td.nbytes);
  }
  def_.memory.arena_bytes = mp.arena_bytes;
  for (const auto& l : def_.layers) {
    if (l.flags & engine::kLayerAlias) ++def_.memory.alias_layers;
    if (l.flags & engine::kLayerInPlace) ++def_.memory.in_place_layers;
  }
}

Expected<engine::EngineDef> Lowering::run() {
  EngineHeader& h = def_.header;
  h.format_version = engine::kFormatVersion;
  h.sdk_version = EDGERT_VERSION;
  h.target = info_.target;
  h.model_name = g_.name;
  h.model_hash = info_.model_hash;
  h.config_hash = info_.config_hash;
  h.config_summary = info_.config_summary;

  for (std::size_t k = 0; k < g_.inputs().size(); ++k) {
    const ir::Value* v = g_.inputs()[k];
    if (index_.count(v))
      return make_error(StatusCode::kInvalidArgument, "graph input '" + v->name + "' listed twice");
    EDGERT_ASSIGN_OR_RETURN(std::int32_t idx,
                            add_value(*v, Storage::kInput, static_cast<std::int32_t>(k)));
    def_.inputs.push_back(idx);
  }
  for (std::size_t k = 0; k < g_.outputs().size(); ++k) {
    const ir::Value* v = g_.outputs()[k];
    if (!v->producer || v->producer->dead || v->is_constant || v->is_graph_input)
      return make_error(StatusCode::kUnsupported,
                        "graph output '" + v->name +
                            "' is not computed by any node (a constant or a graph input); the "
                            "engine has nothing to run for it");
    if (!output_slot_.emplace(v, static_cast<std::int32_t>(k)).second)
      return make_error(StatusCode::kUnsupported, "graph output '" + v->name + "' listed twice");
  }
  def_.outputs.assign(g_.outputs().size(), -1);

  for (const ir::Node* n : g_.nodes())
    if (!n->dead) EDGERT_RETURN_IF_ERROR(add_layer(*n));
  for (std::size_t k = 0; k < def_.outputs.size(); ++k)
    if (def_.outputs[k] < 0)
      return make_error(StatusCode::kInvalidArgument,
                        "graph output '" + g_.outputs()[k]->name + "' is produced by no live node");

  def_.weights.resize(engine::align_up(def_.weights.size()), 0);
  def_.memory.weight_bytes = def_.weights.size();
  plan();

  for (const auto& [name, spec] : info_.preprocess) {
    const ir::Value* v = g_.find_value(name);
    if (!v || !v->is_graph_input)
      return make_error(StatusCode::kInvalidArgument,
                        "preprocessing spec given for '" + name + "', which is not a graph input");
  }
  for (const ir::Value* v : g_.inputs()) {
    auto it = info_.preprocess.find(v->name);
    def_.preprocess.push_back(it == info_.preprocess.end() ? PreprocessSpec{} : it->second);
  }
  def_.labels = info_.labels;

  Status s = engine::verify_engine(def_);
  if (!s.ok())
    return make_error(StatusCode::kInternal,
                      "the lowered engine fails verification (a builder bug): " + s.message());
  return std::move(def_);
}

}  // namespace

bool is_in_place_safe(const std::string& op_type) { return in_place_ops().count(op_type) != 0; }

bool is_view_op(const std::string& op_type) {
  return op_type == "Reshape" || op_type == "Flatten" || op_type == "Squeeze" ||
         op_type == "Unsqueeze" || op_type == "Identity";
}

Expected<engine::EngineDef> lower_to_engine(const ir::Graph& optimized,
                                            const EngineBuildInfo& info) {
  Lowering lowering(optimized, info);
  return lowering.run();
}

std::vector<std::uint8_t> serialize(const engine::EngineDef& def) {
  return engine::serialize_engine(def);
}

}  // namespace edgert::builder
