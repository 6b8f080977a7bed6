// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// The Tactic interface of the CUDA backend: one way of running one layer (a cuDNN algorithm, a
// cuBLAS GEMM, one of EdgeRT's kernels, the CPU op as a fallback). The builder lists every tactic
// that supports a layer, times them on the build GPU and records the winner's name in the engine
// (LayerDef::tactic); the runtime recreates the tactic from that name.
//
// Life cycle: prepare() once per engine (attributes, descriptors, weight transforms, device
// copies of its own); enqueue() any number of times, concurrently from several contexts (it is
// const: per-context handles and scratch come in through RunContext).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backends/cuda/cuda_util.h"
#include "edgert/kernels/cuda_common.h"
#include "edgert/kernels/cuda_conv.h"
#include "edgert/kernels/cuda_epilogue.h"
#include "engine/engine_def.h"
#include "kernels/cpu/op_def.h"

namespace edgert::cuda_backend {

/// Where a tactic's code comes from (--tactic-sources).
enum TacticSource : unsigned {
  kSourceEdgert = 1u,  ///< EdgeRT's own kernels (kernels/cuda)
  kSourceCudnn = 2u,
  kSourceCublas = 4u,
  kSourceCpu = 8u,  ///< the CPU op, with copies to and from the host (never graph-captured)
  kSourceAll = 15u,
};
const char* tactic_source_name(TacticSource s) noexcept;
/// "cudnn,cublas,edgert,cpu" with optional +/- prefixes relative to all ("-cudnn,-cublas").
Expected<unsigned> parse_tactic_sources(const std::string& text);

/// A layer of an engine, as tactics see it.
struct LayerView {
  const engine::EngineDef* def = nullptr;
  std::size_t index = 0;

  const engine::LayerDef& layer() const { return def->layers[index]; }
  const AttrMap& attrs() const { return layer().attrs; }
  std::size_t num_inputs() const { return layer().inputs.size(); }
  /// Null when the input is omitted or out of range.
  const engine::TensorDef* input(std::size_t k) const;
  const engine::TensorDef* output(std::size_t k) const;
  /// The host bytes of input k when it is a weight (directly or through views); else null.
  const std::uint8_t* weight(std::size_t k) const;
  /// "layer 'conv1' (#3, FusedConv)", the prefix of every message about the layer.
  std::string what() const;
  /// The layer as the CPU ops see it (their attribute parsers and shape arithmetic serve here).
  cpu::NodeInfo node() const;
  /// kUnsupported "<what()>: <why>": how a tactic declines a layer.
  Status unsupported(const std::string& why) const;
};

/// Per-engine services for prepare().
struct PrepareContext {
  int device = 0;
  int sm = 0;  ///< compute capability major*10+minor
  cudnnHandle_t cudnn = nullptr;
  cudaStream_t stream = nullptr;  ///< for uploads; prepare synchronizes before returning
};

/// Per-context handles and scratch for enqueue().
struct RunContext {
  cudaStream_t stream = nullptr;
  cudnnHandle_t cudnn = nullptr;
  cublasHandle_t cublas = nullptr;
  cublasLtHandle_t cublaslt = nullptr;
  void* workspace = nullptr;  ///< device, at least the layer's workspace_bytes()
  std::size_t workspace_bytes = 0;
  void* host_scratch = nullptr;  ///< pinned host, at least the layer's host_scratch_bytes()
};

/// Device addresses of one layer's tensors for one enqueue; null = omitted.
struct LayerIO {
  std::vector<const void*> inputs;
  std::vector<void*> outputs;
};

class Tactic {
 public:
  virtual ~Tactic() = default;
  /// Unique among the tactics of a layer type; recorded in the engine ("cudnn.conv.algo1").
  virtual std::string name() const = 0;
  virtual TacticSource source() const = 0;
  /// Checks that the tactic runs this layer (kUnsupported with the reason otherwise) and prepares.
  virtual Status prepare(const LayerView& layer, const PrepareContext& pc) = 0;
  virtual std::size_t workspace_bytes() const { return 0; }
  virtual std::size_t host_scratch_bytes() const { return 0; }
  /// False when enqueue() blocks on the host (the CPU fallback): no CUDA graph capture.
  virtual bool graph_safe() const { return true; }
  virtual Status enqueue(const RunContext& rc, const LayerIO& io) const = 0;
};

using TacticPtr = std::unique_ptr<Tactic>;

/// Every tactic (unprepared) that might run the layer, from the allowed sources; prepare() decides.
std::vector<TacticPtr> candidate_tactics(const LayerView& layer, unsigned sources);
/// The tactic named `name` for the layer, prepared; kUnsupported / kNotFound with a clear message.
Expected<TacticPtr> create_tactic(const LayerView& layer, const std::string& name,
                                  const PrepareContext& pc);

// Tactic families (one file each), listed in the explicit table of tactic_registry.cpp.
void conv_tactics(const LayerView& layer, unsigned sources, std::vector<TacticPtr>& out);
void gemm_tactics(const LayerView& layer, unsigned sources, std::vector<TacticPtr>& out);
void kernel_tactics(const LayerView& layer, unsigned sources, std::vector<TacticPtr>& out);
void cpu_fallback_tactics(const LayerView& layer, unsigned sources, std::vector<TacticPtr>& out);

// Shared helpers of the tactic families.
/// The 4-D view of a tensor for the kernels (rank < 4: trailing dims of 1).
cuda::Dims4 dims4(const engine::TensorDef& t);
cuda::Layout layout_of(const engine::TensorDef& t);
/// The activation attributes of a fused layer ("activation", "activation_alpha/beta").
Expected<cuda::ActParams> fused_activation(const LayerView& layer);
/// Uploads host bytes into a new device buffer (synchronously).
Status upload(const void* host, std::size_t bytes, DeviceBuffer& dst, const std::string& what);
/// The values of a float weight input (float32 or float16 in the file) as float32.
Expected<std::vector<float>> weight_as_floats(const LayerView& layer, std::size_t input);
/// A float32 device copy of a float weight input; empty buffer when the input is absent.
Status upload_as_float(const LayerView& layer, std::size_t input, DeviceBuffer& dst);

// Shared by the int8 tactics (ConvInt8, GemmInt8) on EdgeRT's int8 kernels (cuda_conv_int8.h).
/// kUnsupported unless splitting g's reduction `split` ways is worth timing: the tiles alone
/// leave most SMs idle, every split gets two reduction steps, the partial sums stay small.
Status int8_split_admissible(const LayerView& layer, const cuda::ConvGeom& g, int split);
/// Packs an ungrouped K x C x KH x KW int8 filter (a GEMM's B as [N][K], 1 x 1) for int8_conv
/// and uploads it.
Status upload_int8_filter(const LayerView& layer, const std::int8_t* kcrs, const cuda::ConvGeom& g,
                          DeviceBuffer& dst);
/// The epilogue's scalars from the layer's attributes: x_scale (times the GEMM's alpha), z_scale,
/// y_scale (checked against output 0's type) and the fused activation. Pointers are left null.
Expected<cuda::QuantEpilogue> int8_epilogue(const LayerView& layer, float alpha = 1.f);

}  // namespace edgert::cuda_backend
