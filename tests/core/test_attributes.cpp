// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// AttrMap: typed getters, defaults, the int/float leniency and kind errors.
#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/attributes.h"

namespace edgert {

TEST_CASE("AttrMap: absent attributes give the default", "[core][attributes]") {
  AttrMap m;
  CHECK(m.size() == 0);
  CHECK_FALSE(m.has("axis"));
  CHECK(m.get_int("axis", -1).value() == -1);
  CHECK(m.get_float("alpha", 0.5f).value() == 0.5f);
  CHECK(m.get_string("mode", "constant").value() == "constant");
  CHECK(m.get_ints("pads").value().empty());
  CHECK(m.get_ints("pads", {1, 2}).value() == std::vector<std::int64_t>{1, 2});
  CHECK(m.get_floats("scales").value().empty());
  CHECK(m.get_strings("names").value().empty());
  CHECK(m.get_tensor("value") == nullptr);
}

TEST_CASE("AttrMap: present attributes of the asked kind", "[core][attributes]") {
  AttrMap m;
  m.set("axis", std::int64_t{2});
  m.set("alpha", 0.25f);
  m.set("mode", std::string("reflect"));
  m.set("pads", std::vector<std::int64_t>{0, 1, 0, 1});
  m.set("scales", std::vector<float>{1.f, 2.f});
  m.set("names", std::vector<std::string>{"a", "b"});
  m.set("value", Tensor::allocate(DataType::kFloat32, Shape{2}).value());
  CHECK(m.size() == 7);
  CHECK(m.has("axis"));
  CHECK(m.get_int("axis", 0).value() == 2);
  CHECK(m.get_float("alpha", 0.f).value() == 0.25f);
  CHECK(m.get_string("mode", "").value() == "reflect");
  CHECK(m.get_ints("pads").value() == std::vector<std::int64_t>{0, 1, 0, 1});
  CHECK(m.get_floats("scales").value() == std::vector<float>{1.f, 2.f});
  CHECK(m.get_strings("names").value() == std::vector<std::string>{"a", "b"});
  const Tensor* t = m.get_tensor("value");
  REQUIRE(t != nullptr);
  CHECK(t->shape() == Shape{2});
  CHECK(m.get_tensor("axis") == nullptr);  // present, not a tensor
  m.set("axis", std::int64_t{3});          // set replaces
  CHECK(m.get_int("axis", 0).value() == 3);
}

TEST_CASE("AttrMap: ints and floats convert where exporters disagree", "[core][attributes]") {
  AttrMap m;
  m.set("i", std::int64_t{4});
  m.set("f_integral", 3.0f);
  m.set("f_fraction", 3.5f);
  m.set("ints", std::vector<std::int64_t>{1, 2});
  CHECK(m.get_float("i", 0.f).value() == 4.f);
  CHECK(m.get_int("f_integral", 0).value() == 3);
  CHECK(m.get_ints("i").value() == std::vector<std::int64_t>{4});
  CHECK(m.get_floats("f_fraction").value() == std::vector<float>{3.5f});
  CHECK(m.get_floats("ints").value() == std::vector<float>{1.f, 2.f});

  Status s = m.get_int("f_fraction", 0).status();
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message() == "attribute 'f_fraction' is float, expected int");
}

TEST_CASE("AttrMap: the wrong kind is an error naming both kinds", "[core][attributes]") {
  AttrMap m;
  m.set("mode", std::string("nearest"));
  m.set("pads", std::vector<std::int64_t>{1});
  m.set("names", std::vector<std::string>{"x"});
  CHECK(m.get_int("mode", 0).status().message() == "attribute 'mode' is string, expected int");
  CHECK(m.get_float("mode", 0.f).status().code() == StatusCode::kInvalidArgument);
  CHECK(m.get_string("pads", "").status().message() == "attribute 'pads' is ints, expected string");
  CHECK(m.get_ints("names").status().message() == "attribute 'names' is strings, expected ints");
  CHECK(m.get_floats("mode").status().code() == StatusCode::kInvalidArgument);
  CHECK(m.get_strings("pads").status().message() == "attribute 'pads' is ints, expected strings");
}

TEST_CASE("AttrMap: kind names and the one-line text form", "[core][attributes]") {
  CHECK(std::string(attr_kind_name(AttrValue(std::int64_t{1}))) == "int");
  CHECK(std::string(attr_kind_name(AttrValue(1.f))) == "float");
  CHECK(std::string(attr_kind_name(AttrValue(std::string("s")))) == "string");
  CHECK(std::string(attr_kind_name(AttrValue(Tensor()))) == "tensor");
  CHECK(std::string(attr_kind_name(AttrValue(std::vector<float>{}))) == "floats");

  AttrMap m;
  m.set("mode", std::string("constant"));
  m.set("kernel_shape", std::vector<std::int64_t>{3, 3});
  m.set("value", Tensor::allocate(DataType::kFloat16, Shape{1, 2}).value());
  // Sorted by name.
  CHECK(m.to_string() == "kernel_shape=[3,3] mode=constant value=tensor<float16[1,2]>");
  CHECK(AttrMap().to_string().empty());
}

}  // namespace edgert
