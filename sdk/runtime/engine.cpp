// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Engine loading for the CPU runtime: map or adopt the bytes, decode, check the target, verify,
// then bind every layer to its CPU op and check, with the op's own shape inference, that the
// shapes recorded in the file are the ones the kernel will write (so a kernel can never write past
// a tensor's bytes in the arena).

#include <cstdlib>
#include <cstring>
#include <sstream>

#include "core/file_util.h"
#include "edgert/logger.h"
#include "edgert/runtime.h"
#include "engine/engine_file.h"
#include "runtime/recorded_infer.h"
#include "runtime/runtime_internal.h"

namespace edgert {
namespace {

// A recorded static shape agrees with an inferred one where the inference knows the dims.
bool shape_compatible(const Shape& inferred, const Shape& recorded) {
  if (inferred.unknown_rank()) return true;
  if (inferred.rank() != recorded.rank()) return false;
  for (std::size_t i = 0; i < inferred.rank(); ++i)
    if (inferred[i] != Shape::kUnknownDim && inferred[i] != recorded[i]) return false;
  return true;
}

std::string tensor_text(DataType t, const Shape& s) {
  return std::string(dtype_name(t)) + " " + s.to_string();
}

Status check_target(const EngineTarget& target) {
  if (target.kind == "cpu") return Status::ok_status();
  if (target.kind == "cuda") return cuda_backend::check_target(target);
  return make_error(StatusCode::kVersionMismatch,
                    "engine was built for target '" + target.to_string() +
                        "', this runtime runs targets 'cpu' and 'cuda'");
}

// The CPU op's inference sees float16 tensors of a "cuda" engine as float32 (the logical type:
// the CPU ops are the reference of the layers' shapes, not of their storage).
DataType logical_dtype(DataType t, bool gpu) {
  return gpu && t == DataType::kFloat16 ? DataType::kFloat32 : t;
}

}  // namespace

namespace runtime {

cpu::InferContext recorded_infer_context(const engine::EngineDef& def, std::size_t li,
                                         const cpu::NodeInfo& node,
                                         const std::function<const Tensor*(std::size_t)>& weight) {
  const engine::LayerDef& l = def.layers[li];
  const bool logical = def.header.target.kind == "cuda" && l.type != "Reformat";
  std::size_t n_in = l.inputs.size();
  while (n_in > 0 && l.inputs[n_in - 1] == -1) --n_in;
  cpu::InferContext ictx{node, {}, {}, {}, {}};
  for (std::size_t k = 0; k < n_in; ++k) {
    const std::int32_t t = l.inputs[k];
    if (t < 0) {
      ictx.inputs.push_back({});
      ictx.present.push_back(false);
      ictx.values.push_back(nullptr);
      continue;
    }
    const engine::TensorDef& td = def.tensors[static_cast<std::size_t>(t)];
    ictx.inputs.push_back({logical_dtype(td.dtype, logical), td.shape});
    ictx.present.push_back(true);
    ictx.values.push_back(weight(k));
  }
  ictx.outputs.resize(l.outputs.size());
  return ictx;
}

}  // namespace runtime

namespace {

// Binds layer `li` to its op and checks the recorded output types/shapes with the op's inference.
Status prepare_layer(Engine::Impl& impl, std::size_t li) {
  const engine::EngineDef& def = impl.def;
  const bool gpu = def.header.target.kind == "cuda";
  const engine::LayerDef& l = def.layers[li];
  Engine::Impl::Layer& layer = impl.layers[li];
  const std::string what = engine::describe_layer(def, li);
  layer.op = cpu::find_op(l.type);
  if (!layer.op)
    return make_error(StatusCode::kUnsupported,
                      what + ": op type '" + l.type + "' is not in this runtime's CPU op table " +
                          "(engine built by EdgeRT " + def.header.sdk_version + ", runtime is " +
                          EDGERT_VERSION + ")");
  layer.alias = (l.flags & engine::kLayerAlias) != 0;
  layer.node.op_type = l.type;
  layer.node.name = l.name;
  layer.node.opset = l.opset;
  layer.node.index = static_cast<std::int64_t>(li);
  layer.node.attrs = l.attrs;

  std::size_t n_in = l.inputs.size();
  while (n_in > 0 && l.inputs[n_in - 1] == -1) --n_in;
  if (static_cast<int>(n_in) < layer.op->min_inputs ||
      static_cast<int>(n_in) > layer.op->max_inputs)
    return make_error(StatusCode::kParseError, what + " has " + std::to_string(n_in) +
                                                   " inputs, the op takes " +
                                                   std::to_string(layer.op->min_inputs) + " to " +
                                                   std::to_string(layer.op->max_inputs));

  cpu::InferContext ictx =
      runtime::recorded_infer_context(def, li, layer.node, [&](std::size_t k) -> const Tensor* {
        const Tensor& w = impl.weight_views[static_cast<std::size_t>(l.inputs[k])];
        return w.empty() ? nullptr : &w;
      });
  Status s = layer.op->infer(ictx);
  if (!s.ok()) return s.with_context(what + " does not accept the tensors recorded in the engine");
  layer.check_shapes = !layer.alias && cpu::shapes_depend_on_values(ictx);
  for (std::size_t k = 0; k < l.outputs.size(); ++k) {
    const std::int32_t t = l.outputs[k];
    const cpu::TensorInfo inferred = k < ictx.outputs.size() ? ictx.outputs[k] : cpu::TensorInfo{};
    if (t < 0) {
      // The kernel would write this output: it needs a tensor.
      if (inferred.dtype != DataType::kUndefined)
        return make_error(StatusCode::kParseError,
                          what + " output " + std::to_string(k) +
                              " is computed by the op but has no tensor in the engine");
      continue;
    }
    const engine::TensorDef& td = def.tensors[static_cast<std::size_t>(t)];
    // A CUDA engine stores float32 values in float16 where the builder chose fp16; an op that
    // computes float16 itself (Cast to float16, float16 model inputs) matches it too.
    const bool dtype_ok = inferred.dtype == td.dtype ||
                          inferred.dtype == logical_dtype(td.dtype, gpu && l.type != "Reformat");
    if (!dtype_ok || !shape_compatible(inferred.shape, td.shape))
      return make_error(StatusCode::kParseError,
                        what + " output " + std::to_string(k) + " '" + td.name +
                            "' is recorded as " + tensor_text(td.dtype, td.shape) +
                            ", but the op computes " + tensor_text(inferred.dtype, inferred.shape));
  }
  return Status::ok_status();
}

LayerDesc make_layer_desc(const engine::EngineDef& def, const engine::LayerDef& l) {
  LayerDesc d;
  d.name = l.name;
  d.type = l.type;
  d.fused = l.fused;
  d.precision = l.precision;
  d.tactic = l.tactic;
  for (auto t : l.inputs)
    d.inputs.push_back(t < 0 ? std::string() : def.tensors[static_cast<std::size_t>(t)].name);
  for (auto t : l.outputs)
    d.outputs.push_back(t < 0 ? std::string() : def.tensors[static_cast<std::size_t>(t)].name);
  d.attrs = l.attrs.to_string();
  d.alias = (l.flags & engine::kLayerAlias) != 0;
  d.in_place = (l.flags & engine::kLayerInPlace) != 0;
  return d;
}

}  // namespace

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

Expected<std::shared_ptr<const Engine>> Engine::prepare(std::shared_ptr<const void> storage,
                                                        const std::uint8_t* data, std::size_t size,
                                                        const std::string& label) {
  const std::string context = "engine '" + label + "'";
  auto def = engine::read_engine(data, size);
  if (!def) return def.status().with_context(context);
  auto impl = std::make_unique<Impl>();
  impl->storage = std::move(storage);
  impl->label = label;
  EDGERT_RETURN_IF_ERROR(
      impl->storage_memory
          .record(size, MemoryKind::kHost, MemoryTag::kWeights, -1,
                  context + " in host memory (" +
                      (label == "<memory>" ? "an owned copy" : "the mapped file") + ")")
          .with_context("loading " + context));
  impl->def = std::move(def).value();
  const engine::EngineDef& d = impl->def;
  EDGERT_RETURN_IF_ERROR(check_target(d.header.target).with_context(context));
  EDGERT_RETURN_IF_ERROR(engine::verify_engine(d).with_context(context));
  if (d.header.sdk_version != EDGERT_VERSION)
    EDGERT_LOG(kInfo, context << " was built by EdgeRT " << d.header.sdk_version
                              << ", this runtime is " << EDGERT_VERSION);

  // Weight views: the bytes stay in the file (read-only); the holder keeps the file mapped.
  std::shared_ptr<void> holder = std::const_pointer_cast<void>(impl->storage);
  impl->weight_views.resize(d.tensors.size());
  for (std::size_t i = 0; i < d.tensors.size(); ++i) {
    const engine::TensorDef& t = d.tensors[i];
    if (t.storage == engine::Storage::kWeight) {
      auto* p = const_cast<std::uint8_t*>(d.weight_bytes() + t.offset);
      impl->weight_views[i] = Tensor::borrow(t.dtype, t.shape, p, holder);
    } else if (t.storage == engine::Storage::kAlias) {
      const Tensor& base = impl->weight_views[static_cast<std::size_t>(t.alias_of)];
      if (base.empty()) {
        impl->runtime_aliases.push_back(static_cast<std::int32_t>(i));
      } else {
        impl->weight_views[i] =
            Tensor::borrow(t.dtype, t.shape, const_cast<void*>(base.raw()), holder);
      }
    }
  }
  impl->layers.resize(d.layers.size());
  for (std::size_t li = 0; li < d.layers.size(); ++li)
    EDGERT_RETURN_IF_ERROR(prepare_layer(*impl, li).with_context(context));

  for (auto t : d.inputs) {
    const auto& td = d.tensors[static_cast<std::size_t>(t)];
    impl->inputs.push_back({td.name, td.dtype, td.shape});
  }
  for (auto t : d.outputs) {
    const auto& td = d.tensors[static_cast<std::size_t>(t)];
    impl->outputs.push_back({td.name, td.dtype, td.shape});
  }
  for (const auto& l : d.layers) impl->layer_descs.push_back(make_layer_desc(d, l));
  if (d.header.target.kind == "cuda") {
    auto gpu = cuda_backend::load_engine(impl->def, label);
    if (!gpu) return gpu.status().with_context(context);
    impl->gpu = std::move(gpu).value();
  }
  return std::shared_ptr<const Engine>(new Engine(std::move(impl)));
}

Expected<std::shared_ptr<const Engine>> Engine::load(const std::string& path) {
  auto file = MappedFile::open(path);
  if (!file) return file.status().with_context("loading engine");
  const MappedFile& f = **file;
  return prepare(*file, f.data(), f.size(), path);
}

Expected<std::shared_ptr<const Engine>> Engine::from_memory(std::vector<std::uint8_t> bytes) {
  // Weights are used in place and must keep their 64-byte alignment: adopt the vector when its
  // buffer is aligned, else copy once into aligned storage.
  if (reinterpret_cast<std::uintptr_t>(bytes.data()) % engine::kAlignment == 0) {
    auto owned = std::make_shared<const std::vector<std::uint8_t>>(std::move(bytes));
    return prepare(owned, owned->data(), owned->size(), "<memory>");
  }
  const std::size_t size = bytes.size();
  void* p = std::aligned_alloc(engine::kAlignment, engine::align_up(size ? size : 1));
  if (!p)
    return make_error(StatusCode::kOutOfMemory,
                      "cannot allocate " + std::to_string(size) + " bytes for an engine");
  std::shared_ptr<void> owned(p, [](void* q) { std::free(q); });
  if (size) std::memcpy(p, bytes.data(), size);
  bytes = {};
  return prepare(owned, static_cast<const std::uint8_t*>(p), size, "<memory>");
}

const EngineHeader& Engine::header() const noexcept { return impl_->def.header; }
const std::vector<TensorDesc>& Engine::inputs() const noexcept { return impl_->inputs; }
const std::vector<TensorDesc>& Engine::outputs() const noexcept { return impl_->outputs; }
const std::vector<LayerDesc>& Engine::layers() const noexcept { return impl_->layer_descs; }
const std::vector<std::string>& Engine::labels() const noexcept { return impl_->def.labels; }
const MemorySummary& Engine::memory() const noexcept { return impl_->def.memory; }
const PreprocessSpec& Engine::preprocess(std::size_t i) const {
  static const PreprocessSpec kRaw{};  // out of range: a raw tensor (no exception crosses the API)
  return i < impl_->def.preprocess.size() ? impl_->def.preprocess[i] : kRaw;
}

int Engine::input_index(const std::string& name) const noexcept {
  for (std::size_t i = 0; i < impl_->inputs.size(); ++i)
    if (impl_->inputs[i].name == name) return static_cast<int>(i);
  return -1;
}

int Engine::output_index(const std::string& name) const noexcept {
  for (std::size_t i = 0; i < impl_->outputs.size(); ++i)
    if (impl_->outputs[i].name == name) return static_cast<int>(i);
  return -1;
}

std::string Engine::to_string() const {
  const EngineHeader& h = header();
  const MemorySummary& m = memory();
  std::ostringstream os;
  os << "engine format " << h.format_version << ", EdgeRT " << h.sdk_version << ", target "
     << h.target.to_string() << "\n";
  os << "model '" << h.model_name << "' sha256 " << h.model_hash << "\n";
  os << "config " << h.config_hash << ": " << h.config_summary << "\n";
  for (const auto& t : inputs())
    os << "input  " << t.name << " " << dtype_name(t.dtype) << " " << t.shape.to_string() << "\n";
  for (const auto& t : outputs())
    os << "output " << t.name << " " << dtype_name(t.dtype) << " " << t.shape.to_string() << "\n";
  os << "memory: arena " << m.arena_bytes << " bytes (naive " << m.naive_bytes << "), weights "
     << m.weight_bytes << " bytes, " << m.alias_layers << " views, " << m.in_place_layers
     << " in place\n";
  if (!labels().empty()) os << labels().size() << " labels\n";
  std::size_t i = 0;
  for (const auto& l : layers()) {
    os << "#" << i++ << " " << l.type << " " << l.name << " (";
    for (std::size_t k = 0; k < l.inputs.size(); ++k) os << (k ? ", " : "") << l.inputs[k];
    os << ") -> (";
    for (std::size_t k = 0; k < l.outputs.size(); ++k) os << (k ? ", " : "") << l.outputs[k];
    os << ") " << precision_name(l.precision) << " " << l.tactic;
    if (l.alias) os << " [view]";
    if (l.in_place) os << " [in place]";
    if (!l.attrs.empty()) os << " " << l.attrs;
    if (!l.fused.empty()) {
      os << " fused:";
      for (const auto& f : l.fused) os << " " << f;
    }
    os << "\n";
  }
  return os.str();
}

}  // namespace edgert
