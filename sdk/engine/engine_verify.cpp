// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The engine verifier: the internal consistency of an EngineDef (after decoding, before any
// pointer is formed from its offsets). The rules are listed in docs/engine.md, "Verifier".

#include <set>

#include "engine/engine_file.h"

namespace edgert::engine {
namespace {

// Arena and weights larger than this are refused as corrupted (1 TiB: far beyond any edge device).
constexpr std::uint64_t kMaxBytes = std::uint64_t{1} << 40;

Status bad(const std::string& msg) {
  return make_error(StatusCode::kParseError, "invalid engine: " + msg);
}

bool in_bounds(std::uint64_t offset, std::uint64_t size, std::uint64_t limit) {
  return offset <= limit && size <= limit - offset;
}

Status verify_tensor(const EngineDef& def, std::size_t i) {
  const TensorDef& t = def.tensors[i];
  const std::string what = describe_tensor(def, static_cast<std::int64_t>(i));
  std::uint64_t numel = 0;
  if (!checked_numel(t.shape, kMaxBytes, &numel))
    return bad(what + " shape " + t.shape.to_string() + " is too large");
  if (numel * dtype_size(t.dtype) != t.nbytes)
    return bad(what + " has " + std::to_string(t.nbytes) + " bytes, but " + dtype_name(t.dtype) +
               " " + t.shape.to_string() + " needs " + std::to_string(numel * dtype_size(t.dtype)));
  switch (t.storage) {
    case Storage::kInput:
    case Storage::kOutput: {
      const auto& io = t.storage == Storage::kInput ? def.inputs : def.outputs;
      if (t.io_index < 0 || static_cast<std::size_t>(t.io_index) >= io.size() ||
          io[static_cast<std::size_t>(t.io_index)] != static_cast<std::int32_t>(i))
        return bad(what + " claims to be graph " + storage_name(t.storage) + " #" +
                   std::to_string(t.io_index) + ", which it is not");
      break;
    }
    case Storage::kArena:
      if (t.format == TensorFormat::kNHWC && t.shape.rank() != 4)
        return bad(what + " is NHWC but has rank " + std::to_string(t.shape.rank()));
      if (t.offset % kAlignment != 0)
        return bad(what + " arena offset " + std::to_string(t.offset) + " is not 64-byte aligned");
      if (!in_bounds(t.offset, t.nbytes, def.memory.arena_bytes))
        return bad(what + " (arena offset " + std::to_string(t.offset) + ", " +
                   std::to_string(t.nbytes) + " bytes) lies outside the " +
                   std::to_string(def.memory.arena_bytes) + "-byte arena");
      break;
    case Storage::kWeight:
      if (t.offset % kAlignment != 0)
        return bad(what + " weight offset " + std::to_string(t.offset) + " is not 64-byte aligned");
      if (!in_bounds(t.offset, t.nbytes, def.weight_size()))
        return bad(what + " (weight offset " + std::to_string(t.offset) + ", " +
                   std::to_string(t.nbytes) + " bytes) lies outside the " +
                   std::to_string(def.weight_size()) + "-byte weights section");
      break;
    case Storage::kAlias: {
      if (t.alias_of < 0 || static_cast<std::size_t>(t.alias_of) >= i)
        return bad(what + " is a view of tensor #" + std::to_string(t.alias_of) +
                   ", expected a lower index");
      const TensorDef& base = def.tensors[static_cast<std::size_t>(t.alias_of)];
      if (base.format != TensorFormat::kLinear || t.format != TensorFormat::kLinear)
        return bad(what + " is a view of " + describe_tensor(def, t.alias_of) +
                   ": views need linear (row-major) tensors on both sides");
      if (base.nbytes != t.nbytes || base.dtype != t.dtype)
        return bad(what + " (" + dtype_name(t.dtype) + ", " + std::to_string(t.nbytes) +
                   " bytes) is a view of " + describe_tensor(def, t.alias_of) + " (" +
                   dtype_name(base.dtype) + ", " + std::to_string(base.nbytes) + " bytes)");
      break;
    }
  }
  return Status::ok_status();
}

Status verify_io(const EngineDef& def) {
  const std::int64_t n = static_cast<std::int64_t>(def.tensors.size());
  for (int pass = 0; pass < 2; ++pass) {
    const auto& io = pass == 0 ? def.inputs : def.outputs;
    const Storage want = pass == 0 ? Storage::kInput : Storage::kOutput;
    for (std::size_t k = 0; k < io.size(); ++k) {
      const std::int32_t t = io[k];
      if (t < 0 || t >= n || def.tensors[static_cast<std::size_t>(t)].storage != want ||
          def.tensors[static_cast<std::size_t>(t)].io_index != static_cast<std::int32_t>(k))
        return bad(std::string("graph ") + storage_name(want) + " #" + std::to_string(k) +
                   " refers to tensor #" + std::to_string(t) + ", which is not that " +
                   storage_name(want));
    }
  }
  if (def.outputs.empty()) return bad("the engine has no outputs");
  if (def.preprocess.size() != def.inputs.size())
    return bad(std::to_string(def.preprocess.size()) + " preprocessing specs for " +
               std::to_string(def.inputs.size()) + " inputs");
  return Status::ok_status();
}

Status verify_layers(const EngineDef& def) {
  const std::int64_t n = static_cast<std::int64_t>(def.tensors.size());
  // available: readable now (inputs, weights, outputs of earlier layers); produced: written once.
  std::vector<char> available(def.tensors.size(), 0), produced(def.tensors.size(), 0);
  for (std::size_t i = 0; i < def.tensors.size(); ++i)
    available[i] =
        def.tensors[i].storage == Storage::kInput || def.tensors[i].storage == Storage::kWeight;
  std::uint32_t aliases = 0, in_place = 0;
  for (std::size_t li = 0; li < def.layers.size(); ++li) {
    const LayerDef& l = def.layers[li];
    const std::string what = describe_layer(def, li);
    if (l.type.empty()) return bad(what + " has no op type");
    if ((l.flags & ~(kLayerAlias | kLayerInPlace)) != 0)
      return bad(what + " has unknown flags " + std::to_string(l.flags));
    for (std::size_t k = 0; k < l.inputs.size(); ++k) {
      const std::int32_t t = l.inputs[k];
      if (t == -1) continue;
      if (t < 0 || t >= n)
        return bad(what + " input " + std::to_string(k) + " refers to tensor #" +
                   std::to_string(t) + " of " + std::to_string(n));
      if (!available[static_cast<std::size_t>(t)])
        return bad(what + " reads " + describe_tensor(def, t) + " before any layer produced it");
    }
    bool any_output = false;
    for (std::size_t k = 0; k < l.outputs.size(); ++k) {
      const std::int32_t t = l.outputs[k];
      if (t == -1) continue;
      if (t < 0 || t >= n)
        return bad(what + " output " + std::to_string(k) + " refers to tensor #" +
                   std::to_string(t) + " of " + std::to_string(n));
      const TensorDef& td = def.tensors[static_cast<std::size_t>(t)];
      if (available[static_cast<std::size_t>(t)] || produced[static_cast<std::size_t>(t)])
        return bad(what + " writes " + describe_tensor(def, t) +
                   ", which is already an input, a weight or produced by an earlier layer");
      const bool alias = (l.flags & kLayerAlias) != 0;
      if (alias) {
        if (k != 0 || l.inputs.empty() || l.inputs[0] < 0 || td.storage != Storage::kAlias ||
            td.alias_of != l.inputs[0])
          return bad(what + " is marked as a view but its output " + describe_tensor(def, t) +
                     " is not a view of its input 0");
      } else if (td.storage != Storage::kArena && td.storage != Storage::kOutput) {
        return bad(what + " writes " + describe_tensor(def, t) + " stored as " +
                   storage_name(td.storage) + " (layers write arena or output tensors only)");
      }
      produced[static_cast<std::size_t>(t)] = available[static_cast<std::size_t>(t)] = 1;
      any_output = true;
    }
    if (!any_output) return bad(what + " has no output");
    if (l.flags & kLayerAlias) ++aliases;
    if (l.flags & kLayerInPlace) ++in_place;
  }
  for (std::size_t k = 0; k < def.outputs.size(); ++k)
    if (!produced[static_cast<std::size_t>(def.outputs[k])])
      return bad("graph output #" + std::to_string(k) + " " + describe_tensor(def, def.outputs[k]) +
                 " is produced by no layer");
  if (aliases != def.memory.alias_layers || in_place != def.memory.in_place_layers)
    return bad("memory summary counts " + std::to_string(def.memory.alias_layers) + " views and " +
               std::to_string(def.memory.in_place_layers) + " in-place layers, the layers say " +
               std::to_string(aliases) + " and " + std::to_string(in_place));
  return Status::ok_status();
}

}  // namespace

Status verify_engine(const EngineDef& def) {
  if (def.header.target.kind.empty()) return bad("no target");
  if (def.memory.arena_bytes > kMaxBytes)
    return bad("arena of " + std::to_string(def.memory.arena_bytes) + " bytes");
  if (def.memory.weight_bytes != def.weight_size())
    return bad("memory summary says " + std::to_string(def.memory.weight_bytes) +
               " weight bytes, the weights section has " + std::to_string(def.weight_size()));
  // I/O first: tensor checks rely on the input/output lists being sane.
  for (std::size_t k = 0; k < def.inputs.size() + def.outputs.size(); ++k) {
    const std::int32_t t =
        k < def.inputs.size() ? def.inputs[k] : def.outputs[k - def.inputs.size()];
    if (t < 0 || static_cast<std::size_t>(t) >= def.tensors.size())
      return bad("graph input/output refers to tensor #" + std::to_string(t) + " of " +
                 std::to_string(def.tensors.size()));
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < def.tensors.size(); ++i) {
    if (def.tensors[i].dtype == DataType::kUndefined ||
        static_cast<std::uint8_t>(def.tensors[i].storage) >= kStorageCount)
      return bad(describe_tensor(def, static_cast<std::int64_t>(i)) + " has no type or storage");
    if (def.tensors[i].name.empty() || !names.insert(def.tensors[i].name).second)
      return bad(describe_tensor(def, static_cast<std::int64_t>(i)) +
                 " has an empty or duplicate name");
    EDGERT_RETURN_IF_ERROR(verify_tensor(def, i));
  }
  // No plan needs more than every arena tensor in its own buffer: a larger arena is corrupted
  // (and would make create_context allocate it).
  std::uint64_t no_reuse = 0;
  for (const TensorDef& t : def.tensors)
    if (t.storage == Storage::kArena) no_reuse += align_up(t.nbytes);
  if (def.memory.arena_bytes > no_reuse)
    return bad("arena of " + std::to_string(def.memory.arena_bytes) +
               " bytes, more than all arena tensors together (" + std::to_string(no_reuse) + ")");
  EDGERT_RETURN_IF_ERROR(verify_io(def));
  return verify_layers(def);
}

}  // namespace edgert::engine
