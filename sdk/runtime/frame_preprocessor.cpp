// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// FramePreprocessor: the engine's preprocessing spec applied to a camera frame, written into one
// batch slot of a context's input: the CPU kernel on CPU contexts, the CUDA backend's frame path
// (staging, kernel) on CUDA contexts.

#include "edgert/frame_preprocessor.h"

#include "kernels/cpu/preprocess.h"
#include "runtime/runtime_internal.h"

namespace edgert {

struct FramePreprocessor::Impl {
  ExecutionContext* ctx = nullptr;
  PreprocessSpec spec;
  std::int64_t batch = 1;
  std::size_t slot_bytes = 0;
  float* host = nullptr;  ///< CPU contexts: the context's host input buffer
  std::shared_ptr<cuda_backend::GpuFramePreprocessor> gpu;
};

FramePreprocessor::FramePreprocessor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FramePreprocessor::~FramePreprocessor() = default;

Expected<std::unique_ptr<FramePreprocessor>> FramePreprocessor::create(ExecutionContext& ctx,
                                                                       std::size_t input,
                                                                       Device device) {
  const Engine& e = ctx.engine();
  if (input >= e.inputs().size())
    return Status(StatusCode::kInvalidArgument,
                  "frame preprocessor: the engine has " + std::to_string(e.inputs().size()) +
                      " input(s), no input #" + std::to_string(input));
  const TensorDesc& in = e.inputs()[input];
  const PreprocessSpec& spec = e.preprocess(input);
  const std::string what = "frame preprocessor for input '" + in.name + "'";
  if (!spec.enabled)
    return Status(StatusCode::kInvalidArgument,
                  what +
                      ": the engine has no preprocessing spec for it (edgert build "
                      "--preprocess)");
  const bool gpu = ctx.on_gpu() && device == Device::kAuto;
  if (in.dtype != DataType::kFloat32 && !(gpu && in.dtype == DataType::kFloat16))
    return Status(StatusCode::kInvalidArgument,
                  what + ": the input is " + dtype_name(in.dtype) +
                      "; frames are written as float32 (or float16 on CUDA engines)");
  auto impl = std::make_unique<Impl>();
  impl->ctx = &ctx;
  impl->spec = spec;
  impl->batch = in.shape.rank() == 4 ? in.shape[0] : 1;
  const std::int64_t per_slot =
      static_cast<std::int64_t>(color_order_channels(spec.color)) * spec.width * spec.height;
  if (per_slot * impl->batch != in.shape.numel())
    return Status(StatusCode::kInvalidArgument,
                  what + ": its shape " + in.shape.to_string() + " does not hold " +
                      std::to_string(impl->batch) + " image(s) of the spec '" + spec.to_string() +
                      "'");
  impl->slot_bytes = static_cast<std::size_t>(per_slot) * dtype_size(in.dtype);
  if (gpu) {
    auto p = cuda_backend::create_frame_preprocessor(*ctx.impl_->gpu, input, spec);
    if (!p) return p.status().with_context(what);
    impl->gpu = std::move(p).value();
  } else {
    impl->host = static_cast<float*>(ctx.host_tensor_address(in.name));
    if (!impl->host) return ctx.impl_->ensure_host_io().with_context(what);
  }
  return std::unique_ptr<FramePreprocessor>(new FramePreprocessor(std::move(impl)));
}

Status FramePreprocessor::run(const ImageFrame& frame, std::int64_t slot) {
  Impl& p = *impl_;
  if (slot < 0 || slot >= p.batch)
    return Status(StatusCode::kInvalidArgument, "frame preprocessor: slot " + std::to_string(slot) +
                                                    " of a batch of " + std::to_string(p.batch));
  const std::size_t offset = static_cast<std::size_t>(slot) * p.slot_bytes;
  if (p.gpu) return cuda_backend::run_frame_preprocessor(*p.gpu, frame, offset);
  return cpu::preprocess_frame(frame, p.spec, p.host + offset / sizeof(float));
}

bool FramePreprocessor::on_gpu() const noexcept { return impl_->gpu != nullptr; }
std::int64_t FramePreprocessor::batch() const noexcept { return impl_->batch; }

}  // namespace edgert
