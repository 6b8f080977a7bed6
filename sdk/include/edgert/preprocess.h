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

  /// "64x64 RGB stretch NCHW mean=[..] scale=[..]".
  std::string to_string() const;
};

const char* pixel_format_name(PixelFormat f) noexcept;
/// "RGB", "BGR", "RGBA", "BGRx", "GRAY8", "NV12", "I420" (the GStreamer format names).
Expected<PixelFormat> parse_pixel_format(const std::string& name);
const char* color_order_name(ColorOrder c) noexcept;
Expected<ColorOrder> parse_color_order(const std::string& name);

}  // namespace edgert
