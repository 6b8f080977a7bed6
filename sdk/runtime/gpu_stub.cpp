// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The CUDA backend seam in a build without CUDA: every entry point says so.
#ifndef EDGERT_HAVE_CUDA

#include "runtime/gpu_backend.h"

namespace edgert::cuda_backend {
namespace {

Status not_built() {
  return Status(StatusCode::kUnsupported,
                "this EdgeRT runtime was built without the CUDA backend (EDGERT_CUDA=OFF or no "
                "CUDA toolkit, cuDNN and cuBLAS at build time)");
}

}  // namespace

struct GpuEngine {};
struct GpuContext {};

bool built() noexcept { return false; }
Status check_target(const EngineTarget& target) {
#if defined(__aarch64__)
  const char* arch = "aarch64";
#elif defined(__x86_64__)
  const char* arch = "x86_64";
#else
  const char* arch = "this CPU";
#endif
  return Status(StatusCode::kVersionMismatch,
                "engine was built for target '" + target.to_string() + "'; this runtime (" + arch +
                    ", built without the CUDA backend) runs target 'cpu' only: rebuild the "
                    "engine with --target cpu, or use a runtime built with CUDA");
}
Expected<std::shared_ptr<GpuEngine>> load_engine(const engine::EngineDef&, const std::string&) {
  return not_built();
}
Expected<std::shared_ptr<GpuContext>> create_context(std::shared_ptr<GpuEngine>,
                                                     const engine::EngineDef&,
                                                     const ContextOptions&) {
  return not_built();
}
Status execute(GpuContext&, const std::vector<const Tensor*>&, std::vector<Tensor>&,
               const TensorObserver&) {
  return not_built();
}
Status enqueue(GpuContext&) { return not_built(); }
Status execute_host(GpuContext&) { return not_built(); }
void* host_tensor_address(const GpuContext&, const std::string&) { return nullptr; }
IoMemory io_memory(const GpuContext&) { return IoMemory::kAuto; }
Status synchronize(GpuContext&) { return not_built(); }
void* stream(const GpuContext&) { return nullptr; }
Status set_tensor_address(GpuContext&, const std::string&, void*) { return not_built(); }
void* tensor_address(const GpuContext&, const std::string&) { return nullptr; }
std::vector<LayerProfile> layer_profile(const GpuContext&) { return {}; }
struct GpuFramePreprocessor {};
Expected<std::shared_ptr<GpuFramePreprocessor>> create_frame_preprocessor(GpuContext&, std::size_t,
                                                                          const PreprocessSpec&) {
  return not_built();
}
Status run_frame_preprocessor(GpuFramePreprocessor&, const ImageFrame&, std::size_t) {
  return not_built();
}
Expected<EngineTarget> current_target() { return not_built(); }
Expected<unsigned> parse_sources(const std::string&) { return not_built(); }
Expected<AutotuneResult> autotune(engine::EngineDef&, const AutotuneOptions&) {
  return not_built();
}

}  // namespace edgert::cuda_backend

#endif  // EDGERT_HAVE_CUDA
