// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "edgert/preprocess.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <set>
#include <vector>

namespace edgert {
namespace {

std::string upper(const std::string& s) {
  std::string u;
  for (char c : s) u += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

std::string trim(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t p = s.find(sep, start);
    parts.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) return parts;
    start = p + 1;
  }
}

// Shortest text that reads back to the same float (std::to_chars without a precision), so specs
// print as "0.5" and "0.003921569" rather than 9 significant digits, and still round-trip exactly.
std::string format_float(float v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}

// Locale-independent (from_chars), finite, whole text consumed.
bool parse_float(const std::string& text, float* out) {
  const std::string t = trim(text);
  if (t.empty()) return false;
  const char* first = t.data();
  if (*first == '+') ++first;  // from_chars rejects a leading '+'
  const auto r = std::from_chars(first, t.data() + t.size(), *out);
  return r.ec == std::errc() && r.ptr == t.data() + t.size() && std::isfinite(*out);
}

Status bad_item(const std::string& item, const std::string& why) {
  return make_error(StatusCode::kInvalidArgument, "preprocessing spec item '" + item + "': " + why);
}

Status parse_triple(const std::string& item, const std::string& value, float* dst) {
  const std::vector<std::string> parts = split(value, ',');
  if (parts.size() != 1 && parts.size() != 3)
    return bad_item(item, "expected 3 comma-separated numbers (or 1 for all channels)");
  for (std::size_t c = 0; c < 3; ++c) {
    const std::string& p = parts[parts.size() == 1 ? 0 : c];
    if (!parse_float(p, &dst[c])) return bad_item(item, "'" + trim(p) + "' is not a finite number");
  }
  return Status::ok_status();
}

Status parse_size(const std::string& item, const std::string& value, PreprocessSpec* spec) {
  const std::string v = upper(trim(value));
  const std::size_t x = v.find('X');
  auto parse_dim = [](const std::string& s, int* out) {
    const auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size() && *out > 0;
  };
  if (x == std::string::npos || !parse_dim(v.substr(0, x), &spec->width) ||
      !parse_dim(v.substr(x + 1), &spec->height))
    return bad_item(item, "expected WIDTHxHEIGHT with positive integers");
  return Status::ok_status();
}

}  // namespace

const char* pixel_format_name(PixelFormat f) noexcept {
  switch (f) {
    case PixelFormat::kRGB: return "RGB";
    case PixelFormat::kBGR: return "BGR";
    case PixelFormat::kRGBA: return "RGBA";
    case PixelFormat::kBGRx: return "BGRx";
    case PixelFormat::kGray: return "GRAY8";
    case PixelFormat::kNV12: return "NV12";
    case PixelFormat::kI420: return "I420";
  }
  return "?";
}

Expected<PixelFormat> parse_pixel_format(const std::string& name) {
  const std::string u = upper(trim(name));
  for (PixelFormat f :
       {PixelFormat::kRGB, PixelFormat::kBGR, PixelFormat::kRGBA, PixelFormat::kBGRx,
        PixelFormat::kGray, PixelFormat::kNV12, PixelFormat::kI420}) {
    if (u == upper(pixel_format_name(f))) return f;
  }
  if (u == "GRAY") return PixelFormat::kGray;
  return make_error(
      StatusCode::kInvalidArgument,
      "unknown pixel format '" + name + "' (expected RGB, BGR, RGBA, BGRx, GRAY8, NV12 or I420)");
}

const char* color_order_name(ColorOrder c) noexcept {
  switch (c) {
    case ColorOrder::kRGB: return "RGB";
    case ColorOrder::kBGR: return "BGR";
    case ColorOrder::kGray: return "GRAY";
  }
  return "?";
}

Expected<ColorOrder> parse_color_order(const std::string& name) {
  const std::string u = upper(trim(name));
  if (u == "RGB") return ColorOrder::kRGB;
  if (u == "BGR") return ColorOrder::kBGR;
  if (u == "GRAY" || u == "GRAY8") return ColorOrder::kGray;
  return make_error(StatusCode::kInvalidArgument,
                    "unknown colour order '" + name + "' (expected RGB, BGR or GRAY)");
}

const char* resize_mode_name(ResizeMode m) noexcept {
  switch (m) {
    case ResizeMode::kStretch: return "stretch";
    case ResizeMode::kLetterbox: return "letterbox";
  }
  return "?";
}

Expected<ResizeMode> parse_resize_mode(const std::string& name) {
  const std::string u = upper(trim(name));
  if (u == "STRETCH") return ResizeMode::kStretch;
  if (u == "LETTERBOX") return ResizeMode::kLetterbox;
  return make_error(StatusCode::kInvalidArgument,
                    "unknown resize mode '" + name + "' (expected stretch or letterbox)");
}

const char* tensor_layout_name(TensorLayout l) noexcept {
  switch (l) {
    case TensorLayout::kNCHW: return "NCHW";
    case TensorLayout::kNHWC: return "NHWC";
  }
  return "?";
}

Expected<TensorLayout> parse_tensor_layout(const std::string& name) {
  const std::string u = upper(trim(name));
  if (u == "NCHW") return TensorLayout::kNCHW;
  if (u == "NHWC") return TensorLayout::kNHWC;
  return make_error(StatusCode::kInvalidArgument,
                    "unknown tensor layout '" + name + "' (expected NCHW or NHWC)");
}

bool PreprocessSpec::operator==(const PreprocessSpec& o) const noexcept {
  for (int c = 0; c < 3; ++c)
    if (mean[c] != o.mean[c] || scale[c] != o.scale[c]) return false;
  return enabled == o.enabled && width == o.width && height == o.height && color == o.color &&
         resize == o.resize && layout == o.layout && pad_value == o.pad_value;
}

std::string PreprocessSpec::to_string() const {
  if (!enabled) return "none";
  std::string s = std::string("color=") + color_order_name(color) +
                  ";resize=" + resize_mode_name(resize) + ";layout=" + tensor_layout_name(layout);
  s += ";mean=" + format_float(mean[0]) + "," + format_float(mean[1]) + "," + format_float(mean[2]);
  s += ";scale=" + format_float(scale[0]) + "," + format_float(scale[1]) + "," +
       format_float(scale[2]);
  if (pad_value != 0.f) s += ";pad=" + format_float(pad_value);
  if (width > 0 && height > 0) s += ";size=" + std::to_string(width) + "x" + std::to_string(height);
  return s;
}

Expected<PreprocessSpec> parse_preprocess_spec(const std::string& text) {
  PreprocessSpec spec;
  if (upper(trim(text)) == "NONE") return spec;
  spec.enabled = true;
  std::set<std::string> seen;
  for (const std::string& raw : split(text, ';')) {
    const std::string item = trim(raw);
    if (item.empty()) continue;  // tolerate "a=1;;b=2" and a trailing ';'
    const std::size_t eq = item.find('=');
    if (eq == std::string::npos) return bad_item(item, "expected key=value");
    const std::string key = upper(trim(item.substr(0, eq)));
    const std::string value = trim(item.substr(eq + 1));
    if (!seen.insert(key).second) return bad_item(item, "key given twice");
    if (key == "COLOR") {
      auto c = parse_color_order(value);
      if (!c.ok()) return c.status().with_context("preprocessing spec item '" + item + "'");
      spec.color = *c;
    } else if (key == "RESIZE") {
      auto r = parse_resize_mode(value);
      if (!r.ok()) return r.status().with_context("preprocessing spec item '" + item + "'");
      spec.resize = *r;
    } else if (key == "LAYOUT") {
      auto l = parse_tensor_layout(value);
      if (!l.ok()) return l.status().with_context("preprocessing spec item '" + item + "'");
      spec.layout = *l;
    } else if (key == "MEAN") {
      EDGERT_RETURN_IF_ERROR(parse_triple(item, value, spec.mean));
    } else if (key == "SCALE") {
      EDGERT_RETURN_IF_ERROR(parse_triple(item, value, spec.scale));
      for (float s : spec.scale)
        if (s == 0.f) return bad_item(item, "a scale of 0 erases the input");
    } else if (key == "PAD") {
      if (!parse_float(value, &spec.pad_value))
        return bad_item(item, "'" + value + "' is not a finite number");
    } else if (key == "SIZE") {
      EDGERT_RETURN_IF_ERROR(parse_size(item, value, &spec));
    } else {
      return bad_item(item, "unknown key (expected color, resize, layout, mean, scale, pad, size)");
    }
  }
  return spec;
}

}  // namespace edgert
