// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// edgertinfer: classifies every frame (or every interval+1-th) with an EdgeRT engine and attaches
// the result as GstEdgertClassificationMeta; buffers pass through unchanged. Preprocessing
// (colour conversion, resize, normalization, layout) follows the engine's own spec. See
// docs/gstreamer.md.

#include "gstedgertinfer.h"

#include <gst/video/video.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "batched_model.h"
#include "edgert/engine.h"
#include "edgert/frame_preprocessor.h"
#include "edgert_caps.h"
#include "gst/edgert/edgertmeta.h"

GST_DEBUG_CATEGORY_STATIC(gst_edgert_infer_debug);
#define GST_CAT_DEFAULT gst_edgert_infer_debug

namespace {

enum {
  PROP_0,
  PROP_ENGINE,
  PROP_BATCH_SIZE,
  PROP_INTERVAL,
  PROP_UNIQUE_ID,
  PROP_TOP_K,
  PROP_OUTPUT_TENSOR_META,
  PROP_POST_MESSAGES,
  PROP_BATCH_GROUP,
  PROP_MAX_LATENCY,
  PROP_PREPROCESS,
};

// Values of the "preprocess" property.
enum EdgertPreprocess { kPreprocessAuto = 0, kPreprocessCpu = 1 };

GType edgert_preprocess_get_type() {
  static GType type = 0;
  static const GEnumValue values[] = {
      {kPreprocessAuto, "On the engine's backend: the CUDA kernel for CUDA engines", "auto"},
      {kPreprocessCpu, "On the CPU, in the element's streaming thread", "cpu"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type)) {
    GType t = g_enum_register_static("GstEdgertPreprocess", values);
    g_once_init_leave(&type, t);
  }
  return type;
}

}  // namespace

struct GstEdgertInferState {
  std::shared_ptr<edgert::gst::BatchedModel> model;
  std::unique_ptr<edgert::FramePreprocessor> pre;  // this stream's, into the model's input
  bool member = false;  // joined the model's batching (left at EOS and stop)
  GstVideoInfo info;
  bool have_info = false;
  guint64 frames = 0;
  GstEdgertClassificationMeta last{};  // carried onto frames skipped by "interval"
  bool have_last = false;
};

struct _GstEdgertInfer {
  GstBaseTransform parent;
  gchar* engine_path;
  guint batch_size;
  guint interval;
  guint unique_id;
  guint top_k;
  gboolean output_tensor_meta;
  gboolean post_messages;
  gchar* batch_group;
  guint max_latency_ms;
  gint preprocess;  // EdgertPreprocess
  GstEdgertInferState* state;
};

G_DEFINE_TYPE(GstEdgertInfer, gst_edgert_infer, GST_TYPE_BASE_TRANSFORM)

namespace {

GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
                                                             GST_STATIC_CAPS(EDGERT_VIDEO_CAPS));
GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(EDGERT_VIDEO_CAPS));

bool to_pixel_format(GstVideoFormat f, edgert::PixelFormat* out) {
  switch (f) {
    case GST_VIDEO_FORMAT_RGB: *out = edgert::PixelFormat::kRGB; return true;
    case GST_VIDEO_FORMAT_BGR: *out = edgert::PixelFormat::kBGR; return true;
    case GST_VIDEO_FORMAT_RGBA: *out = edgert::PixelFormat::kRGBA; return true;
    case GST_VIDEO_FORMAT_BGRx: *out = edgert::PixelFormat::kBGRx; return true;
    case GST_VIDEO_FORMAT_NV12: *out = edgert::PixelFormat::kNV12; return true;
    case GST_VIDEO_FORMAT_I420: *out = edgert::PixelFormat::kI420; return true;
    default: return false;
  }
}

/// Top-k of `row` (n scores) as probabilities: a softmax unless the row already is a
/// distribution.
void top_k(const float* row, std::size_t n, guint k, GstEdgertClassificationMeta* m) {
  std::vector<float> p(row, row + n);
  const float sum = std::accumulate(p.begin(), p.end(), 0.f);
  const bool distribution = std::all_of(p.begin(), p.end(), [](float v) { return v >= 0.f; }) &&
                            std::fabs(sum - 1.f) < 1e-3f;
  if (!distribution) {
    const float mx = *std::max_element(p.begin(), p.end());
    float s = 0.f;
    for (float& v : p) s += (v = std::exp(v - mx));
    for (float& v : p) v /= s;
  }
  std::vector<int> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  k = std::min<guint>({k, GST_EDGERT_MAX_TOP_K, static_cast<guint>(n)});
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int a, int b) {
    return p[static_cast<std::size_t>(a)] > p[static_cast<std::size_t>(b)] ||
           (p[static_cast<std::size_t>(a)] == p[static_cast<std::size_t>(b)] && a < b);
  });
  m->top_k = k;
  for (guint i = 0; i < k; ++i) {
    m->top_ids[i] = idx[i];
    m->top_scores[i] = p[static_cast<std::size_t>(idx[i])];
  }
  m->class_id = k ? idx[0] : -1;
  m->confidence = k ? p[static_cast<std::size_t>(idx[0])] : 0.f;
}

gboolean load_engine(GstEdgertInfer* self) {
  GstEdgertInferState& s = *self->state;
  if (!self->engine_path || !*self->engine_path) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("No engine: set the \"engine\" property."),
                      ("edgertinfer needs an EdgeRT engine file (edgert build --save-engine)"));
    return FALSE;
  }
  auto m = edgert::gst::BatchedModel::acquire(
      self->engine_path, self->batch_group ? self->batch_group : "", self->batch_size,
      self->max_latency_ms,
      self->preprocess == kPreprocessCpu ? edgert::FramePreprocessor::Device::kCpu
                                         : edgert::FramePreprocessor::Device::kAuto);
  if (!m) {
    const edgert::Status& st = m.status();
    if (st.code() == edgert::StatusCode::kInvalidArgument)
      GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS,
                        ("Engine '%s' cannot be used by edgertinfer.", self->engine_path),
                        ("%s", st.to_string().c_str()));
    else
      GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ, ("Cannot load engine '%s'.", self->engine_path),
                        ("%s", st.to_string().c_str()));
    return FALSE;
  }
  auto pre = (*m)->make_preprocessor();
  if (!pre) {
    GST_ELEMENT_ERROR(self, LIBRARY, INIT,
                      ("Cannot set up preprocessing for engine '%s'.", self->engine_path),
                      ("%s", pre.status().to_string().c_str()));
    return FALSE;
  }
  s.model = *m;
  s.pre = std::move(pre).value();
  s.model->join();
  s.member = true;
  GST_INFO_OBJECT(self, "engine %s: batch %lld, %s, frames preprocessed on %s, group '%s'",
                  self->engine_path, static_cast<long long>(s.model->batch()),
                  s.model->on_gpu() ? "GPU" : "CPU", s.model->preprocess_name(),
                  self->batch_group ? self->batch_group : "");
  return TRUE;
}

gboolean gst_edgert_infer_start(GstBaseTransform* trans) {
  GstEdgertInfer* self = GST_EDGERT_INFER(trans);
  self->state->frames = 0;
  self->state->have_last = false;
  return load_engine(self);
}

gboolean gst_edgert_infer_stop(GstBaseTransform* trans) {
  GstEdgertInfer* self = GST_EDGERT_INFER(trans);
  GstEdgertInferState& s = *self->state;
  if (s.model && s.member) s.model->leave();
  s.member = false;
  s.pre.reset();  // before the model: it writes the model's context
  s.model.reset();
  s.have_info = false;
  return TRUE;
}

gboolean gst_edgert_infer_sink_event(GstBaseTransform* trans, GstEvent* event) {
  GstEdgertInfer* self = GST_EDGERT_INFER(trans);
  GstEdgertInferState& s = *self->state;
  // A stream at its end no longer holds up the batches of the others in its group.
  if (GST_EVENT_TYPE(event) == GST_EVENT_EOS && s.model && s.member) {
    s.model->leave();
    s.member = false;
  }
  return GST_BASE_TRANSFORM_CLASS(gst_edgert_infer_parent_class)->sink_event(trans, event);
}

gboolean gst_edgert_infer_set_caps(GstBaseTransform* trans, GstCaps* incaps, GstCaps* outcaps) {
  (void)outcaps;
  GstEdgertInfer* self = GST_EDGERT_INFER(trans);
  GstVideoInfo info;
  if (!gst_video_info_from_caps(&info, incaps)) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("Caps are not raw video."),
                      ("%" GST_PTR_FORMAT, static_cast<void*>(incaps)));
    return FALSE;
  }
  edgert::PixelFormat pf;
  if (!to_pixel_format(GST_VIDEO_INFO_FORMAT(&info), &pf)) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("Unsupported video format."),
                      ("edgertinfer takes %s", EDGERT_VIDEO_FORMATS));
    return FALSE;
  }
  self->state->info = info;
  self->state->have_info = true;
  return TRUE;
}

/// Runs the frame through the (possibly shared) model; the output row of its batch slot.
bool infer(GstEdgertInfer* self, const GstVideoFrame& vf, std::vector<float>& row,
           int* batch_frames, std::string& error) {
  edgert::ImageFrame f;
  to_pixel_format(GST_VIDEO_FRAME_FORMAT(&vf), &f.format);
  f.width = GST_VIDEO_FRAME_WIDTH(&vf);
  f.height = GST_VIDEO_FRAME_HEIGHT(&vf);
  for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES(&vf) && p < 3; ++p) {
    f.planes[p] = static_cast<const std::uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&vf, p));
    f.strides[p] = GST_VIDEO_FRAME_PLANE_STRIDE(&vf, p);
  }
  const edgert::Status st = self->state->model->infer(*self->state->pre, f, row, batch_frames);
  if (!st.ok()) error = st.to_string();
  return st.ok();
}

GstFlowReturn gst_edgert_infer_transform_ip(GstBaseTransform* trans, GstBuffer* buf) {
  GstEdgertInfer* self = GST_EDGERT_INFER(trans);
  GstEdgertInferState& s = *self->state;
  if (!s.have_info || !s.model) return GST_FLOW_NOT_NEGOTIATED;
  if (!s.member) {  // data again after EOS (a flush, a new segment): back into the batches
    s.model->join();
    s.member = true;
  }
  const guint64 n = s.frames++;
  const bool run = n % (static_cast<guint64>(self->interval) + 1) == 0;
  GstEdgertClassificationMeta result{};
  if (run) {
    GstVideoFrame vf;
    if (!gst_video_frame_map(&vf, &s.info, buf, GST_MAP_READ)) {
      GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Cannot map the video frame."), (nullptr));
      return GST_FLOW_ERROR;
    }
    std::vector<float> row;
    std::string error;
    int batch_frames = 0;
    const bool ok = infer(self, vf, row, &batch_frames, error);
    gst_video_frame_unmap(&vf);
    if (!ok) {
      GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Inference failed."), ("%s", error.c_str()));
      return GST_FLOW_ERROR;
    }
    top_k(row.data(), row.size(), self->top_k, &result);
    result.batch_frames = static_cast<guint>(batch_frames);
    const auto& labels = s.model->engine().labels();
    if (result.class_id >= 0 && static_cast<std::size_t>(result.class_id) < labels.size())
      g_strlcpy(result.label, labels[static_cast<std::size_t>(result.class_id)].c_str(),
                sizeof result.label);
    if (self->output_tensor_meta) {
      GstEdgertTensorMeta* tm = gst_buffer_add_edgert_tensor_meta(buf, row.data(), row.size());
      tm->unique_id = self->unique_id;
      g_strlcpy(tm->name, s.model->engine().outputs()[0].name.c_str(), sizeof tm->name);
      const edgert::Shape& os = s.model->engine().outputs()[0].shape;
      tm->ndims = 0;
      for (std::size_t d = 1; d < os.rank() && tm->ndims < GST_EDGERT_MAX_DIMS; ++d)
        tm->dims[tm->ndims++] = os[d];
    }
    s.last = result;
    s.have_last = true;
  } else if (s.have_last) {
    result = s.last;
  } else {
    result.class_id = -1;
  }
  GstEdgertClassificationMeta* m = gst_buffer_add_edgert_classification_meta(buf);
  std::memcpy(reinterpret_cast<char*>(m) + sizeof(GstMeta),
              reinterpret_cast<const char*>(&result) + sizeof(GstMeta),
              sizeof(GstEdgertClassificationMeta) - sizeof(GstMeta));
  m->unique_id = self->unique_id;
  m->frame_number = n;
  m->inferred = run;
  if (run && self->post_messages) {
    GstStructure* st = gst_structure_new(
        "edgert-classification", "unique-id", G_TYPE_UINT, self->unique_id, "frame-number",
        G_TYPE_UINT64, n, "pts", G_TYPE_UINT64, GST_BUFFER_PTS(buf), "class-id", G_TYPE_INT,
        m->class_id, "label", G_TYPE_STRING, m->label, "confidence", G_TYPE_FLOAT, m->confidence,
        "batch-frames", G_TYPE_UINT, m->batch_frames, nullptr);
    gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), st));
  }
  return GST_FLOW_OK;
}

void gst_edgert_infer_set_property(GObject* object, guint id, const GValue* value,
                                   GParamSpec* pspec) {
  GstEdgertInfer* self = GST_EDGERT_INFER(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_ENGINE:
      g_free(self->engine_path);
      self->engine_path = g_value_dup_string(value);
      break;
    case PROP_BATCH_SIZE: self->batch_size = g_value_get_uint(value); break;
    case PROP_INTERVAL: self->interval = g_value_get_uint(value); break;
    case PROP_UNIQUE_ID: self->unique_id = g_value_get_uint(value); break;
    case PROP_TOP_K: self->top_k = g_value_get_uint(value); break;
    case PROP_OUTPUT_TENSOR_META: self->output_tensor_meta = g_value_get_boolean(value); break;
    case PROP_POST_MESSAGES: self->post_messages = g_value_get_boolean(value); break;
    case PROP_BATCH_GROUP:
      g_free(self->batch_group);
      self->batch_group = g_value_dup_string(value);
      break;
    case PROP_MAX_LATENCY: self->max_latency_ms = g_value_get_uint(value); break;
    case PROP_PREPROCESS: self->preprocess = g_value_get_enum(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

void gst_edgert_infer_get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
  GstEdgertInfer* self = GST_EDGERT_INFER(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_ENGINE: g_value_set_string(value, self->engine_path); break;
    case PROP_BATCH_SIZE: g_value_set_uint(value, self->batch_size); break;
    case PROP_INTERVAL: g_value_set_uint(value, self->interval); break;
    case PROP_UNIQUE_ID: g_value_set_uint(value, self->unique_id); break;
    case PROP_TOP_K: g_value_set_uint(value, self->top_k); break;
    case PROP_OUTPUT_TENSOR_META: g_value_set_boolean(value, self->output_tensor_meta); break;
    case PROP_POST_MESSAGES: g_value_set_boolean(value, self->post_messages); break;
    case PROP_BATCH_GROUP: g_value_set_string(value, self->batch_group); break;
    case PROP_MAX_LATENCY: g_value_set_uint(value, self->max_latency_ms); break;
    case PROP_PREPROCESS: g_value_set_enum(value, self->preprocess); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

void gst_edgert_infer_finalize(GObject* object) {
  GstEdgertInfer* self = GST_EDGERT_INFER(object);
  g_free(self->engine_path);
  g_free(self->batch_group);
  delete self->state;
  G_OBJECT_CLASS(gst_edgert_infer_parent_class)->finalize(object);
}

}  // namespace

static void gst_edgert_infer_class_init(GstEdgertInferClass* klass) {
  GObjectClass* gobject = G_OBJECT_CLASS(klass);
  GstElementClass* element = GST_ELEMENT_CLASS(klass);
  GstBaseTransformClass* base = GST_BASE_TRANSFORM_CLASS(klass);
  gobject->set_property = gst_edgert_infer_set_property;
  gobject->get_property = gst_edgert_infer_get_property;
  gobject->finalize = gst_edgert_infer_finalize;
  const auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                           GST_PARAM_MUTABLE_READY);
  g_object_class_install_property(
      gobject, PROP_ENGINE,
      g_param_spec_string("engine", "Engine", "EdgeRT engine file (edgert build --save-engine)",
                          nullptr, rw));
  g_object_class_install_property(
      gobject, PROP_BATCH_SIZE,
      g_param_spec_uint("batch-size", "Batch size",
                        "Frames per inference (0: the engine's batch; at most the engine's)", 0,
                        1024, 0, rw));
  g_object_class_install_property(
      gobject, PROP_INTERVAL,
      g_param_spec_uint("interval", "Interval",
                        "Frames to skip between inferences (skipped frames carry the last result)",
                        0, G_MAXINT, 0, rw));
  g_object_class_install_property(
      gobject, PROP_UNIQUE_ID,
      g_param_spec_uint("unique-id", "Unique ID", "Identifies this element's results in metadata",
                        0, G_MAXUINT, 1, rw));
  g_object_class_install_property(
      gobject, PROP_TOP_K,
      g_param_spec_uint("top-k", "Top k", "Classes kept in the metadata", 1, GST_EDGERT_MAX_TOP_K,
                        5, rw));
  g_object_class_install_property(
      gobject, PROP_OUTPUT_TENSOR_META,
      g_param_spec_boolean("output-tensor-meta", "Output tensor meta",
                           "Attach the raw output row as GstEdgertTensorMeta", FALSE, rw));
  g_object_class_install_property(
      gobject, PROP_POST_MESSAGES,
      g_param_spec_boolean("post-messages", "Post messages",
                           "Post an \"edgert-classification\" element message per inference", TRUE,
                           rw));
  g_object_class_install_property(
      gobject, PROP_BATCH_GROUP,
      g_param_spec_string("batch-group", "Batch group",
                          "Elements with the same engine and group share one model and batch "
                          "their streams' frames into one inference (empty: a model of its own)",
                          nullptr, rw));
  g_object_class_install_property(
      gobject, PROP_MAX_LATENCY,
      g_param_spec_uint("max-latency", "Maximum latency",
                        "Milliseconds a frame waits for the other streams of its batch group "
                        "before its batch runs incomplete",
                        0, 10000, 20, rw));
  g_object_class_install_property(
      gobject, PROP_PREPROCESS,
      g_param_spec_enum("preprocess", "Preprocess",
                        "Where frames are converted, resized and normalised into the engine "
                        "input (every element of a batch group must agree)",
                        edgert_preprocess_get_type(), kPreprocessAuto, rw));
  gst_element_class_set_static_metadata(
      element, "EdgeRT classifier", "Filter/Analyzer/Video",
      "Classifies video frames with an EdgeRT engine and attaches the result as metadata",
      "EdgeRT authors");
  gst_element_class_add_static_pad_template(element, &sink_template);
  gst_element_class_add_static_pad_template(element, &src_template);
  base->start = gst_edgert_infer_start;
  base->stop = gst_edgert_infer_stop;
  base->set_caps = gst_edgert_infer_set_caps;
  base->transform_ip = gst_edgert_infer_transform_ip;
  base->sink_event = gst_edgert_infer_sink_event;
  base->passthrough_on_same_caps = FALSE;
  GST_DEBUG_CATEGORY_INIT(gst_edgert_infer_debug, "edgertinfer", 0, "EdgeRT inference");
}

static void gst_edgert_infer_init(GstEdgertInfer* self) {
  self->engine_path = nullptr;
  self->batch_size = 0;
  self->interval = 0;
  self->unique_id = 1;
  self->top_k = 5;
  self->output_tensor_meta = FALSE;
  self->post_messages = TRUE;
  self->batch_group = nullptr;
  self->max_latency_ms = 20;
  self->preprocess = kPreprocessAuto;
  self->state = new GstEdgertInferState();
  gst_base_transform_set_in_place(GST_BASE_TRANSFORM(self), TRUE);
}
