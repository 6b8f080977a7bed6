// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "core/attributes.h"

#include <cmath>
#include <sstream>

namespace edgert {

const char* attr_kind_name(const AttrValue& v) noexcept {
  static const char* const kNames[] = {"int",  "float",  "string", "tensor",
                                       "ints", "floats", "strings"};
  return kNames[v.index()];
}

namespace {
Status wrong_kind(const std::string& name, const AttrValue& v, const char* want) {
  return make_error(StatusCode::kInvalidArgument,
                    "attribute '" + name + "' is " + attr_kind_name(v) + ", expected " + want);
}
}  // namespace

Expected<std::int64_t> AttrMap::get_int(const std::string& name, std::int64_t def) const {
  auto it = attrs_.find(name);
  if (it == attrs_.end()) return def;
  if (auto* i = std::get_if<std::int64_t>(&it->second)) return *i;
  if (auto* f = std::get_if<float>(&it->second))
    if (std::floor(*f) == *f) return static_cast<std::int64_t>(*f);
  return wrong_kind(name, it->second, "int");
}

Expected<float> AttrMap::get_float(const std::string& name, float def) const {
  auto it = attrs_.find(name);
  if (it == attrs_.end()) return def;
  if (auto* f = std::get_if<float>(&it->second)) return *f;
  if (auto* i = std::get_if<std::int64_t>(&it->second)) return static_cast<float>(*i);
  return wrong_kind(name, it->second, "float");
}

Expected<std::string> AttrMap::get_string(const std::string& name, const std::string& def) const {
  auto it = attrs_.find(name);
  if (it == attrs_.end()) return def;
  if (auto* s = std::get_if<std::string>(&it->second)) return *s;
  return wrong_kind(name, it->second, "string");
}

Expected<std::vector<std::int64_t>> AttrMap::get_ints(const std::string& name,
                                                      std::vector<std::int64_t> def) const {
  auto it = attrs_.find(name);
  if (it == attrs_.end()) return def;
  if (auto* v = std::get_if<std::vector<std::int64_t>>(&it->second)) return *v;
  if (auto* i = std::get_if<std::int64_t>(&it->second)) return std::vector<std::int64_t>{*i};
  return wrong_kind(name, it->second, "ints");
}

Expected<std::vector<float>> AttrMap::get_floats(const std::string& name,
                                                 std::vector<float> def) const {
  auto it = attrs_.find(name);
  if (it == attrs_.end()) return def;
  if (auto* v = std::get_if<std::vector<float>>(&it->second)) return *v;
  if (auto* f = std::get_if<float>(&it->second)) return std::vector<float>{*f};
  if (auto* v = std::get_if<std::vector<std::int64_t>>(&it->second))
    return std::vector<float>(v->begin(), v->end());
  return wrong_kind(name, it->second, "floats");
}

Expected<std::vector<std::string>> AttrMap::get_strings(const std::string& name,
                                                        std::vector<std::string> def) const {
  auto it = attrs_.find(name);
  if (it == attrs_.end()) return def;
  if (auto* v = std::get_if<std::vector<std::string>>(&it->second)) return *v;
  return wrong_kind(name, it->second, "strings");
}

const Tensor* AttrMap::get_tensor(const std::string& name) const {
  auto it = attrs_.find(name);
  if (it == attrs_.end()) return nullptr;
  return std::get_if<Tensor>(&it->second);
}

std::string AttrMap::to_string() const {
  std::ostringstream os;
  bool first = true;
  for (const auto& [k, v] : attrs_) {
    if (!first) os << ' ';
    first = false;
    os << k << '=';
    std::visit(
        [&os](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, Tensor>) {
            os << "tensor<" << dtype_name(x.dtype()) << x.shape().to_string() << '>';
          } else if constexpr (std::is_same_v<T, std::vector<std::int64_t>> ||
                               std::is_same_v<T, std::vector<float>> ||
                               std::is_same_v<T, std::vector<std::string>>) {
            os << '[';
            for (std::size_t i = 0; i < x.size(); ++i) os << (i ? "," : "") << x[i];
            os << ']';
          } else {
            os << x;
          }
        },
        v);
  }
  return os.str();
}

}  // namespace edgert
