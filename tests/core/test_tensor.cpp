// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Host tensors: allocation, sharing, cloning, reshaping, borrowing.
#include <cstdint>
#include <memory>
#include <vector>

#include <catch2/catch.hpp>

#include "edgert/half.h"
#include "edgert/tensor.h"

namespace edgert {

TEST_CASE("Tensor: allocate is zero-filled and aligned", "[core][tensor]") {
  Expected<Tensor> t = Tensor::allocate(DataType::kFloat32, Shape{3, 5, 7});
  REQUIRE(t.ok());
  CHECK(t->dtype() == DataType::kFloat32);
  CHECK(t->shape() == Shape{3, 5, 7});
  CHECK(t->numel() == 105);
  CHECK(t->nbytes() == 420);
  CHECK_FALSE(t->empty());
  CHECK(reinterpret_cast<std::uintptr_t>(t->raw()) % 64 == 0);
  const auto* bytes = static_cast<const unsigned char*>(t->raw());
  for (std::size_t i = 0; i < t->nbytes(); ++i) REQUIRE(bytes[i] == 0);
}

TEST_CASE("Tensor: a default tensor is empty", "[core][tensor]") {
  Tensor t;
  CHECK(t.empty());
  CHECK(t.raw() == nullptr);
  CHECK(t.nbytes() == 0);
}

TEST_CASE("Tensor: allocate rejects what it cannot hold", "[core][tensor]") {
  CHECK(Tensor::allocate(DataType::kUndefined, Shape{2}).status().code() ==
        StatusCode::kInvalidArgument);
  Status dynamic = Tensor::allocate(DataType::kFloat32, Shape{-1, 3}).status();
  CHECK(dynamic.code() == StatusCode::kInvalidArgument);
  CHECK(dynamic.message().find("[?,3]") != std::string::npos);
  CHECK_FALSE(Tensor::allocate(DataType::kFloat32, Shape::unknown()).ok());
  // Refused before any allocation is tried: no exception, no abort.
  CHECK_FALSE(Tensor::allocate(DataType::kFloat32, Shape{std::int64_t{1} << 41}).ok());
  CHECK(Tensor::allocate(DataType::kInt64, Shape{1 << 20, 1 << 20}).status().code() ==
        StatusCode::kOutOfMemory);
}

TEST_CASE("Tensor: zero elements and scalars", "[core][tensor]") {
  Expected<Tensor> empty = Tensor::allocate(DataType::kFloat32, Shape{0, 4});
  REQUIRE(empty.ok());
  CHECK(empty->numel() == 0);
  CHECK(empty->nbytes() == 0);
  Expected<Tensor> scalar = Tensor::allocate(DataType::kInt64, Shape{});
  REQUIRE(scalar.ok());
  CHECK(scalar->numel() == 1);
  CHECK(scalar->get_as_int64(0) == 0);
}

TEST_CASE("Tensor: copies share storage, clone does not", "[core][tensor]") {
  Tensor a = Tensor::allocate(DataType::kInt32, Shape{4}).value();
  for (int i = 0; i < 4; ++i) a.data<std::int32_t>()[i] = i + 1;

  Tensor shared = a;
  CHECK(shared.raw() == a.raw());

  Tensor c = a.clone().value();
  CHECK(c.raw() != a.raw());
  CHECK(c.shape() == a.shape());
  CHECK(c.dtype() == a.dtype());
  for (int i = 0; i < 4; ++i) CHECK(c.data<std::int32_t>()[i] == i + 1);
  c.data<std::int32_t>()[0] = 100;
  a.data<std::int32_t>()[1] = 200;
  CHECK(a.data<std::int32_t>()[0] == 1);
  CHECK(c.data<std::int32_t>()[1] == 2);
  CHECK(shared.data<std::int32_t>()[1] == 200);
}

TEST_CASE("Tensor: reshaped shares storage and checks the element count", "[core][tensor]") {
  Tensor a = Tensor::allocate(DataType::kFloat32, Shape{2, 6}).value();
  Expected<Tensor> r = a.reshaped(Shape{3, 4});
  REQUIRE(r.ok());
  CHECK(r->shape() == Shape{3, 4});
  CHECK(r->raw() == a.raw());
  CHECK(a.shape() == Shape{2, 6});

  Expected<Tensor> bad = a.reshaped(Shape{5, 5});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == StatusCode::kInvalidArgument);
  CHECK(bad.status().message().find("[2,6]") != std::string::npos);
  CHECK(bad.status().message().find("[5,5]") != std::string::npos);
  CHECK_FALSE(a.reshaped(Shape{-1, 12}).ok());
}

TEST_CASE("Tensor: borrow views memory and keeps its holder alive", "[core][tensor]") {
  auto storage = std::make_shared<std::vector<float>>(std::vector<float>{1.f, 2.f, 3.f, 4.f});
  std::weak_ptr<std::vector<float>> watch = storage;
  float* data = storage->data();
  {
    Tensor t = Tensor::borrow(DataType::kFloat32, Shape{2, 2}, data, storage);
    storage.reset();
    CHECK_FALSE(watch.expired());  // the tensor holds it
    CHECK(t.raw() == data);
    CHECK(t.get_as_double(3) == 4.0);
    t.data<float>()[0] = 9.f;
    CHECK(watch.lock()->at(0) == 9.f);
  }
  CHECK(watch.expired());

  // Without a holder: a view of memory that outlives the tensor.
  std::int64_t values[] = {5, -6};
  Tensor v = Tensor::borrow(DataType::kInt64, Shape{2}, values, nullptr);
  CHECK(v.get_as_int64(1) == -6);
}

TEST_CASE("Tensor: get_as_double / get_as_int64 per dtype", "[core][tensor]") {
  Tensor h = Tensor::allocate(DataType::kFloat16, Shape{2}).value();
  h.data<std::uint16_t>()[0] = float_to_half(-2.5f);
  h.data<std::uint16_t>()[1] = float_to_half(0.25f);
  CHECK(h.get_as_double(0) == -2.5);
  CHECK(h.get_as_double(1) == 0.25);

  Tensor b = Tensor::allocate(DataType::kBool, Shape{2}).value();
  b.data<std::uint8_t>()[1] = 1;
  CHECK(b.get_as_double(0) == 0.0);
  CHECK(b.get_as_int64(1) == 1);

  Tensor i8 = Tensor::allocate(DataType::kInt8, Shape{1}).value();
  i8.data<std::int8_t>()[0] = -128;
  CHECK(i8.get_as_int64(0) == -128);

  Tensor u8 = Tensor::allocate(DataType::kUInt8, Shape{1}).value();
  u8.data<std::uint8_t>()[0] = 255;
  CHECK(u8.get_as_double(0) == 255.0);

  // int64 beyond double's 53-bit mantissa survives get_as_int64 exactly.
  Tensor i64 = Tensor::allocate(DataType::kInt64, Shape{1}).value();
  i64.data<std::int64_t>()[0] = (std::int64_t{1} << 62) + 1;
  CHECK(i64.get_as_int64(0) == (std::int64_t{1} << 62) + 1);
}

}  // namespace edgert
