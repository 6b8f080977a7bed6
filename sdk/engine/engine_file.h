// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Engine file encoding (docs/engine.md): serialize an EngineDef to bytes, decode bytes back with
// every size and offset checked, and verify the decoded engine's internal consistency.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/engine_def.h"

namespace edgert::engine {

/// Fixed file header, 64 bytes at offset 0.
constexpr std::size_t kHeaderBytes = 64;
constexpr std::size_t kChecksumOffset = 24;  ///< where the u64 checksum sits in the header
/// One section table entry: u32 id, u32 flags, u64 offset, u64 size.
constexpr std::size_t kSectionEntryBytes = 24;

enum class SectionId : std::uint32_t {
  kMeta = 1,
  kTensors = 2,
  kLayers = 3,
  kIo = 4,
  kLabels = 5,
  kMemory = 6,
  kWeights = 7,
};
constexpr std::uint32_t kSectionCount = 7;
const char* section_name(std::uint32_t id) noexcept;

/// The engine as bytes (checksum included). Sizes/offsets are taken from `def` as they are: run
/// verify_engine() on it first (the builder does) to be sure a reader will accept it.
std::vector<std::uint8_t> serialize_engine(const EngineDef& def);

struct ReadOptions {
  /// Check the content checksum (tests turn it off to reach the decoder with corrupted bytes).
  bool check_checksum = true;
};

/// Decodes an engine held in `data` (which must outlive the result: weights_data points into it).
/// Errors: kParseError (not an engine, truncated, corrupted), kVersionMismatch (format version).
Expected<EngineDef> read_engine(const std::uint8_t* data, std::size_t size,
                                const ReadOptions& options = {});

/// Internal consistency of a decoded or lowered engine: tensor sizes = dtype size * numel, offsets
/// aligned and in bounds (arena, weights), tensor indices in range, storage rules (layers write
/// only arena/output tensors, aliases point to lower indices with the same size), every tensor read
/// is an input, a weight or produced by an earlier layer, every output produced. Does not know the
/// op table: the runtime checks op types and shapes against its kernels.
Status verify_engine(const EngineDef& def);

/// The checksum of a complete file (the header's checksum field counts as zero).
std::uint64_t compute_checksum(const std::uint8_t* data, std::size_t size);
/// Recomputes and stores the checksum of `bytes` in place (tests, tools that patch files).
void restamp_checksum(std::vector<std::uint8_t>& bytes);

/// Writes an engine file atomically (temporary file + rename: never a half-written engine under
/// `path`). Refuses to replace an existing file that is not an EdgeRT engine (the user's ONNX
/// model, say) and paths ending in ".onnx".
Status write_engine_file(const std::string& path, const std::vector<std::uint8_t>& bytes);

}  // namespace edgert::engine
