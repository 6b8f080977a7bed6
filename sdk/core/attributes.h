// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Node attributes (ONNX-style: int, float, string, tensor and lists), kept by name.

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "edgert/status.h"
#include "edgert/tensor.h"

namespace edgert {

using AttrValue = std::variant<std::int64_t, float, std::string, Tensor, std::vector<std::int64_t>,
                               std::vector<float>, std::vector<std::string>>;

/// Attribute kind names in the order of AttrValue's alternatives, for error messages.
const char* attr_kind_name(const AttrValue& v) noexcept;

class AttrMap {
 public:
  void set(const std::string& name, AttrValue v) { attrs_[name] = std::move(v); }
  bool has(const std::string& name) const { return attrs_.count(name) != 0; }
  const std::map<std::string, AttrValue>& all() const { return attrs_; }
  std::size_t size() const { return attrs_.size(); }

  // Typed getters: the default when absent, an error when present with another kind. An int
  // attribute read as float (or a float holding an integral value read as int) is converted,
  // since exporters are not consistent about it.
  Expected<std::int64_t> get_int(const std::string& name, std::int64_t def) const;
  Expected<float> get_float(const std::string& name, float def) const;
  Expected<std::string> get_string(const std::string& name, const std::string& def) const;
  Expected<std::vector<std::int64_t>> get_ints(const std::string& name,
                                               std::vector<std::int64_t> def = {}) const;
  Expected<std::vector<float>> get_floats(const std::string& name,
                                          std::vector<float> def = {}) const;
  Expected<std::vector<std::string>> get_strings(const std::string& name,
                                                 std::vector<std::string> def = {}) const;
  /// Null when absent or not a tensor.
  const Tensor* get_tensor(const std::string& name) const;

  /// One-line text form: "kernel_shape=[3,3] pads=[1,1,1,1] mode=constant".
  std::string to_string() const;

 private:
  std::map<std::string, AttrValue> attrs_;
};

}  // namespace edgert
