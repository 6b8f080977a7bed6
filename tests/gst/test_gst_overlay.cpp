// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The edgertoverlay element: it draws edgertinfer's result (and the fps line) in a box in the
// top-left corner and leaves every other pixel alone; without a result and with show-fps=false
// it changes nothing.

#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "engine_build.h"
#include "gst/edgert/edgertmeta.h"

namespace {

const std::string kWork = std::string(EDGERT_TEST_DATA_DIR) + "/gst";

void init_gst() {
  static const bool done = [] {
    g_setenv("GST_PLUGIN_PATH", EDGERT_GST_PLUGIN_DIR, TRUE);
    // Plugins are scanned in this process: no gst-plugin-scanner child, which a cross build's
    // emulator could not start (it is a target binary too).
    g_setenv("GST_REGISTRY_FORK", "no", TRUE);
    g_setenv("GST_REGISTRY", (kWork + "/registry.bin").c_str(), TRUE);
    std::filesystem::create_directories(kWork);
    gst_init(nullptr, nullptr);
    return true;
  }();
  (void)done;
}

/// A frame of `format` with a gradient that no drawing produces by chance.
std::vector<std::uint8_t> pattern(const GstVideoInfo& info) {
  std::vector<std::uint8_t> v(GST_VIDEO_INFO_SIZE(&info));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<std::uint8_t>(37 + (i * 7) % 150);
  return v;
}

struct Pushed {
  std::vector<std::uint8_t> in, out;
};

Pushed push(const std::string& launch, GstVideoFormat format, int w, int h) {
  init_gst();
  GstHarness* hr = gst_harness_new_parse(launch.c_str());
  GstVideoInfo info;
  gst_video_info_set_format(&info, format, w, h);
  GstCaps* caps = gst_video_info_to_caps(&info);
  gst_caps_set_simple(caps, "framerate", GST_TYPE_FRACTION, 30, 1, nullptr);
  gst_harness_set_src_caps(hr, caps);
  Pushed p;
  p.in = pattern(info);
  GstBuffer* b = gst_buffer_new_allocate(nullptr, p.in.size(), nullptr);
  gst_buffer_fill(b, 0, p.in.data(), p.in.size());
  GstBuffer* out = gst_harness_push_and_pull(hr, b);
  REQUIRE(out);
  p.out.resize(gst_buffer_get_size(out));
  gst_buffer_extract(out, 0, p.out.data(), p.out.size());
  gst_buffer_unref(out);
  gst_harness_teardown(hr);
  return p;
}

}  // namespace

TEST_CASE("edgertoverlay draws the result and the fps in the corner only", "[gst]") {
  const std::string engine = edgert::test::fashion_engine_file(kWork + "/fashion_b1.engine", 1);
  for (GstVideoFormat format : {GST_VIDEO_FORMAT_RGB, GST_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_NV12,
                                GST_VIDEO_FORMAT_I420}) {
    INFO(gst_video_format_to_string(format));
    const int w = 320, h = 240;  // scale 1: glyph rows of 8 pixels, a 1-pixel margin
    const Pushed p = push("edgertinfer engine=\"" + engine + "\" ! edgertoverlay", format, w, h);
    REQUIRE(p.out.size() == p.in.size());
    GstVideoInfo info;
    gst_video_info_set_format(&info, format, w, h);
    const int stride = GST_VIDEO_INFO_PLANE_STRIDE(&info, 0);
    const int bpp = GST_VIDEO_INFO_COMP_PSTRIDE(&info, 0);
    // Two lines (result, fps): the box is 17 rows high. Below it, plane 0 is untouched.
    const std::size_t box_end = static_cast<std::size_t>(17 * stride);
    const std::size_t plane0 = static_cast<std::size_t>(h * stride);
    CHECK(std::memcmp(p.out.data() + box_end, p.in.data() + box_end, plane0 - box_end) == 0);
    // Inside the box: only the text and background values, and some of each.
    const std::uint8_t on = GST_VIDEO_INFO_IS_RGB(&info) ? 255 : 235;
    const std::uint8_t off = GST_VIDEO_INFO_IS_RGB(&info) ? 0 : 16;
    int lit = 0, dark = 0;
    for (int y = 0; y < 17; ++y)
      for (int x = 0; x < 20; ++x) {  // the first 3 characters are inside every label line
        const std::uint8_t v = p.out[static_cast<std::size_t>(y * stride + x * bpp)];
        CHECK((v == on || v == off));
        lit += v == on;
        dark += v == off;
      }
    CHECK(lit > 10);
    CHECK(dark > lit);
    // Right of the box on its rows, the frame is untouched too.
    CHECK(std::memcmp(p.out.data() + 5 * stride + (w - 8) * bpp,
                      p.in.data() + 5 * stride + (w - 8) * bpp,
                      static_cast<std::size_t>(8 * bpp)) == 0);
  }
}

TEST_CASE("edgertoverlay without a result and without fps changes nothing", "[gst]") {
  const Pushed p = push("edgertoverlay show-fps=false", GST_VIDEO_FORMAT_RGB, 64, 48);
  CHECK(p.out == p.in);
  const Pushed q = push("edgertoverlay", GST_VIDEO_FORMAT_RGB, 64, 48);
  CHECK(q.out != q.in);  // the fps line alone
}
