// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Loading a "cuda" engine: check the device against the engine's target, upload the weights
// section once, recreate each layer's recorded tactic (prepare: descriptors, filter transforms).

#include <cudnn.h>

#include "backends/cuda/gpu_state.h"
#include "edgert/device.h"

namespace edgert::cuda_backend {

bool built() noexcept { return true; }

Expected<int> current_sm(int* device) {
  int dev = 0;
  EDGERT_CUDA_TRY(cudaGetDevice(&dev));
  int major = 0, minor = 0;
  EDGERT_CUDA_TRY(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev));
  EDGERT_CUDA_TRY(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev));
  if (device) *device = dev;
  return major * 10 + minor;
}

Expected<EngineTarget> current_target() {
  int dev = 0;
  auto sm = current_sm(&dev);
  if (!sm.ok()) return sm.status();
  cudaDeviceProp prop{};
  EDGERT_CUDA_TRY(cudaGetDeviceProperties(&prop, dev));
  int rt = 0;
  EDGERT_CUDA_TRY(cudaRuntimeGetVersion(&rt));
  EngineTarget t;
  t.kind = "cuda";
  t.sm = *sm;
  t.device_name = prop.name;
  t.cuda_version = std::to_string(rt / 1000) + "." + std::to_string(rt % 1000 / 10);
  const std::string cudnn = cudnn_version_string();
  t.cudnn_version = cudnn.substr(0, cudnn.find(' '));
  t.cublas_version = cublas_version_string();
  return t;
}

Status check_target(const EngineTarget& target) {
  auto here = current_target();
  if (!here.ok())
    return Status(StatusCode::kVersionMismatch,
                  "engine was built for target '" + target.to_string() +
                      "', but no CUDA device is usable here, so this runtime runs target 'cpu' "
                      "only (" +
                      here.status().message() + ")");
  if (here->compatibility_key() == target.compatibility_key()) return {};
  return Status(StatusCode::kVersionMismatch,
                "engine was built for " + target.to_string() + "; this device is " +
                    here->to_string() + " (keys " + target.compatibility_key() + " vs " +
                    here->compatibility_key() + "): rebuild the engine on this device");
}

void resolve_addresses(const engine::EngineDef& def, const void* weights, void* arena,
                       const std::vector<void*>& inputs, const std::vector<void*>& outputs,
                       std::vector<void*>& addr) {
  addr.assign(def.tensors.size(), nullptr);
  for (std::size_t i = 0; i < def.tensors.size(); ++i) {
    const engine::TensorDef& t = def.tensors[i];
    switch (t.storage) {
      case engine::Storage::kInput: addr[i] = inputs[static_cast<std::size_t>(t.io_index)]; break;
      case engine::Storage::kOutput: addr[i] = outputs[static_cast<std::size_t>(t.io_index)]; break;
      case engine::Storage::kArena: addr[i] = static_cast<std::uint8_t*>(arena) + t.offset; break;
      case engine::Storage::kWeight:
        addr[i] = const_cast<std::uint8_t*>(static_cast<const std::uint8_t*>(weights)) + t.offset;
        break;
      case engine::Storage::kAlias: addr[i] = addr[static_cast<std::size_t>(t.alias_of)]; break;
    }
  }
}

void build_layer_io(const engine::EngineDef& def, const std::vector<void*>& addr,
                    std::vector<LayerIO>& io) {
  io.assign(def.layers.size(), {});
  for (std::size_t li = 0; li < def.layers.size(); ++li) {
    for (auto t : def.layers[li].inputs)
      io[li].inputs.push_back(t < 0 ? nullptr : addr[static_cast<std::size_t>(t)]);
    for (auto t : def.layers[li].outputs)
      io[li].outputs.push_back(t < 0 ? nullptr : addr[static_cast<std::size_t>(t)]);
  }
}

Expected<std::shared_ptr<GpuEngine>> load_engine(const engine::EngineDef& def,
                                                 const std::string& label) {
  auto e = std::make_shared<GpuEngine>();
  e->def = &def;
  e->label = label;
  EDGERT_ASSIGN_OR_RETURN(e->sm, current_sm(&e->device));
  EDGERT_RETURN_IF_ERROR(upload(def.weight_bytes(), def.weight_size(), e->weights,
                                "the weights of engine '" + label + "'"));
  cudnnHandle_t cudnn = nullptr;
  EDGERT_CUDNN_TRY(cudnnCreate(&cudnn));
  PrepareContext pc;
  pc.device = e->device;
  pc.sm = e->sm;
  pc.cudnn = cudnn;
  e->tactics.resize(def.layers.size());
  Status status;
  for (std::size_t li = 0; li < def.layers.size() && status.ok(); ++li) {
    const engine::LayerDef& l = def.layers[li];
    if (l.flags & engine::kLayerAlias) continue;
    LayerView v{&def, li};
    if (l.tactic.empty()) {
      status = Status(StatusCode::kParseError, v.what() + " has no tactic (not a CUDA engine?)");
      break;
    }
    auto t = create_tactic(v, l.tactic, pc);
    if (!t.ok()) {
      status = t.status();
      break;
    }
    TacticPtr& tp = e->tactics[li] = std::move(t).value();
    e->workspace_bytes = std::max(e->workspace_bytes, tp->workspace_bytes());
    e->host_scratch_bytes = std::max(e->host_scratch_bytes, tp->host_scratch_bytes());
    if (!tp->graph_safe() && e->graph_blocker.empty())
      e->graph_blocker = v.what() + " runs tactic " + tp->name();
  }
  cudnnDestroy(cudnn);
  if (!status.ok()) return status;
  return e;
}

}  // namespace edgert::cuda_backend
