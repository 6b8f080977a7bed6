// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Binary family: each op against a naive broadcast written here (per-element index arithmetic).
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "edgert/half.h"
#include "kernels/cpu/op_def.h"
#include "test_util.h"

using namespace edgert;
using edgert::cpu::NodeInfo;

namespace {

NodeInfo make_node(const std::string& op, int opset = 17) {
  NodeInfo n;
  n.op_type = op;
  n.name = "n";
  n.opset = opset;
  return n;
}

Status run(const NodeInfo& node, const std::vector<const Tensor*>& in, std::vector<Tensor>& out) {
  return cpu::run_node(node, in, out, 1);
}

template <class T>
Tensor make(DataType t, Shape s, const std::vector<T>& v) {
  Tensor x = Tensor::allocate(t, std::move(s)).value();
  REQUIRE(static_cast<std::size_t>(x.numel()) == v.size());
  for (std::size_t i = 0; i < v.size(); ++i)
    std::memcpy(static_cast<char*>(x.raw()) + i * dtype_size(t), &v[i], dtype_size(t));
  return x;
}

/// Numpy broadcast of shapes, written independently of the library.
Shape naive_broadcast(const std::vector<Shape>& shapes) {
  std::size_t rank = 0;
  for (const auto& s : shapes) rank = std::max(rank, s.rank());
  std::vector<std::int64_t> out(rank, 1);
  for (const auto& s : shapes)
    for (std::size_t d = 0; d < s.rank(); ++d) {
      std::int64_t& o = out[rank - s.rank() + d];
      if (s[d] != 1) o = s[d];
    }
  return Shape(out);
}

/// Flat index into `in` for flat output index `i` of `out` (numpy broadcasting).
std::int64_t source_index(std::int64_t i, const Shape& out, const Shape& in) {
  std::int64_t idx = 0, mul = 1;
  for (std::size_t k = 0; k < out.rank(); ++k) {
    const std::size_t d = out.rank() - 1 - k;
    const std::int64_t coord = i % out[d];
    i /= out[d];
    if (k < in.rank()) {
      const std::size_t di = in.rank() - 1 - k;
      if (in[di] != 1) idx += coord * mul;
      mul *= in[di];
    }
  }
  return idx;
}

/// Checks out == ref(a, b) elementwise, with broadcasting, as doubles.
void check_binary(const Tensor& a, const Tensor& b, const Tensor& out,
                  const std::function<double(double, double)>& ref, double tol) {
  const Shape want_shape = naive_broadcast({a.shape(), b.shape()});
  REQUIRE(out.shape() == want_shape);
  for (std::int64_t i = 0; i < out.numel(); ++i) {
    const double x = a.get_as_double(source_index(i, want_shape, a.shape()));
    const double y = b.get_as_double(source_index(i, want_shape, b.shape()));
    const double want = ref(x, y), got = out.get_as_double(i);
    INFO("element " << i << ": f(" << x << ", " << y << ") want " << want << " got " << got);
    if (std::isnan(want)) {
      CHECK(std::isnan(got));
    } else {
      CHECK(std::fabs(got - want) <= tol * (1.0 + std::fabs(want)));
    }
  }
}

const std::vector<std::pair<Shape, Shape>> kShapePairs = {
    {{2, 3, 4}, {2, 3, 4}},
    {{2, 3, 4}, {3, 1}},
    {{3, 1}, {2, 3, 4}},
    {{2, 3, 4}, {4}},
    {{2, 3, 4}, {}},
    {{}, {2, 3, 4}},
    {{}, {}},
    {{2, 1, 4}, {3, 1}},
    {{2, 3, 1, 5}, {1, 3, 4, 1}},
    {{2, 8, 5, 6}, {8, 1, 1}},
    {{2, 8, 5, 6}, {1, 8, 1, 1}},
    {{1}, {5}},
    {{4, 1}, {1, 6}},
    {{70000}, {70000}},
    {{3, 40000}, {3, 1}},
    {{40, 64, 33}, {64, 1}},
};

}  // namespace

TEST_CASE("binary arithmetic float32 with broadcasting", "[binary]") {
  std::mt19937 rng(1);
  const std::vector<std::pair<const char*, std::function<double(double, double)>>> ops = {
      {"Add", [](double x, double y) { return x + y; }},
      {"Sub", [](double x, double y) { return x - y; }},
      {"Mul", [](double x, double y) { return x * y; }},
      {"Div", [](double x, double y) { return x / y; }},
      {"Max", [](double x, double y) { return std::max(x, y); }},
      {"Min", [](double x, double y) { return std::min(x, y); }},
      {"Sum", [](double x, double y) { return x + y; }},
      {"Mean", [](double x, double y) { return (x + y) / 2; }},
      {"Pow", [](double x, double y) { return std::pow(x, y); }},
      {"PRelu", [](double x, double y) { return x < 0 ? x * y : x; }},
  };
  for (const auto& [op, ref] : ops) {
    for (const auto& [sa, sb] : kShapePairs) {
      const bool prelu = std::string(op) == "PRelu";
      if (prelu && naive_broadcast({sa, sb}) != sa) continue;  // slope must broadcast to X
      INFO(op << " " << sa.to_string() << " " << sb.to_string());
      const bool pow = std::string(op) == "Pow";
      Tensor a = test::random_tensor(DataType::kFloat32, sa, rng, pow ? 0.1 : -2, 2);
      Tensor b = test::random_tensor(DataType::kFloat32, sb, rng, 0.2, 2);
      if (!pow && !prelu)  // negative right operands too (Div stays away from 0)
        for (std::int64_t i = 0; i < b.numel(); i += 2) b.data<float>()[i] *= -1.f;
      std::vector<Tensor> out;
      REQUIRE(run(make_node(op), {&a, &b}, out).ok());
      check_binary(a, b, out[0], ref, 1e-6);
    }
  }
}

TEST_CASE("binary integer arithmetic", "[binary]") {
  std::mt19937 rng(2);
  std::vector<Tensor> out;
  for (DataType t : {DataType::kInt32, DataType::kInt64, DataType::kInt8, DataType::kUInt8}) {
    const double lo = t == DataType::kUInt8 ? 1 : -50;
    Tensor a = test::random_tensor(t, {3, 4, 5}, rng, lo, 50);
    Tensor b = test::random_tensor(t, {4, 1}, rng, 1, 9);
    if (t != DataType::kUInt8)  // negative divisors too
      for (std::int64_t i = 0; i < b.numel(); i += 2) {
        Tensor neg = make<std::int64_t>(DataType::kInt64, {}, {-b.get_as_int64(i)});
        std::memcpy(static_cast<char*>(b.raw()) + i * dtype_size(t), neg.raw(), dtype_size(t));
      }
    INFO(dtype_name(t));
    REQUIRE(run(make_node("Add"), {&a, &b}, out).ok());
    CHECK(out[0].dtype() == t);
    if (t != DataType::kInt8 && t != DataType::kUInt8) {  // 8-bit results may wrap
      check_binary(
          a, b, out[0], [](double x, double y) { return x + y; }, 0);
      REQUIRE(run(make_node("Mul"), {&a, &b}, out).ok());
      check_binary(
          a, b, out[0], [](double x, double y) { return x * y; }, 0);
      REQUIRE(run(make_node("Sub"), {&a, &b}, out).ok());
      check_binary(
          a, b, out[0], [](double x, double y) { return x - y; }, 0);
    }
    REQUIRE(run(make_node("Div"), {&a, &b}, out).ok());
    check_binary(
        a, b, out[0], [](double x, double y) { return std::trunc(x / y); }, 0);
    REQUIRE(run(make_node("Max"), {&a, &b}, out).ok());
    check_binary(
        a, b, out[0], [](double x, double y) { return std::max(x, y); }, 0);
  }
  SECTION("division truncates toward zero; by zero is an error") {
    Tensor a = make<std::int32_t>(DataType::kInt32, {4}, {-7, 7, -7, 7});
    Tensor b = make<std::int32_t>(DataType::kInt32, {4}, {2, 2, -2, -2});
    REQUIRE(run(make_node("Div"), {&a, &b}, out).ok());
    const std::int32_t want[] = {-3, 3, 3, -3};
    for (int i = 0; i < 4; ++i) CHECK(out[0].data<std::int32_t>()[i] == want[i]);
    Tensor z = make<std::int32_t>(DataType::kInt32, {}, {0});
    CHECK(run(make_node("Div"), {&a, &z}, out).code() == StatusCode::kInvalidArgument);
    CHECK(run(make_node("Mod"), {&a, &z}, out).code() == StatusCode::kInvalidArgument);
  }
  SECTION("int64 overflow wraps") {
    const std::int64_t big = std::numeric_limits<std::int64_t>::max();
    Tensor a = make<std::int64_t>(DataType::kInt64, {1}, {big});
    Tensor b = make<std::int64_t>(DataType::kInt64, {1}, {1});
    REQUIRE(run(make_node("Add"), {&a, &b}, out).ok());
    CHECK(out[0].data<std::int64_t>()[0] == std::numeric_limits<std::int64_t>::min());
  }
}

TEST_CASE("Mod", "[binary]") {
  std::vector<Tensor> out;
  Tensor a = make<std::int32_t>(DataType::kInt32, {6}, {-4, 7, 5, 4, -7, 8});
  Tensor b = make<std::int32_t>(DataType::kInt32, {6}, {2, -3, 8, -2, 3, 5});
  REQUIRE(run(make_node("Mod", 13), {&a, &b}, out).ok());
  const std::int32_t py[] = {0, -2, 5, 0, 2, 3};  // numpy.mod: sign of the divisor
  for (int i = 0; i < 6; ++i) CHECK(out[0].data<std::int32_t>()[i] == py[i]);
  NodeInfo f = make_node("Mod", 13);
  f.attrs.set("fmod", std::int64_t{1});
  REQUIRE(run(f, {&a, &b}, out).ok());
  const std::int32_t c[] = {0, 1, 5, 0, -1, 3};  // C fmod: sign of the dividend
  for (int i = 0; i < 6; ++i) CHECK(out[0].data<std::int32_t>()[i] == c[i]);

  std::mt19937 rng(4);
  Tensor x = test::random_tensor(DataType::kFloat32, {3, 5}, rng, -10, 10);
  Tensor y = test::random_tensor(DataType::kFloat32, {5}, rng, 0.5, 3);
  for (std::int64_t i = 0; i < y.numel(); i += 2) y.data<float>()[i] *= -1.f;
  REQUIRE(run(f, {&x, &y}, out).ok());
  check_binary(
      x, y, out[0], [](double p, double q) { return std::fmod(p, q); }, 1e-5);
}

TEST_CASE("Pow with mixed types", "[binary]") {
  std::vector<Tensor> out;
  Tensor xf = make<float>(DataType::kFloat32, {3}, {1.5f, 2.f, -3.f});
  Tensor xi = make<std::int32_t>(DataType::kInt32, {3}, {1, 2, -3});
  Tensor xl = make<std::int64_t>(DataType::kInt64, {3}, {1, 2, 3});
  Tensor ei = make<std::int32_t>(DataType::kInt32, {3}, {4, 5, 3});
  Tensor ef = make<float>(DataType::kFloat32, {3}, {4.f, 5.f, 6.f});
  Tensor el = make<std::int64_t>(DataType::kInt64, {3}, {4, 5, -1});
  REQUIRE(run(make_node("Pow", 15), {&xf, &ei}, out).ok());
  check_binary(
      xf, ei, out[0], [](double p, double q) { return std::pow(p, q); }, 1e-6);
  REQUIRE(run(make_node("Pow", 15), {&xi, &ei}, out).ok());
  CHECK(out[0].dtype() == DataType::kInt32);
  check_binary(
      xi, ei, out[0], [](double p, double q) { return std::pow(p, q); }, 0);
  REQUIRE(run(make_node("Pow", 15), {&xl, &ef}, out).ok());
  check_binary(
      xl, ef, out[0], [](double p, double q) { return std::pow(p, q); }, 0);
  REQUIRE(run(make_node("Pow", 15), {&xl, &el}, out).ok());
  CHECK(out[0].data<std::int64_t>()[1] == 32);
  CHECK(out[0].data<std::int64_t>()[2] == 0);  // 3^-1 truncated
  Tensor bad = make<std::uint8_t>(DataType::kBool, {3}, {1, 0, 1});
  CHECK(run(make_node("Pow", 15), {&xf, &bad}, out).code() == StatusCode::kUnsupported);
}

TEST_CASE("variadic Max/Min/Sum/Mean", "[binary]") {
  std::mt19937 rng(6);
  std::vector<Tensor> out;
  Tensor a = test::random_tensor(DataType::kFloat32, {3, 1}, rng, -2, 2);
  Tensor b = test::random_tensor(DataType::kFloat32, {2, 3, 4}, rng, -2, 2);
  Tensor c = test::random_tensor(DataType::kFloat32, {4}, rng, -2, 2);
  const Shape os{2, 3, 4};
  for (const char* op : {"Max", "Min", "Sum", "Mean"}) {
    INFO(op);
    REQUIRE(run(make_node(op), {&a, &b, &c}, out).ok());
    REQUIRE(out[0].shape() == os);
    for (std::int64_t i = 0; i < out[0].numel(); ++i) {
      const double x = a.get_as_double(source_index(i, os, a.shape()));
      const double y = b.get_as_double(source_index(i, os, b.shape()));
      const double z = c.get_as_double(source_index(i, os, c.shape()));
      double want = 0;
      if (std::string(op) == "Max") want = std::max({x, y, z});
      if (std::string(op) == "Min") want = std::min({x, y, z});
      if (std::string(op) == "Sum") want = x + y + z;
      if (std::string(op) == "Mean") want = (x + y + z) / 3;
      CHECK(out[0].get_as_double(i) == Approx(want).margin(1e-6));
    }
    REQUIRE(run(make_node(op), {&b}, out).ok());  // one input: a copy
    CHECK(test::max_abs_diff(out[0], b) == 0);
  }
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Tensor n1 = make<float>(DataType::kFloat32, {2}, {nan, 1.f});
  Tensor n2 = make<float>(DataType::kFloat32, {2}, {0.f, nan});
  REQUIRE(run(make_node("Max"), {&n1, &n2}, out).ok());
  CHECK(std::isnan(out[0].data<float>()[0]));
  CHECK(std::isnan(out[0].data<float>()[1]));
  Tensor i = make<std::int32_t>(DataType::kInt32, {1}, {1});
  CHECK(run(make_node("Sum"), {&i, &i}, out).code() == StatusCode::kUnsupported);
}

TEST_CASE("comparisons and logic", "[binary]") {
  std::mt19937 rng(8);
  std::vector<Tensor> out;
  const std::vector<std::pair<const char*, std::function<double(double, double)>>> cmps = {
      {"Equal", [](double x, double y) { return x == y ? 1.0 : 0.0; }},
      {"Greater", [](double x, double y) { return x > y ? 1.0 : 0.0; }},
      {"Less", [](double x, double y) { return x < y ? 1.0 : 0.0; }},
      {"GreaterOrEqual", [](double x, double y) { return x >= y ? 1.0 : 0.0; }},
      {"LessOrEqual", [](double x, double y) { return x <= y ? 1.0 : 0.0; }},
  };
  for (DataType t : {DataType::kFloat32, DataType::kInt32, DataType::kInt64, DataType::kUInt8,
                     DataType::kFloat16}) {
    // Small integer range so that equality actually happens.
    const bool fl = is_float(t);
    Tensor a = test::random_tensor(t, {2, 3, 4}, rng, fl ? -2 : 0, 3);
    Tensor b = test::random_tensor(t, {3, 1}, rng, fl ? -2 : 0, 3);
    if (fl) b = a;  // equal values for float too; then perturb half of them
    for (std::int64_t k = 0; fl && t == DataType::kFloat32 && k < b.numel(); k += 2) {
      Tensor c = b.clone().value();
      c.data<float>()[k] += 0.5f;
      b = c;
    }
    for (const auto& [op, ref] : cmps) {
      INFO(op << " " << dtype_name(t));
      REQUIRE(run(make_node(op), {&a, &b}, out).ok());
      CHECK(out[0].dtype() == DataType::kBool);
      check_binary(a, b, out[0], ref, 0);
    }
  }
  Tensor p = make<std::uint8_t>(DataType::kBool, {4}, {0, 0, 1, 1});
  Tensor q = make<std::uint8_t>(DataType::kBool, {2, 1}, {0, 1});
  REQUIRE(run(make_node("And"), {&p, &q}, out).ok());
  check_binary(
      p, q, out[0], [](double x, double y) { return (x != 0 && y != 0) ? 1 : 0; }, 0);
  REQUIRE(run(make_node("Or"), {&p, &q}, out).ok());
  check_binary(
      p, q, out[0], [](double x, double y) { return (x != 0 || y != 0) ? 1 : 0; }, 0);
  REQUIRE(run(make_node("Xor"), {&p, &q}, out).ok());
  check_binary(
      p, q, out[0], [](double x, double y) { return (x != 0) != (y != 0) ? 1 : 0; }, 0);
  REQUIRE(run(make_node("Equal"), {&p, &q}, out).ok());
  check_binary(
      p, q, out[0], [](double x, double y) { return x == y ? 1 : 0; }, 0);
  Tensor f = make<float>(DataType::kFloat32, {4}, {0.f, 1.f, 0.f, 1.f});
  CHECK(run(make_node("And"), {&f, &f}, out).code() == StatusCode::kUnsupported);
  CHECK(run(make_node("Greater"), {&p, &p}, out).code() == StatusCode::kUnsupported);
}

TEST_CASE("Where broadcasts three ways", "[binary]") {
  std::mt19937 rng(10);
  std::vector<Tensor> out;
  for (DataType t : {DataType::kFloat32, DataType::kInt64, DataType::kFloat16, DataType::kUInt8}) {
    Tensor c = test::random_tensor(DataType::kBool, {3, 1}, rng);
    c.data<std::uint8_t>()[0] = 1;
    c.data<std::uint8_t>()[1] = 0;
    Tensor x = test::random_tensor(t, {2, 1, 4}, rng, 0, 100);
    Tensor y = test::random_tensor(t, {4}, rng, 0, 100);
    INFO(dtype_name(t));
    REQUIRE(run(make_node("Where", 16), {&c, &x, &y}, out).ok());
    const Shape os{2, 3, 4};
    REQUIRE(out[0].shape() == os);
    CHECK(out[0].dtype() == t);
    for (std::int64_t i = 0; i < out[0].numel(); ++i) {
      const bool cond = c.get_as_double(source_index(i, os, c.shape())) != 0;
      const double want = cond ? x.get_as_double(source_index(i, os, x.shape()))
                               : y.get_as_double(source_index(i, os, y.shape()));
      CHECK(out[0].get_as_double(i) == want);
    }
  }
  Tensor f = make<float>(DataType::kFloat32, {1}, {1.f});
  Tensor i = make<std::int32_t>(DataType::kInt32, {1}, {1});
  CHECK(run(make_node("Where", 16), {&f, &f, &f}, out).code() == StatusCode::kInvalidArgument);
  Tensor c = make<std::uint8_t>(DataType::kBool, {1}, {1});
  CHECK(run(make_node("Where", 16), {&c, &f, &i}, out).code() == StatusCode::kInvalidArgument);
}

TEST_CASE("PRelu and BitShift", "[binary]") {
  std::mt19937 rng(12);
  std::vector<Tensor> out;
  Tensor x = test::random_tensor(DataType::kFloat32, {2, 3, 4, 5}, rng, -2, 2);
  Tensor slope = test::random_tensor(DataType::kFloat32, {3, 1, 1}, rng, 0.1, 0.5);
  REQUIRE(run(make_node("PRelu", 16), {&x, &slope}, out).ok());
  check_binary(
      x, slope, out[0], [](double v, double s) { return v < 0 ? v * s : v; }, 1e-6);
  Tensor wide = test::random_tensor(DataType::kFloat32, {2, 3, 4, 5, 1}, rng);
  CHECK(run(make_node("PRelu", 16), {&x, &wide}, out).code() == StatusCode::kInvalidArgument);
  Tensor grow = test::random_tensor(DataType::kFloat32, {2, 1}, rng);
  Tensor small = test::random_tensor(DataType::kFloat32, {1, 3}, rng);
  CHECK(run(make_node("PRelu", 16), {&grow, &small}, out).code() == StatusCode::kInvalidArgument);

  Tensor a = make<std::uint8_t>(DataType::kUInt8, {5}, {16, 4, 1, 255, 3});
  Tensor s = make<std::uint8_t>(DataType::kUInt8, {5}, {1, 2, 7, 8, 0});
  NodeInfo left = make_node("BitShift", 11);
  left.attrs.set("direction", std::string("LEFT"));
  REQUIRE(run(left, {&a, &s}, out).ok());
  const std::uint8_t wl[] = {32, 16, 128, 0, 3};
  for (int k = 0; k < 5; ++k) CHECK(out[0].data<std::uint8_t>()[k] == wl[k]);
  NodeInfo right = make_node("BitShift", 11);
  right.attrs.set("direction", std::string("RIGHT"));
  REQUIRE(run(right, {&a, &s}, out).ok());
  const std::uint8_t wr[] = {8, 1, 0, 0, 3};
  for (int k = 0; k < 5; ++k) CHECK(out[0].data<std::uint8_t>()[k] == wr[k]);
  CHECK(run(make_node("BitShift", 11), {&a, &s}, out).code() == StatusCode::kInvalidArgument);
  Tensor i32 = make<std::int32_t>(DataType::kInt32, {1}, {1});
  CHECK(run(left, {&i32, &i32}, out).code() == StatusCode::kUnsupported);
}

TEST_CASE("binary float16 computes in float", "[binary]") {
  std::mt19937 rng(14);
  std::vector<Tensor> out;
  Tensor a = test::random_tensor(DataType::kFloat16, {2, 3, 4}, rng, -2, 2);
  Tensor b = test::random_tensor(DataType::kFloat16, {3, 1}, rng, 0.5, 2);
  for (const char* op : {"Add", "Mul", "Div", "Sub", "Max", "Sum", "Mean", "PRelu", "Pow"}) {
    INFO(op);
    const bool pow = std::string(op) == "Pow";
    Tensor base = pow ? test::random_tensor(DataType::kFloat16, {2, 3, 4}, rng, 0.5, 2) : a;
    REQUIRE(run(make_node(op), {&base, &b}, out).ok());
    REQUIRE(out[0].dtype() == DataType::kFloat16);
    std::function<double(double, double)> ref;
    const std::string o = op;
    if (o == "Add" || o == "Sum") ref = [](double x, double y) { return x + y; };
    if (o == "Mul") ref = [](double x, double y) { return x * y; };
    if (o == "Div") ref = [](double x, double y) { return x / y; };
    if (o == "Sub") ref = [](double x, double y) { return x - y; };
    if (o == "Max") ref = [](double x, double y) { return std::max(x, y); };
    if (o == "Mean") ref = [](double x, double y) { return (x + y) / 2; };
    if (o == "PRelu") ref = [](double x, double y) { return x < 0 ? x * y : x; };
    if (o == "Pow") ref = [](double x, double y) { return std::pow(x, y); };
    check_binary(base, b, out[0], ref, 1e-3);
  }
}

TEST_CASE("binary shapes: empty, errors, infer with unknown dims", "[binary]") {
  std::vector<Tensor> out;
  Tensor e = Tensor::allocate(DataType::kFloat32, {0, 3}).value();
  Tensor r = make<float>(DataType::kFloat32, {3}, {1.f, 2.f, 3.f});
  REQUIRE(run(make_node("Add"), {&e, &r}, out).ok());
  CHECK(out[0].shape() == Shape({0, 3}));
  Tensor e2 = Tensor::allocate(DataType::kFloat32, {2, 0, 1}).value();
  REQUIRE(run(make_node("Mul"), {&e2, &r}, out).ok());
  CHECK(out[0].shape() == Shape({2, 0, 3}));

  Tensor m = make<float>(DataType::kFloat32, {4}, {1.f, 2.f, 3.f, 4.f});
  CHECK(run(make_node("Add"), {&r, &m}, out).code() == StatusCode::kInvalidArgument);
  Tensor two = Tensor::allocate(DataType::kFloat32, {2, 3}).value();
  CHECK(run(make_node("Add"), {&e, &two}, out).code() == StatusCode::kInvalidArgument);
  Tensor i = make<std::int32_t>(DataType::kInt32, {3}, {1, 2, 3});
  CHECK(run(make_node("Add"), {&r, &i}, out).code() == StatusCode::kInvalidArgument);
  Tensor b = make<std::uint8_t>(DataType::kBool, {3}, {1, 0, 1});
  CHECK(run(make_node("Add"), {&b, &b}, out).code() == StatusCode::kUnsupported);
  NodeInfo legacy = make_node("Add", 6);
  legacy.attrs.set("broadcast", std::int64_t{1});
  CHECK(run(legacy, {&r, &r}, out).code() == StatusCode::kUnsupported);
  CHECK(run(make_node("Add", 6), {&r, &r}, out).ok());
  CHECK(run(make_node("Add"), {&r}, out).code() == StatusCode::kInvalidArgument);

  const cpu::OpDef* add = cpu::find_op("Add");
  REQUIRE(add != nullptr);
  NodeInfo n = make_node("Add");
  const std::int64_t u = Shape::kUnknownDim;
  struct Case {
    Shape a, b, want;
  };
  for (const Case& c :
       {Case{{u, 3}, {3}, {u, 3}}, Case{{u}, {5}, {5}}, Case{{2, u, 4}, {u, 1}, {2, u, 4}},
        Case{Shape::unknown(), {3}, Shape::unknown()}}) {
    INFO(c.a.to_string() << " + " << c.b.to_string());
    cpu::InferContext ctx{n,
                          {{DataType::kFloat32, c.a}, {DataType::kFloat32, c.b}},
                          {true, true},
                          {nullptr, nullptr},
                          {}};
    ctx.outputs.resize(1);
    REQUIRE(add->infer(ctx).ok());
    CHECK(ctx.outputs[0].shape == c.want);
  }
  const cpu::OpDef* where = cpu::find_op("Where");
  REQUIRE(where != nullptr);
  cpu::InferContext wctx{
      n,
      {{DataType::kBool, {u, 1}}, {DataType::kInt64, {4}}, {DataType::kInt64, {}}},
      {true, true, true},
      {nullptr, nullptr, nullptr},
      {}};
  wctx.outputs.resize(1);
  REQUIRE(where->infer(wctx).ok());
  CHECK(wctx.outputs[0].shape == Shape({u, 4}));
  CHECK(wctx.outputs[0].dtype == DataType::kInt64);
}
