// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Calibration cache text: exact round trip (awkward names, random floats), and every malformed
// input rejected with a message naming the file and line.

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>

#include <catch2/catch.hpp>

#include "quant/calibration_cache.h"

namespace edgert::quant {
namespace {

ScaleEntry entry(float amax) { return {amax, amax / 127.f}; }

Status parse_error(const std::string& text) {
  auto c = parse_calibration_cache(text, "cal.cache");
  CHECK(!c.ok());
  return c.status();
}

const char kHeader[] = "edgert-calibration-cache version=1 calibrator=entropy model=abc123\n";

}  // namespace

TEST_CASE("calibration cache round trip is exact", "[quant][cache]") {
  ScaleTable t;
  t.calibrator = "percentile=99.99";
  std::mt19937 rng(8);
  std::uniform_real_distribution<float> expo(-20.f, 20.f);
  const char* names[] = {"conv1",
                         "a b",
                         "x:y",
                         "q\"uote",
                         "back\\slash",
                         "tab\tnew\nline\r",
                         "#hash",
                         "\xc3\xbcnic\xc3\xb6"
                         "de",
                         "",
                         "bell\x07",
                         "model/layer.0/Relu_output_0"};
  for (const char* n : names) t.tensors[n] = entry(std::exp2(expo(rng)));
  for (int i = 0; i < 200; ++i) t.tensors["t" + std::to_string(i)] = entry(std::exp2(expo(rng)));
  t.tensors["tiny"] = entry(1e-30f);
  t.tensors["huge"] = entry(3e37f);

  auto text = format_calibration_cache(t, "9f86d081");
  REQUIRE(text.ok());
  INFO(*text);
  CHECK(text->rfind(
            "edgert-calibration-cache version=1 calibrator=percentile=99.99 model=9f86d081\n", 0) ==
        0);
  CHECK(text->find("\nconv1: ") != std::string::npos);
  CHECK(text->find("\n\"a b\": ") != std::string::npos);
  CHECK(text->find("\n\"x:y\": ") != std::string::npos);
  CHECK(text->find("\n\"tab\\tnew\\nline\\r\": ") != std::string::npos);
  CHECK(text->find("\n\"bell\\x07\": ") != std::string::npos);
  CHECK(text->find("\nmodel/layer.0/Relu_output_0: ") != std::string::npos);

  const std::string path = std::string(EDGERT_TEST_DATA_DIR) + "/quant_roundtrip.cache";
  REQUIRE(write_calibration_cache(path, t, "9f86d081").ok());
  auto back = read_calibration_cache(path);
  INFO(back.status().to_string());
  REQUIRE(back.ok());
  CHECK(back->version == 1);
  CHECK(back->model_hash == "9f86d081");
  CHECK(back->table.calibrator == "percentile=99.99");
  REQUIRE(back->table.tensors.size() == t.tensors.size());
  for (const auto& [name, e] : t.tensors) {
    INFO("tensor '" << name << "'");
    REQUIRE(back->table.tensors.count(name));
    const ScaleEntry& b = back->table.tensors.at(name);
    CHECK(std::memcmp(&b.scale, &e.scale, sizeof(float)) == 0);
    CHECK(std::memcmp(&b.amax, &e.amax, sizeof(float)) == 0);
  }
  std::remove(path.c_str());

  // Comments, blank lines and CRLF line ends are accepted; an empty model hash too.
  auto crlf = parse_calibration_cache(
      "edgert-calibration-cache version=1 calibrator=mse model=\r\n# note\r\n\r\nx: 0.5 63.5\r\n",
      "crlf.cache");
  REQUIRE(crlf.ok());
  CHECK(crlf->model_hash.empty());
  CHECK(crlf->table.tensors.at("x").amax == 63.5f);
}

TEST_CASE("malformed calibration caches give errors naming file and line", "[quant][cache]") {
  const std::string h = kHeader;
  struct Bad {
    std::string text;
    std::string message;
    StatusCode code = StatusCode::kParseError;
  };
  const Bad cases[] = {
      {"",
       "cal.cache: empty, expected the header line 'edgert-calibration-cache version=1 "
       "calibrator=... model=...'"},
      {"TRT-8601-EntropyCalibration2\nx: 3c010a14\n",
       "cal.cache:1: not an EdgeRT calibration cache (the first line does not start with "
       "'edgert-calibration-cache')"},
      {"edgert-calibration-cache version=2 calibrator=entropy model=a\n",
       "cal.cache:1: format version 2 is not supported (this EdgeRT reads version 1); recalibrate "
       "or delete the cache",
       StatusCode::kVersionMismatch},
      {"edgert-calibration-cache version=one calibrator=entropy model=a\n",
       "cal.cache:1: version 'one' is not a number"},
      {"edgert-calibration-cache version=1 calibrator=entropy\n",
       "cal.cache:1: the header has no 'model=' item"},
      {"edgert-calibration-cache version=1 calibrator=kl model=a\n",
       "cal.cache:1: unknown calibrator 'kl' (expected entropy, minmax, mse, percentile or "
       "percentile=P)"},
      {"edgert-calibration-cache version=1 calibrator=mse model=a seed=3\n",
       "cal.cache:1: unknown header key 'seed' (expected version, calibrator, model)"},
      {"edgert-calibration-cache version=1 version=1 calibrator=mse model=a\n",
       "cal.cache:1: header key 'version' given twice"},
      {"edgert-calibration-cache version=1 calibrator=mse model=a extra\n",
       "cal.cache:1: header item 'extra' is not key=value"},
      {h + "# ok\nconv1 0.5 63.5\n",
       "cal.cache:3: expected 'name: scale amax', found no ':' (names with spaces, ':', '#', '\"' "
       "or '\\' must be quoted)"},
      {h + "conv 1: 0.5 63.5\n",
       "cal.cache:2: the unquoted name 'conv 1' contains a space or special character (quote it)"},
      {h + "x: 0.5\n", "cal.cache:2: expected two numbers (scale amax) after 'x:', found 1"},
      {h + "x: 0.5 63.5 7\n", "cal.cache:2: expected two numbers (scale amax) after 'x:', found 3"},
      {h + "x: abc 63.5\n", "cal.cache:2: scale 'abc' of 'x' is not a positive number"},
      {h + "x: -0.5 63.5\n", "cal.cache:2: scale '-0.5' of 'x' is not a positive number"},
      {h + "x: 0.5 inf\n", "cal.cache:2: amax 'inf' of 'x' is not a positive number"},
      {h + "x: 0.5 0x1p6\n", "cal.cache:2: amax '0x1p6' of 'x' is not a positive number"},
      {h + "x: 0.6 63.5\n",
       "cal.cache:2: scale 0.6 of 'x' is not amax / 127 = 0.5 (edit both together)"},
      {h + "x: 0.5 63.5\ny: 0.5 63.5\nx: 0.5 63.5\n",
       "cal.cache:4: tensor 'x' was already given on line 2"},
      {h + "\"a b: 0.5 63.5\n", "cal.cache:2: unterminated quoted name (no closing '\"')"},
      {h + "\"a\\qb\": 0.5 63.5\n", "cal.cache:2: unknown escape '\\q' in a quoted name"},
      {h + "\"a\\x4\": 0.5 63.5\n", "cal.cache:2: \\x must be followed by two hex digits"},
      {h + "\"ab\" 0.5 63.5\n", "cal.cache:2: expected ':' after the name 'ab'"},
      {h + "  x: 0.5 63.5\n", "cal.cache:2: a tensor line must not start with whitespace"},
  };
  for (const Bad& b : cases) {
    INFO(b.text);
    const Status st = parse_error(b.text);
    CHECK(st.code() == b.code);
    CHECK(st.message() == b.message);
  }
  CHECK(read_calibration_cache("/nonexistent/dir/x.cache").status().message() ==
        "/nonexistent/dir/x.cache: cannot open the calibration cache");
}

TEST_CASE("calibration cache writer refuses what it could not read back", "[quant][cache]") {
  ScaleTable t;
  t.calibrator = "entropy";
  t.tensors["x"] = entry(2.f);
  CHECK(format_calibration_cache(t, "has space").status().message() ==
        "calibration cache: the model hash 'has space' contains whitespace");
  t.tensors["zero"] = ScaleEntry{0.f, 0.f};
  CHECK(format_calibration_cache(t, "m").status().message() ==
        "calibration cache: tensor 'zero' has scale 0 and amax 0 (both must be finite and "
        "positive)");
  t.tensors.erase("zero");
  t.calibrator = "";
  CHECK(format_calibration_cache(t, "m").status().code() == StatusCode::kInvalidArgument);
  CHECK(write_calibration_cache("/nonexistent/dir/x.cache", ScaleTable{"mse", {}}, "m").message() ==
        "/nonexistent/dir/x.cache: cannot open for writing");
}

TEST_CASE("calibration cache matches the build's model and calibrator", "[quant][cache]") {
  auto c = parse_calibration_cache(
      "edgert-calibration-cache version=1 calibrator=percentile model=abc\n", "c.cache");
  REQUIRE(c.ok());
  CHECK(check_calibration_cache(*c, "abc", "percentile=99.99", "c.cache").ok());
  Status st = check_calibration_cache(*c, "def", "percentile", "c.cache");
  CHECK(st.code() == StatusCode::kVersionMismatch);
  CHECK(st.message() ==
        "c.cache: the calibration cache was made for model 'abc', this model is 'def'; "
        "recalibrate or delete the cache");
  st = check_calibration_cache(*c, "abc", "entropy", "c.cache");
  CHECK(st.message() ==
        "c.cache: the calibration cache was made with calibrator 'percentile', the build asks for "
        "'entropy'; recalibrate or delete the cache");
}

}  // namespace edgert::quant
