// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// The edgertinfer element (a GstBaseTransform that works in place and never changes the frames).

#include <gst/base/gstbasetransform.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_EDGERT_INFER (gst_edgert_infer_get_type())
G_DECLARE_FINAL_TYPE(GstEdgertInfer, gst_edgert_infer, GST, EDGERT_INFER, GstBaseTransform)

G_END_DECLS
