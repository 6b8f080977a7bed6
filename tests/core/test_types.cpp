// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Data types and shapes.
#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "edgert/types.h"

namespace edgert {

TEST_CASE("dtype sizes and names", "[core][types]") {
  struct Row {
    DataType type;
    std::size_t size;
    const char* name;
    bool is_float;
    bool is_integer;
  };
  const Row rows[] = {
      {DataType::kUndefined, 0, "undefined", false, false},
      {DataType::kFloat32, 4, "float32", true, false},
      {DataType::kFloat16, 2, "float16", true, false},
      {DataType::kInt8, 1, "int8", false, true},
      {DataType::kUInt8, 1, "uint8", false, true},
      {DataType::kInt32, 4, "int32", false, true},
      {DataType::kInt64, 8, "int64", false, true},
      {DataType::kBool, 1, "bool", false, false},
  };
  for (const Row& r : rows) {
    INFO(r.name);
    CHECK(dtype_size(r.type) == r.size);
    CHECK(std::string(dtype_name(r.type)) == r.name);
    CHECK(is_float(r.type) == r.is_float);
    CHECK(is_integer(r.type) == r.is_integer);
  }
}

TEST_CASE("Shape: numel and is_static", "[core][types]") {
  CHECK(Shape{}.numel() == 1);  // a scalar holds one element
  CHECK(Shape{}.is_static());
  CHECK(Shape{}.rank() == 0);
  CHECK(Shape{1, 3, 224, 224}.numel() == 150528);
  CHECK(Shape{4, 0, 5}.numel() == 0);
  CHECK(Shape{4, 0, 5}.is_static());

  Shape dynamic{Shape::kUnknownDim, 3, 224, 224};
  CHECK_FALSE(dynamic.is_static());
  CHECK(dynamic.numel() == -1);
  CHECK(dynamic.rank() == 4);

  Shape unknown = Shape::unknown();
  CHECK(unknown.unknown_rank());
  CHECK_FALSE(unknown.is_static());
  CHECK(unknown.numel() == -1);
}

TEST_CASE("Shape: to_string marks unknown dims and rank", "[core][types]") {
  CHECK(Shape{1, 3, 224, 224}.to_string() == "[1,3,224,224]");
  CHECK(Shape{-1, 3, -1, -1}.to_string() == "[?,3,?,?]");
  CHECK(Shape{}.to_string() == "[]");
  CHECK(Shape::unknown().to_string() == "[*]");
  CHECK(Shape(std::vector<std::int64_t>{7}).to_string() == "[7]");
}

TEST_CASE("Shape: equality tells a scalar from an unknown rank", "[core][types]") {
  CHECK(Shape{2, 3} == Shape(std::vector<std::int64_t>{2, 3}));
  CHECK(Shape{2, 3} != Shape{3, 2});
  CHECK(Shape{} != Shape::unknown());
  CHECK(Shape::unknown() == Shape::unknown());
  Shape s{2, 3};
  s[1] = 5;
  CHECK(s == Shape{2, 5});
  s.dims().push_back(7);
  CHECK(s.to_string() == "[2,5,7]");
}

TEST_CASE("contiguous_strides is row-major", "[core][types]") {
  CHECK(contiguous_strides(Shape{2, 3, 4}) == std::vector<std::int64_t>{12, 4, 1});
  CHECK(contiguous_strides(Shape{5}) == std::vector<std::int64_t>{1});
  CHECK(contiguous_strides(Shape{}).empty());
}

}  // namespace edgert
