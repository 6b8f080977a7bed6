// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "quant/calibration_cache.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <vector>

namespace edgert::quant {
namespace {

constexpr char kMagic[] = "edgert-calibration-cache";

bool is_bare_char(unsigned char c) {
  return c > 0x20 && c < 0x7f && c != '"' && c != '#' && c != ':' && c != '\\';
}

bool needs_quotes(const std::string& name) {
  if (name.empty()) return true;
  for (char c : name)
    if (!is_bare_char(static_cast<unsigned char>(c))) return true;
  return false;
}

std::string quote(const std::string& name) {
  static const char kHex[] = "0123456789abcdef";
  std::string s = "\"";
  for (char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': s += "\\\""; break;
      case '\\': s += "\\\\"; break;
      case '\n': s += "\\n"; break;
      case '\r': s += "\\r"; break;
      case '\t': s += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          s += "\\x";
          s += kHex[c >> 4];
          s += kHex[c & 15];
        } else {
          s += ch;  // printable ASCII and UTF-8 bytes as they are
        }
    }
  }
  return s + "\"";
}

// %.9g without the C locale's say: 9 significant digits read back to the same float.
std::string format_float(float v) {
  char buf[48];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::general, 9);
  return std::string(buf, r.ptr);
}

bool parse_float(const std::string& t, float* out) {
  if (t.empty()) return false;
  const char* first = t.data() + (t[0] == '+' ? 1 : 0);
  const auto r = std::from_chars(first, t.data() + t.size(), *out);
  return r.ec == std::errc() && r.ptr == t.data() + t.size();
}

bool has_space(const std::string& s) {
  for (char c : s)
    if (std::isspace(static_cast<unsigned char>(c))) return true;
  return false;
}

std::vector<std::string> split_ws(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string t; in >> t;) out.push_back(t);
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses the quoted name starting at line[0] == '"'; sets *end to the index after the closing
// quote. An error message (without the location) or "" on success.
std::string unquote(const std::string& line, std::string* name, std::size_t* end) {
  name->clear();
  for (std::size_t i = 1; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '"') {
      *end = i + 1;
      return "";
    }
    if (c != '\\') {
      *name += c;
      continue;
    }
    if (++i >= line.size()) break;
    switch (line[i]) {
      case '"': *name += '"'; break;
      case '\\': *name += '\\'; break;
      case 'n': *name += '\n'; break;
      case 'r': *name += '\r'; break;
      case 't': *name += '\t'; break;
      case 'x': {
        const int hi = i + 1 < line.size() ? hex_digit(line[i + 1]) : -1;
        const int lo = i + 2 < line.size() ? hex_digit(line[i + 2]) : -1;
        if (hi < 0 || lo < 0) return "\\x must be followed by two hex digits";
        *name += static_cast<char>(hi * 16 + lo);
        i += 2;
        break;
      }
      default: return std::string("unknown escape '\\") + line[i] + "' in a quoted name";
    }
  }
  return "unterminated quoted name (no closing '\"')";
}

}  // namespace

Expected<std::string> format_calibration_cache(const ScaleTable& table,
                                               const std::string& model_hash) {
  if (has_space(model_hash))
    return make_error(StatusCode::kInvalidArgument,
                      "calibration cache: the model hash '" + model_hash + "' contains whitespace");
  if (table.calibrator.empty() || has_space(table.calibrator))
    return make_error(StatusCode::kInvalidArgument, "calibration cache: calibrator name '" +
                                                        table.calibrator +
                                                        "' is empty or contains whitespace");
  std::string out = std::string(kMagic) + " version=" + std::to_string(kCalibrationCacheVersion) +
                    " calibrator=" + table.calibrator + " model=" + model_hash + "\n";
  out += "# tensor: scale amax (scale = amax / 127)\n";
  for (const auto& [name, e] : table.tensors) {
    if (!(std::isfinite(e.scale) && e.scale > 0 && std::isfinite(e.amax) && e.amax > 0))
      return make_error(StatusCode::kInvalidArgument, "calibration cache: tensor '" + name +
                                                          "' has scale " + format_float(e.scale) +
                                                          " and amax " + format_float(e.amax) +
                                                          " (both must be finite and positive)");
    out += (needs_quotes(name) ? quote(name) : name) + ": " + format_float(e.scale) + " " +
           format_float(e.amax) + "\n";
  }
  return out;
}

Status write_calibration_cache(const std::string& path, const ScaleTable& table,
                               const std::string& model_hash) {
  EDGERT_ASSIGN_OR_RETURN(std::string text, format_calibration_cache(table, model_hash));
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return make_error(StatusCode::kIoError, path + ": cannot open for writing");
  out << text;
  out.close();
  if (!out) return make_error(StatusCode::kIoError, path + ": write failed");
  return Status::ok_status();
}

Expected<CalibrationCache> parse_calibration_cache(const std::string& text,
                                                   const std::string& label) {
  std::vector<std::string> lines;
  {
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t nl = text.find('\n', start);
      if (nl == std::string::npos) nl = text.size();
      std::string line = text.substr(start, nl - start);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      lines.push_back(std::move(line));
      start = nl + 1;
    }
  }
  auto err = [&](std::size_t line, const std::string& msg,
                 StatusCode code = StatusCode::kParseError) {
    return make_error(code, label + ":" + std::to_string(line) + ": " + msg);
  };
  if (lines.empty() || lines[0].empty())
    return make_error(StatusCode::kParseError,
                      label + ": empty, expected the header line '" + kMagic + " version=" +
                          std::to_string(kCalibrationCacheVersion) + " calibrator=... model=...'");

  CalibrationCache cache;
  const std::vector<std::string> head = split_ws(lines[0]);
  if (head.empty() || head[0] != kMagic)
    return err(
        1, std::string("not an EdgeRT calibration cache (the first line does not start with '") +
               kMagic + "')");
  std::map<std::string, std::string> items;
  for (std::size_t i = 1; i < head.size(); ++i) {
    const std::size_t eq = head[i].find('=');
    if (eq == std::string::npos) return err(1, "header item '" + head[i] + "' is not key=value");
    const std::string key = head[i].substr(0, eq);
    if (key != "version" && key != "calibrator" && key != "model")
      return err(1, "unknown header key '" + key + "' (expected version, calibrator, model)");
    if (!items.emplace(key, head[i].substr(eq + 1)).second)
      return err(1, "header key '" + key + "' given twice");
  }
  for (const char* key : {"version", "calibrator", "model"})
    if (!items.count(key)) return err(1, std::string("the header has no '") + key + "=' item");
  const std::string& version = items["version"];
  int v = 0;
  const auto vr = std::from_chars(version.data(), version.data() + version.size(), v);
  if (vr.ec != std::errc() || vr.ptr != version.data() + version.size())
    return err(1, "version '" + version + "' is not a number");
  if (v != kCalibrationCacheVersion)
    return err(1,
               "format version " + version + " is not supported (this EdgeRT reads version " +
                   std::to_string(kCalibrationCacheVersion) + "); recalibrate or delete the cache",
               StatusCode::kVersionMismatch);
  auto calibrator = parse_calibrator(items["calibrator"]);
  if (!calibrator.ok()) return err(1, calibrator.status().message());
  cache.version = v;
  cache.model_hash = items["model"];
  cache.table.calibrator = items["calibrator"];

  std::map<std::string, std::size_t> line_of;
  for (std::size_t ln = 1; ln < lines.size(); ++ln) {
    const std::string& line = lines[ln];
    const std::size_t number = ln + 1;
    std::size_t p = 0;
    while (p < line.size() && std::isspace(static_cast<unsigned char>(line[p]))) ++p;
    if (p == line.size() || line[p] == '#') continue;
    if (p != 0) return err(number, "a tensor line must not start with whitespace");
    std::string name;
    std::size_t after = 0;
    if (line[0] == '"') {
      const std::string problem = unquote(line, &name, &after);
      if (!problem.empty()) return err(number, problem);
    } else {
      after = line.find(':');
      if (after == std::string::npos)
        return err(number,
                   "expected 'name: scale amax', found no ':' (names with spaces, ':', "
                   "'#', '\"' or '\\' must be quoted)");
      name = line.substr(0, after);
      for (char c : name)
        if (!is_bare_char(static_cast<unsigned char>(c)))
          return err(number, "the unquoted name '" + name +
                                 "' contains a space or special character (quote it)");
    }
    if (after >= line.size() || line[after] != ':')
      return err(number, "expected ':' after the name '" + name + "'");
    const std::vector<std::string> nums = split_ws(line.substr(after + 1));
    if (nums.size() != 2)
      return err(number, "expected two numbers (scale amax) after '" + name + ":', found " +
                             std::to_string(nums.size()));
    ScaleEntry e;
    if (!parse_float(nums[0], &e.scale) || !std::isfinite(e.scale) || !(e.scale > 0))
      return err(number, "scale '" + nums[0] + "' of '" + name + "' is not a positive number");
    if (!parse_float(nums[1], &e.amax) || !std::isfinite(e.amax) || !(e.amax > 0))
      return err(number, "amax '" + nums[1] + "' of '" + name + "' is not a positive number");
    // Hand edits may round; 1e-5 relative still catches a scale that is not amax / 127.
    const float expect = e.amax / 127.f;
    if (std::fabs(e.scale - expect) > 1e-5f * expect)
      return err(number, "scale " + nums[0] + " of '" + name + "' is not amax / 127 = " +
                             format_float(expect) + " (edit both together)");
    const auto [it, inserted] = line_of.emplace(name, number);
    if (!inserted)
      return err(number,
                 "tensor '" + name + "' was already given on line " + std::to_string(it->second));
    cache.table.tensors[name] = e;
  }
  return cache;
}

Expected<CalibrationCache> read_calibration_cache(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(StatusCode::kNotFound, path + ": cannot open the calibration cache");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return make_error(StatusCode::kIoError, path + ": read failed");
  return parse_calibration_cache(text, path);
}

Status check_calibration_cache(const CalibrationCache& cache, const std::string& model_hash,
                               const std::string& calibrator, const std::string& label) {
  if (cache.model_hash != model_hash)
    return make_error(StatusCode::kVersionMismatch,
                      label + ": the calibration cache was made for model '" + cache.model_hash +
                          "', this model is '" + model_hash + "'; recalibrate or delete the cache");
  auto canonical = [](const std::string& c) {
    auto parsed = parse_calibrator(c);
    return parsed.ok() ? parsed->name() : c;
  };
  if (canonical(cache.table.calibrator) != canonical(calibrator))
    return make_error(StatusCode::kVersionMismatch,
                      label + ": the calibration cache was made with calibrator '" +
                          cache.table.calibrator + "', the build asks for '" + calibrator +
                          "'; recalibrate or delete the cache");
  return Status::ok_status();
}

}  // namespace edgert::quant
