// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "engine/engine_def.h"

namespace edgert {

std::string EngineTarget::to_string() const {
  if (kind != "cuda") return kind;
  std::string s = "cuda sm_" + std::to_string(sm);
  if (!device_name.empty()) s += " (" + device_name + ")";
  if (!cuda_version.empty()) s += ", CUDA " + cuda_version;
  if (!cudnn_version.empty()) s += ", cuDNN " + cudnn_version;
  if (!cublas_version.empty()) s += ", cuBLAS " + cublas_version;
  return s;
}

std::string EngineTarget::compatibility_key() const {
  if (kind != "cuda") return kind;
  auto major = [](const std::string& v) { return v.substr(0, v.find('.')); };
  return "cuda.sm_" + std::to_string(sm) + ".cuda" + major(cuda_version) + ".cudnn" +
         major(cudnn_version);
}

std::uint32_t engine_format_version() noexcept { return engine::kFormatVersion; }

namespace engine {

const char* storage_name(Storage s) noexcept {
  switch (s) {
    case Storage::kInput: return "input";
    case Storage::kOutput: return "output";
    case Storage::kArena: return "arena";
    case Storage::kWeight: return "weight";
    case Storage::kAlias: return "view";
  }
  return "unknown";
}

const char* tensor_format_name(TensorFormat f) noexcept {
  switch (f) {
    case TensorFormat::kLinear: return "linear";
    case TensorFormat::kNHWC: return "nhwc";
  }
  return "unknown";
}

bool checked_numel(const Shape& s, std::uint64_t limit, std::uint64_t* numel) {
  if (s.unknown_rank()) return false;
  std::uint64_t n = 1;
  bool zero = false;
  for (auto d : s.dims()) {
    if (d < 0) return false;
    if (d == 0) zero = true;
  }
  if (zero) {
    *numel = 0;
    return true;
  }
  for (auto d : s.dims()) {
    const auto u = static_cast<std::uint64_t>(d);
    if (u > limit / n) return false;
    n *= u;
  }
  *numel = n;
  return true;
}

std::string describe_layer(const EngineDef& def, std::size_t index) {
  const LayerDef& l = def.layers[index];
  return "layer '" + l.name + "' (#" + std::to_string(index) + ", " + l.type + ")";
}

std::string describe_tensor(const EngineDef& def, std::int64_t index) {
  if (index < 0 || static_cast<std::size_t>(index) >= def.tensors.size())
    return "tensor #" + std::to_string(index);
  return "tensor '" + def.tensors[static_cast<std::size_t>(index)].name + "' (#" +
         std::to_string(index) + ")";
}

}  // namespace engine
}  // namespace edgert
