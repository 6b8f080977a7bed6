// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The per-layer profile as JSON (the runtime links no JSON library: the format is small and
// written by hand, with strings escaped per RFC 8259).

#include <cstdio>
#include <sstream>

#include "edgert/runtime.h"

namespace edgert {
namespace {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char ch : s) {
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (ch < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", ch);
          out += buf;
        } else {
          out += static_cast<char>(ch);
        }
    }
  }
  return out + "\"";
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

std::string ExecutionContext::layer_profile_json() const {
  const std::vector<LayerProfile> layers = layer_profile();
  std::int64_t runs = 0;
  double total = 0.0;
  for (const auto& l : layers) {
    if (l.runs > runs) runs = l.runs;
    if (l.runs > 0) total += l.total_ms / static_cast<double>(l.runs);
  }
  std::ostringstream os;
  os << "{\"runs\": " << runs << ", \"total_avg_ms\": " << number(total) << ", \"layers\": [";
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const LayerProfile& l = layers[i];
    const double avg = l.runs > 0 ? l.total_ms / static_cast<double>(l.runs) : 0.0;
    os << (i ? ",\n  " : "\n  ") << "{\"name\": " << json_string(l.name)
       << ", \"type\": " << json_string(l.type) << ", \"tactic\": " << json_string(l.tactic)
       << ", \"avg_ms\": " << number(avg)
       << ", \"percent\": " << number(total > 0 ? 100.0 * avg / total : 0.0) << "}";
  }
  os << (layers.empty() ? "]}" : "\n]}") << "\n";
  return os.str();
}

}  // namespace edgert
