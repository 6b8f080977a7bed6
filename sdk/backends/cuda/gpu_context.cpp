// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// A CUDA execution context: its own stream, cuDNN/cuBLAS handles, activation arena, workspace and
// I/O buffers; enqueue runs every layer's tactic on the stream, optionally captured once into a
// CUDA graph and replayed; the profiler brackets each layer with CUDA events and NVTX ranges.

#include <nvtx3/nvToolsExt.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "backends/cuda/gpu_state.h"
#include "edgert/kernels/cuda_preprocess.h"
#include "edgert/logger.h"
#include "kernels/cpu/preprocess.h"

namespace edgert::cuda_backend {

struct GpuContext {
  std::shared_ptr<GpuEngine> engine;
  const engine::EngineDef* def = nullptr;
  ContextOptions options;
  StreamHandles handles;
  cudaStream_t stream = nullptr;  ///< handles.stream
  DeviceBuffer arena, workspace;
  PinnedBuffer host_scratch;
  IoMemory io_mode = IoMemory::kStaged;
  /// The context's own I/O: host-visible buffers (mapped in zero-copy mode, staging otherwise),
  /// device buffers (staged mode only), and the device addresses of the own buffers.
  std::vector<PinnedBuffer> host_inputs, host_outputs;
  std::vector<DeviceBuffer> dev_inputs, dev_outputs;
  std::vector<void*> own_inputs, own_outputs;
  std::vector<void*> inputs, outputs;  ///< bound device addresses
  /// Per input: written on the device (by a frame preprocessor) since the last run, so the next
  /// execute_host() must not copy the host staging over it. Set from several threads.
  std::unique_ptr<std::atomic<bool>[]> written_on_device;
  std::vector<void*> addr;  ///< per engine tensor
  std::vector<LayerIO> io;  ///< per layer
  bool dirty = true;
  cudaGraphExec_t graph = nullptr;
  bool graph_disabled = false;
  std::vector<cudaEvent_t> events;  ///< profiling: one before each layer, one at the end
  std::vector<LayerProfile> profile;

  ~GpuContext() {
    if (stream) cudaStreamSynchronize(stream);
    if (graph) cudaGraphExecDestroy(graph);
    for (cudaEvent_t e : events) cudaEventDestroy(e);
  }
};

namespace {

// cuBLAS allocates its workspace lazily unless given one; a fixed one keeps CUDA graph capture
// free of allocations. 4 MiB is cuBLAS's own default on Hopper for one stream (2 MiB + 2 MiB).
constexpr std::size_t kCublasWorkspace = std::size_t{4} << 20;

}  // namespace

StreamHandles::~StreamHandles() {
  if (stream) cudaStreamSynchronize(stream);
  if (measured_id) tracking_allocator().release_measured(measured_id);
  if (cublaslt) cublasLtDestroy(cublaslt);
  if (cublas) cublasDestroy(cublas);
  if (cudnn) cudnnDestroy(cudnn);
  if (stream) cudaStreamDestroy(stream);
}

Status StreamHandles::create() {
  // What the stream and the library handles take on the device is not allocated through EdgeRT:
  // it is measured as the drop in free device memory and recorded as a "library" entry.
  std::size_t free_before = 0, free_after = 0, total = 0;
  const bool measure = cudaMemGetInfo(&free_before, &total) == cudaSuccess;
  EDGERT_CUDA_TRY(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  EDGERT_CUDNN_TRY(cudnnCreate(&cudnn));
  EDGERT_CUBLAS_TRY(cublasCreate(&cublas));
  EDGERT_CUBLAS_TRY(cublasLtCreate(&cublaslt));
  if (measure && cudaMemGetInfo(&free_after, &total) == cudaSuccess && free_after < free_before) {
    int device = 0;
    cudaGetDevice(&device);
    EDGERT_ASSIGN_OR_RETURN(
        measured_id,
        tracking_allocator().record_measured(
            free_before - free_after, MemoryKind::kDevice, MemoryTag::kLibrary, device,
            "stream and cuDNN/cuBLAS handles (measured: free device memory before/after)"));
  }
  cudaGetLastError();
  EDGERT_RETURN_IF_ERROR(
      cublas_workspace.allocate(kCublasWorkspace, "cuBLAS workspace", MemoryTag::kLibrary));
  EDGERT_CUBLAS_TRY(cublasSetWorkspace(cublas, cublas_workspace.get(), cublas_workspace.size()));
  return {};
}

RunContext StreamHandles::run_context() const {
  RunContext rc;
  rc.stream = stream;
  rc.cudnn = cudnn;
  rc.cublas = cublas;
  rc.cublaslt = cublaslt;
  return rc;
}

namespace {

RunContext run_context(const GpuContext& c) {
  RunContext rc = c.handles.run_context();
  rc.workspace = c.workspace.get();
  rc.workspace_bytes = c.workspace.size();
  rc.host_scratch = c.host_scratch.get();
  return rc;
}

void refresh(GpuContext& c) {
  if (!c.dirty) return;
  resolve_addresses(*c.def, c.engine->weights.get(), c.arena.get(), c.inputs, c.outputs, c.addr);
  build_layer_io(*c.def, c.addr, c.io);
  if (c.graph) {
    cudaGraphExecDestroy(c.graph);
    c.graph = nullptr;
  }
  c.dirty = false;
}

Status run_layers(GpuContext& c, bool profile) {
  const RunContext rc = run_context(c);
  const auto& tactics = c.engine->tactics;
  for (std::size_t li = 0; li < tactics.size(); ++li) {
    if (!tactics[li]) continue;
    if (profile) EDGERT_CUDA_TRY(cudaEventRecord(c.events[li], c.stream));
    nvtxRangePushA(c.def->layers[li].name.c_str());
    Status s = tactics[li]->enqueue(rc, c.io[li]);
    nvtxRangePop();
    if (!s.ok())
      return s.with_context(engine::describe_layer(*c.def, li) + " (tactic " + tactics[li]->name() +
                            ")");
  }
  if (profile) EDGERT_CUDA_TRY(cudaEventRecord(c.events.back(), c.stream));
  return {};
}

Status collect_profile(GpuContext& c) {
  EDGERT_CUDA_TRY(cudaEventSynchronize(c.events.back()));
  const auto& tactics = c.engine->tactics;
  for (std::size_t li = 0; li < tactics.size(); ++li) {
    ++c.profile[li].runs;
    if (!tactics[li]) continue;
    // The layer ends where the next executed layer (or the end marker) begins.
    std::size_t next = li + 1;
    while (next < tactics.size() && !tactics[next]) ++next;
    float ms = 0.f;
    EDGERT_CUDA_TRY(cudaEventElapsedTime(&ms, c.events[li], c.events[next]));
    c.profile[li].total_ms += ms;
  }
  return {};
}

Status capture(GpuContext& c) {
  cudaGraph_t graph = nullptr;
  EDGERT_CUDA_TRY(cudaStreamBeginCapture(c.stream, cudaStreamCaptureModeThreadLocal));
  Status s = run_layers(c, false);
  cudaError_t end = cudaStreamEndCapture(c.stream, &graph);
  if (!s.ok() || end != cudaSuccess) {
    if (graph) cudaGraphDestroy(graph);
    cudaGetLastError();
    return s.ok() ? cuda_status(end, "cudaStreamEndCapture") : s;
  }
  cudaError_t inst = cudaGraphInstantiate(&c.graph, graph, 0);
  cudaGraphDestroy(graph);
  if (inst != cudaSuccess) {
    c.graph = nullptr;
    cudaGetLastError();
    return cuda_status(inst, "cudaGraphInstantiate");
  }
  return {};
}

}  // namespace

/// kAuto resolved: EDGERT_IO_MEMORY, then the device kind (integrated: zero-copy).
static Expected<IoMemory> resolve_io_memory(IoMemory wanted, int device) {
  if (wanted == IoMemory::kAuto) {
    const char* env = std::getenv("EDGERT_IO_MEMORY");
    const std::string v = env ? env : "";
    if (v == "zero-copy") {
      wanted = IoMemory::kZeroCopy;
    } else if (v == "staged") {
      wanted = IoMemory::kStaged;
    } else if (!v.empty() && v != "auto") {
      return Status(StatusCode::kInvalidArgument,
                    "EDGERT_IO_MEMORY='" + v + "': expected zero-copy, staged or auto");
    }
  }
  int integrated = 0, can_map = 0;
  EDGERT_CUDA_TRY(cudaDeviceGetAttribute(&integrated, cudaDevAttrIntegrated, device));
  EDGERT_CUDA_TRY(cudaDeviceGetAttribute(&can_map, cudaDevAttrCanMapHostMemory, device));
  if (wanted == IoMemory::kAuto)
    wanted = integrated && can_map ? IoMemory::kZeroCopy : IoMemory::kStaged;
  if (wanted == IoMemory::kZeroCopy && !can_map)
    return Status(StatusCode::kUnsupported,
                  "zero-copy I/O: device " + std::to_string(device) + " cannot map host memory");
  return wanted;
}

Expected<std::shared_ptr<GpuContext>> create_context(std::shared_ptr<GpuEngine> engine,
                                                     const engine::EngineDef& def,
                                                     const ContextOptions& options) {
  if (options.device != engine->device)
    return Status(StatusCode::kInvalidArgument,
                  "context for device " + std::to_string(options.device) + ": engine '" +
                      engine->label + "' was loaded on device " + std::to_string(engine->device));
  DeviceGuard guard(engine->device);
  auto c = std::make_shared<GpuContext>();
  c->engine = std::move(engine);
  c->def = &def;
  c->options = options;
  EDGERT_RETURN_IF_ERROR(c->handles.create());
  c->stream = c->handles.stream;
  EDGERT_RETURN_IF_ERROR(
      c->arena.allocate(def.memory.arena_bytes, "the activation arena", MemoryTag::kActivations));
  EDGERT_RETURN_IF_ERROR(c->workspace.allocate(c->engine->workspace_bytes, "the layer workspace",
                                               MemoryTag::kWorkspace));
  if (c->engine->host_scratch_bytes)
    EDGERT_RETURN_IF_ERROR(c->host_scratch.allocate(c->engine->host_scratch_bytes,
                                                    "CPU fallback layers", MemoryTag::kWorkspace));
  EDGERT_ASSIGN_OR_RETURN(c->io_mode, resolve_io_memory(options.io_memory, c->engine->device));
  for (int side = 0; side < 2; ++side) {
    const auto& list = side == 0 ? def.inputs : def.outputs;
    auto& host = side == 0 ? c->host_inputs : c->host_outputs;
    auto& dev = side == 0 ? c->dev_inputs : c->dev_outputs;
    auto& own = side == 0 ? c->own_inputs : c->own_outputs;
    for (auto t : list) {
      const auto& td = def.tensors[static_cast<std::size_t>(t)];
      const std::string what = (side == 0 ? "input '" : "output '") + td.name + "'";
      PinnedBuffer h;
      EDGERT_RETURN_IF_ERROR(h.allocate(
          td.nbytes,
          what + (c->io_mode == IoMemory::kZeroCopy ? " (zero-copy)" : " (host staging)"),
          MemoryTag::kIO));
      void* device_address = nullptr;
      if (c->io_mode == IoMemory::kZeroCopy) {
        EDGERT_CUDA_TRY(cudaHostGetDevicePointer(&device_address, h.get(), 0));
      } else {
        DeviceBuffer d;
        EDGERT_RETURN_IF_ERROR(d.allocate(td.nbytes, what, MemoryTag::kIO));
        device_address = d.get();
        dev.push_back(std::move(d));
      }
      host.push_back(std::move(h));
      own.push_back(device_address);
    }
  }
  c->inputs = c->own_inputs;
  c->outputs = c->own_outputs;
  c->written_on_device.reset(new std::atomic<bool>[c->inputs.size()]);
  for (std::size_t k = 0; k < c->inputs.size(); ++k) c->written_on_device[k] = false;
  if (options.profile) {
    c->events.resize(def.layers.size() + 1, nullptr);
    for (auto& e : c->events) EDGERT_CUDA_TRY(cudaEventCreate(&e));
    c->profile.resize(def.layers.size());
  }
  if (options.cuda_graph && !c->engine->graph_blocker.empty()) {
    EDGERT_LOG(kWarning, "engine '" << c->engine->label << "': no CUDA graph, "
                                    << c->engine->graph_blocker << " (runs on the host)");
    c->graph_disabled = true;
  }
  return c;
}

Status enqueue(GpuContext& c) {
  DeviceGuard guard(c.engine->device);
  refresh(c);
  const bool profile = c.options.profile;
  if (c.options.cuda_graph && !profile && !c.graph_disabled) {
    if (!c.graph) {
      Status s = capture(c);
      if (!s.ok()) {
        EDGERT_LOG(kWarning, "engine '" << c.engine->label
                                        << "': CUDA graph capture failed, running layer by "
                                           "layer: "
                                        << s.message());
        c.graph_disabled = true;
      }
    }
    if (c.graph) {
      EDGERT_CUDA_TRY(cudaGraphLaunch(c.graph, c.stream));
      return {};
    }
  }
  EDGERT_RETURN_IF_ERROR(run_layers(c, profile));
  if (profile) EDGERT_RETURN_IF_ERROR(collect_profile(c));
  return {};
}

Status synchronize(GpuContext& c) {
  EDGERT_CUDA_TRY(cudaStreamSynchronize(c.stream));
  return {};
}

void* stream(const GpuContext& c) { return c.stream; }

namespace {

/// Which engine input (input = true) or output `name` is: its index, or -1 for neither.
struct IoSlot {
  bool input = false;
  int k = -1;
};
IoSlot find_io(const engine::EngineDef& d, const std::string& name) {
  for (int side = 0; side < 2; ++side) {
    const auto& list = side == 0 ? d.inputs : d.outputs;
    for (std::size_t k = 0; k < list.size(); ++k)
      if (d.tensors[static_cast<std::size_t>(list[k])].name == name)
        return {side == 0, static_cast<int>(k)};
  }
  return {};
}

}  // namespace

Status set_tensor_address(GpuContext& c, const std::string& name, void* ptr) {
  const IoSlot io = find_io(*c.def, name);
  if (io.k < 0)
    return Status(StatusCode::kNotFound,
                  "set_tensor_address: the engine has no input or output '" + name + "'");
  const auto k = static_cast<std::size_t>(io.k);
  if (io.input)
    c.inputs[k] = ptr ? ptr : c.own_inputs[k];
  else
    c.outputs[k] = ptr ? ptr : c.own_outputs[k];
  c.dirty = true;
  return {};
}

void* tensor_address(const GpuContext& c, const std::string& name) {
  const IoSlot io = find_io(*c.def, name);
  if (io.k < 0) return nullptr;
  return io.input ? c.inputs[static_cast<std::size_t>(io.k)]
                  : c.outputs[static_cast<std::size_t>(io.k)];
}

namespace {

/// Staged mode: the inputs of the own buffers copied from the host staging to the device.
Status stage_in(GpuContext& c) {
  if (c.io_mode != IoMemory::kStaged) return {};
  for (std::size_t k = 0; k < c.inputs.size(); ++k)
    if (c.inputs[k] == c.own_inputs[k] && !c.written_on_device[k].exchange(false))
      EDGERT_CUDA_TRY(cudaMemcpyAsync(c.inputs[k], c.host_inputs[k].get(), c.host_inputs[k].size(),
                                      cudaMemcpyHostToDevice, c.stream));
  return {};
}

Status stage_out(GpuContext& c) {
  if (c.io_mode != IoMemory::kStaged) return {};
  for (std::size_t k = 0; k < c.outputs.size(); ++k)
    if (c.outputs[k] == c.own_outputs[k])
      EDGERT_CUDA_TRY(cudaMemcpyAsync(c.host_outputs[k].get(), c.outputs[k],
                                      c.host_outputs[k].size(), cudaMemcpyDeviceToHost, c.stream));
  return {};
}

}  // namespace

Status execute_host(GpuContext& c) {
  DeviceGuard guard(c.engine->device);
  EDGERT_RETURN_IF_ERROR(stage_in(c));
  EDGERT_RETURN_IF_ERROR(enqueue(c));
  EDGERT_RETURN_IF_ERROR(stage_out(c));
  return synchronize(c);
}

void* host_tensor_address(const GpuContext& c, const std::string& name) {
  const IoSlot io = find_io(*c.def, name);
  if (io.k < 0) return nullptr;
  return io.input ? c.host_inputs[static_cast<std::size_t>(io.k)].get()
                  : c.host_outputs[static_cast<std::size_t>(io.k)].get();
}

IoMemory io_memory(const GpuContext& c) { return c.io_mode; }

Status execute(GpuContext& c, const std::vector<const Tensor*>& inputs,
               std::vector<Tensor>& outputs, const TensorObserver& observer) {
  DeviceGuard guard(c.engine->device);
  const auto& d = *c.def;
  // The host buffers may still be read by work enqueued before (enqueue() without a wait).
  EDGERT_RETURN_IF_ERROR(synchronize(c));
  // The caller's tensors replace whatever a frame preprocessor wrote.
  for (std::size_t k = 0; k < inputs.size(); ++k) c.written_on_device[k] = false;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    if (c.inputs[k] != c.own_inputs[k]) {  // bound by set_tensor_address(): copy there
      EDGERT_CUDA_TRY(cudaMemcpyAsync(c.inputs[k], inputs[k]->raw(), inputs[k]->nbytes(),
                                      cudaMemcpyHostToDevice, c.stream));
    } else if (inputs[k]->raw() != c.host_inputs[k].get()) {
      std::memcpy(c.host_inputs[k].get(), inputs[k]->raw(), inputs[k]->nbytes());
    }
  }
  EDGERT_RETURN_IF_ERROR(stage_in(c));
  if (!observer) {
    EDGERT_RETURN_IF_ERROR(enqueue(c));
  } else {
    // Layer by layer, each linear output copied to the host for the observer.
    refresh(c);
    for (std::size_t k = 0; k < inputs.size(); ++k)
      observer(d.tensors[static_cast<std::size_t>(d.inputs[k])].name, *inputs[k]);
    const RunContext rc = run_context(c);
    for (std::size_t li = 0; li < d.layers.size(); ++li) {
      if (c.engine->tactics[li])
        EDGERT_RETURN_IF_ERROR(c.engine->tactics[li]->enqueue(rc, c.io[li]));
      for (auto t : d.layers[li].outputs) {
        if (t < 0) continue;
        const auto& td = d.tensors[static_cast<std::size_t>(t)];
        if (td.format != engine::TensorFormat::kLinear) continue;
        auto host = Tensor::allocate(td.dtype, td.shape);
        if (!host) return host.status();
        EDGERT_CUDA_TRY(cudaMemcpyAsync(host->raw(), c.addr[static_cast<std::size_t>(t)], td.nbytes,
                                        cudaMemcpyDeviceToHost, c.stream));
        EDGERT_CUDA_TRY(cudaStreamSynchronize(c.stream));
        observer(td.name, *host);
      }
    }
  }
  EDGERT_RETURN_IF_ERROR(stage_out(c));
  for (std::size_t k = 0; k < outputs.size(); ++k)
    if (c.outputs[k] != c.own_outputs[k])
      EDGERT_CUDA_TRY(cudaMemcpyAsync(outputs[k].raw(), c.outputs[k], outputs[k].nbytes(),
                                      cudaMemcpyDeviceToHost, c.stream));
  EDGERT_RETURN_IF_ERROR(synchronize(c));
  for (std::size_t k = 0; k < outputs.size(); ++k)
    if (c.outputs[k] == c.own_outputs[k] && outputs[k].raw() != c.host_outputs[k].get())
      std::memcpy(outputs[k].raw(), c.host_outputs[k].get(), outputs[k].nbytes());
  return {};
}

std::vector<LayerProfile> layer_profile(const GpuContext& c) {
  std::vector<LayerProfile> out = c.profile;
  for (std::size_t li = 0; li < out.size(); ++li) {
    out[li].name = c.def->layers[li].name;
    out[li].type = c.def->layers[li].type;
    out[li].tactic = c.def->layers[li].tactic;
  }
  return out;
}

// ---- Camera frames into an input ----

struct GpuFramePreprocessor {
  GpuContext* ctx = nullptr;
  std::size_t input = 0;
  PreprocessSpec spec;
  DataType dtype = DataType::kFloat32;
  cudaStream_t stream = nullptr;
  /// The frame's planes, strides kept, in mapped pinned memory the kernel reads in place; only
  /// the rows the resize reads are copied (`rows`, for frames of rows_w x rows_h).
  PinnedBuffer staging;
  std::uint8_t* mapped = nullptr;  ///< the staging's device address
  std::vector<int> rows;
  int rows_w = 0, rows_h = 0;

  ~GpuFramePreprocessor() {
    if (stream) {
      cudaStreamSynchronize(stream);
      cudaStreamDestroy(stream);
    }
  }
};

Expected<std::shared_ptr<GpuFramePreprocessor>> create_frame_preprocessor(
    GpuContext& c, std::size_t input, const PreprocessSpec& spec) {
  DeviceGuard guard(c.engine->device);
  const auto& td = c.def->tensors[static_cast<std::size_t>(c.def->inputs.at(input))];
  if (td.format != engine::TensorFormat::kLinear)
    return Status(StatusCode::kUnsupported,
                  "input '" + td.name + "' is not stored linearly; frames cannot be written to it");
  int can_map = 0;
  EDGERT_CUDA_TRY(cudaDeviceGetAttribute(&can_map, cudaDevAttrCanMapHostMemory, c.engine->device));
  if (!can_map)
    return Status(StatusCode::kUnsupported,
                  "device " + std::to_string(c.engine->device) +
                      " cannot map host memory, which the CUDA frame path reads frames from");
  auto p = std::make_shared<GpuFramePreprocessor>();
  p->ctx = &c;
  p->input = input;
  p->spec = spec;
  p->dtype = td.dtype;
  EDGERT_CUDA_TRY(cudaStreamCreateWithFlags(&p->stream, cudaStreamNonBlocking));
  return p;
}

Status run_frame_preprocessor(GpuFramePreprocessor& p, const ImageFrame& f,
                              std::size_t slot_offset) {
  GpuContext& c = *p.ctx;
  DeviceGuard guard(c.engine->device);
  EDGERT_RETURN_IF_ERROR(cpu::check_frame(f));
  const int planes = cpu::pixel_format_planes(f.format);
  std::size_t offsets[3] = {0, 0, 0}, total = 0;
  for (int i = 0; i < planes; ++i) {
    offsets[i] = total;
    const int plane_rows = i == 0 ? f.height : (f.height + 1) / 2;
    total += (static_cast<std::size_t>(f.strides[i]) * static_cast<std::size_t>(plane_rows) + 255) /
             256 * 256;
  }
  if (f.width != p.rows_w || f.height != p.rows_h) {
    p.rows = cpu::preprocess_source_rows(f.width, f.height, p.spec);
    p.rows_w = f.width;
    p.rows_h = f.height;
  }
  // The previous frame's kernel may still read the staging buffer.
  EDGERT_CUDA_TRY(cudaStreamSynchronize(p.stream));
  if (p.staging.size() < total) {
    p.staging = PinnedBuffer();
    EDGERT_RETURN_IF_ERROR(
        p.staging.allocate(total, "camera frame staging", MemoryTag::kPreprocessing));
    void* mapped = nullptr;
    EDGERT_CUDA_TRY(cudaHostGetDevicePointer(&mapped, p.staging.get(), 0));
    p.mapped = static_cast<std::uint8_t*>(mapped);
  }
  auto* host = static_cast<std::uint8_t*>(p.staging.get());
  for (int i = 0; i < planes; ++i) {
    const auto n = static_cast<std::size_t>(cpu::plane_row_bytes(f, i));
    const auto stride = static_cast<std::size_t>(f.strides[i]);
    int last = -1;
    for (int r : p.rows) {
      const int pr = i == 0 ? r : r / 2;
      if (pr == last) continue;
      last = pr;
      std::memcpy(host + offsets[i] + static_cast<std::size_t>(pr) * stride,
                  f.planes[i] + static_cast<std::size_t>(pr) * stride, n);
    }
  }
  cuda::DeviceFrame df;
  df.format = f.format;
  df.width = f.width;
  df.height = f.height;
  for (int i = 0; i < planes; ++i) {
    df.planes[i] = p.mapped + offsets[i];
    df.strides[i] = f.strides[i];
  }
  void* dst = static_cast<std::uint8_t*>(c.inputs[p.input]) + slot_offset;
  EDGERT_RETURN_IF_ERROR(cuda::preprocess_frame(df, p.spec, dst, p.dtype, p.stream));
  EDGERT_CUDA_TRY(cudaStreamSynchronize(p.stream));
  c.written_on_device[p.input] = true;
  return {};
}

}  // namespace edgert::cuda_backend
