/* Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0 */
/* The metadata EdgeRT's GStreamer elements attach to buffers. Applications read it with
 * gst_buffer_get_edgert_classification_meta() (link libgstedgertmeta); applications that do not
 * link EdgeRT read the element messages instead (docs/gstreamer.md). Plain C. */
#ifndef GST_EDGERT_META_H
#define GST_EDGERT_META_H

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_EDGERT_MAX_TOP_K 16
#define GST_EDGERT_MAX_LABEL 128
#define GST_EDGERT_MAX_DIMS 8

/* One classification result of one frame. */
typedef struct {
  GstMeta meta;
  guint unique_id;      /* the edgertinfer element's unique-id property */
  guint64 frame_number; /* frames the element has seen before this one (0 = first) */
  gboolean inferred;    /* FALSE: a frame skipped by "interval", carrying the last result */
  guint batch_frames;   /* frames (of all the group's streams) in the inference that ran it */
  gint class_id;        /* top-1 class index, -1 when no result exists yet */
  gfloat confidence;    /* top-1 probability (softmax of the output unless it already is one) */
  gchar label[GST_EDGERT_MAX_LABEL]; /* the engine's label of class_id, "" when it has none */
  guint top_k;                       /* entries used in the arrays below */
  gint top_ids[GST_EDGERT_MAX_TOP_K];
  gfloat top_scores[GST_EDGERT_MAX_TOP_K];
} GstEdgertClassificationMeta;

/* The raw output tensor of the frame (output-tensor-meta=true): float32 values of its batch row. */
typedef struct {
  GstMeta meta;
  guint unique_id;
  gchar name[64];
  guint ndims;
  gint64 dims[GST_EDGERT_MAX_DIMS]; /* the row's shape (the batch dimension removed) */
  gfloat* data;                     /* owned by the meta */
  gsize count;
} GstEdgertTensorMeta;

GType gst_edgert_classification_meta_api_get_type(void);
const GstMetaInfo* gst_edgert_classification_meta_get_info(void);
#define GST_EDGERT_CLASSIFICATION_META_API_TYPE (gst_edgert_classification_meta_api_get_type())
GstEdgertClassificationMeta* gst_buffer_add_edgert_classification_meta(GstBuffer* buffer);
#define gst_buffer_get_edgert_classification_meta(b) \
  ((GstEdgertClassificationMeta*)gst_buffer_get_meta((b), GST_EDGERT_CLASSIFICATION_META_API_TYPE))

GType gst_edgert_tensor_meta_api_get_type(void);
const GstMetaInfo* gst_edgert_tensor_meta_get_info(void);
#define GST_EDGERT_TENSOR_META_API_TYPE (gst_edgert_tensor_meta_api_get_type())
/* Copies `count` floats. */
GstEdgertTensorMeta* gst_buffer_add_edgert_tensor_meta(GstBuffer* buffer, const gfloat* data,
                                                       gsize count);
#define gst_buffer_get_edgert_tensor_meta(b) \
  ((GstEdgertTensorMeta*)gst_buffer_get_meta((b), GST_EDGERT_TENSOR_META_API_TYPE))

G_END_DECLS

#endif /* GST_EDGERT_META_H */
