// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file A built engine: the self-describing, versioned file the builder writes and the runtime
/// runs (format: docs/engine.md). Loading verifies every offset and size before use; an engine
/// that is truncated, corrupted, of another format version or built for another target is refused
/// with an error that says what and why.
///
/// \code
///   auto engine = edgert::Engine::load("resnet18.engine");        // mmap + verify + prepare
///   if (!engine) { std::cerr << engine.status().to_string(); return 1; }
///   auto ctx = (*engine)->create_context();                       // one per thread
///   std::vector<edgert::Tensor> outputs;
///   edgert::Status s = (*ctx)->execute({&image}, outputs);
/// \endcode

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "edgert/preprocess.h"
#include "edgert/status.h"
#include "edgert/tensor.h"
#include "edgert/types.h"

namespace edgert {

class ExecutionContext;
struct ContextOptions;

/// A graph input or output: name, element type and (static) shape.
struct TensorDesc {
  std::string name;
  DataType dtype = DataType::kUndefined;
  Shape shape;
};

/// One layer of an engine, as built (for printing, profiling and accuracy debugging).
struct LayerDesc {
  std::string name;
  std::string type;  ///< op type in the CPU op table ("FusedConv", "Softmax", ...)
  std::vector<std::string>
      fused;  ///< names of the model nodes this layer stands for (may be empty)
  Precision precision = Precision::kFP32;
  std::string tactic;                ///< kernel chosen by the builder ("cpu.FusedConv")
  std::vector<std::string> inputs;   ///< tensor names; "" for an omitted optional input
  std::vector<std::string> outputs;  ///< tensor names
  std::string attrs;                 ///< attributes in text ("kernel_shape=[3,3] pads=[1,1,1,1]")
  bool alias = false;                ///< a view of its input (Reshape-like): no work at run time
  bool in_place = false;             ///< writes its output over its input's memory
};

/// What an engine was built for. Only a runtime of the same target may run it.
struct EngineTarget {
  std::string kind = "cpu";  ///< "cpu" or "cuda"
  // The fields below describe a "cuda" target (empty / 0 for "cpu").
  int sm = 0;                  ///< compute capability as major*10+minor: 87 = sm_87 (Orin)
  std::string device_name;     ///< "NVIDIA H100 80GB HBM3", "Orin"
  std::string cuda_version;    ///< runtime version the engine was built with, "12.4"
  std::string cudnn_version;   ///< "9.1.0"
  std::string cublas_version;  ///< "12.4.5"

  /// "cpu", or "cuda sm_87 (Orin), CUDA 12.4, cuDNN 9.1.0, cuBLAS 12.4.5".
  std::string to_string() const;
  /// The part of the target that must match for an engine to load: "cpu" or
  /// "cuda.sm_87.cuda12.cudnn9" (CUDA and cuDNN major versions: their minor releases are
  /// compatible, a different major or GPU architecture is not).
  std::string compatibility_key() const;
};

/// The header of an engine: identity and provenance.
struct EngineHeader {
  std::uint32_t format_version = 0;  ///< layout of the file (docs/engine.md, "Versioning")
  std::string sdk_version;           ///< EdgeRT version of the builder that wrote it, "0.1.0"
  EngineTarget target;
  std::string model_name;      ///< the ONNX graph name
  std::string model_hash;      ///< SHA-256 (hex) of the ONNX file's bytes
  std::string config_hash;     ///< SHA-256 (hex) of the builder configuration
  std::string config_summary;  ///< readable configuration, "precision=fp16 calib=entropy ..."
  std::uint64_t checksum = 0;  ///< XXH64 over the file (see docs/engine.md)
};

/// The memory an engine needs (bytes).
struct MemorySummary {
  std::uint64_t arena_bytes = 0;  ///< one activation arena per ExecutionContext
  std::uint64_t naive_bytes =
      0;  ///< the sum of all intermediate tensors (no reuse), for comparison
  std::uint64_t weight_bytes = 0;     ///< weights, shared by every context (mapped from the file)
  std::uint32_t alias_layers = 0;     ///< layers that are views of their input (no copy)
  std::uint32_t in_place_layers = 0;  ///< layers writing over their input
};

/// A loaded engine. Immutable and thread-safe: many ExecutionContexts (one per thread) may run it
/// at once; they share the weights, which stay in the mapped file (read-only, no copy).
class Engine : public std::enable_shared_from_this<Engine> {
 public:
  /// Maps the file at `path`, verifies it and prepares it for this runtime (target "cpu").
  static Expected<std::shared_ptr<const Engine>> load(const std::string& path);
  /// Same for an engine held in memory (copied once if `bytes` is not 64-byte aligned).
  static Expected<std::shared_ptr<const Engine>> from_memory(std::vector<std::uint8_t> bytes);

  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const EngineHeader& header() const noexcept;
  const std::vector<TensorDesc>& inputs() const noexcept;
  const std::vector<TensorDesc>& outputs() const noexcept;
  /// Index of the input called `name`, or -1.
  int input_index(const std::string& name) const noexcept;
  /// Index of the output called `name`, or -1.
  int output_index(const std::string& name) const noexcept;
  const std::vector<LayerDesc>& layers() const noexcept;
  /// How input `i` is made from an image (enabled = false: a raw tensor, also for i out of range).
  const PreprocessSpec& preprocess(std::size_t i) const;
  /// Class labels in index order (empty when the model has none).
  const std::vector<std::string>& labels() const noexcept;
  const MemorySummary& memory() const noexcept;
  /// Readable description: header, inputs/outputs, memory and one line per layer.
  std::string to_string() const;
  /// The layer table: one row per layer (name, type, precision, tactic, input and output shapes,
  /// the model nodes it stands for), as `edgert build` and `edgert inspect` print it.
  std::string layer_table() const;

  /// A new context with its own activation arena (MemorySummary::arena_bytes, 64-byte aligned).
  /// The context keeps the engine alive.
  Expected<std::unique_ptr<ExecutionContext>> create_context() const;
  /// As above, with options (CUDA graph capture, per-layer profiling).
  Expected<std::unique_ptr<ExecutionContext>> create_context(const ContextOptions& options) const;

  struct Impl;  ///< the prepared engine (internal)
  const Impl& impl() const noexcept { return *impl_; }

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  static Expected<std::shared_ptr<const Engine>> prepare(std::shared_ptr<const void> storage,
                                                         const std::uint8_t* data, std::size_t size,
                                                         const std::string& label);
  std::unique_ptr<Impl> impl_;
};

/// This runtime's format version (engines of any other version are refused).
std::uint32_t engine_format_version() noexcept;

}  // namespace edgert
