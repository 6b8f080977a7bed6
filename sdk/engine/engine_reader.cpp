// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Engine decoding: bytes -> EngineDef. Every read is bounds-checked (ByteReader); enum values,
// counts, ranks and dims are range-checked before use. Semantic checks: engine_verify.cpp.

#include <algorithm>
#include <cstring>

#include "core/hash.h"
#include "engine/byte_io.h"
#include "engine/engine_file.h"

namespace edgert::engine {
namespace {

template <typename T>
T load(const std::uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

bool valid_dtype(std::uint8_t v) { return v <= static_cast<std::uint8_t>(DataType::kBool); }

Shape get_shape(ByteReader& r, const char* what) {
  const std::uint32_t rank = r.get_count(8, what);
  if (rank > kMaxRank) {
    r.fail(std::string(what) + " has rank " + std::to_string(rank) + " (at most " +
           std::to_string(kMaxRank) + ")");
    return {};
  }
  std::vector<std::int64_t> dims(rank);
  for (auto& d : dims) {
    d = r.get<std::int64_t>();
    if (r.ok() && (d < 0 || d > kMaxDim)) {
      r.fail(std::string(what) + " has dimension " + std::to_string(d) + " (expected 0.." +
             std::to_string(kMaxDim) + ")");
      return {};
    }
  }
  return Shape(std::move(dims));
}

AttrValue get_attr(ByteReader& r, const std::string& name) {
  const auto kind = r.get<std::uint8_t>();
  switch (kind) {
    case 0: return r.get<std::int64_t>();
    case 1: return r.get<float>();
    case 2: return r.get_string("string attribute");
    case 3: {
      const auto dt = r.get<std::uint8_t>();
      if (r.ok() && !valid_dtype(dt)) r.fail("attribute '" + name + "': bad tensor type");
      Shape shape = get_shape(r, "tensor attribute");
      const auto nbytes = r.get<std::uint64_t>();
      if (!r.ok()) return Tensor();
      const auto dtype = static_cast<DataType>(dt);
      if (dtype == DataType::kUndefined) {
        if (nbytes != 0) r.fail("attribute '" + name + "': empty tensor with bytes");
        return Tensor();
      }
      std::uint64_t numel = 0;
      if (nbytes > r.remaining() || !checked_numel(shape, r.remaining(), &numel) ||
          numel * dtype_size(dtype) != nbytes) {
        r.fail("attribute '" + name + "': tensor of " + std::to_string(nbytes) +
               " bytes does not match " + dtype_name(dtype) + " " + shape.to_string());
        return Tensor();
      }
      const std::uint8_t* p = r.get_bytes(nbytes, "tensor attribute data");
      auto t = Tensor::allocate(dtype, shape);
      if (!t) {
        r.fail("attribute '" + name + "': " + t.status().message());
        return Tensor();
      }
      if (nbytes) std::memcpy(t->raw(), p, nbytes);
      return std::move(t).value();
    }
    case 4: {
      std::vector<std::int64_t> v(r.get_count(8, "ints attribute"));
      for (auto& e : v) e = r.get<std::int64_t>();
      return v;
    }
    case 5: {
      std::vector<float> v(r.get_count(4, "floats attribute"));
      for (auto& e : v) e = r.get<float>();
      return v;
    }
    case 6: return r.get_strings("strings attribute");
    default:
      r.fail("attribute '" + name + "' has unknown kind " + std::to_string(kind));
      return std::int64_t{0};
  }
}

void read_meta(ByteReader& r, EngineHeader& h) {
  h.sdk_version = r.get_string("sdk version");
  h.target.kind = r.get_string("target");
  h.target.sm = r.get<std::int32_t>();
  h.target.device_name = r.get_string("device name");
  h.target.cuda_version = r.get_string("CUDA version");
  h.target.cudnn_version = r.get_string("cuDNN version");
  h.target.cublas_version = r.get_string("cuBLAS version");
  h.model_name = r.get_string("model name");
  h.model_hash = r.get_string("model hash");
  h.config_hash = r.get_string("config hash");
  h.config_summary = r.get_string("config summary");
}

// Smallest encoded tensor record: empty name (4) + dtype, storage, format (3) + rank (4) + offset,
// nbytes (16) + alias_of, io_index (8).
constexpr std::size_t kMinTensorBytes = 35;
// Smallest layer record: 3 empty strings (12) + opset (4) + fused count (4) + precision (1) +
// tactic (4) + flags (4) + 3 counts (12).
constexpr std::size_t kMinLayerBytes = 41;

void read_tensors(ByteReader& r, std::vector<TensorDef>& tensors) {
  tensors.resize(r.get_count(kMinTensorBytes, "tensors"));
  for (std::size_t i = 0; i < tensors.size() && r.ok(); ++i) {
    TensorDef& t = tensors[i];
    t.name = r.get_string("tensor name");
    const auto dt = r.get<std::uint8_t>();
    const auto st = r.get<std::uint8_t>();
    const auto fm = r.get<std::uint8_t>();
    if (r.ok() && fm >= kTensorFormatCount)
      r.fail("tensor #" + std::to_string(i) + " '" + t.name + "' has bad format " +
             std::to_string(fm));
    if (r.ok() && (!valid_dtype(dt) || dt == 0))
      r.fail("tensor #" + std::to_string(i) + " '" + t.name + "' has bad type " +
             std::to_string(dt));
    if (r.ok() && st >= kStorageCount)
      r.fail("tensor #" + std::to_string(i) + " '" + t.name + "' has bad storage " +
             std::to_string(st));
    t.dtype = static_cast<DataType>(dt);
    t.storage = static_cast<Storage>(st);
    t.format = static_cast<TensorFormat>(fm);
    t.shape = get_shape(r, "tensor shape");
    t.offset = r.get<std::uint64_t>();
    t.nbytes = r.get<std::uint64_t>();
    t.alias_of = r.get<std::int32_t>();
    t.io_index = r.get<std::int32_t>();
  }
}

void read_layers(ByteReader& r, std::vector<LayerDef>& layers) {
  layers.resize(r.get_count(kMinLayerBytes, "layers"));
  for (std::size_t i = 0; i < layers.size() && r.ok(); ++i) {
    LayerDef& l = layers[i];
    l.name = r.get_string("layer name");
    l.type = r.get_string("layer type");
    l.domain = r.get_string("layer domain");
    l.opset = r.get<std::int32_t>();
    l.fused = r.get_strings("fused names");
    const auto prec = r.get<std::uint8_t>();
    if (r.ok() && prec > static_cast<std::uint8_t>(Precision::kINT8))
      r.fail("layer #" + std::to_string(i) + " '" + l.name + "' has bad precision " +
             std::to_string(prec));
    l.precision = static_cast<Precision>(prec);
    l.tactic = r.get_string("tactic");
    l.flags = r.get<std::uint32_t>();
    l.inputs.resize(r.get_count(4, "layer inputs"));
    for (auto& t : l.inputs) t = r.get<std::int32_t>();
    l.outputs.resize(r.get_count(4, "layer outputs"));
    for (auto& t : l.outputs) t = r.get<std::int32_t>();
    const std::uint32_t n_attrs = r.get_count(5, "attributes");
    for (std::uint32_t a = 0; a < n_attrs && r.ok(); ++a) {
      std::string name = r.get_string("attribute name");
      AttrValue v = get_attr(r, name);
      if (r.ok() && l.attrs.has(name))
        r.fail("layer '" + l.name + "': duplicate attribute " + name);
      l.attrs.set(name, std::move(v));
    }
  }
}

// Preprocessing spec record: enabled (1) + width, height (8) + enums (3) + 7 floats (28).
constexpr std::size_t kPreprocessBytes = 40;

void read_io(ByteReader& r, EngineDef& def) {
  def.inputs.resize(r.get_count(4, "inputs"));
  for (auto& i : def.inputs) i = r.get<std::int32_t>();
  def.outputs.resize(r.get_count(4, "outputs"));
  for (auto& i : def.outputs) i = r.get<std::int32_t>();
  if (r.ok() && def.inputs.size() * kPreprocessBytes > r.remaining())
    r.fail("truncated preprocessing specs");
  def.preprocess.resize(r.ok() ? def.inputs.size() : 0);
  for (auto& p : def.preprocess) {
    p.enabled = r.get<std::uint8_t>() != 0;
    p.width = r.get<std::int32_t>();
    p.height = r.get<std::int32_t>();
    const auto color = r.get<std::uint8_t>();
    const auto resize = r.get<std::uint8_t>();
    const auto layout = r.get<std::uint8_t>();
    if (r.ok() && (color > static_cast<std::uint8_t>(ColorOrder::kGray) ||
                   resize > static_cast<std::uint8_t>(ResizeMode::kLetterbox) ||
                   layout > static_cast<std::uint8_t>(TensorLayout::kNHWC)))
      r.fail("bad preprocessing enum value");
    p.color = static_cast<ColorOrder>(color);
    p.resize = static_cast<ResizeMode>(resize);
    p.layout = static_cast<TensorLayout>(layout);
    for (float& m : p.mean) m = r.get<float>();
    for (float& s : p.scale) s = r.get<float>();
    p.pad_value = r.get<float>();
  }
}

void read_memory(ByteReader& r, MemorySummary& m) {
  m.arena_bytes = r.get<std::uint64_t>();
  m.naive_bytes = r.get<std::uint64_t>();
  m.weight_bytes = r.get<std::uint64_t>();
  m.alias_layers = r.get<std::uint32_t>();
  m.in_place_layers = r.get<std::uint32_t>();
}

Status parse_error(const std::string& msg) { return make_error(StatusCode::kParseError, msg); }

std::string printable_magic(const std::uint8_t* p, std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i)
    s += (p[i] >= 32 && p[i] < 127) ? std::string(1, static_cast<char>(p[i]))
                                    : "\\x" + to_hex(p + i, 1);
  return s;
}

}  // namespace

const char* section_name(std::uint32_t id) noexcept {
  switch (static_cast<SectionId>(id)) {
    case SectionId::kMeta: return "meta";
    case SectionId::kTensors: return "tensors";
    case SectionId::kLayers: return "layers";
    case SectionId::kIo: return "io";
    case SectionId::kLabels: return "labels";
    case SectionId::kMemory: return "memory";
    case SectionId::kWeights: return "weights";
  }
  return "unknown";
}

Expected<EngineDef> read_engine(const std::uint8_t* data, std::size_t size,
                                const ReadOptions& options) {
  // Identity first (magic, version), so that a foreign or old file is named as such instead of
  // being reported as corrupted.
  if (size < sizeof(kMagic) || std::memcmp(data, kMagic, sizeof(kMagic)) != 0) {
    if (size < sizeof(kMagic))
      return parse_error("not an EdgeRT engine: " + std::to_string(size) +
                         " bytes, too short for the 8-byte magic");
    return parse_error("not an EdgeRT engine: the file starts with '" +
                       printable_magic(data, sizeof(kMagic)) + "', expected 'EDGERTEN' (an ONNX " +
                       "model must be built into an engine first)");
  }
  if (size < kHeaderBytes)
    return parse_error("truncated engine: " + std::to_string(size) +
                       " bytes, shorter than the 64-byte header");
  const auto version = load<std::uint32_t>(data + 8);
  if (version != kFormatVersion)
    return make_error(
        StatusCode::kVersionMismatch,
        "engine format version " + std::to_string(version) + " is " +
            (version > kFormatVersion ? "newer" : "older") +
            " than the version this runtime reads (" + std::to_string(kFormatVersion) +
            ", EdgeRT " EDGERT_VERSION "): rebuild the engine from the ONNX model with this SDK");
  const auto header_bytes = load<std::uint32_t>(data + 12);
  const auto file_bytes = load<std::uint64_t>(data + 16);
  const auto stored_checksum = load<std::uint64_t>(data + kChecksumOffset);
  const auto n_sections = load<std::uint32_t>(data + 32);
  const auto table_offset = load<std::uint64_t>(data + 40);
  if (header_bytes != kHeaderBytes)
    return parse_error("corrupted engine header: header size " + std::to_string(header_bytes) +
                       ", expected 64");
  if (file_bytes != size)
    return parse_error(file_bytes > size
                           ? "truncated engine: the header says " + std::to_string(file_bytes) +
                                 " bytes, the file has " + std::to_string(size)
                           : "engine has " + std::to_string(size - file_bytes) +
                                 " unexpected bytes after its end (" + std::to_string(file_bytes) +
                                 " bytes)");
  if (options.check_checksum) {
    const std::uint64_t actual = compute_checksum(data, size);
    if (actual != stored_checksum)
      return parse_error("engine checksum mismatch (stored " + to_hex(&stored_checksum, 8) +
                         ", content " + to_hex(&actual, 8) +
                         "): the file is corrupted; rebuild or copy it again");
  }

  // Section table: every required section exactly once, aligned, in bounds, not overlapping.
  if (n_sections != kSectionCount)
    return parse_error("engine has " + std::to_string(n_sections) + " sections, expected " +
                       std::to_string(kSectionCount));
  if (table_offset < kHeaderBytes || table_offset > size ||
      n_sections * kSectionEntryBytes > size - table_offset)
    return parse_error("engine section table (offset " + std::to_string(table_offset) +
                       ") is out of bounds");
  struct Range {
    std::uint64_t offset = 0, size = 0;
    bool seen = false;
  };
  Range ranges[kSectionCount + 1];
  const std::uint64_t table_end = table_offset + n_sections * kSectionEntryBytes;
  for (std::uint32_t i = 0; i < n_sections; ++i) {
    const std::uint8_t* e = data + table_offset + i * kSectionEntryBytes;
    const auto id = load<std::uint32_t>(e);
    const auto off = load<std::uint64_t>(e + 8);
    const auto len = load<std::uint64_t>(e + 16);
    if (id == 0 || id > kSectionCount)
      return parse_error("engine section #" + std::to_string(i) + " has unknown id " +
                         std::to_string(id));
    const std::string what = std::string("section '") + section_name(id) + "'";
    if (ranges[id].seen) return parse_error("engine has two " + what + "s");
    if (off % kAlignment != 0)
      return parse_error(what + " offset " + std::to_string(off) + " is not 64-byte aligned");
    if (off < table_end || off > size || len > size - off)
      return parse_error(what + " (offset " + std::to_string(off) + ", " + std::to_string(len) +
                         " bytes) lies outside the file body (" + std::to_string(table_end) + ".." +
                         std::to_string(size) + ")");
    ranges[id] = {off, len, true};
  }
  std::vector<Range> sorted(ranges + 1, ranges + kSectionCount + 1);
  std::sort(sorted.begin(), sorted.end(),
            [](const Range& a, const Range& b) { return a.offset < b.offset; });
  for (std::size_t i = 1; i < sorted.size(); ++i)
    if (sorted[i - 1].offset + sorted[i - 1].size > sorted[i].offset)
      return parse_error("engine sections overlap");

  EngineDef def;
  def.header.format_version = version;
  def.header.checksum = stored_checksum;
  auto reader = [&](SectionId id) {
    const Range& rg = ranges[static_cast<std::uint32_t>(id)];
    return ByteReader(
        data + rg.offset, rg.size,
        std::string("engine section '") + section_name(static_cast<std::uint32_t>(id)) + "'");
  };
  auto finish = [](ByteReader& r) -> Status {
    if (r.ok() && !r.at_end())
      r.fail(std::to_string(r.remaining()) + " unexpected bytes at the end");
    return r.status();
  };
  {
    ByteReader r = reader(SectionId::kMeta);
    read_meta(r, def.header);
    EDGERT_RETURN_IF_ERROR(finish(r));
  }
  {
    ByteReader r = reader(SectionId::kTensors);
    read_tensors(r, def.tensors);
    EDGERT_RETURN_IF_ERROR(finish(r));
  }
  {
    ByteReader r = reader(SectionId::kLayers);
    read_layers(r, def.layers);
    EDGERT_RETURN_IF_ERROR(finish(r));
  }
  {
    ByteReader r = reader(SectionId::kIo);
    read_io(r, def);
    EDGERT_RETURN_IF_ERROR(finish(r));
  }
  {
    ByteReader r = reader(SectionId::kLabels);
    def.labels = r.get_strings("labels");
    EDGERT_RETURN_IF_ERROR(finish(r));
  }
  {
    ByteReader r = reader(SectionId::kMemory);
    read_memory(r, def.memory);
    EDGERT_RETURN_IF_ERROR(finish(r));
  }
  const Range& w = ranges[static_cast<std::uint32_t>(SectionId::kWeights)];
  def.weights_data = data + w.offset;
  def.weights_size = w.size;
  return def;
}

}  // namespace edgert::engine
