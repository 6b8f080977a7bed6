// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// edgertoverlay: draws the classification that edgertinfer attached (label and confidence) and
// the stream's frame rate in the top-left corner of the frame, in place, with a built-in 5x7
// bitmap font (no font library). Frames without a classification keep only the fps line.

#include "gstedgertoverlay.h"

#include <gst/video/video.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "edgert_caps.h"
#include "gst/edgert/edgertmeta.h"

namespace {

enum { PROP_0, PROP_SHOW_FPS };

// 5x7 glyphs, one byte per row, bit 4 = leftmost column.
struct Glyph {
  char c;
  unsigned char rows[7];
};
constexpr Glyph kFont[] = {
    {'A', {14, 17, 17, 31, 17, 17, 17}}, {'B', {30, 17, 17, 30, 17, 17, 30}},
    {'C', {14, 17, 16, 16, 16, 17, 14}}, {'D', {30, 17, 17, 17, 17, 17, 30}},
    {'E', {31, 16, 16, 30, 16, 16, 31}}, {'F', {31, 16, 16, 30, 16, 16, 16}},
    {'G', {14, 17, 16, 23, 17, 17, 15}}, {'H', {17, 17, 17, 31, 17, 17, 17}},
    {'I', {14, 4, 4, 4, 4, 4, 14}},      {'J', {7, 2, 2, 2, 2, 18, 12}},
    {'K', {17, 18, 20, 24, 20, 18, 17}}, {'L', {16, 16, 16, 16, 16, 16, 31}},
    {'M', {17, 27, 21, 21, 17, 17, 17}}, {'N', {17, 17, 25, 21, 19, 17, 17}},
    {'O', {14, 17, 17, 17, 17, 17, 14}}, {'P', {30, 17, 17, 30, 16, 16, 16}},
    {'Q', {14, 17, 17, 17, 21, 18, 13}}, {'R', {30, 17, 17, 30, 20, 18, 17}},
    {'S', {15, 16, 16, 14, 1, 1, 30}},   {'T', {31, 4, 4, 4, 4, 4, 4}},
    {'U', {17, 17, 17, 17, 17, 17, 14}}, {'V', {17, 17, 17, 17, 17, 10, 4}},
    {'W', {17, 17, 17, 21, 21, 21, 10}}, {'X', {17, 17, 10, 4, 10, 17, 17}},
    {'Y', {17, 17, 17, 10, 4, 4, 4}},    {'Z', {31, 1, 2, 4, 8, 16, 31}},
    {'0', {14, 17, 19, 21, 25, 17, 14}}, {'1', {4, 12, 4, 4, 4, 4, 14}},
    {'2', {14, 17, 1, 2, 4, 8, 31}},     {'3', {31, 2, 4, 2, 1, 17, 14}},
    {'4', {2, 6, 10, 18, 31, 2, 2}},     {'5', {31, 16, 30, 1, 1, 17, 14}},
    {'6', {6, 8, 16, 30, 17, 17, 14}},   {'7', {31, 1, 2, 4, 8, 8, 8}},
    {'8', {14, 17, 17, 14, 17, 17, 14}}, {'9', {14, 17, 17, 15, 1, 2, 12}},
    {' ', {0, 0, 0, 0, 0, 0, 0}},        {'.', {0, 0, 0, 0, 0, 12, 12}},
    {'%', {24, 25, 2, 4, 8, 19, 3}},     {'/', {0, 1, 2, 4, 8, 16, 0}},
    {'-', {0, 0, 0, 31, 0, 0, 0}},       {':', {0, 12, 12, 0, 12, 12, 0}},
    {'?', {14, 17, 1, 2, 4, 0, 4}},
};

const unsigned char* glyph(char c) {
  if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  for (const Glyph& g : kFont)
    if (g.c == c) return g.rows;
  for (const Glyph& g : kFont)
    if (g.c == '?') return g.rows;
  return nullptr;
}

bool packed_rgb(GstVideoFormat f, int* bpp, int* r, int* g, int* b) {
  switch (f) {
    case GST_VIDEO_FORMAT_RGB: *bpp = 3, *r = 0, *g = 1, *b = 2; return true;
    case GST_VIDEO_FORMAT_BGR: *bpp = 3, *r = 2, *g = 1, *b = 0; return true;
    case GST_VIDEO_FORMAT_RGBA: *bpp = 4, *r = 0, *g = 1, *b = 2; return true;
    case GST_VIDEO_FORMAT_BGRx: *bpp = 4, *r = 2, *g = 1, *b = 0; return true;
    default: return false;
  }
}

/// Paints pixel (x, y) as text (on) or background (off): white on black in RGB; luma 235 on 16
/// with neutral chroma in NV12/I420.
void paint(GstVideoFrame& f, int x, int y, bool on) {
  const GstVideoFormat fmt = GST_VIDEO_FRAME_FORMAT(&f);
  int bpp, r, g, b;
  auto* p0 = static_cast<guint8*>(GST_VIDEO_FRAME_PLANE_DATA(&f, 0));
  const int s0 = GST_VIDEO_FRAME_PLANE_STRIDE(&f, 0);
  if (packed_rgb(fmt, &bpp, &r, &g, &b)) {
    guint8* px = p0 + y * s0 + x * bpp;
    px[r] = px[g] = px[b] = on ? 255 : 0;
    return;
  }
  p0[y * s0 + x] = on ? 235 : 16;
  auto* p1 = static_cast<guint8*>(GST_VIDEO_FRAME_PLANE_DATA(&f, 1));
  const int s1 = GST_VIDEO_FRAME_PLANE_STRIDE(&f, 1);
  if (fmt == GST_VIDEO_FORMAT_NV12) {
    p1[(y / 2) * s1 + (x / 2) * 2] = 128;
    p1[(y / 2) * s1 + (x / 2) * 2 + 1] = 128;
  } else {
    auto* p2 = static_cast<guint8*>(GST_VIDEO_FRAME_PLANE_DATA(&f, 2));
    const int s2 = GST_VIDEO_FRAME_PLANE_STRIDE(&f, 2);
    p1[(y / 2) * s1 + x / 2] = 128;
    p2[(y / 2) * s2 + x / 2] = 128;
  }
}

/// Draws `lines` from the top-left corner on a background box, clipped to the frame. Glyphs are
/// 5x7 cells with one column and one row of spacing, each pixel `scale` x `scale`.
void draw_text(GstVideoFrame& f, const std::string lines[], int count, int scale) {
  const int w = GST_VIDEO_FRAME_WIDTH(&f), h = GST_VIDEO_FRAME_HEIGHT(&f);
  std::size_t cols = 0;
  for (int l = 0; l < count; ++l) cols = std::max(cols, lines[l].size());
  const int box_w = std::min<int>(w, static_cast<int>(cols) * 6 * scale + scale);
  const int box_h = std::min(h, count * 8 * scale + scale);
  for (int y = 0; y < box_h; ++y)
    for (int x = 0; x < box_w; ++x) {
      bool on = false;
      const int cy = (y - scale) / scale, cx = (x - scale) / scale;  // one-cell margin
      if (y >= scale && x >= scale) {
        const int line = cy / 8, row = cy % 8, ch = cx / 6, col = cx % 6;
        if (line < count && row < 7 && col < 5 && ch < static_cast<int>(lines[line].size())) {
          const unsigned char* gl = glyph(lines[line][static_cast<std::size_t>(ch)]);
          on = gl && (gl[row] >> (4 - col)) & 1;
        }
      }
      paint(f, x, y, on);
    }
}

GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
                                                             GST_STATIC_CAPS(EDGERT_VIDEO_CAPS));
GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(EDGERT_VIDEO_CAPS));

}  // namespace

struct _GstEdgertOverlay {
  GstBaseTransform parent;
  gboolean show_fps;
  GstVideoInfo info;
  gboolean have_info;
  std::chrono::steady_clock::time_point* window_start;
  guint window_frames;
  gdouble fps;
};

G_DEFINE_TYPE(GstEdgertOverlay, gst_edgert_overlay, GST_TYPE_BASE_TRANSFORM)

namespace {

gboolean overlay_set_caps(GstBaseTransform* trans, GstCaps* incaps, GstCaps*) {
  GstEdgertOverlay* self = GST_EDGERT_OVERLAY(trans);
  self->have_info = gst_video_info_from_caps(&self->info, incaps);
  return self->have_info;
}

GstFlowReturn overlay_transform_ip(GstBaseTransform* trans, GstBuffer* buf) {
  GstEdgertOverlay* self = GST_EDGERT_OVERLAY(trans);
  if (!self->have_info) return GST_FLOW_NOT_NEGOTIATED;
  // Frames per second of this stream, over windows of at least one second.
  const auto now = std::chrono::steady_clock::now();
  if (self->window_frames++ == 0) *self->window_start = now;
  const double secs = std::chrono::duration<double>(now - *self->window_start).count();
  if (secs >= 1.0) {
    self->fps = (self->window_frames - 1) / secs;
    self->window_frames = 1;
    *self->window_start = now;
  }
  std::string lines[2];
  int count = 0;
  if (const GstEdgertClassificationMeta* m = gst_buffer_get_edgert_classification_meta(buf))
    if (m->class_id >= 0) {
      char text[GST_EDGERT_MAX_LABEL + 16];
      if (m->label[0])
        std::snprintf(text, sizeof text, "%s %.0f%%", m->label, 100.0 * m->confidence);
      else
        std::snprintf(text, sizeof text, "CLASS %d %.0f%%", m->class_id, 100.0 * m->confidence);
      lines[count++] = text;
    }
  if (self->show_fps) {
    char text[32];
    std::snprintf(text, sizeof text, "FPS %.1f", self->fps);
    lines[count++] = text;
  }
  if (count == 0) return GST_FLOW_OK;
  GstVideoFrame f;
  if (!gst_video_frame_map(&f, &self->info, buf, GST_MAP_READWRITE)) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Cannot map the video frame for writing."), (nullptr));
    return GST_FLOW_ERROR;
  }
  draw_text(f, lines, count, std::max(1, GST_VIDEO_FRAME_HEIGHT(&f) / 240));
  gst_video_frame_unmap(&f);
  return GST_FLOW_OK;
}

void overlay_set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
  GstEdgertOverlay* self = GST_EDGERT_OVERLAY(object);
  if (id == PROP_SHOW_FPS)
    self->show_fps = g_value_get_boolean(value);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

void overlay_get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
  GstEdgertOverlay* self = GST_EDGERT_OVERLAY(object);
  if (id == PROP_SHOW_FPS)
    g_value_set_boolean(value, self->show_fps);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

void overlay_finalize(GObject* object) {
  delete GST_EDGERT_OVERLAY(object)->window_start;
  G_OBJECT_CLASS(gst_edgert_overlay_parent_class)->finalize(object);
}

}  // namespace

static void gst_edgert_overlay_class_init(GstEdgertOverlayClass* klass) {
  GObjectClass* gobject = G_OBJECT_CLASS(klass);
  GstElementClass* element = GST_ELEMENT_CLASS(klass);
  GstBaseTransformClass* base = GST_BASE_TRANSFORM_CLASS(klass);
  gobject->set_property = overlay_set_property;
  gobject->get_property = overlay_get_property;
  gobject->finalize = overlay_finalize;
  g_object_class_install_property(
      gobject, PROP_SHOW_FPS,
      g_param_spec_boolean("show-fps", "Show fps", "Draw the stream's frame rate", TRUE,
                           static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)));
  gst_element_class_set_static_metadata(
      element, "EdgeRT overlay", "Filter/Effect/Video",
      "Draws edgertinfer's label and confidence and the frame rate on the frame", "EdgeRT authors");
  gst_element_class_add_static_pad_template(element, &sink_template);
  gst_element_class_add_static_pad_template(element, &src_template);
  base->set_caps = overlay_set_caps;
  base->transform_ip = overlay_transform_ip;
}

static void gst_edgert_overlay_init(GstEdgertOverlay* self) {
  self->show_fps = TRUE;
  self->have_info = FALSE;
  self->window_start = new std::chrono::steady_clock::time_point();
  self->window_frames = 0;
  self->fps = 0.0;
  gst_base_transform_set_in_place(GST_BASE_TRANSFORM(self), TRUE);
}
