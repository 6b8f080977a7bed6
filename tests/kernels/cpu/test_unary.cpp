// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Unary family: each op against std:: math evaluated per element in double.
#include <algorithm>
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

Status run(const NodeInfo& node, const std::vector<const Tensor*>& in, std::vector<Tensor>& out,
           std::size_t n_out = 1) {
  return cpu::run_node(node, in, out, n_out);
}

template <class T>
Tensor make(DataType t, Shape s, const std::vector<T>& v) {
  Tensor x = Tensor::allocate(t, std::move(s)).value();
  REQUIRE(static_cast<std::size_t>(x.numel()) == v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (t == DataType::kFloat16)
      x.data<std::uint16_t>()[i] = float_to_half(static_cast<float>(v[i]));
    else
      std::memcpy(static_cast<char*>(x.raw()) + i * dtype_size(t), &v[i], dtype_size(t));
  }
  return x;
}

/// Checks out[i] == ref(in[i]) within an absolute + relative tolerance (NaN must match NaN).
void check_map(const Tensor& in, const Tensor& out, const std::function<double(double)>& ref,
               double tol) {
  REQUIRE(out.shape() == in.shape());
  for (std::int64_t i = 0; i < in.numel(); ++i) {
    const double x = in.get_as_double(i);
    const double want = ref(x);
    const double got = out.get_as_double(i);
    INFO("element " << i << " x=" << x << " want=" << want << " got=" << got);
    if (std::isnan(want)) {
      CHECK(std::isnan(got));
    } else {
      CHECK(std::fabs(got - want) <= tol * (1.0 + std::fabs(want)));
    }
  }
}

struct FloatCase {
  const char* op;
  std::function<double(double)> ref;
  double lo, hi;
};

double softplus_ref(double x) { return std::log(1.0 + std::exp(x)); }

}  // namespace

TEST_CASE("unary float ops match std:: math", "[unary]") {
  const std::vector<FloatCase> cases = {
      {"Abs", [](double x) { return std::fabs(x); }, -3, 3},
      {"Neg", [](double x) { return -x; }, -3, 3},
      {"Reciprocal", [](double x) { return 1.0 / x; }, 0.5, 3},
      {"Sqrt", [](double x) { return std::sqrt(x); }, 0.01, 9},
      {"Exp", [](double x) { return std::exp(x); }, -5, 5},
      {"Log", [](double x) { return std::log(x); }, 0.01, 9},
      {"Relu", [](double x) { return x > 0 ? x : 0; }, -3, 3},
      {"Sigmoid", [](double x) { return 1.0 / (1.0 + std::exp(-x)); }, -100, 100},
      {"Tanh", [](double x) { return std::tanh(x); }, -5, 5},
      {"Erf", [](double x) { return std::erf(x); }, -3, 3},
      {"Softplus", softplus_ref, -20, 20},
      {"Softsign", [](double x) { return x / (1 + std::fabs(x)); }, -5, 5},
      {"Floor", [](double x) { return std::floor(x); }, -5, 5},
      {"Ceil", [](double x) { return std::ceil(x); }, -5, 5},
      {"Sign", [](double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0); }, -3, 3},
      {"Sin", [](double x) { return std::sin(x); }, -6, 6},
      {"Cos", [](double x) { return std::cos(x); }, -6, 6},
      {"Tan", [](double x) { return std::tan(x); }, -1.4, 1.4},
      {"Asin", [](double x) { return std::asin(x); }, -0.99, 0.99},
      {"Acos", [](double x) { return std::acos(x); }, -0.99, 0.99},
      {"Atan", [](double x) { return std::atan(x); }, -5, 5},
      {"Sinh", [](double x) { return std::sinh(x); }, -4, 4},
      {"Cosh", [](double x) { return std::cosh(x); }, -4, 4},
      {"Asinh", [](double x) { return std::asinh(x); }, -4, 4},
      {"Acosh", [](double x) { return std::acosh(x); }, 1.01, 6},
      {"Atanh", [](double x) { return std::atanh(x); }, -0.95, 0.95},
      {"HardSwish", [](double x) { return x * std::max(0.0, std::min(1.0, x / 6 + 0.5)); }, -5, 5},
      {"Mish", [](double x) { return x * std::tanh(softplus_ref(x)); }, -5, 5},
      {"Selu",
       [](double x) {
         return x > 0 ? 1.0507009873554805 * x
                      : 1.0507009873554805 * 1.6732632423543772 * (std::exp(x) - 1);
       },
       -3, 3},
      {"HardSigmoid", [](double x) { return std::max(0.0, std::min(1.0, 0.2 * x + 0.5)); }, -5, 5},
      {"Elu", [](double x) { return x > 0 ? x : std::exp(x) - 1; }, -3, 3},
      {"LeakyRelu", [](double x) { return x > 0 ? x : 0.01 * x; }, -3, 3},
      {"ThresholdedRelu", [](double x) { return x > 1.0 ? x : 0.0; }, -3, 3},
      {"Celu", [](double x) { return std::max(0.0, x) + std::min(0.0, std::exp(x) - 1); }, -3, 3},
      {"Gelu", [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }, -4, 4},
      {"Shrink", [](double x) { return x < -0.5 ? x : (x > 0.5 ? x : 0.0); }, -2, 2},
      {"Identity", [](double x) { return x; }, -2, 2},
  };
  std::mt19937 rng(42);
  for (const auto& c : cases) {
    for (const Shape& shape : {Shape{2, 3, 4}, Shape{}, Shape{70000}}) {
      INFO(c.op << " shape " << shape.to_string());
      Tensor x = test::random_tensor(DataType::kFloat32, shape, rng, c.lo, c.hi);
      std::vector<Tensor> out;
      Status s = run(make_node(c.op, 20), {&x}, out);
      REQUIRE(s.ok());
      CHECK(out[0].dtype() == DataType::kFloat32);
      check_map(x, out[0], c.ref, 2e-6);
    }
  }
}

TEST_CASE("unary attributes", "[unary]") {
  std::mt19937 rng(7);
  Tensor x = test::random_tensor(DataType::kFloat32, {3, 5}, rng, -3, 3);
  struct AttrCase {
    const char* op;
    const char* attr;
    float value;
    std::function<double(double)> ref;
  };
  const std::vector<AttrCase> cases = {
      {"LeakyRelu", "alpha", 0.2f, [](double v) { return v > 0 ? v : 0.2 * v; }},
      {"Elu", "alpha", 0.5f, [](double v) { return v > 0 ? v : 0.5 * (std::exp(v) - 1); }},
      {"Celu", "alpha", 2.0f, [](double v) { return v > 0 ? v : 2.0 * (std::exp(v / 2) - 1); }},
      {"ThresholdedRelu", "alpha", 0.3f, [](double v) { return v > 0.3 ? v : 0; }},
      {"HardSigmoid", "alpha", 0.5f, [](double v) { return std::clamp(0.5 * v + 0.5, 0.0, 1.0); }},
      {"Shrink", "lambd", 1.0f, [](double v) { return std::fabs(v) > 1 ? v : 0; }},
  };
  for (const auto& c : cases) {
    INFO(c.op << " " << c.attr << "=" << c.value);
    NodeInfo n = make_node(c.op);
    n.attrs.set(c.attr, c.value);
    std::vector<Tensor> out;
    REQUIRE(run(n, {&x}, out).ok());
    check_map(x, out[0], c.ref, 1e-6);
  }
  SECTION("Shrink bias") {
    NodeInfo n = make_node("Shrink");
    n.attrs.set("lambd", 0.5f);
    n.attrs.set("bias", 0.25f);
    std::vector<Tensor> out;
    REQUIRE(run(n, {&x}, out).ok());
    check_map(
        x, out[0], [](double v) { return v < -0.5 ? v + 0.25 : (v > 0.5 ? v - 0.25 : 0.0); }, 1e-6);
  }
  SECTION("Gelu tanh") {
    NodeInfo n = make_node("Gelu", 20);
    n.attrs.set("approximate", std::string("tanh"));
    std::vector<Tensor> out;
    REQUIRE(run(n, {&x}, out).ok());
    check_map(
        x, out[0],
        [](double v) {
          return 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
        },
        1e-6);
  }
  SECTION("bad attribute values") {
    NodeInfo n = make_node("Gelu", 20);
    n.attrs.set("approximate", std::string("erf"));
    std::vector<Tensor> out;
    CHECK(run(n, {&x}, out).code() == StatusCode::kInvalidArgument);
    NodeInfo c = make_node("Celu");
    c.attrs.set("alpha", 0.0f);
    CHECK(run(c, {&x}, out).code() == StatusCode::kInvalidArgument);
    NodeInfo l = make_node("LeakyRelu");
    l.attrs.set("alpha", std::string("big"));
    CHECK(run(l, {&x}, out).code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("unary special values and rounding", "[unary]") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<Tensor> out;
  SECTION("Round is half to even") {
    Tensor x =
        make<float>(DataType::kFloat32, {8}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4f, -2.6f, 3.f});
    REQUIRE(run(make_node("Round"), {&x}, out).ok());
    const float want[] = {0.f, 2.f, 2.f, -0.f, -2.f, 2.f, -3.f, 3.f};
    for (int i = 0; i < 8; ++i) CHECK(out[0].data<float>()[i] == want[i]);
  }
  SECTION("IsNaN / IsInf") {
    Tensor x = make<float>(DataType::kFloat32, {5}, {nan, inf, -inf, 1.f, 0.f});
    REQUIRE(run(make_node("IsNaN"), {&x}, out).ok());
    CHECK(out[0].dtype() == DataType::kBool);
    const std::uint8_t want_nan[] = {1, 0, 0, 0, 0};
    for (int i = 0; i < 5; ++i) CHECK(out[0].data<std::uint8_t>()[i] == want_nan[i]);
    REQUIRE(run(make_node("IsInf"), {&x}, out).ok());
    const std::uint8_t want_inf[] = {0, 1, 1, 0, 0};
    for (int i = 0; i < 5; ++i) CHECK(out[0].data<std::uint8_t>()[i] == want_inf[i]);
    NodeInfo pos = make_node("IsInf");
    pos.attrs.set("detect_negative", std::int64_t{0});
    REQUIRE(run(pos, {&x}, out).ok());
    const std::uint8_t want_pos[] = {0, 1, 0, 0, 0};
    for (int i = 0; i < 5; ++i) CHECK(out[0].data<std::uint8_t>()[i] == want_pos[i]);
  }
  SECTION("Relu and Sign keep NaN; Sigmoid saturates without NaN") {
    Tensor x = make<float>(DataType::kFloat32, {3}, {nan, -1000.f, 1000.f});
    REQUIRE(run(make_node("Relu"), {&x}, out).ok());
    CHECK(std::isnan(out[0].data<float>()[0]));
    REQUIRE(run(make_node("Sigmoid"), {&x}, out).ok());
    CHECK(out[0].data<float>()[1] == 0.f);
    CHECK(out[0].data<float>()[2] == 1.f);
    REQUIRE(run(make_node("Softplus"), {&x}, out).ok());
    CHECK(out[0].data<float>()[2] == 1000.f);
  }
  SECTION("Not") {
    Tensor x = make<std::uint8_t>(DataType::kBool, {4}, {0, 1, 1, 0});
    REQUIRE(run(make_node("Not"), {&x}, out).ok());
    const std::uint8_t want[] = {1, 0, 0, 1};
    for (int i = 0; i < 4; ++i) CHECK(out[0].data<std::uint8_t>()[i] == want[i]);
  }
}

TEST_CASE("unary integer types", "[unary]") {
  std::mt19937 rng(3);
  std::vector<Tensor> out;
  for (DataType t : {DataType::kInt8, DataType::kInt32, DataType::kInt64}) {
    Tensor x = test::random_tensor(t, {4, 6}, rng, -100, 100);
    for (const char* op : {"Abs", "Neg", "Sign", "Relu"}) {
      INFO(op << " " << dtype_name(t));
      REQUIRE(run(make_node(op), {&x}, out).ok());
      CHECK(out[0].dtype() == t);
      for (std::int64_t i = 0; i < x.numel(); ++i) {
        const std::int64_t v = x.get_as_int64(i);
        std::int64_t want = 0;
        if (std::string(op) == "Abs") want = v < 0 ? -v : v;
        if (std::string(op) == "Neg") want = -v;
        if (std::string(op) == "Sign") want = (v > 0) - (v < 0);
        if (std::string(op) == "Relu") want = v > 0 ? v : 0;
        CHECK(out[0].get_as_int64(i) == want);
      }
    }
  }
  SECTION("wrap at the minimum like numpy") {
    Tensor x =
        make<std::int32_t>(DataType::kInt32, {1}, {std::numeric_limits<std::int32_t>::min()});
    REQUIRE(run(make_node("Neg"), {&x}, out).ok());
    CHECK(out[0].data<std::int32_t>()[0] == std::numeric_limits<std::int32_t>::min());
  }
  SECTION("uint8 Abs is identity; Neg on uint8 is unsupported") {
    Tensor x = make<std::uint8_t>(DataType::kUInt8, {3}, {0, 7, 255});
    REQUIRE(run(make_node("Abs"), {&x}, out).ok());
    CHECK(out[0].data<std::uint8_t>()[2] == 255);
    CHECK(run(make_node("Neg"), {&x}, out).code() == StatusCode::kUnsupported);
  }
}

TEST_CASE("unary float16 computes in float", "[unary]") {
  std::mt19937 rng(11);
  std::vector<Tensor> out;
  Tensor x = test::random_tensor(DataType::kFloat16, {5, 7}, rng, 0.1, 4);
  for (const char* op : {"Sqrt", "Exp", "Tanh", "Gelu", "Neg"}) {
    INFO(op);
    REQUIRE(run(make_node(op, 20), {&x}, out).ok());
    REQUIRE(out[0].dtype() == DataType::kFloat16);
    std::function<double(double)> ref;
    if (std::string(op) == "Sqrt") ref = [](double v) { return std::sqrt(v); };
    if (std::string(op) == "Exp") ref = [](double v) { return std::exp(v); };
    if (std::string(op) == "Tanh") ref = [](double v) { return std::tanh(v); };
    if (std::string(op) == "Gelu")
      ref = [](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); };
    if (std::string(op) == "Neg") ref = [](double v) { return -v; };
    check_map(x, out[0], ref, 1e-3);  // half precision: 2^-11 relative
  }
}

TEST_CASE("Clip", "[unary]") {
  std::mt19937 rng(5);
  std::vector<Tensor> out;
  Tensor x = test::random_tensor(DataType::kFloat32, {3, 4, 5}, rng, -3, 3);
  SECTION("attributes before opset 11") {
    NodeInfo n = make_node("Clip", 6);
    n.attrs.set("min", -1.0f);
    n.attrs.set("max", 0.5f);
    REQUIRE(run(n, {&x}, out).ok());
    check_map(
        x, out[0], [](double v) { return std::clamp(v, -1.0, 0.5); }, 0);
    Tensor lo = make<float>(DataType::kFloat32, {}, {0.f});
    CHECK(run(n, {&x, &lo}, out).code() == StatusCode::kInvalidArgument);
  }
  SECTION("inputs from opset 11; either bound may be omitted") {
    Tensor lo = make<float>(DataType::kFloat32, {}, {-0.5f});
    Tensor hi = make<float>(DataType::kFloat32, {}, {1.25f});
    REQUIRE(run(make_node("Clip", 13), {&x, &lo, &hi}, out).ok());
    check_map(
        x, out[0], [](double v) { return std::clamp(v, -0.5, 1.25); }, 0);
    REQUIRE(run(make_node("Clip", 13), {&x, nullptr, &hi}, out).ok());
    check_map(
        x, out[0], [](double v) { return std::min(v, 1.25); }, 0);
    REQUIRE(run(make_node("Clip", 13), {&x, &lo}, out).ok());
    check_map(
        x, out[0], [](double v) { return std::max(v, -0.5); }, 0);
    REQUIRE(run(make_node("Clip", 13), {&x}, out).ok());
    check_map(
        x, out[0], [](double v) { return v; }, 0);
    // min > max: everything becomes max, as the spec says.
    REQUIRE(run(make_node("Clip", 13), {&x, &hi, &lo}, out).ok());
    check_map(
        x, out[0], [](double) { return -0.5; }, 0);
  }
  SECTION("int8 and bad bounds") {
    Tensor xi = test::random_tensor(DataType::kInt8, {10}, rng, -120, 120);
    Tensor lo = make<std::int8_t>(DataType::kInt8, {}, {-5});
    REQUIRE(run(make_node("Clip", 13), {&xi, &lo}, out).ok());
    for (std::int64_t i = 0; i < xi.numel(); ++i)
      CHECK(out[0].get_as_int64(i) == std::max<std::int64_t>(xi.get_as_int64(i), -5));
    Tensor wrong_type = make<float>(DataType::kFloat32, {}, {0.f});
    CHECK(run(make_node("Clip", 13), {&xi, &wrong_type}, out).code() ==
          StatusCode::kInvalidArgument);
    Tensor not_scalar = make<float>(DataType::kFloat32, {2}, {0.f, 1.f});
    CHECK(run(make_node("Clip", 13), {&x, &not_scalar}, out).code() ==
          StatusCode::kInvalidArgument);
  }
}

TEST_CASE("Cast and CastLike", "[unary]") {
  std::vector<Tensor> out;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Tensor x = make<float>(DataType::kFloat32, {6}, {-2.7f, -0.4f, 0.f, 0.6f, 3.9f, nan});
  auto cast = [&](const Tensor& in, std::int64_t to) {
    NodeInfo n = make_node("Cast", 13);
    n.attrs.set("to", to);
    return run(n, {&in}, out);
  };
  SECTION("float -> int truncates toward zero") {
    REQUIRE(cast(x, 6).ok());
    CHECK(out[0].dtype() == DataType::kInt32);
    const std::int32_t want[] = {-2, 0, 0, 0, 3};
    for (int i = 0; i < 5; ++i) CHECK(out[0].data<std::int32_t>()[i] == want[i]);
    REQUIRE(cast(x, 7).ok());
    CHECK(out[0].data<std::int64_t>()[0] == -2);
    CHECK(out[0].data<std::int64_t>()[4] == 3);
  }
  SECTION("to bool is nonzero") {
    REQUIRE(cast(x, 9).ok());
    CHECK(out[0].dtype() == DataType::kBool);
    const std::uint8_t want[] = {1, 1, 0, 1, 1, 1};
    for (int i = 0; i < 6; ++i) CHECK(out[0].data<std::uint8_t>()[i] == want[i]);
  }
  SECTION("int and bool sources") {
    Tensor b = make<std::uint8_t>(DataType::kBool, {3}, {1, 0, 1});
    REQUIRE(cast(b, 1).ok());
    CHECK(out[0].data<float>()[0] == 1.f);
    CHECK(out[0].data<float>()[1] == 0.f);
    Tensor i64 = make<std::int64_t>(DataType::kInt64, {3}, {300, -1, 1LL << 40});
    REQUIRE(cast(i64, 2).ok());  // uint8 wraps
    CHECK(out[0].data<std::uint8_t>()[0] == 44);
    CHECK(out[0].data<std::uint8_t>()[1] == 255);
    REQUIRE(cast(i64, 1).ok());
    CHECK(out[0].data<float>()[2] == std::ldexp(1.f, 40));
  }
  SECTION("float16 round trip") {
    std::mt19937 rng(9);
    Tensor f = test::random_tensor(DataType::kFloat32, {4, 8}, rng, -10, 10);
    REQUIRE(cast(f, 10).ok());
    Tensor h = out[0];
    CHECK(h.dtype() == DataType::kFloat16);
    REQUIRE(cast(h, 1).ok());
    for (std::int64_t i = 0; i < f.numel(); ++i) {
      const float v = f.data<float>()[i];
      CHECK(std::fabs(out[0].data<float>()[i] - v) <= std::fabs(v) * 1e-3f);
      CHECK(out[0].data<float>()[i] == half_to_float(float_to_half(v)));
    }
  }
  SECTION("CastLike takes the second input's type") {
    Tensor like = make<std::int64_t>(DataType::kInt64, {1}, {0});
    REQUIRE(run(make_node("CastLike", 15), {&x, &like}, out).ok());
    CHECK(out[0].dtype() == DataType::kInt64);
    CHECK(out[0].data<std::int64_t>()[4] == 3);
  }
  SECTION("errors") {
    CHECK(cast(x, 11).code() == StatusCode::kUnsupported);  // double
    CHECK(cast(x, 8).code() == StatusCode::kUnsupported);   // string
    CHECK(cast(x, 99).code() == StatusCode::kInvalidArgument);
    CHECK(run(make_node("Cast", 13), {&x}, out).code() == StatusCode::kInvalidArgument);
  }
  SECTION("opset 1 names the type") {
    NodeInfo n = make_node("Cast", 1);
    n.attrs.set("to", std::string("INT32"));
    REQUIRE(run(n, {&x}, out).ok());
    CHECK(out[0].dtype() == DataType::kInt32);
  }
}

TEST_CASE("Identity and Dropout (inference)", "[unary]") {
  std::mt19937 rng(13);
  std::vector<Tensor> out;
  Tensor x = test::random_tensor(DataType::kFloat32, {2, 5}, rng);
  Tensor xi = test::random_tensor(DataType::kInt64, {3}, rng, -1000, 1000);
  REQUIRE(run(make_node("Identity"), {&xi}, out).ok());
  CHECK(test::max_abs_diff(out[0], xi) == 0);

  REQUIRE(run(make_node("Dropout", 13), {&x}, out, 2).ok());
  CHECK(test::max_abs_diff(out[0], x) == 0);
  REQUIRE(out[1].dtype() == DataType::kBool);
  for (std::int64_t i = 0; i < x.numel(); ++i) CHECK(out[1].data<std::uint8_t>()[i] == 1);

  NodeInfo old = make_node("Dropout", 7);
  old.attrs.set("ratio", 0.3f);
  REQUIRE(run(old, {&x}, out, 2).ok());
  CHECK(test::max_abs_diff(out[0], x) == 0);
  CHECK(out[1].dtype() == DataType::kFloat32);

  Tensor ratio = make<float>(DataType::kFloat32, {}, {0.5f});
  Tensor zero = make<float>(DataType::kFloat32, {}, {0.0f});
  Tensor on = make<std::uint8_t>(DataType::kBool, {}, {1});
  Tensor off = make<std::uint8_t>(DataType::kBool, {}, {0});
  REQUIRE(run(make_node("Dropout", 13), {&x, &ratio, &off}, out).ok());
  CHECK(test::max_abs_diff(out[0], x) == 0);
  CHECK(run(make_node("Dropout", 13), {&x, &ratio, &on}, out).code() == StatusCode::kUnsupported);
  REQUIRE(run(make_node("Dropout", 13), {&x, &zero, &on}, out, 2).ok());
  CHECK(test::max_abs_diff(out[0], x) == 0);
}

TEST_CASE("unary shapes: rank 0, empty, infer with unknown dims", "[unary]") {
  std::vector<Tensor> out;
  Tensor scalar = make<float>(DataType::kFloat32, {}, {4.f});
  REQUIRE(run(make_node("Sqrt"), {&scalar}, out).ok());
  CHECK(out[0].shape().rank() == 0);
  CHECK(out[0].data<float>()[0] == 2.f);
  Tensor empty = Tensor::allocate(DataType::kFloat32, {0, 3}).value();
  REQUIRE(run(make_node("Exp"), {&empty}, out).ok());
  CHECK(out[0].shape() == Shape({0, 3}));
  REQUIRE(run(make_node("Cast", 13), {&empty}, out).code() == StatusCode::kInvalidArgument);

  for (const char* op : {"Relu", "Cast", "IsNaN", "Clip"}) {
    INFO(op);
    const cpu::OpDef* def = cpu::find_op(op);
    REQUIRE(def != nullptr);
    NodeInfo n = make_node(op);
    n.attrs.set("to", std::int64_t{7});
    for (const Shape& s : {Shape{Shape::kUnknownDim, 3}, Shape::unknown()}) {
      cpu::InferContext ctx{n, {{DataType::kFloat32, s}}, {true}, {nullptr}, {}};
      ctx.outputs.resize(1);
      REQUIRE(def->infer(ctx).ok());
      CHECK(ctx.outputs[0].shape == s);
      const DataType want = std::string(op) == "Cast"    ? DataType::kInt64
                            : std::string(op) == "IsNaN" ? DataType::kBool
                                                         : DataType::kFloat32;
      CHECK(ctx.outputs[0].dtype == want);
    }
  }
}

TEST_CASE("unary type errors are unsupported", "[unary]") {
  std::vector<Tensor> out;
  Tensor i = make<std::int32_t>(DataType::kInt32, {2}, {1, 4});
  Tensor f = make<float>(DataType::kFloat32, {2}, {1.f, 4.f});
  CHECK(run(make_node("Sqrt"), {&i}, out).code() == StatusCode::kUnsupported);
  CHECK(run(make_node("IsNaN"), {&i}, out).code() == StatusCode::kUnsupported);
  CHECK(run(make_node("Not"), {&f}, out).code() == StatusCode::kUnsupported);
  CHECK(run(make_node("Relu"), {&f, &f}, out).code() == StatusCode::kInvalidArgument);
}
