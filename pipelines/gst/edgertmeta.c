/* Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0 */
/* Registration of EdgeRT's buffer metadata (gst/edgert/edgertmeta.h). */
#include "gst/edgert/edgertmeta.h"

#include <string.h>

static const gchar* const kTags[] = {NULL};

GType gst_edgert_classification_meta_api_get_type(void) {
  static GType type = 0;
  if (g_once_init_enter(&type)) {
    GType t = gst_meta_api_type_register("GstEdgertClassificationMetaAPI", (const gchar**)kTags);
    g_once_init_leave(&type, t);
  }
  return type;
}

static gboolean classification_init(GstMeta* meta, gpointer params, GstBuffer* buffer) {
  (void)params;
  (void)buffer;
  GstEdgertClassificationMeta* m = (GstEdgertClassificationMeta*)meta;
  memset((char*)m + sizeof(GstMeta), 0, sizeof(*m) - sizeof(GstMeta));
  m->class_id = -1;
  return TRUE;
}

static gboolean classification_transform(GstBuffer* dst, GstMeta* meta, GstBuffer* src,
                                         GQuark type, gpointer data) {
  (void)src;
  (void)type;
  (void)data;
  /* Plain data: every transform (copy, region, scale) keeps the result as it is. */
  GstEdgertClassificationMeta* d = gst_buffer_add_edgert_classification_meta(dst);
  if (!d) return FALSE;
  memcpy((char*)d + sizeof(GstMeta), (char*)meta + sizeof(GstMeta),
         sizeof(GstEdgertClassificationMeta) - sizeof(GstMeta));
  return TRUE;
}

const GstMetaInfo* gst_edgert_classification_meta_get_info(void) {
  static const GstMetaInfo* info = NULL;
  if (g_once_init_enter((GstMetaInfo**)&info)) {
    const GstMetaInfo* i = gst_meta_register(
        GST_EDGERT_CLASSIFICATION_META_API_TYPE, "GstEdgertClassificationMeta",
        sizeof(GstEdgertClassificationMeta), classification_init, NULL, classification_transform);
    g_once_init_leave((GstMetaInfo**)&info, (GstMetaInfo*)i);
  }
  return info;
}

GstEdgertClassificationMeta* gst_buffer_add_edgert_classification_meta(GstBuffer* buffer) {
  return (GstEdgertClassificationMeta*)gst_buffer_add_meta(
      buffer, gst_edgert_classification_meta_get_info(), NULL);
}

GType gst_edgert_tensor_meta_api_get_type(void) {
  static GType type = 0;
  if (g_once_init_enter(&type)) {
    GType t = gst_meta_api_type_register("GstEdgertTensorMetaAPI", (const gchar**)kTags);
    g_once_init_leave(&type, t);
  }
  return type;
}

static gboolean tensor_init(GstMeta* meta, gpointer params, GstBuffer* buffer) {
  (void)params;
  (void)buffer;
  GstEdgertTensorMeta* m = (GstEdgertTensorMeta*)meta;
  memset((char*)m + sizeof(GstMeta), 0, sizeof(*m) - sizeof(GstMeta));
  return TRUE;
}

static void tensor_free(GstMeta* meta, GstBuffer* buffer) {
  (void)buffer;
  GstEdgertTensorMeta* m = (GstEdgertTensorMeta*)meta;
  g_free(m->data);
  m->data = NULL;
}

static gboolean tensor_transform(GstBuffer* dst, GstMeta* meta, GstBuffer* src, GQuark type,
                                 gpointer data) {
  (void)src;
  (void)type;
  (void)data;
  const GstEdgertTensorMeta* s = (const GstEdgertTensorMeta*)meta;
  GstEdgertTensorMeta* d = gst_buffer_add_edgert_tensor_meta(dst, s->data, s->count);
  if (!d) return FALSE;
  d->unique_id = s->unique_id;
  memcpy(d->name, s->name, sizeof d->name);
  d->ndims = s->ndims;
  memcpy(d->dims, s->dims, sizeof d->dims);
  return TRUE;
}

const GstMetaInfo* gst_edgert_tensor_meta_get_info(void) {
  static const GstMetaInfo* info = NULL;
  if (g_once_init_enter((GstMetaInfo**)&info)) {
    const GstMetaInfo* i =
        gst_meta_register(GST_EDGERT_TENSOR_META_API_TYPE, "GstEdgertTensorMeta",
                          sizeof(GstEdgertTensorMeta), tensor_init, tensor_free, tensor_transform);
    g_once_init_leave((GstMetaInfo**)&info, (GstMetaInfo*)i);
  }
  return info;
}

GstEdgertTensorMeta* gst_buffer_add_edgert_tensor_meta(GstBuffer* buffer, const gfloat* data,
                                                       gsize count) {
  GstEdgertTensorMeta* m =
      (GstEdgertTensorMeta*)gst_buffer_add_meta(buffer, gst_edgert_tensor_meta_get_info(), NULL);
  if (!m) return NULL;
  m->data = (gfloat*)g_memdup2(data, count * sizeof(gfloat));
  m->count = count;
  return m;
}
