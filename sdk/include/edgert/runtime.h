// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Running an engine: an ExecutionContext holds one activation arena and runs the engine's
/// layers on the engine's backend (the CPU, or a CUDA GPU for engines built with --target cuda).
/// Create one context per thread; a context is used by one thread at a time (it is not locked).
/// Contexts of one engine share its weights (on the GPU: one device copy per engine); each CUDA
/// context has its own stream, activation memory, library handles and I/O buffers.
///
/// Two ways to run: execute() takes host tensors and returns when the outputs are written (the
/// CUDA backend copies in, enqueues and waits); or, on CUDA engines, the device-side path of
/// TensorRT's enqueueV3: bind device addresses with set_tensor_address() (or use the context's
/// own device buffers, tensor_address()), enqueue() on the context's stream, synchronize().

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "edgert/engine.h"
#include "edgert/status.h"
#include "edgert/tensor.h"

namespace edgert {

/// Sees a tensor by name; the tensor (and its memory) is only valid during the call.
using TensorObserver = std::function<void(const std::string& name, const Tensor& t)>;

/// Where a CUDA context keeps its inputs and outputs.
enum class IoMemory : std::uint8_t {
  kAuto = 0,      ///< zero-copy on an integrated GPU (Jetson), staged on a discrete one
  kZeroCopy = 1,  ///< mapped pinned host memory the GPU reads and writes directly: no copies
  kStaged = 2,    ///< device memory plus pinned host buffers, copied asynchronously on the stream
};
const char* io_memory_name(IoMemory m) noexcept;

struct ContextOptions {
  /// CUDA engines: capture the whole enqueue into a CUDA graph on the first enqueue() after the
  /// bindings change and replay it afterwards (much lower launch overhead at small batch). When
  /// capture is not possible the context logs why once and runs layer by layer. Ignored on CPU.
  bool cuda_graph = false;
  /// Time every layer (CUDA events on the GPU, a steady clock on the CPU) on every run; read the
  /// totals with layer_profile(). Profiling disables CUDA graph replay (events between layers).
  bool profile = false;
  /// CUDA engines: the device ordinal (the engine's weights live on the device of the first
  /// context; every context of one engine must use the same device).
  int device = 0;
  /// CUDA engines: the I/O memory mode. kAuto reads the environment variable EDGERT_IO_MEMORY
  /// (zero-copy | staged | auto) first, so the integrated path can be forced on a discrete GPU.
  IoMemory io_memory = IoMemory::kAuto;
};

/// Time spent in one layer over the profiled runs.
struct LayerProfile {
  std::string name;
  std::string type;
  std::string tactic;
  double total_ms = 0.0;  ///< summed over `runs`
  std::int64_t runs = 0;
};

class ExecutionContext {
 public:
  ~ExecutionContext();
  ExecutionContext(const ExecutionContext&) = delete;
  ExecutionContext& operator=(const ExecutionContext&) = delete;

  /// Runs the engine. `inputs` in the order of Engine::inputs(), each of exactly the declared type
  /// and shape (kInvalidArgument naming the input otherwise); they are only read. `outputs`: either
  /// empty (resized and allocated here) or one tensor per Engine::outputs() entry, each either
  /// empty (allocated here) or of the declared type and shape (written in place).
  Status execute(const std::vector<const Tensor*>& inputs, std::vector<Tensor>& outputs);

  /// Runs on the context's host-visible I/O buffers (host_tensor_address()): the inputs written
  /// there (or by a FramePreprocessor) are read, the outputs are there when it returns. CUDA
  /// zero-copy: the GPU works on them in place; staged: asynchronous copies to and from the device
  /// buffers around the layers. CPU engines: plain host buffers, allocated on first use.
  Status execute();
  /// The host-visible buffer of an input or output, of the declared type and size, valid for the
  /// context's lifetime: fill inputs in place (a camera frame, a preprocessing result) and read
  /// outputs without another copy. CUDA engines: mapped pinned memory in zero-copy mode, the
  /// pinned staging buffer otherwise. Null for an unknown name.
  void* host_tensor_address(const std::string& name) const;
  /// The I/O mode this context resolved kAuto to (kAuto itself on the CPU).
  IoMemory io_memory() const noexcept;

  /// Called with every graph input, then with every layer output right after the layer ran
  /// (calibration, debugging, accuracy bisection). The tensor may live in the context's arena and
  /// is overwritten later: copy it (clone()) to keep it. Pass an empty function to remove it.
  void set_tensor_observer(TensorObserver observer);

  /// True for a context of a CUDA engine.
  bool on_gpu() const noexcept;
  /// CUDA engines: the context's stream (a cudaStream_t); null on the CPU.
  void* stream() const noexcept;
  /// CUDA engines: binds an engine input or output (by name) to device memory of its declared
  /// size, which must stay valid while work is enqueued; null restores the context's own buffer.
  /// kNotFound for an unknown name, kInvalidArgument on the CPU backend.
  Status set_tensor_address(const std::string& name, void* device_ptr);
  /// CUDA engines: the device address bound to an input or output (the context's own buffer
  /// unless set_tensor_address() bound another); null for an unknown name or on the CPU.
  void* tensor_address(const std::string& name) const;
  /// CUDA engines: enqueues the whole engine on stream() reading and writing the bound
  /// addresses; returns without waiting. On the CPU backend: kInvalidArgument (use execute()).
  Status enqueue();
  /// Waits for the work enqueued on stream(); reports a CUDA error that the work raised.
  Status synchronize();

  /// Per-layer times accumulated since the context was created (ContextOptions::profile), in
  /// engine layer order; empty when profiling is off.
  std::vector<LayerProfile> layer_profile() const;
  /// The same as JSON: {"runs": N, "layers": [{"name", "type", "tactic", "avg_ms",
  /// "percent"}...], "total_avg_ms"}, the shape of trtexec's --exportProfile.
  std::string layer_profile_json() const;

  const Engine& engine() const noexcept;

  struct Impl;  ///< internal

 private:
  friend class Engine;
  friend class FramePreprocessor;
  explicit ExecutionContext(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgert
