// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// The in-memory form of an engine file (docs/engine.md): what the builder's lowering produces, the
// writer serializes, the reader decodes and the verifier checks. No IR types: this layer is shared
// by the builder and the runtime.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/attributes.h"
#include "edgert/engine.h"
#include "edgert/preprocess.h"
#include "edgert/types.h"

namespace edgert::engine {

/// Format version written by this SDK; the reader accepts only this version. Bump it for any
/// change of the layout (docs/engine.md, "Versioning").
constexpr std::uint32_t kFormatVersion = 2;
/// "EDGERTEN": EdgeRT engine.
constexpr char kMagic[8] = {'E', 'D', 'G', 'E', 'R', 'T', 'E', 'N'};
/// Alignment of sections, weights and arena offsets: a cache line, enough for AVX-512/NEON loads.
constexpr std::size_t kAlignment = 64;
/// Limits that keep a corrupted file from asking for absurd allocations.
constexpr std::size_t kMaxRank = 16;
constexpr std::int64_t kMaxDim = std::int64_t{1} << 40;

inline std::uint64_t align_up(std::uint64_t v, std::uint64_t a = kAlignment) {
  return (v + a - 1) / a * a;
}

/// Where a tensor's bytes live at run time.
enum class Storage : std::uint8_t {
  kInput = 0,   ///< the caller's input tensor `io_index`
  kOutput = 1,  ///< the caller's output tensor `io_index`
  kArena = 2,   ///< the context's activation arena at `offset`
  kWeight = 3,  ///< the weights section at `offset` (read-only)
  kAlias = 4,   ///< the bytes of tensor `alias_of` (same size), viewed with another shape
};
constexpr std::uint8_t kStorageCount = 5;
const char* storage_name(Storage s) noexcept;

/// Memory order of a tensor's elements. Shapes are always the logical (ONNX) ones.
enum class TensorFormat : std::uint8_t {
  kLinear = 0,  ///< row-major in the logical order (NCHW for 4-D)
  kNHWC = 1,    ///< 4-D only: channels innermost (CUDA tensor-core layers)
};
constexpr std::uint8_t kTensorFormatCount = 2;
const char* tensor_format_name(TensorFormat f) noexcept;

struct TensorDef {
  std::string name;
  DataType dtype = DataType::kUndefined;
  Shape shape;
  Storage storage = Storage::kArena;
  TensorFormat format = TensorFormat::kLinear;
  std::uint64_t offset = 0;    ///< kArena: arena offset; kWeight: offset in the weights section
  std::uint64_t nbytes = 0;    ///< dtype_size(dtype) * numel
  std::int32_t alias_of = -1;  ///< kAlias: the viewed tensor (a lower index)
  std::int32_t io_index = -1;  ///< kInput / kOutput: position in the engine's inputs / outputs
};

/// Layer flags (a bit set in the file).
constexpr std::uint32_t kLayerAlias = 1;    ///< output 0 is a view of input 0: nothing to run
constexpr std::uint32_t kLayerInPlace = 2;  ///< output 0 shares input 0's memory (informational)

struct LayerDef {
  std::string name;
  std::string type;    ///< op type in the CPU op table
  std::string domain;  ///< "" (ONNX) or "edgert" (builder layers)
  std::int32_t opset = 17;
  std::vector<std::string> fused;
  Precision precision = Precision::kFP32;
  std::string tactic;
  AttrMap attrs;
  std::vector<std::int32_t> inputs;   ///< tensor indices; -1 = omitted optional input
  std::vector<std::int32_t> outputs;  ///< tensor indices; -1 = omitted optional output
  std::uint32_t flags = 0;
};

/// Everything an engine file holds.
struct EngineDef {
  EngineHeader header;
  std::vector<TensorDef> tensors;
  std::vector<LayerDef> layers;
  std::vector<std::int32_t> inputs;        ///< tensor indices of the graph inputs, in order
  std::vector<std::int32_t> outputs;       ///< tensor indices of the graph outputs, in order
  std::vector<PreprocessSpec> preprocess;  ///< one per input (enabled = false: raw tensor)
  std::vector<std::string> labels;
  MemorySummary memory;
  /// Writer side: the weights section (kWeight offsets index it). The reader leaves it empty and
  /// points `weights_data` into the file instead (no copy).
  std::vector<std::uint8_t> weights;
  const std::uint8_t* weights_data = nullptr;
  std::uint64_t weights_size = 0;

  const std::uint8_t* weight_bytes() const {
    return weights.empty() ? weights_data : weights.data();
  }
  std::uint64_t weight_size() const { return weights.empty() ? weights_size : weights.size(); }
};

/// numel of `s` when it is at most `limit` (false otherwise, without overflowing).
bool checked_numel(const Shape& s, std::uint64_t limit, std::uint64_t* numel);

/// "layer 'conv1' (#3, Conv)": the prefix of every error about a layer.
std::string describe_layer(const EngineDef& def, std::size_t index);
/// "tensor 'x' (#5)".
std::string describe_tensor(const EngineDef& def, std::int64_t index);

}  // namespace edgert::engine
