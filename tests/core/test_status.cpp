// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Status, Expected<T> and the propagation macros.
#include <memory>
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "edgert/status.h"

namespace edgert {
namespace {

Status fail_if(bool fail) {
  if (fail) return make_error(StatusCode::kNotFound, "no such tensor 'x'");
  return {};
}

Status forwards(bool fail, int* reached) {
  EDGERT_RETURN_IF_ERROR(fail_if(fail));
  ++*reached;
  return {};
}

Expected<int> parse_digit(char c) {
  if (c < '0' || c > '9')
    return make_error(StatusCode::kParseError, std::string("not a digit: ") + c);
  return c - '0';
}

Expected<int> sum_digits(const std::string& s) {
  int total = 0;
  for (char c : s) {
    EDGERT_ASSIGN_OR_RETURN(int d, parse_digit(c));
    total += d;
  }
  return total;
}

Expected<std::unique_ptr<int>> make_boxed(int v) { return std::make_unique<int>(v); }

Expected<int> unbox(int v) {
  EDGERT_ASSIGN_OR_RETURN(std::unique_ptr<int> p, make_boxed(v));
  return *p;
}

}  // namespace

TEST_CASE("Status: default is ok", "[core][status]") {
  Status s;
  CHECK(s.ok());
  CHECK(s.code() == StatusCode::kOk);
  CHECK(s.message().empty());
  CHECK(s.to_string() == "ok");
  CHECK(Status::ok_status().ok());
}

TEST_CASE("Status: error code, message and text form", "[core][status]") {
  Status s = make_error(StatusCode::kUnsupported, "op 'Foo' (opset 13)");
  CHECK_FALSE(s.ok());
  CHECK(s.code() == StatusCode::kUnsupported);
  CHECK(s.message() == "op 'Foo' (opset 13)");
  CHECK(s.to_string() == "unsupported: op 'Foo' (opset 13)");
}

TEST_CASE("Status: context is prepended outermost first and keeps the code", "[core][status]") {
  Status s = make_error(StatusCode::kInvalidArgument, "bad axis 5")
                 .with_context("node 'conv1' (#3, Conv)")
                 .with_context("while importing model.onnx");
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message() == "while importing model.onnx: node 'conv1' (#3, Conv): bad axis 5");
  // An ok status stays ok and silent: context is only for errors.
  Status ok = Status().with_context("anything");
  CHECK(ok.ok());
  CHECK(ok.message().empty());
}

TEST_CASE("Status: every code has its own name", "[core][status]") {
  const StatusCode codes[] = {StatusCode::kOk,         StatusCode::kInvalidArgument,
                              StatusCode::kNotFound,   StatusCode::kUnsupported,
                              StatusCode::kParseError, StatusCode::kOutOfMemory,
                              StatusCode::kIoError,    StatusCode::kVersionMismatch,
                              StatusCode::kCudaError,  StatusCode::kInternal};
  std::set<std::string> names;
  for (StatusCode c : codes) {
    std::string n = status_code_name(c);
    CHECK_FALSE(n.empty());
    CHECK(n != "unknown");
    names.insert(n);
  }
  CHECK(names.size() == std::size(codes));
  CHECK(std::string(status_code_name(StatusCode::kCudaError)) == "CUDA error");
}

TEST_CASE("Expected: holds a value or a status", "[core][status]") {
  Expected<std::string> v = std::string("abc");
  REQUIRE(v.ok());
  CHECK(static_cast<bool>(v));
  CHECK(*v == "abc");
  CHECK(v->size() == 3);
  CHECK(v.status().ok());
  v.value() += "d";
  CHECK(v.value() == "abcd");

  Expected<std::string> e = make_error(StatusCode::kIoError, "disk on fire");
  CHECK_FALSE(e.ok());
  CHECK_FALSE(static_cast<bool>(e));
  CHECK(e.status().code() == StatusCode::kIoError);
  CHECK(e.status().message() == "disk on fire");
}

TEST_CASE("Expected: move-only values move out", "[core][status]") {
  Expected<std::unique_ptr<int>> e = make_boxed(7);
  REQUIRE(e.ok());
  std::unique_ptr<int> p = std::move(e).value();
  REQUIRE(p);
  CHECK(*p == 7);
  CHECK(unbox(9).value() == 9);
}

TEST_CASE("EDGERT_RETURN_IF_ERROR returns early only on error", "[core][status]") {
  int reached = 0;
  CHECK(forwards(false, &reached).ok());
  CHECK(reached == 1);
  Status s = forwards(true, &reached);
  CHECK(s.code() == StatusCode::kNotFound);
  CHECK(s.message() == "no such tensor 'x'");
  CHECK(reached == 1);
}

TEST_CASE("EDGERT_ASSIGN_OR_RETURN declares the value or returns the error", "[core][status]") {
  Expected<int> good = sum_digits("1234");
  REQUIRE(good.ok());
  CHECK(*good == 10);
  Expected<int> bad = sum_digits("12x4");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == StatusCode::kParseError);
  CHECK(bad.status().message() == "not a digit: x");
}

}  // namespace edgert
