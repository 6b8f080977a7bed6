// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// SHA-256 and XXH64 against published test vectors; incremental hashing; file helpers.

#include <filesystem>
#include <fstream>
#include <random>

#include <catch2/catch.hpp>

#include "core/file_util.h"
#include "core/hash.h"

namespace edgert {

TEST_CASE("sha256 matches the FIPS 180-4 examples", "[engine][hash]") {
  CHECK(sha256_hex(std::string()) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex(std::string("abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex(std::string("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  const std::string million(1000000, 'a');
  CHECK(sha256_hex(million) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // Incremental updates in random pieces give the one-shot digest.
  std::mt19937 rng(3);
  std::size_t at = 0;
  Sha256 h;
  while (at < million.size()) {
    const std::size_t n = std::min<std::size_t>(rng() % 200, million.size() - at);
    h.update(million.data() + at, n);
    at += n;
  }
  const auto d = h.finish();
  CHECK(to_hex(d.data(), d.size()) == sha256_hex(million));
}

TEST_CASE("xxhash64 matches the reference implementation's vectors", "[engine][hash]") {
  CHECK(xxhash64("", 0) == 0xEF46DB3751D8E999ULL);
  CHECK(xxhash64("a", 1) == 0xD24EC4F1A98C6E5BULL);
  CHECK(xxhash64("abc", 3) == 0x44BC2CF5AD770999ULL);
  // 39 bytes: exercises the 32-byte stripes (python-xxhash's documented example).
  const std::string s = "Nobody inspects the spammish repetition";
  CHECK(xxhash64(s.data(), s.size()) == 0xFBCEA83C8A378BF1ULL);
  CHECK(xxhash64(s.data(), s.size(), 1) != xxhash64(s.data(), s.size(), 0));
}

TEST_CASE("file helpers: atomic write, read back, map, hash a file", "[engine][hash]") {
  const std::string dir = std::string(EDGERT_TEST_DATA_DIR) + "/engine/file_util";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/data.bin";
  const std::string text = "hello engine";
  REQUIRE(write_file_atomic(path, text.data(), text.size()).ok());
  auto bytes = read_file_bytes(path);
  REQUIRE(bytes.ok());
  CHECK(std::string(bytes->begin(), bytes->end()) == text);
  auto m = MappedFile::open(path);
  REQUIRE(m.ok());
  CHECK(std::string(reinterpret_cast<const char*>((*m)->data()), (*m)->size()) == text);
  auto digest = sha256_file_hex(path);
  REQUIRE(digest.ok());
  CHECK(*digest == sha256_hex(text));
  { std::ofstream(dir + "/empty.bin"); }
  CHECK(MappedFile::open(dir + "/empty.bin").status().code() == StatusCode::kParseError);
  CHECK(MappedFile::open(dir + "/none.bin").status().code() == StatusCode::kNotFound);
  // A failed write (directory missing) leaves nothing behind and says where.
  Status s = write_file_atomic(dir + "/no/such/dir/x.bin", text.data(), text.size());
  CHECK(s.code() == StatusCode::kIoError);
  CHECK_THAT(s.message(), Catch::Contains("no/such/dir"));
}

}  // namespace edgert
