// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Engine serialization: EngineDef -> bytes (layout in docs/engine.md).

#include <cstdio>
#include <cstring>
#include <variant>

#include "core/file_util.h"
#include "core/hash.h"
#include "engine/byte_io.h"
#include "engine/engine_file.h"

namespace edgert::engine {
namespace {

void put_shape(ByteWriter& w, const Shape& s) {
  w.put(static_cast<std::uint32_t>(s.rank()));
  for (auto d : s.dims()) w.put(static_cast<std::int64_t>(d));
}

void put_attr(ByteWriter& w, const AttrValue& v) {
  w.put(static_cast<std::uint8_t>(v.index()));
  std::visit(
      [&w](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::int64_t>) {
          w.put(x);
        } else if constexpr (std::is_same_v<T, float>) {
          w.put(x);
        } else if constexpr (std::is_same_v<T, std::string>) {
          w.put_string(x);
        } else if constexpr (std::is_same_v<T, Tensor>) {
          w.put(static_cast<std::uint8_t>(x.dtype()));
          put_shape(w, x.empty() ? Shape() : x.shape());
          const std::uint64_t n = x.empty() ? 0 : x.nbytes();
          w.put(n);
          if (n) w.put_bytes(x.raw(), n);
        } else if constexpr (std::is_same_v<T, std::vector<std::int64_t>>) {
          w.put(static_cast<std::uint32_t>(x.size()));
          for (auto e : x) w.put(e);
        } else if constexpr (std::is_same_v<T, std::vector<float>>) {
          w.put(static_cast<std::uint32_t>(x.size()));
          for (auto e : x) w.put(e);
        } else {
          static_assert(std::is_same_v<T, std::vector<std::string>>, "AttrValue alternative");
          w.put_strings(x);
        }
      },
      v);
}

void write_meta(ByteWriter& w, const EngineHeader& h) {
  w.put_string(h.sdk_version);
  w.put_string(h.target.kind);
  w.put(static_cast<std::int32_t>(h.target.sm));
  w.put_string(h.target.device_name);
  w.put_string(h.target.cuda_version);
  w.put_string(h.target.cudnn_version);
  w.put_string(h.target.cublas_version);
  w.put_string(h.model_name);
  w.put_string(h.model_hash);
  w.put_string(h.config_hash);
  w.put_string(h.config_summary);
}

void write_tensors(ByteWriter& w, const std::vector<TensorDef>& tensors) {
  w.put(static_cast<std::uint32_t>(tensors.size()));
  for (const auto& t : tensors) {
    w.put_string(t.name);
    w.put(static_cast<std::uint8_t>(t.dtype));
    w.put(static_cast<std::uint8_t>(t.storage));
    w.put(static_cast<std::uint8_t>(t.format));
    put_shape(w, t.shape);
    w.put(t.offset);
    w.put(t.nbytes);
    w.put(t.alias_of);
    w.put(t.io_index);
  }
}

void write_layers(ByteWriter& w, const std::vector<LayerDef>& layers) {
  w.put(static_cast<std::uint32_t>(layers.size()));
  for (const auto& l : layers) {
    w.put_string(l.name);
    w.put_string(l.type);
    w.put_string(l.domain);
    w.put(l.opset);
    w.put_strings(l.fused);
    w.put(static_cast<std::uint8_t>(l.precision));
    w.put_string(l.tactic);
    w.put(l.flags);
    w.put(static_cast<std::uint32_t>(l.inputs.size()));
    for (auto i : l.inputs) w.put(i);
    w.put(static_cast<std::uint32_t>(l.outputs.size()));
    for (auto i : l.outputs) w.put(i);
    w.put(static_cast<std::uint32_t>(l.attrs.size()));
    for (const auto& [name, value] : l.attrs.all()) {
      w.put_string(name);
      put_attr(w, value);
    }
  }
}

void write_io(ByteWriter& w, const EngineDef& def) {
  w.put(static_cast<std::uint32_t>(def.inputs.size()));
  for (auto i : def.inputs) w.put(i);
  w.put(static_cast<std::uint32_t>(def.outputs.size()));
  for (auto i : def.outputs) w.put(i);
  for (std::size_t i = 0; i < def.inputs.size(); ++i) {
    const PreprocessSpec p = i < def.preprocess.size() ? def.preprocess[i] : PreprocessSpec{};
    w.put(static_cast<std::uint8_t>(p.enabled));
    w.put(static_cast<std::int32_t>(p.width));
    w.put(static_cast<std::int32_t>(p.height));
    w.put(static_cast<std::uint8_t>(p.color));
    w.put(static_cast<std::uint8_t>(p.resize));
    w.put(static_cast<std::uint8_t>(p.layout));
    for (float m : p.mean) w.put(m);
    for (float s : p.scale) w.put(s);
    w.put(p.pad_value);
  }
}

void write_memory(ByteWriter& w, const MemorySummary& m) {
  w.put(m.arena_bytes);
  w.put(m.naive_bytes);
  w.put(m.weight_bytes);
  w.put(m.alias_layers);
  w.put(m.in_place_layers);
}

template <typename T>
void store(std::vector<std::uint8_t>& bytes, std::size_t at, T v) {
  std::memcpy(bytes.data() + at, &v, sizeof(T));
}

}  // namespace

std::vector<std::uint8_t> serialize_engine(const EngineDef& def) {
  std::vector<std::uint8_t> out(kHeaderBytes + kSectionCount * kSectionEntryBytes, 0);
  ByteWriter w(out);
  struct Entry {
    SectionId id;
    std::uint64_t offset, size;
  };
  std::vector<Entry> entries;
  auto section = [&](SectionId id, auto&& body) {
    w.align(kAlignment);
    const std::uint64_t start = w.size();
    body();
    entries.push_back({id, start, w.size() - start});
  };
  section(SectionId::kMeta, [&] { write_meta(w, def.header); });
  section(SectionId::kTensors, [&] { write_tensors(w, def.tensors); });
  section(SectionId::kLayers, [&] { write_layers(w, def.layers); });
  section(SectionId::kIo, [&] { write_io(w, def); });
  section(SectionId::kLabels, [&] { w.put_strings(def.labels); });
  section(SectionId::kMemory, [&] { write_memory(w, def.memory); });
  section(SectionId::kWeights, [&] { w.put_bytes(def.weight_bytes(), def.weight_size()); });
  w.align(kAlignment);  // the file ends on an aligned size (the weights may be followed by nothing)

  std::memcpy(out.data(), kMagic, sizeof(kMagic));
  store<std::uint32_t>(out, 8, kFormatVersion);
  store<std::uint32_t>(out, 12, static_cast<std::uint32_t>(kHeaderBytes));
  store<std::uint64_t>(out, 16, out.size());
  store<std::uint32_t>(out, 32, static_cast<std::uint32_t>(entries.size()));
  store<std::uint32_t>(out, 36, 0);  // flags
  store<std::uint64_t>(out, 40, kHeaderBytes);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::size_t at = kHeaderBytes + i * kSectionEntryBytes;
    store<std::uint32_t>(out, at, static_cast<std::uint32_t>(entries[i].id));
    store<std::uint32_t>(out, at + 4, 0);
    store<std::uint64_t>(out, at + 8, entries[i].offset);
    store<std::uint64_t>(out, at + 16, entries[i].size);
  }
  restamp_checksum(out);
  return out;
}

std::uint64_t compute_checksum(const std::uint8_t* data, std::size_t size) {
  if (size < kHeaderBytes) return xxhash64(data, size);
  std::uint8_t header[kHeaderBytes];
  std::memcpy(header, data, kHeaderBytes);
  std::memset(header + kChecksumOffset, 0, 8);
  return xxhash64(data + kHeaderBytes, size - kHeaderBytes, xxhash64(header, kHeaderBytes));
}

void restamp_checksum(std::vector<std::uint8_t>& bytes) {
  if (bytes.size() < kHeaderBytes) return;
  store<std::uint64_t>(bytes, kChecksumOffset, compute_checksum(bytes.data(), bytes.size()));
}

Status write_engine_file(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  const auto ends_with = [&](const char* suffix) {
    const std::size_t n = std::strlen(suffix);
    return path.size() >= n && path.compare(path.size() - n, n, suffix) == 0;
  };
  if (ends_with(".onnx") || ends_with(".ONNX"))
    return make_error(StatusCode::kInvalidArgument,
                      "refusing to write an engine to '" + path +
                          "': the name is that of an ONNX model (use .engine)");
  if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
    char head[sizeof(kMagic)] = {};
    const std::size_t n = std::fread(head, 1, sizeof(head), f);
    std::fclose(f);
    if (n > 0 && (n < sizeof(head) || std::memcmp(head, kMagic, sizeof(kMagic)) != 0))
      return make_error(
          StatusCode::kInvalidArgument,
          "refusing to overwrite '" + path + "': it exists and is not an EdgeRT engine");
  }
  return write_file_atomic(path, bytes.data(), bytes.size()).with_context("writing engine");
}

}  // namespace edgert::engine
