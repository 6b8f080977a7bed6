// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The .npy reader/writer the model tests load their references with.

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "npy.h"

namespace edgert::test {
namespace {

std::string temp_path(const std::string& name) {
  return std::string(EDGERT_TEST_DATA_DIR) + "/npy_test_" + name + ".npy";
}

// A v1.0 file as numpy writes it: header padded with spaces to a 64-byte boundary.
std::string npy_bytes(const std::string& dict, const std::string& data, char major = 1) {
  std::string header = dict;
  const std::size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += major;
  out += '\0';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  if (major != 1) out += std::string(2, '\0');
  return out + header + data;
}

}  // namespace

TEST_CASE("npy round trip of float32, int64 and uint8", "[npy]") {
  std::ofstream(std::string(EDGERT_TEST_DATA_DIR) + "/.keep");  // the directory may be new
  Tensor f = Tensor::allocate(DataType::kFloat32, Shape{2, 3}).value();
  for (int i = 0; i < 6; ++i) f.data<float>()[i] = 0.5f * static_cast<float>(i) - 1.0f;
  Tensor l = Tensor::allocate(DataType::kInt64, Shape{4}).value();
  for (int i = 0; i < 4; ++i) l.data<std::int64_t>()[i] = (std::int64_t{1} << 40) * (i - 2);
  Tensor u = Tensor::allocate(DataType::kUInt8, Shape{}).value();
  u.data<std::uint8_t>()[0] = 200;
  for (const Tensor* t : {&f, &l, &u}) {
    const std::string path = temp_path(dtype_name(t->dtype()));
    REQUIRE(write_npy(path, *t).ok());
    auto back = read_npy(path);
    INFO(back.status().to_string());
    REQUIRE(back.ok());
    CHECK(back->dtype() == t->dtype());
    CHECK(back->shape() == t->shape());
    CHECK(std::memcmp(back->raw(), t->raw(), t->nbytes()) == 0);
    std::remove(path.c_str());
  }
}

TEST_CASE("npy reads v1 and v2 headers as numpy writes them", "[npy]") {
  const std::string data("\x01\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00", 16);
  for (char major : {'\1', '\2'}) {
    auto t = parse_npy(
        npy_bytes("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", data, major), "x");
    INFO(t.status().to_string());
    REQUIRE(t.ok());
    CHECK(t->shape() == Shape{2});
    CHECK(t->data<std::int64_t>()[1] == 2);
  }
}

TEST_CASE("npy rejects malformed files with clear errors", "[npy]") {
  const std::string four(4, '\0');
  auto bad = [](const std::string& bytes) { return parse_npy(bytes, "bad.npy").status(); };

  Status s = bad("PK\x03\x04 not numpy at all");
  CHECK(s.code() == StatusCode::kParseError);
  CHECK(s.message().find("bad.npy") != std::string::npos);
  CHECK(s.message().find("magic") != std::string::npos);

  // Data shorter than the shape says.
  s = bad(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", four));
  CHECK(s.code() == StatusCode::kParseError);
  CHECK(s.message().find("8 data bytes") != std::string::npos);

  // Header length pointing past the end of the file.
  std::string truncated = npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", "");
  truncated.resize(30);
  CHECK(bad(truncated).code() == StatusCode::kParseError);

  CHECK(bad(npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }",
                      std::string(8, '\0')))
            .code() == StatusCode::kUnsupported);
  CHECK(bad(npy_bytes("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", four)).code() ==
        StatusCode::kUnsupported);
  CHECK(bad(npy_bytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }",
                      std::string(16, '\0')))
            .code() == StatusCode::kUnsupported);
  CHECK(bad(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (a,), }", four)).code() ==
        StatusCode::kParseError);
  CHECK(bad(npy_bytes("{'descr': '<f4', 'fortran_order': False, }", four)).code() ==
        StatusCode::kParseError);

  CHECK(read_npy("/nonexistent/file.npy").status().code() == StatusCode::kNotFound);
}

}  // namespace edgert::test
