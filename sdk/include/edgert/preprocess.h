// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// How camera frames or images become the network's input tensor. The builder records one spec per
// image input in the engine; calibration, `edgert run/eval`, the GStreamer element and the CUDA
// preprocessing kernel all apply the same spec, so an engine is fed exactly as it was calibrated.

#include <cstdint>
#include <string>

#include "edgert/status.h"

namespace edgert {

/// Pixel formats a frame may arrive in (GStreamer names in brackets).
enum class PixelFormat : std::uint8_t {
  kRGB = 0,   ///< packed 8-bit R,G,B (RGB)
  kBGR = 1,   ///< packed 8-bit B,G,R (BGR)
  kRGBA = 2,  ///< packed 8-bit R,G,B,A (RGBA)
  kBGRx = 3,  ///< packed 8-bit B,G,R,x (BGRx)
  kGray = 4,  ///< 8-bit luma (GRAY8)
  kNV12 = 5,  ///< Y plane + interleaved UV plane at half resolution (NV12), BT.601 limited range
  kI420 = 6,  ///< Y, U, V planes, chroma at half resolution (I420), BT.601 limited range
};

/// A borrowed 8-bit image in host memory (a camera frame, a decoded image). Packed formats and
/// GRAY8 use plane 0; NV12 uses planes 0 (Y) and 1 (interleaved U,V at ceil(w/2) x ceil(h/2));
/// I420 planes 0 (Y), 1 (U), 2 (V), chroma likewise. Strides are bytes between the starts of
/// consecutive rows of each plane. Odd sizes are allowed for every format (the last column/row
/// of chroma covers one luma pixel).
struct ImageFrame {
  PixelFormat format = PixelFormat::kRGB;
  int width = 0;
  int height = 0;
  const std::uint8_t* planes[3] = {nullptr, nullptr, nullptr};
  std::int64_t strides[3] = {0, 0, 0};
};

/// The colour order the network expects in its channel dimension.
enum class ColorOrder : std::uint8_t { kRGB = 0, kBGR = 1, kGray = 2 };

enum class ResizeMode : std::uint8_t {
  kStretch = 0,    ///< scale each axis independently to the network size
  kLetterbox = 1,  ///< keep the aspect ratio, centre, pad with `pad_value` (maintain-aspect-ratio)
};

enum class TensorLayout : std::uint8_t { kNCHW = 0, kNHWC = 1 };

/// y[c] = (x[c] - mean[c]) * scale[c] with x the 8-bit pixel value (0..255) after colour conversion
/// and bilinear resize. In DeepStream terms mean = offsets, scale = net-scale-factor; torchvision's
/// Normalize(mean m, std s) on [0,1] images is mean = 255 m, scale = 1 / (255 s).
struct PreprocessSpec {
  bool enabled = false;  ///< false: the input is a raw tensor, fed as is
  int width = 0;         ///< network input width, from the input shape
  int height = 0;        ///< network input height, from the input shape
  ColorOrder color = ColorOrder::kRGB;
  ResizeMode resize = ResizeMode::kStretch;
  TensorLayout layout = TensorLayout::kNCHW;
  float mean[3] = {0.f, 0.f, 0.f};
  float scale[3] = {1.f / 255.f, 1.f / 255.f, 1.f / 255.f};
  float pad_value = 0.f;  ///< letterbox fill, in network units (after normalisation)

  /// The `edgert.preprocess` metadata format, keys in this order:
  /// `color=RGB;resize=stretch;layout=NCHW;mean=m0,m1,m2;scale=s0,s1,s2`, then `;pad=v` when
  /// pad_value is not 0 and `;size=WxH` when width and height are set (a spec read from model
  /// metadata takes its size from the input shape and has none). Floats are written with the
  /// fewest digits that read back to the same float, so parse_preprocess_spec(to_string()) gives
  /// back an equal spec. A disabled spec is "none".
  std::string to_string() const;

  bool operator==(const PreprocessSpec& o) const noexcept;
  bool operator!=(const PreprocessSpec& o) const noexcept { return !(*this == o); }
};

/// Parses the `edgert.preprocess` format (see PreprocessSpec::to_string): `key=value` items
/// separated by ';' in any order, spaces around items ignored, names case-insensitive. Keys: color
/// (RGB, BGR, GRAY), resize (stretch, letterbox), layout (NCHW, NHWC), mean and scale (three
/// comma-separated floats, or one for all channels), pad (float), size (WxH). Keys left out keep
/// PreprocessSpec's defaults; the result is enabled. "none" gives a disabled spec. Unknown or
/// repeated keys, malformed numbers and scale 0 are kInvalidArgument errors quoting the item.
Expected<PreprocessSpec> parse_preprocess_spec(const std::string& text);

const char* pixel_format_name(PixelFormat f) noexcept;
/// "RGB", "BGR", "RGBA", "BGRx", "GRAY8", "NV12", "I420" (the GStreamer format names).
Expected<PixelFormat> parse_pixel_format(const std::string& name);
/// "RGB", "BGR", "GRAY" (parse also accepts "GRAY8"; case-insensitive).
const char* color_order_name(ColorOrder c) noexcept;
Expected<ColorOrder> parse_color_order(const std::string& name);
/// "stretch", "letterbox".
const char* resize_mode_name(ResizeMode m) noexcept;
Expected<ResizeMode> parse_resize_mode(const std::string& name);
/// "NCHW", "NHWC".
const char* tensor_layout_name(TensorLayout l) noexcept;
Expected<TensorLayout> parse_tensor_layout(const std::string& name);
/// Channels of the network input for a colour order: 3, or 1 for kGray.
inline int color_order_channels(ColorOrder c) noexcept { return c == ColorOrder::kGray ? 1 : 3; }

}  // namespace edgert
