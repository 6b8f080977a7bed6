// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// The prepared forms of Engine and ExecutionContext (CPU backend): the decoded, verified engine
// with each layer bound to its CPU op, and per context the arena plus one tensor view per engine
// tensor.

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "edgert/engine.h"
#include "edgert/runtime.h"
#include "engine/engine_def.h"
#include "kernels/cpu/op_def.h"
#include "memory/tracked_memory.h"
#include "runtime/gpu_backend.h"

namespace edgert {

struct Engine::Impl {
  /// Keeps the engine's bytes alive (a MappedFile or an aligned copy); weights point into it.
  std::shared_ptr<const void> storage;
  /// The engine's bytes in host memory (mapped file or owned copy), as the tracker sees them.
  MeasuredMemory storage_memory;
  std::string label;  ///< path or "<memory>", for messages
  engine::EngineDef def;

  struct Layer {
    cpu::NodeInfo node;
    const cpu::OpDef* op = nullptr;
    bool alias = false;  ///< a view: nothing to compute
    /// Output shapes that depend on a run-time input's values (cpu::shapes_depend_on_values):
    /// checked before every run of the layer.
    bool check_shapes = false;
  };
  std::vector<Layer> layers;
  /// Per tensor: a view of its bytes when they live in the weights section (directly or through an
  /// alias chain); empty otherwise.
  std::vector<Tensor> weight_views;
  /// Alias tensors whose base is not a weight (resolved at each execute, in index order).
  std::vector<std::int32_t> runtime_aliases;

  std::vector<TensorDesc> inputs, outputs;
  std::vector<LayerDesc> layer_descs;
  /// "cuda" engines: the device weights and prepared tactics (null for "cpu" engines).
  std::shared_ptr<cuda_backend::GpuEngine> gpu;
};

struct ExecutionContext::Impl {
  std::shared_ptr<const Engine> engine;
  TrackedMemory arena;        ///< arena_bytes, 64-byte aligned (CPU engines)
  std::vector<Tensor> views;  ///< per engine tensor; inputs/outputs/aliases rebound per execute
  std::vector<std::vector<const Tensor*>> layer_inputs;  ///< per layer, null = omitted
  std::vector<std::vector<Tensor*>> layer_outputs;       ///< per layer, null = omitted
  TensorObserver observer;
  ContextOptions options;
  std::vector<LayerProfile> profile;  ///< per layer when options.profile (times and runs only)
  std::shared_ptr<cuda_backend::GpuContext> gpu;  ///< "cuda" engines
  /// CPU engines: the host I/O buffers of execute() without tensors, allocated on first use.
  mutable std::once_flag host_io_once;
  mutable Status host_io_status;
  mutable std::vector<Tensor> host_inputs, host_outputs;
  /// Allocates the host I/O buffers once (thread-safe); their allocation error otherwise.
  Status ensure_host_io() const;
};

}  // namespace edgert
