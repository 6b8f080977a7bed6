// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// File helpers: read-only memory mapping (engines are used in place), whole-file reads, and atomic
// writes (temporary file + rename, so a crash never leaves a half-written file under the name).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "edgert/status.h"

namespace edgert {

/// A read-only, private memory mapping of a whole file. Keep it alive (shared_ptr) for as long as
/// any pointer into it is used. Thread-safe to read from many threads.
class MappedFile {
 public:
  /// Maps `path`. kNotFound when it cannot be opened, kIoError when it cannot be mapped, and
  /// kParseError for an empty file (nothing to map).
  static Expected<std::shared_ptr<const MappedFile>> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::uint8_t* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  const std::string& path() const noexcept { return path_; }

 private:
  MappedFile() = default;
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  std::string path_;
};

/// The whole file.
Expected<std::vector<std::uint8_t>> read_file_bytes(const std::string& path);

/// Writes `size` bytes to `path` atomically: into "<path>.tmp.<pid>" in the same directory, flushed
/// to disk, then renamed over `path`. On failure the temporary file is removed and `path` is left
/// as it was.
Status write_file_atomic(const std::string& path, const void* data, std::size_t size);

}  // namespace edgert
