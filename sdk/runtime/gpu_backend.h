// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// The seam between the runtime (CUDA-free) and the CUDA backend (sdk/backends/cuda). In a build
// without CUDA, gpu_stub.cpp implements it with clear "not built" errors.

#include <memory>
#include <string>
#include <vector>

#include "edgert/preprocess.h"
#include "edgert/runtime.h"
#include "engine/engine_def.h"

namespace edgert::cuda_backend {

struct GpuEngine;   ///< device weights + one prepared tactic per layer (shared by contexts)
struct GpuContext;  ///< stream, handles, arena, workspace, bindings, CUDA graph, profiler

/// True when this build has the CUDA backend.
bool built() noexcept;
/// Checks a "cuda" engine target against the current device; the message names both.
Status check_target(const EngineTarget& target);
/// Prepares a verified "cuda" engine on the calling thread's current device.
Expected<std::shared_ptr<GpuEngine>> load_engine(const engine::EngineDef& def,
                                                 const std::string& label);
Expected<std::shared_ptr<GpuContext>> create_context(std::shared_ptr<GpuEngine> engine,
                                                     const engine::EngineDef& def,
                                                     const ContextOptions& options);
/// Host tensors in and out (checked by the caller against the engine's I/O); waits.
Status execute(GpuContext& ctx, const std::vector<const Tensor*>& inputs,
               std::vector<Tensor>& outputs, const TensorObserver& observer);
Status enqueue(GpuContext& ctx);
Status execute_host(GpuContext& ctx);
void* host_tensor_address(const GpuContext& ctx, const std::string& name);
IoMemory io_memory(const GpuContext& ctx);
Status synchronize(GpuContext& ctx);
void* stream(const GpuContext& ctx);
Status set_tensor_address(GpuContext& ctx, const std::string& name, void* ptr);
void* tensor_address(const GpuContext& ctx, const std::string& name);
std::vector<LayerProfile> layer_profile(const GpuContext& ctx);

// ---- Camera frames into an input (edgert/frame_preprocessor.h) ----

struct GpuFramePreprocessor;  ///< stream, pinned frame staging, device frame buffer
/// A preprocessor writing input `input` of `ctx` (float32 or float16) per `spec`.
Expected<std::shared_ptr<GpuFramePreprocessor>> create_frame_preprocessor(
    GpuContext& ctx, std::size_t input, const PreprocessSpec& spec);
/// Writes batch slot `slot` (bytes from `slot_offset` on) of the input from a host frame; waits.
/// Marks the input as written on the device: the next execute_host() does not copy its host
/// staging over it.
Status run_frame_preprocessor(GpuFramePreprocessor& p, const ImageFrame& frame,
                              std::size_t slot_offset);

// ---- Build side: tactic selection on the build GPU ----

/// The target of the current device ("cuda", sm, name, CUDA/cuDNN/cuBLAS versions).
Expected<EngineTarget> current_target();

struct AutotuneOptions {
  /// Bit set of tactic sources (backends/cuda/tactic.h TacticSource); parse_sources() reads
  /// the --tactic-sources text.
  unsigned sources = 15;
  std::string timing_cache;  ///< file read when it exists and written afterwards; "" none
  int timed_runs = 5;        ///< per candidate after one warm-up run; the median counts
};
Expected<unsigned> parse_sources(const std::string& text);

struct AutotuneResult {
  std::vector<std::string> log;  ///< per layer: every candidate's time, then the fastest
  int layers = 0;                ///< layers that needed a tactic
  int timed = 0;                 ///< layers timed now
  int cached = 0;                ///< layers whose choice came from the timing cache
  int fallback_layers = 0;       ///< layers left on the CPU fallback
  double seconds = 0.0;
};

/// Times every candidate tactic of every layer of `def` (a verified engine description for the
/// current device) and records the fastest in LayerDef::tactic.
Expected<AutotuneResult> autotune(engine::EngineDef& def, const AutotuneOptions& options);

}  // namespace edgert::cuda_backend
