// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The edgertinfer element (pipelines/gst) with GstHarness and small pipelines, on the CPU
// backend: real Fashion-MNIST scenes in every accepted format, classified as the engine API
// classifies the same bytes; buffers unchanged; metadata, tensor metadata and element messages;
// interval; caps renegotiation; EOS; and clear errors for a missing, corrupt or unsuitable engine.

#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "core/npy.h"
#include "edgert/builder.h"
#include "edgert/engine.h"
#include "edgert/runtime.h"
#include "engine_build.h"
#include "fashion_eval.h"
#include "gst/edgert/edgertmeta.h"
#include "kernels/cpu/preprocess.h"
#include "test_util.h"

#ifndef EDGERT_TARGET_RUN
#define EDGERT_TARGET_RUN ""  // set by tests/CMakeLists.txt in cross builds
#endif

namespace fs = std::filesystem;
using namespace edgert;  // NOLINT(google-build-using-namespace): test file

namespace {

const std::string kWork = std::string(EDGERT_TEST_DATA_DIR) + "/gst";

void ensure_gst() {
  static bool done = [] {
    g_setenv("GST_PLUGIN_PATH", EDGERT_GST_PLUGIN_DIR, TRUE);
    // Plugins are scanned in this process: no gst-plugin-scanner child, which a cross build's
    // emulator could not start (it is a target binary too).
    g_setenv("GST_REGISTRY_FORK", "no", TRUE);
    // A registry of this test's own: the element is found in the build tree, nothing is written
    // to the user's cache.
    g_setenv("GST_REGISTRY", (kWork + "/registry.bin").c_str(), TRUE);
    fs::create_directories(kWork);
    gst_init(nullptr, nullptr);
    return true;
  }();
  (void)done;
}

struct Images {
  Tensor images;  // uint8 [N, 64, 64, 3] RGB
  Tensor labels;  // int64 [N]
};

const Images& fashion_images() {
  static Images im = [] {
    const std::string dir = std::string(EDGERT_TEST_DATA_DIR) + "/fashion_e2e";
    test::ensure_fashion_eval_set(dir);
    Images r;
    r.images = *read_npy(dir + "/fashion_test_images.npy");
    r.labels = *read_npy(dir + "/fashion_test_labels.npy");
    return r;
  }();
  return im;
}

/// Frame i converted to `format` in GStreamer's default layout (tight rows for RGB/BGR at width
/// 64: stride 192, 4-byte aligned).
std::vector<std::uint8_t> frame_bytes(int i, GstVideoFormat format, int* size_out = nullptr) {
  const Images& im = fashion_images();
  const int w = 64, h = 64;
  const std::uint8_t* rgb =
      im.images.data<std::uint8_t>() + static_cast<std::int64_t>(i) * w * h * 3;
  GstVideoInfo info;
  gst_video_info_set_format(&info, format, w, h);
  std::vector<std::uint8_t> out(GST_VIDEO_INFO_SIZE(&info), 0);
  auto at = [&](int p, int x, int y) {
    return out.data() + GST_VIDEO_INFO_PLANE_OFFSET(&info, p) +
           static_cast<std::size_t>(y) * GST_VIDEO_INFO_PLANE_STRIDE(&info, p) + x;
  };
  auto yuv = [](int r, int g, int b, int* Y, int* U, int* V) {  // BT.601 limited range
    *Y = std::clamp(static_cast<int>(std::lround(16 + 0.257 * r + 0.504 * g + 0.098 * b)), 0, 255);
    *U = std::clamp(static_cast<int>(std::lround(128 - 0.148 * r - 0.291 * g + 0.439 * b)), 0, 255);
    *V = std::clamp(static_cast<int>(std::lround(128 + 0.439 * r - 0.368 * g - 0.071 * b)), 0, 255);
  };
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const std::uint8_t* p = rgb + (y * w + x) * 3;
      int Y, U, V;
      switch (format) {
        case GST_VIDEO_FORMAT_RGB: std::memcpy(at(0, 3 * x, y), p, 3); break;
        case GST_VIDEO_FORMAT_BGR:
          for (int c = 0; c < 3; ++c) at(0, 3 * x, y)[c] = p[2 - c];
          break;
        case GST_VIDEO_FORMAT_RGBA:
          std::memcpy(at(0, 4 * x, y), p, 3);
          at(0, 4 * x, y)[3] = 255;
          break;
        case GST_VIDEO_FORMAT_BGRx:
          for (int c = 0; c < 3; ++c) at(0, 4 * x, y)[c] = p[2 - c];
          break;
        case GST_VIDEO_FORMAT_NV12:
        case GST_VIDEO_FORMAT_I420:
          yuv(p[0], p[1], p[2], &Y, &U, &V);
          *at(0, x, y) = static_cast<std::uint8_t>(Y);
          if (x % 2 == 0 && y % 2 == 0) {
            if (format == GST_VIDEO_FORMAT_NV12) {
              at(1, x, y / 2)[0] = static_cast<std::uint8_t>(U);
              at(1, x, y / 2)[1] = static_cast<std::uint8_t>(V);
            } else {
              *at(1, x / 2, y / 2) = static_cast<std::uint8_t>(U);
              *at(2, x / 2, y / 2) = static_cast<std::uint8_t>(V);
            }
          }
          break;
        default: FAIL("format");
      }
    }
  if (size_out) *size_out = static_cast<int>(out.size());
  return out;
}

/// The engine API's class for the same bytes (the library's own preprocessing + execute).
int api_class(const Engine& e, const std::vector<std::uint8_t>& bytes, GstVideoFormat format) {
  GstVideoInfo info;
  gst_video_info_set_format(&info, format, 64, 64);
  cpu::Frame f;
  const PixelFormat pf[] = {PixelFormat::kRGB,  PixelFormat::kBGR,  PixelFormat::kRGBA,
                            PixelFormat::kBGRx, PixelFormat::kNV12, PixelFormat::kI420};
  const GstVideoFormat gf[] = {GST_VIDEO_FORMAT_RGB,  GST_VIDEO_FORMAT_BGR,  GST_VIDEO_FORMAT_RGBA,
                               GST_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_I420};
  for (int k = 0; k < 6; ++k)
    if (gf[k] == format) f.format = pf[k];
  f.width = 64;
  f.height = 64;
  for (guint p = 0; p < GST_VIDEO_INFO_N_PLANES(&info); ++p) {
    f.planes[p] = bytes.data() + GST_VIDEO_INFO_PLANE_OFFSET(&info, p);
    f.strides[p] = GST_VIDEO_INFO_PLANE_STRIDE(&info, p);
  }
  auto in = Tensor::allocate(e.inputs()[0].dtype, e.inputs()[0].shape);
  REQUIRE(in);
  REQUIRE(cpu::preprocess_frame(f, e.preprocess(0), in->data<float>()).ok());
  auto ctx = e.create_context();
  REQUIRE(ctx);
  std::vector<Tensor> out;
  const Tensor* ip = &*in;
  REQUIRE((*ctx)->execute({ip}, out).ok());
  const float* row = out[0].data<float>();
  const std::int64_t n = out[0].numel() / e.inputs()[0].shape[0];
  return static_cast<int>(std::max_element(row, row + n) - row);
}

std::string engine_path() { return test::fashion_engine_file(kWork + "/fashion_b1.engine", 1); }

GstBuffer* make_buffer(const std::vector<std::uint8_t>& bytes, guint64 pts) {
  GstBuffer* b = gst_buffer_new_allocate(nullptr, bytes.size(), nullptr);
  gst_buffer_fill(b, 0, bytes.data(), bytes.size());
  GST_BUFFER_PTS(b) = pts;
  return b;
}

std::string caps_for(GstVideoFormat f, int w = 64, int h = 64) {
  return std::string("video/x-raw,format=") + gst_video_format_to_string(f) +
         ",width=" + std::to_string(w) + ",height=" + std::to_string(h) + ",framerate=30/1";
}

/// Runs `desc` (a pipeline) to PLAYING and returns the first error message's text ("" if none).
std::string pipeline_error(const std::string& desc, GstStateChangeReturn* ret) {
  ensure_gst();
  GError* err = nullptr;
  GstElement* p = gst_parse_launch(desc.c_str(), &err);
  REQUIRE(p);
  if (err) g_error_free(err);
  *ret = gst_element_set_state(p, GST_STATE_PLAYING);
  GstBus* bus = gst_element_get_bus(p);
  std::string text;
  GstMessage* m = gst_bus_timed_pop_filtered(bus, 5 * GST_SECOND,
                                             static_cast<GstMessageType>(GST_MESSAGE_ERROR));
  if (m) {
    GError* e = nullptr;
    gchar* dbg = nullptr;
    gst_message_parse_error(m, &e, &dbg);
    text = std::string(e->message) + " | " + (dbg ? dbg : "");
    g_error_free(e);
    g_free(dbg);
    gst_message_unref(m);
  }
  gst_object_unref(bus);
  gst_element_set_state(p, GST_STATE_NULL);
  gst_object_unref(p);
  return text;
}

}  // namespace

TEST_CASE("edgertinfer classifies every format as the engine API does, buffers unchanged",
          "[gst]") {
  ensure_gst();
  const std::string path = engine_path();
  auto engine = Engine::load(path);
  REQUIRE(engine);
  REQUIRE((*engine)->preprocess(0).enabled);
  for (GstVideoFormat format :
       {GST_VIDEO_FORMAT_RGB, GST_VIDEO_FORMAT_BGR, GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_BGRx,
        GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_I420}) {
    INFO(gst_video_format_to_string(format));
    GstHarness* h = gst_harness_new_parse(
        ("edgertinfer engine=\"" + path + "\" unique-id=7 top-k=3 output-tensor-meta=true")
            .c_str());
    gst_harness_set_src_caps_str(h, caps_for(format).c_str());
    for (int i = 0; i < 8; ++i) {
      const auto bytes = frame_bytes(i, format);
      GstBuffer* out = gst_harness_push_and_pull(h, make_buffer(bytes, i * 1000));
      REQUIRE(out);
      GstMapInfo map;
      REQUIRE(gst_buffer_map(out, &map, GST_MAP_READ));
      CHECK(map.size == bytes.size());
      CHECK(std::memcmp(map.data, bytes.data(), bytes.size()) == 0);
      gst_buffer_unmap(out, &map);
      const GstEdgertClassificationMeta* m = gst_buffer_get_edgert_classification_meta(out);
      REQUIRE(m);
      CHECK(m->unique_id == 7);
      CHECK(m->frame_number == static_cast<guint64>(i));
      CHECK(m->inferred);
      CHECK(m->class_id == api_class(**engine, bytes, format));
      const auto& labels = (*engine)->labels();
      CHECK(std::string(m->label) ==
            (labels.empty() ? std::string() : labels[static_cast<std::size_t>(m->class_id)]));
      CHECK(m->confidence > 0.f);
      CHECK(m->confidence <= 1.f);
      REQUIRE(m->top_k == 3);
      CHECK(m->top_ids[0] == m->class_id);
      CHECK(m->top_scores[0] >= m->top_scores[1]);
      CHECK(m->top_scores[1] >= m->top_scores[2]);
      const GstEdgertTensorMeta* t = gst_buffer_get_edgert_tensor_meta(out);
      REQUIRE(t);
      CHECK(static_cast<std::int64_t>(t->count) == (*engine)->outputs()[0].shape.numel());
      CHECK(std::max_element(t->data, t->data + t->count) - t->data == m->class_id);
      gst_buffer_unref(out);
    }
    gst_harness_teardown(h);
  }
}

TEST_CASE("edgertinfer: accuracy through the element, interval, messages, renegotiation, EOS",
          "[gst]") {
  ensure_gst();
  const std::string path = engine_path();
  const Images& im = fashion_images();

  // 200 scenes: the element's top-1 against the labels (the engine's is 88 % on the whole split).
  GstHarness* h = gst_harness_new_parse(("edgertinfer engine=\"" + path + "\"").c_str());
  GstBus* bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  gst_harness_set_src_caps_str(h, caps_for(GST_VIDEO_FORMAT_RGB).c_str());
  int correct = 0;
  const int n = 200;
  for (int i = 0; i < n; ++i) {
    GstBuffer* out =
        gst_harness_push_and_pull(h, make_buffer(frame_bytes(i, GST_VIDEO_FORMAT_RGB), i));
    const auto* m = gst_buffer_get_edgert_classification_meta(out);
    REQUIRE(m);
    correct += m->class_id == im.labels.data<std::int64_t>()[i];
    gst_buffer_unref(out);
  }
  std::printf("edgertinfer top-1 over %d Fashion-MNIST scenes: %.1f %%\n", n, 100.0 * correct / n);
  CHECK(correct >= n * 80 / 100);
  // One element message per inference, with the same result.
  int messages = 0;
  while (GstMessage* msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT)) {
    const GstStructure* s = gst_message_get_structure(msg);
    if (gst_structure_has_name(s, "edgert-classification")) ++messages;
    gst_message_unref(msg);
  }
  CHECK(messages == n);

  // Renegotiation: NV12 at another size mid-stream.
  gst_harness_set_src_caps_str(h, "video/x-raw,format=NV12,width=96,height=80,framerate=30/1");
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_NV12, 96, 80);
  std::vector<std::uint8_t> gray(GST_VIDEO_INFO_SIZE(&info), 128);
  GstBuffer* out = gst_harness_push_and_pull(h, make_buffer(gray, 0));
  REQUIRE(out);
  const auto* m = gst_buffer_get_edgert_classification_meta(out);
  REQUIRE(m);
  CHECK(m->inferred);
  CHECK(m->class_id >= 0);
  gst_buffer_unref(out);
  // EOS goes through.
  CHECK(gst_harness_push_event(h, gst_event_new_eos()));
  bool eos = false;
  while (GstEvent* ev = gst_harness_try_pull_event(h)) {
    eos = eos || GST_EVENT_TYPE(ev) == GST_EVENT_EOS;
    gst_event_unref(ev);
  }
  CHECK(eos);
  gst_element_set_bus(h->element, nullptr);
  gst_object_unref(bus);
  gst_harness_teardown(h);

  // interval=2: frames 0, 3, 6 are inferred; the others carry the last result.
  h = gst_harness_new_parse(("edgertinfer engine=\"" + path + "\" interval=2").c_str());
  gst_harness_set_src_caps_str(h, caps_for(GST_VIDEO_FORMAT_RGB).c_str());
  int last = -2;
  for (int i = 0; i < 7; ++i) {
    // Frame i shows scene i: a skipped frame keeps the class of the last inferred one.
    out = gst_harness_push_and_pull(h, make_buffer(frame_bytes(i, GST_VIDEO_FORMAT_RGB), i));
    m = gst_buffer_get_edgert_classification_meta(out);
    REQUIRE(m);
    INFO("frame " << i);
    CHECK(m->inferred == (i % 3 == 0));
    if (i % 3 == 0)
      last = m->class_id;
    else
      CHECK(m->class_id == last);
    gst_buffer_unref(out);
  }
  gst_harness_teardown(h);
}

TEST_CASE("edgertinfer: a missing, corrupt or unsuitable engine is a clear error", "[gst]") {
  ensure_gst();
  GstStateChangeReturn ret;
  std::string err = pipeline_error("videotestsrc num-buffers=2 ! edgertinfer ! fakesink", &ret);
  CHECK(ret == GST_STATE_CHANGE_FAILURE);
  CHECK(err.find("No engine") != std::string::npos);

  err = pipeline_error(
      "videotestsrc num-buffers=2 ! edgertinfer engine=" + kWork + "/missing.engine ! fakesink",
      &ret);
  CHECK(ret == GST_STATE_CHANGE_FAILURE);
  CHECK(err.find("missing.engine") != std::string::npos);

  const std::string corrupt = kWork + "/corrupt.engine";
  std::ofstream(corrupt) << "this is not an engine";
  err = pipeline_error("videotestsrc num-buffers=2 ! edgertinfer engine=" + corrupt + " ! fakesink",
                       &ret);
  CHECK(ret == GST_STATE_CHANGE_FAILURE);
  CHECK(err.find("Cannot load engine") != std::string::npos);
  CHECK(err.find("corrupt.engine") != std::string::npos);

  // An engine without a preprocessing spec cannot take frames.
  BuildConfig c;
  c.onnx_path = std::string(EDGERT_SOURCE_DIR) + "/examples/fashion/fashion_resnet.onnx";
  c.batch = 1;
  c.preprocess = "none";
  const std::string raw = test::build_engine_file(c, kWork + "/fashion_raw.engine");
  auto e = Engine::load(raw);
  REQUIRE(e);
  REQUIRE_FALSE((*e)->preprocess(0).enabled);
  err = pipeline_error("videotestsrc num-buffers=2 ! edgertinfer engine=" + raw + " ! fakesink",
                       &ret);
  CHECK(ret == GST_STATE_CHANGE_FAILURE);
  CHECK(err.find("cannot classify video frames") != std::string::npos);
  CHECK(err.find("preprocessing") != std::string::npos);

  // Caps outside the element's formats do not link.
  GError* perr = nullptr;
  GstElement* p = gst_parse_launch(("videotestsrc num-buffers=1 ! video/x-raw,format=GRAY16_LE ! "
                                    "edgertinfer engine=" +
                                    engine_path() + " ! fakesink")
                                       .c_str(),
                                   &perr);
  const bool refused = perr != nullptr || p == nullptr;
  if (perr) g_error_free(perr);
  if (p) {
    // Linked lazily: the negotiation fails when it runs.
    gst_element_set_state(p, GST_STATE_PLAYING);
    GstBus* bus = gst_element_get_bus(p);
    GstMessage* m = gst_bus_timed_pop_filtered(
        bus, 5 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_ERROR | GST_MESSAGE_EOS));
    REQUIRE(m);
    CHECK(GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR);
    gst_message_unref(m);
    gst_object_unref(bus);
    gst_element_set_state(p, GST_STATE_NULL);
    gst_object_unref(p);
  } else {
    CHECK(refused);
  }
}

TEST_CASE("edgertinfer: streams of a batch group share batches, in order, and EOS stalls none",
          "[gst]") {
  ensure_gst();
  // A batch-4 engine shared by 4 streams; each stream shows its own scenes. Stream 0 ends after 3
  // frames: the other three must go on in batches of 3 without waiting for it. A long
  // max-latency makes a batch wait for every member stream that has not ended, so a stream that
  // ended but still counted would hold each later batch for 3 s.
  const std::string path = test::fashion_engine_file(kWork + "/fashion_b4.engine", 4);
  auto engine = Engine::load(path);
  REQUIRE(engine);
  constexpr int kStreams = 4, kFrames = 12, kEnded = 3;
  std::vector<GstHarness*> hs;
  for (int s = 0; s < kStreams; ++s) {
    hs.push_back(gst_harness_new_parse(
        ("edgertinfer engine=\"" + path +
         "\" batch-group=cams max-latency=3000 unique-id=" + std::to_string(s))
            .c_str()));
    gst_harness_set_src_caps_str(hs.back(), caps_for(GST_VIDEO_FORMAT_RGB).c_str());
  }
  struct Seen {
    int frame_number, class_id, batch_frames, unique_id;
  };
  std::vector<std::vector<Seen>> seen(kStreams);
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int s = 0; s < kStreams; ++s)
    threads.emplace_back([&, s] {
      const int n = s == 0 ? kEnded : kFrames;
      for (int i = 0; i < n; ++i) {
        GstBuffer* out = gst_harness_push_and_pull(
            hs[s], make_buffer(frame_bytes(s * 50 + i, GST_VIDEO_FORMAT_RGB), i));
        const auto* m = out ? gst_buffer_get_edgert_classification_meta(out) : nullptr;
        seen[s].push_back(m ? Seen{static_cast<int>(m->frame_number), m->class_id,
                                   static_cast<int>(m->batch_frames),
                                   static_cast<int>(m->unique_id)}
                            : Seen{-1, -1, 0, -1});
        if (out) gst_buffer_unref(out);
      }
      if (s == 0) gst_harness_push_event(hs[s], gst_event_new_eos());
    });
  for (auto& t : threads) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  int batched = 0;
  for (int s = 0; s < kStreams; ++s) {
    const int n = s == 0 ? kEnded : kFrames;
    REQUIRE(static_cast<int>(seen[s].size()) == n);
    for (int i = 0; i < n; ++i) {
      INFO("stream " << s << " frame " << i);
      CHECK(seen[s][i].frame_number == i);  // never reordered, dropped or duplicated
      CHECK(seen[s][i].unique_id == s);
      CHECK(seen[s][i].class_id == api_class(**engine,
                                             frame_bytes(s * 50 + i, GST_VIDEO_FORMAT_RGB),
                                             GST_VIDEO_FORMAT_RGB));
      CHECK(seen[s][i].batch_frames >= 1);
      CHECK(seen[s][i].batch_frames <= 4);
      batched += seen[s][i].batch_frames > 1;
    }
  }
  std::printf("batch group: %d of %d frames shared an inference; %.2f s\n", batched,
              kEnded + (kStreams - 1) * kFrames, seconds);
  CHECK(batched == kEnded + (kStreams - 1) * kFrames);  // every batch waited for its members
  // 9 batches after stream 0 ended; waiting 3 s for it on each would take 27 s.
  CHECK(seconds < 20.0);
  for (GstHarness* h : hs) gst_harness_teardown(h);
}

TEST_CASE("camera_classify: synthetic cameras through the batched pipeline", "[gst][demo]") {
  ensure_gst();
  const std::string engine = test::fashion_engine_file(kWork + "/fashion_b4.engine", 4);
  const std::string dir = std::string(EDGERT_TEST_DATA_DIR) + "/fashion_e2e";
  test::ensure_fashion_eval_set(dir);
  const std::string out = kWork + "/camera_classify.out";
  const std::string png = kWork + "/annotated";
  fs::remove_all(png);
  const std::string cmd = std::string(EDGERT_TARGET_RUN) + "'" + EDGERT_CAMERA_CLASSIFY +
                          "' --engine '" + engine + "' --streams 3 --frames 40 --scenes '" + dir +
                          "/fashion_test_images.npy' --labels '" + dir +
                          "/fashion_test_labels.npy' --annotate '" + png + "' > '" + out + "' 2>&1";
  const int rc = std::system(cmd.c_str());
  std::ifstream f(out);
  const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  INFO(text);
  REQUIRE(rc == 0);
  CHECK(text.find("accuracy through the pipeline") != std::string::npos);
  CHECK(text.find("of 120 labelled frames (3 streams)") != std::string::npos);
  const auto pos = text.find("accuracy through the pipeline: ");
  REQUIRE(pos != std::string::npos);
  const double acc = std::atof(text.c_str() + pos + std::strlen("accuracy through the pipeline: "));
  CHECK(acc >= 80.0);
  // The annotated output: the last 5 frames of each stream, as PNG files.
  int pngs = 0;
  for (const auto& e : fs::directory_iterator(png)) {
    std::ifstream p(e.path(), std::ios::binary);
    char magic[4] = {};
    p.read(magic, 4);
    pngs += std::string(magic + 1, 3) == "PNG";
  }
  CHECK(pngs == 15);

  // A missing engine is an error exit with the reason.
  const std::string bad = std::string(EDGERT_TARGET_RUN) + "'" + EDGERT_CAMERA_CLASSIFY +
                          "' --engine '" + kWork + "/none.engine' --source test --frames 5 > '" +
                          out + "' 2>&1";
  CHECK(std::system(bad.c_str()) != 0);
  std::ifstream g(out);
  const std::string err((std::istreambuf_iterator<char>(g)), std::istreambuf_iterator<char>());
  CHECK(err.find("none.engine") != std::string::npos);
}

TEST_CASE("edgertinfer on a CUDA engine: the CUDA preprocessing kernel agrees with the CPU's",
          "[gst][cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  ensure_gst();
  const std::string path = test::fashion_engine_file(kWork + "/fashion_b1_cuda.engine", 1, "cuda");
  auto cpu_engine = Engine::load(engine_path());
  REQUIRE(cpu_engine);
  for (GstVideoFormat format :
       {GST_VIDEO_FORMAT_RGB, GST_VIDEO_FORMAT_BGR, GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_BGRx,
        GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_I420}) {
    INFO(gst_video_format_to_string(format));
    GstHarness* kernel = gst_harness_new_parse(
        ("edgertinfer engine=\"" + path + "\" output-tensor-meta=true preprocess=auto").c_str());
    GstHarness* host = gst_harness_new_parse(
        ("edgertinfer engine=\"" + path + "\" output-tensor-meta=true preprocess=cpu").c_str());
    gst_harness_set_src_caps_str(kernel, caps_for(format).c_str());
    gst_harness_set_src_caps_str(host, caps_for(format).c_str());
    for (int i = 0; i < 8; ++i) {
      const auto bytes = frame_bytes(i, format);
      GstBuffer* a = gst_harness_push_and_pull(kernel, make_buffer(bytes, i * 1000));
      GstBuffer* b = gst_harness_push_and_pull(host, make_buffer(bytes, i * 1000));
      REQUIRE(a);
      REQUIRE(b);
      const GstEdgertTensorMeta* ta = gst_buffer_get_edgert_tensor_meta(a);
      const GstEdgertTensorMeta* tb = gst_buffer_get_edgert_tensor_meta(b);
      REQUIRE(ta);
      REQUIRE(tb);
      REQUIRE(ta->count == tb->count);
      double num = 0, den = 0;
      for (gsize k = 0; k < ta->count; ++k) {
        num += (ta->data[k] - tb->data[k]) * (ta->data[k] - tb->data[k]);
        den += tb->data[k] * tb->data[k];
      }
      CHECK(std::sqrt(num / den) < 1e-4);
      const GstEdgertClassificationMeta* m = gst_buffer_get_edgert_classification_meta(a);
      REQUIRE(m);
      CHECK(m->class_id == api_class(**cpu_engine, bytes, format));
      gst_buffer_unref(a);
      gst_buffer_unref(b);
    }
    gst_harness_teardown(kernel);
    gst_harness_teardown(host);
  }
}

TEST_CASE("pipelines/launch: the documented gst-launch lines run", "[gst][launch]") {
  // The scripts run this machine's gst-launch-1.0, which cannot load a cross-built plugin.
  if (!std::string(EDGERT_TARGET_RUN).empty())
    EDGERT_SKIP("cross build: the host's gst-launch-1.0 cannot load the target's plugin");
  ensure_gst();
  const std::string engine = engine_path();
  const std::string dir = kWork + "/launch";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string launch = std::string(EDGERT_SOURCE_DIR) + "/pipelines/launch/";
  const std::string env = "GST_PLUGIN_PATH='" EDGERT_GST_PLUGIN_DIR "' ";
  auto run = [&](const std::string& cmd) {
    const std::string full = env + cmd + " > '" + dir + "/log.txt' 2>&1";
    const int rc = std::system(full.c_str());
    std::ifstream f(dir + "/log.txt");
    const std::string out((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    INFO(full << "\n" << out);
    CHECK(rc == 0);
    return out;
  };
  run("SOURCE='videotestsrc num-buffers=20' SINK=fakesink bash " + launch + "one_camera.sh '" +
      engine + "'");
  run("SOURCE='videotestsrc num-buffers=10 pattern=ball' SINK=fakesink bash " + launch +
      "tiled_cameras.sh '" + engine + "' cam0 cam1");
  // File in, file out; an existing output is never overwritten.
  const std::string in = dir + "/in.webm", out = dir + "/out.webm";
  run("gst-launch-1.0 -q videotestsrc num-buffers=20 ! video/x-raw,width=160,height=120 ! "
      "vp8enc deadline=1 ! webmmux ! filesink location='" +
      in + "'");
  REQUIRE(fs::exists(in));
  run("bash " + launch + "file_to_file.sh '" + engine + "' '" + in + "' '" + out + "'");
  REQUIRE(fs::exists(out));
  const auto size = fs::file_size(out);
  CHECK(size > 1000);
  const int again = std::system((env + "bash " + launch + "file_to_file.sh '" + engine + "' '" +
                                 in + "' '" + out + "' 2>/dev/null")
                                    .c_str());
  CHECK(again != 0);
  CHECK(fs::file_size(out) == size);
}
