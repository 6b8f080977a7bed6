// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// The edgertoverlay element (a GstBaseTransform that draws on the frame in place).

#include <gst/base/gstbasetransform.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_EDGERT_OVERLAY (gst_edgert_overlay_get_type())
G_DECLARE_FINAL_TYPE(GstEdgertOverlay, gst_edgert_overlay, GST, EDGERT_OVERLAY, GstBaseTransform)

G_END_DECLS
