// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// float16 conversions against an independent computation: half values decoded with std::ldexp, and
// float -> half checked as round-to-nearest-even of the exact value (computed in double).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>

#include <catch2/catch.hpp>

#include "edgert/half.h"

namespace edgert {
namespace {

std::uint32_t float_bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

float bits_float(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

bool is_nan_half(std::uint16_t h) { return (h & 0x7c00u) == 0x7c00u && (h & 0x3ffu) != 0; }

// binary16: 1 sign bit, 5 exponent bits (bias 15), 10 fraction bits.
double decode_half(std::uint16_t h) {
  const int exponent = (h >> 10) & 0x1f;
  const int fraction = h & 0x3ff;
  const double sign = (h & 0x8000u) ? -1.0 : 1.0;
  if (exponent == 0x1f)
    return fraction ? std::numeric_limits<double>::quiet_NaN()
                    : sign * std::numeric_limits<double>::infinity();
  if (exponent == 0) return sign * std::ldexp(fraction, -24);  // zero and subnormals
  return sign * std::ldexp(1024 + fraction, exponent - 25);
}

// The float16 value nearest to f, ties to even, as a double (infinity past the largest half).
double nearest_half(float f) {
  const double x = f;
  if (std::isinf(x) || x == 0.0) return x;
  int e = 0;
  std::frexp(x, &e);  // |x| in [2^(e-1), 2^e)
  // Spacing of halves near x: 2^(e-11) for normals, 2^-24 for subnormals (e - 1 < -14).
  const int quantum = std::max(e - 11, -24);
  // nearbyint rounds to nearest even in the default rounding mode, and x / 2^q is exact.
  const double r = std::ldexp(std::nearbyint(std::ldexp(x, -quantum)), quantum);
  if (std::fabs(r) > 65504.0) return std::copysign(std::numeric_limits<double>::infinity(), x);
  return r;
}

}  // namespace

TEST_CASE("half_to_float decodes all 65536 bit patterns", "[core][half]") {
  for (std::uint32_t i = 0; i < 0x10000u; ++i) {
    const auto h = static_cast<std::uint16_t>(i);
    const float f = half_to_float(h);
    INFO("half 0x" << std::hex << i);
    if (is_nan_half(h)) {
      REQUIRE(std::isnan(f));
      REQUIRE(std::signbit(f) == ((h & 0x8000u) != 0));
    } else {
      REQUIRE(static_cast<double>(f) == decode_half(h));
      REQUIRE(std::signbit(f) == ((h & 0x8000u) != 0));  // -0 stays -0
    }
  }
}

TEST_CASE("float_to_half(half_to_float(h)) == h for every non-NaN half", "[core][half]") {
  for (std::uint32_t i = 0; i < 0x10000u; ++i) {
    const auto h = static_cast<std::uint16_t>(i);
    const std::uint16_t back = float_to_half(half_to_float(h));
    INFO("half 0x" << std::hex << i << " -> 0x" << back);
    if (is_nan_half(h)) {
      // A NaN comes back a NaN of the same sign; the payload is normalised to the quiet bit.
      REQUIRE(is_nan_half(back));
      REQUIRE((back & 0x8000u) == (h & 0x8000u));
    } else {
      REQUIRE(back == h);
    }
  }
}

TEST_CASE("float_to_half rounds ties to even between every pair of neighbours", "[core][half]") {
  // Every midpoint between consecutive finite halves, subnormals included, is exact in float
  // (halves have 11 significant bits); so are its float neighbours just below and above.
  // 0x7bff..0x7c00 is the midpoint 65520 between the largest half and where 2^16 would be.
  for (std::uint32_t lo = 0; lo < 0x7c00u; ++lo) {
    const auto l = static_cast<std::uint16_t>(lo);
    const auto u = static_cast<std::uint16_t>(lo + 1);
    const double lo_v = decode_half(l);
    const double hi_v = lo == 0x7bffu ? 65536.0 : decode_half(u);
    const auto mid = static_cast<float>((lo_v + hi_v) / 2);
    INFO("between 0x" << std::hex << lo << " and 0x" << lo + 1);
    REQUIRE(static_cast<double>(mid) == (lo_v + hi_v) / 2);
    const std::uint16_t even = (l & 1u) ? u : l;
    REQUIRE(float_to_half(mid) == even);
    REQUIRE(float_to_half(std::nextafter(mid, 0.f)) == l);
    REQUIRE(float_to_half(std::nextafter(mid, 1e30f)) == u);
    // And the same with the sign bit set.
    REQUIRE(float_to_half(-mid) == (even | 0x8000u));
  }
}

TEST_CASE("float_to_half matches round-to-nearest-even on random floats", "[core][half]") {
  std::mt19937 rng(42);
  // Uniform over exponents -30..20 of float (beyond: all zero or all inf), random mantissa, sign.
  std::uniform_int_distribution<std::uint32_t> exponent(127 - 30, 127 + 20);
  std::uniform_int_distribution<std::uint32_t> mantissa(0, 0x7fffffu);
  for (int i = 0; i < 1000000; ++i) {
    const std::uint32_t bits = ((rng() & 1u) << 31) | (exponent(rng) << 23) | mantissa(rng);
    const float f = bits_float(bits);
    const double want = nearest_half(f);
    const float got = half_to_float(float_to_half(f));
    INFO("float 0x" << std::hex << bits << " (" << f << ")");
    REQUIRE(static_cast<double>(got) == want);
    REQUIRE(std::signbit(got) == std::signbit(f));
  }
}

TEST_CASE("float_to_half overflow, infinities and NaN", "[core][half]") {
  CHECK(float_to_half(65504.f) == 0x7bff);
  CHECK(float_to_half(std::nextafter(65520.f, 0.f)) == 0x7bff);
  CHECK(float_to_half(65520.f) == 0x7c00);  // the tie rounds up to even: infinity
  CHECK(float_to_half(1e10f) == 0x7c00);
  CHECK(float_to_half(-1e10f) == 0xfc00);
  CHECK(float_to_half(std::numeric_limits<float>::max()) == 0x7c00);
  CHECK(float_to_half(std::numeric_limits<float>::infinity()) == 0x7c00);
  CHECK(float_to_half(-std::numeric_limits<float>::infinity()) == 0xfc00);
  CHECK(is_nan_half(float_to_half(std::numeric_limits<float>::quiet_NaN())));
  CHECK(is_nan_half(float_to_half(bits_float(0x7f800001u))));  // a signalling NaN's payload
  CHECK(is_nan_half(float_to_half(bits_float(0xffc00000u))));  // is below half's fraction bits
  CHECK((float_to_half(bits_float(0xffc00000u)) & 0x8000u) != 0);
}

TEST_CASE("float_to_half subnormals and underflow", "[core][half]") {
  CHECK(float_to_half(std::ldexp(1.f, -14)) == 0x0400);  // smallest normal
  CHECK(float_to_half(std::ldexp(1.f, -15)) == 0x0200);
  CHECK(float_to_half(std::ldexp(1.f, -24)) == 0x0001);  // smallest subnormal
  CHECK(float_to_half(std::ldexp(1023.f, -24)) == 0x03ff);
  CHECK(float_to_half(std::ldexp(1.f, -25)) == 0x0000);  // tie between 0 and 2^-24: even is 0
  CHECK(float_to_half(std::ldexp(3.f, -26)) == 0x0001);  // 0.75 * 2^-24 rounds up
  CHECK(float_to_half(std::ldexp(3.f, -25)) == 0x0002);  // 1.5 * 2^-24: tie, even is 2
  CHECK(float_to_half(1e-8f) == 0x0000);
  CHECK(float_to_half(-1e-8f) == 0x8000);  // keeps the sign
  CHECK(float_to_half(std::numeric_limits<float>::denorm_min()) == 0x0000);
  CHECK(float_to_half(-0.f) == 0x8000);
  CHECK(float_to_half(0.f) == 0x0000);
  CHECK(float_bits(half_to_float(0x8000)) == 0x80000000u);
}

}  // namespace edgert
