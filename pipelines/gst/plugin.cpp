// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The "edgert" GStreamer plugin: registers EdgeRT's elements.

#include <gst/gst.h>

#include "gstedgertinfer.h"
#include "gstedgertoverlay.h"

#ifndef PACKAGE
#define PACKAGE "edgert"
#endif

static gboolean plugin_init(GstPlugin* plugin) {
  return gst_element_register(plugin, "edgertinfer", GST_RANK_NONE, GST_TYPE_EDGERT_INFER) &&
         gst_element_register(plugin, "edgertoverlay", GST_RANK_NONE, GST_TYPE_EDGERT_OVERLAY);
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, edgert,
                  "EdgeRT inference elements (classification, metadata, overlay)", plugin_init,
                  EDGERT_VERSION, "Apache-2.0", "EdgeRT", "https://example.invalid/edgert")
