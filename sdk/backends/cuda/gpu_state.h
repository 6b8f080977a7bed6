// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// The CUDA backend's prepared engine and execution context (runtime/gpu_backend.h declares the
// seam; this header defines the states behind it).

#include <memory>
#include <string>
#include <vector>

#include "backends/cuda/tactic.h"
#include "runtime/gpu_backend.h"

namespace edgert::cuda_backend {

struct GpuEngine {
  const engine::EngineDef* def = nullptr;  ///< owned by the Engine, which outlives its contexts
  std::string label;
  int device = 0;
  int sm = 0;
  DeviceBuffer weights;            ///< the engine's weights section, as in the file
  std::vector<TacticPtr> tactics;  ///< per layer; null for view layers
  std::size_t workspace_bytes = 0;
  std::size_t host_scratch_bytes = 0;
  std::string graph_blocker;  ///< why the engine cannot be captured in a CUDA graph ("" if it can)
};

/// A non-blocking stream with cuDNN/cuBLAS/cuBLASLt handles and a fixed cuBLAS workspace (so that
/// CUDA graph capture never sees cuBLAS allocate): what every context and the tactic timer run on.
struct StreamHandles {
  cudaStream_t stream = nullptr;
  cudnnHandle_t cudnn = nullptr;
  cublasHandle_t cublas = nullptr;
  cublasLtHandle_t cublaslt = nullptr;
  DeviceBuffer cublas_workspace;
  std::uint64_t measured_id = 0;  ///< the tracker's entry for the handles' own device memory

  StreamHandles() = default;
  StreamHandles(const StreamHandles&) = delete;
  StreamHandles& operator=(const StreamHandles&) = delete;
  ~StreamHandles();
  Status create();
  /// The stream and handles; workspace and host scratch left for the caller.
  RunContext run_context() const;
};

/// Resolves tensor addresses: weights, arena and the I/O bindings, views through their base.
void resolve_addresses(const engine::EngineDef& def, const void* weights, void* arena,
                       const std::vector<void*>& inputs, const std::vector<void*>& outputs,
                       std::vector<void*>& addr);
/// Per layer: its inputs' and outputs' addresses.
void build_layer_io(const engine::EngineDef& def, const std::vector<void*>& addr,
                    std::vector<LayerIO>& io);
/// The current device's compute capability as major*10+minor.
Expected<int> current_sm(int* device);

}  // namespace edgert::cuda_backend
