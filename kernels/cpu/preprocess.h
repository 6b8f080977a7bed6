// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Image preprocessing on the CPU: one camera frame or decoded image (8-bit, any PixelFormat) to
// the network's float input (PreprocessSpec: colour order, resize, normalisation, layout) in one
// pass. Runtime side: no OpenCV. The reference the CUDA preprocessing kernel is tested against.
//
// Definition, per output pixel (x, y) and channel c:
//  1. Colour conversion at the source resolution to 8-bit RGB: packed formats reorder (alpha/x
//     dropped, GRAY8 replicated); NV12/I420 are BT.601 limited range with each 2x2 block sharing
//     its chroma sample, in OpenCV's 20-bit fixed point (bit-exact with cv::cvtColor
//     COLOR_YUV2RGB_NV12 / _I420): R = sat((max(Y-16,0)*1220542 + 1673527*(V-128) + 2^19) >> 20),
//     G and B likewise. A GRAY network input takes (9798 R + 19235 G + 3735 B + 2^14) >> 15 of
//     that RGB (cv::cvtColor COLOR_RGB2GRAY in OpenCV 4); a GRAY8 frame is used as it is.
//  2. Bilinear resize, OpenCV INTER_LINEAR's pixel-centre convention without antialiasing: source
//     position sx = (x + 0.5) * src_w / dst_w - 0.5, clamped to the edge pixels (likewise y), the
//     four neighbours weighted in float (no rounding to 8 bits afterwards).
//     stretch: dst = spec size. letterbox: the largest centred rectangle with the source's aspect
//     ratio (its long side is the spec's, the other rounded to nearest), the border pad_value.
//  3. out = (v - mean[c]) * scale[c], written NCHW (planes) or NHWC (interleaved), C = 3 or 1.

#include <cstdint>
#include <vector>

#include "edgert/preprocess.h"
#include "edgert/status.h"

namespace edgert::cpu {

/// The frame the kernels read (edgert/preprocess.h).
using Frame = ImageFrame;

/// Number of planes a format uses (1, 2 for NV12, 3 for I420).
int pixel_format_planes(PixelFormat f) noexcept;
/// Bytes per pixel of plane 0 of a packed format (1 for GRAY8 and the Y plane of NV12/I420).
int pixel_format_bytes_per_pixel(PixelFormat f) noexcept;

/// Bytes of one row of plane `plane` of `f` (the chroma planes of NV12/I420 at ceil(w/2)).
std::int64_t plane_row_bytes(const Frame& f, int plane) noexcept;
/// kInvalidArgument naming the problem for sizes <= 0, an unknown format, a missing plane or a
/// stride shorter than a row; what every preprocessing path checks first.
Status check_frame(const Frame& f);

/// A single-plane frame over `data` (RGB, BGR, RGBA, BGRx, GRAY8); stride 0 means tightly packed.
Frame packed_frame(PixelFormat f, int width, int height, const std::uint8_t* data,
                   std::int64_t stride = 0) noexcept;
/// An NV12 or I420 frame over one buffer holding the planes back to back, tightly packed (Y of
/// w x h, then the chroma planes of ceil(w/2) x ceil(h/2) samples each): GStreamer's default
/// layout for even sizes and cv::cvtColor's input layout.
Frame planar_yuv_frame(PixelFormat f, int width, int height, const std::uint8_t* data) noexcept;
/// Bytes planar_yuv_frame reads (and a tightly packed NV12/I420 buffer holds).
std::int64_t planar_yuv_frame_bytes(int width, int height) noexcept;

/// Where the resized image lands in the network input: the rectangle [x, x+w) x [y, y+h) of the
/// spec.width x spec.height output (the whole output for stretch). For mapping detections back.
struct ResizeGeometry {
  int x = 0, y = 0, w = 0, h = 0;
};
ResizeGeometry preprocess_geometry(int src_width, int src_height, const PreprocessSpec& spec);

/// The rows of plane 0 that preprocessing a src_width x src_height frame reads, ascending and
/// unique (the chroma planes of NV12/I420 read row r / 2 for each). The resize has no
/// antialiasing, so a large downscale reads few rows: a frame copied elsewhere first (the CUDA
/// path's pinned staging) needs only these.
std::vector<int> preprocess_source_rows(int src_width, int src_height, const PreprocessSpec& spec);

/// Preprocesses `f` into `dst`, which holds C x spec.height x spec.width floats (NCHW) or
/// spec.height x spec.width x C (NHWC), C = color_order_channels(spec.color): one image, so a
/// batch of N is N calls at offsets of that size. kInvalidArgument for a disabled spec, sizes
/// <= 0, missing planes or strides shorter than a row. Threads: OpenMP over output rows.
Status preprocess_frame(const Frame& f, const PreprocessSpec& spec, float* dst);

}  // namespace edgert::cpu
