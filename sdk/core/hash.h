// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Hashes: SHA-256 (model and builder-config identity, recorded in engines and caches) and XXH64
// (the fast checksum over an engine file's content; not a security feature).

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "edgert/status.h"

namespace edgert {

/// Incremental SHA-256 (FIPS 180-4).
class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t size);
  /// The digest; the object must not be updated afterwards.
  std::array<std::uint8_t, 32> finish();

 private:
  void block(const std::uint8_t* p);
  std::uint32_t h_[8];
  std::uint8_t buf_[64];
  std::size_t buf_len_ = 0;
  std::uint64_t total_ = 0;
};

/// Lower-case hex of `size` bytes.
std::string to_hex(const void* data, std::size_t size);
/// SHA-256 of a buffer as 64 lower-case hex digits.
std::string sha256_hex(const void* data, std::size_t size);
inline std::string sha256_hex(const std::string& s) { return sha256_hex(s.data(), s.size()); }
/// SHA-256 of a file's bytes (read in chunks); kNotFound / kIoError naming the path.
Expected<std::string> sha256_file_hex(const std::string& path);

/// XXH64 (Yann Collet's xxHash, 64-bit variant): ~10 GB/s, used as the engine checksum.
std::uint64_t xxhash64(const void* data, std::size_t size, std::uint64_t seed = 0) noexcept;

}  // namespace edgert
