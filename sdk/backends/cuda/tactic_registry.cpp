// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The explicit table of tactic families, and the helpers they share.

#include <cstring>
#include <iterator>
#include <vector>

#include "backends/cuda/tactic.h"
#include "edgert/half.h"
#include "edgert/kernels/cuda_conv_int8.h"
#include "kernels/cpu/conv_gemm.h"

namespace edgert::cuda_backend {
namespace {

using FamilyFn = void (*)(const LayerView&, unsigned, std::vector<TacticPtr>&);
// In order of preference when timings tie (the builder keeps the first of equal medians).
constexpr FamilyFn kFamilies[] = {conv_tactics, gemm_tactics, kernel_tactics, cpu_fallback_tactics};

static_assert(static_cast<int>(cuda::Act::kTanh) == static_cast<int>(cpu::Activation::kTanh) &&
                  static_cast<int>(cuda::Act::kRelu) == static_cast<int>(cpu::Activation::kRelu) &&
                  static_cast<int>(cuda::Act::kGelu) == static_cast<int>(cpu::Activation::kGelu),
              "cuda::Act must number the activations as cpu::Activation");

}  // namespace

const char* tactic_source_name(TacticSource s) noexcept {
  switch (s) {
    case kSourceEdgert: return "edgert";
    case kSourceCudnn: return "cudnn";
    case kSourceCublas: return "cublas";
    case kSourceCpu: return "cpu";
    default: return "?";
  }
}

Expected<unsigned> parse_tactic_sources(const std::string& text) {
  unsigned set = 0;
  bool relative = false;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(pos, comma - pos);
    pos = comma + 1;
    if (item.empty()) {
      if (comma == text.size()) break;
      continue;
    }
    char sign = 0;
    if (item[0] == '+' || item[0] == '-') {
      sign = item[0];
      item = item.substr(1);
      if (!relative && set == 0) {
        set = kSourceAll;
        relative = true;
      }
    }
    unsigned bit = 0;
    for (unsigned b : {kSourceEdgert, kSourceCudnn, kSourceCublas, kSourceCpu})
      if (item == tactic_source_name(static_cast<TacticSource>(b))) bit = b;
    if (!bit)
      return Status(StatusCode::kInvalidArgument,
                    "tactic source '" + item + "' is not one of cudnn, cublas, edgert, cpu");
    if (sign == '-')
      set &= ~bit;
    else
      set |= bit;
  }
  if (!(set & kSourceEdgert) && !(set & kSourceCpu))
    return Status(StatusCode::kInvalidArgument,
                  "tactic sources '" + text +
                      "' leave neither edgert nor cpu: "
                      "reformat and pooling layers would have no tactic");
  return set;
}

const engine::TensorDef* LayerView::input(std::size_t k) const {
  const auto& ins = layer().inputs;
  if (k >= ins.size() || ins[k] < 0) return nullptr;
  return &def->tensors[static_cast<std::size_t>(ins[k])];
}

const engine::TensorDef* LayerView::output(std::size_t k) const {
  const auto& outs = layer().outputs;
  if (k >= outs.size() || outs[k] < 0) return nullptr;
  return &def->tensors[static_cast<std::size_t>(outs[k])];
}

const std::uint8_t* LayerView::weight(std::size_t k) const {
  const auto& ins = layer().inputs;
  if (k >= ins.size() || ins[k] < 0) return nullptr;
  const engine::TensorDef* t = &def->tensors[static_cast<std::size_t>(ins[k])];
  while (t->storage == engine::Storage::kAlias)
    t = &def->tensors[static_cast<std::size_t>(t->alias_of)];
  if (t->storage != engine::Storage::kWeight) return nullptr;
  return def->weight_bytes() + t->offset;
}

std::string LayerView::what() const { return engine::describe_layer(*def, index); }

cpu::NodeInfo LayerView::node() const {
  cpu::NodeInfo n;
  n.op_type = layer().type;
  n.name = layer().name;
  n.opset = layer().opset;
  n.index = static_cast<std::int64_t>(index);
  n.attrs = layer().attrs;
  return n;
}

Status LayerView::unsupported(const std::string& why) const {
  return Status(StatusCode::kUnsupported, what() + ": " + why);
}

cuda::Dims4 dims4(const engine::TensorDef& t) {
  cuda::Dims4 d;
  const Shape& s = t.shape;
  std::int64_t* v[4] = {&d.n, &d.c, &d.h, &d.w};
  for (std::size_t i = 0; i < s.rank() && i < 4; ++i) *v[i] = s[i];
  for (std::size_t i = 4; i < s.rank(); ++i) d.w *= s[i];
  return d;
}

cuda::Layout layout_of(const engine::TensorDef& t) {
  return t.format == engine::TensorFormat::kNHWC ? cuda::Layout::kNHWC : cuda::Layout::kNCHW;
}

Expected<cuda::ActParams> fused_activation(const LayerView& layer) {
  // The CPU layer's own parser: same attribute names, defaults and checks.
  auto ep = cpu::parse_fused_epilogue(layer.node());
  if (!ep.ok()) return ep.status();
  return cuda::ActParams{static_cast<cuda::Act>(ep->act.kind), ep->act.alpha, ep->act.beta};
}

Status upload(const void* host, std::size_t bytes, DeviceBuffer& dst, const std::string& what) {
  EDGERT_RETURN_IF_ERROR(dst.allocate(bytes, what, MemoryTag::kWeights));
  if (bytes) EDGERT_CUDA_TRY(cudaMemcpy(dst.get(), host, bytes, cudaMemcpyHostToDevice));
  return {};
}

Expected<std::vector<float>> weight_as_floats(const LayerView& layer, std::size_t input) {
  const engine::TensorDef* t = layer.input(input);
  const std::uint8_t* p = layer.weight(input);
  const std::string which = "input " + std::to_string(input);
  if (!t || !p) return layer.unsupported(which + " is not a constant");
  const auto n = static_cast<std::size_t>(t->shape.numel());
  std::vector<float> f(n);
  if (t->dtype == DataType::kFloat32) {
    std::memcpy(f.data(), p, n * 4);
  } else if (t->dtype == DataType::kFloat16) {
    for (std::size_t i = 0; i < n; ++i) {
      std::uint16_t h;
      std::memcpy(&h, p + 2 * i, 2);
      f[i] = half_to_float(h);
    }
  } else {
    return layer.unsupported(which + " is not float");
  }
  return f;
}

Status upload_as_float(const LayerView& layer, std::size_t input, DeviceBuffer& dst) {
  if (!layer.input(input)) {
    dst.reset();
    return {};
  }
  EDGERT_ASSIGN_OR_RETURN(std::vector<float> f, weight_as_floats(layer, input));
  return upload(f.data(), f.size() * 4, dst, layer.what() + " input " + std::to_string(input));
}

std::vector<TacticPtr> candidate_tactics(const LayerView& layer, unsigned sources) {
  std::vector<TacticPtr> out;
  for (FamilyFn f : kFamilies) f(layer, sources, out);
  return out;
}

Expected<TacticPtr> create_tactic(const LayerView& layer, const std::string& name,
                                  const PrepareContext& pc) {
  for (auto& t : candidate_tactics(layer, kSourceAll)) {
    if (t->name() != name) continue;
    Status s = t->prepare(layer, pc);
    if (!s.ok()) return s.with_context("tactic " + name);
    return std::move(t);
  }
  return Status(StatusCode::kNotFound, layer.what() + ": tactic '" + name +
                                           "' is not known to this runtime (EdgeRT " +
                                           EDGERT_VERSION + ")");
}

Status int8_split_admissible(const LayerView& layer, const cuda::ConvGeom& g, int split) {
  constexpr std::int64_t kMaxTiles = 256;  // 64 x 64 tiles: about two per SM of a large GPU
  constexpr std::size_t kMaxPartialBytes = std::size_t{64} << 20;
  const std::int64_t tiles = (g.n * g.oh * g.ow + 63) / 64 * ((g.k + 63) / 64);
  if (tiles > kMaxTiles || cuda::int8_conv_packed_k(g) / 64 < 2 * split)
    return layer.unsupported("enough tiles without splitting the reduction");
  if (cuda::int8_conv_workspace_bytes(g, split) > kMaxPartialBytes)
    return layer.unsupported("split partial sums too large");
  return {};
}

Status upload_int8_filter(const LayerView& layer, const std::int8_t* kcrs, const cuda::ConvGeom& g,
                          DeviceBuffer& dst) {
  std::vector<std::int8_t> packed(static_cast<std::size_t>(g.k * cuda::int8_conv_packed_k(g)));
  cuda::pack_int8_filter(kcrs, g, packed.data());
  return upload(packed.data(), packed.size(), dst, layer.what() + " int8 filter");
}

Expected<cuda::QuantEpilogue> int8_epilogue(const LayerView& layer, float alpha) {
  cuda::QuantEpilogue ep;
  EDGERT_ASSIGN_OR_RETURN(float x_scale, layer.attrs().get_float("x_scale", 0.f));
  ep.x_scale = x_scale * alpha;  // the CPU's x_scale * alpha, one float product
  EDGERT_ASSIGN_OR_RETURN(ep.z_scale, layer.attrs().get_float("z_scale", 0.f));
  EDGERT_ASSIGN_OR_RETURN(ep.y_scale, layer.attrs().get_float("y_scale", 0.f));
  const engine::TensorDef* y = layer.output(0);
  if (!y || (ep.y_scale > 0.f) != (y->dtype == DataType::kInt8))
    return layer.unsupported("y_scale disagrees with the output type");
  EDGERT_ASSIGN_OR_RETURN(ep.act, fused_activation(layer));
  return ep;
}

}  // namespace edgert::cuda_backend
