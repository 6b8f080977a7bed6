// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Camera frames straight into an engine's image input. A FramePreprocessor applies the
/// preprocessing spec the engine carries (Engine::preprocess: colour conversion, resize,
/// normalisation, layout) to a frame in host memory and writes the result into one batch slot of
/// an execution context's input, where the context's next execute() reads it:
///  - CUDA contexts: the frame goes to pinned memory the preprocessor owns, and the CUDA
///    preprocessing kernel writes the slot on the device. On a zero-copy context (integrated GPUs
///    such as Jetson's) the kernel reads the frame in place, on a staged one it is copied to the
///    device first (asynchronously, on the preprocessor's own stream).
///  - CPU contexts: the CPU kernel writes the slot of the context's host input buffer
///    (ExecutionContext::host_tensor_address).
/// Both follow kernels/cpu/preprocess.h to the letter, so an engine is fed exactly as it was
/// calibrated and evaluated.
///
/// Threads: a preprocessor is used by one thread at a time, but several preprocessors may fill
/// different slots of one context's input at the same time (one per camera stream, say); run the
/// context once every run() has returned, and not while it runs. All preprocessors of one input
/// should use the same Device: on a staged CUDA context, a slot the CUDA kernel wrote makes the
/// next execute() take the whole input from the device. The context must outlive its
/// preprocessors.

#include <cstdint>
#include <memory>

#include "edgert/preprocess.h"
#include "edgert/runtime.h"
#include "edgert/status.h"

namespace edgert {

class FramePreprocessor {
 public:
  /// Where the work runs. kCpu on a CUDA context: the CPU kernel writes the context's host
  /// input buffer (ExecutionContext::host_tensor_address), which execute() reads as usual.
  enum class Device : std::uint8_t { kAuto = 0, kCpu = 1 };

  /// A preprocessor for image input `input` (an index into Engine::inputs()) of `ctx`: the input
  /// must carry a preprocessing spec (edgert build --preprocess) and be float32 (or float16 for
  /// the CUDA kernel). kInvalidArgument naming the input otherwise.
  static Expected<std::unique_ptr<FramePreprocessor>> create(ExecutionContext& ctx,
                                                             std::size_t input = 0,
                                                             Device device = Device::kAuto);
  ~FramePreprocessor();
  FramePreprocessor(const FramePreprocessor&) = delete;
  FramePreprocessor& operator=(const FramePreprocessor&) = delete;

  /// Preprocesses `frame` into batch slot `slot` (0 <= slot < the input's batch) and returns when
  /// the slot is written. Errors name the frame's problem (missing planes, short strides, sizes).
  Status run(const ImageFrame& frame, std::int64_t slot);

  /// True when the CUDA kernel does the work.
  bool on_gpu() const noexcept;
  /// The input's batch (its first dimension; 1 for an input of rank 3 or less).
  std::int64_t batch() const noexcept;

  struct Impl;  ///< internal

 private:
  explicit FramePreprocessor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgert
