// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// camera_classify: N camera streams, one EdgeRT engine, a classification on every frame.
//
//   camera_classify --engine E [--source URI]... [--frames N] [--max-latency MS]
//   camera_classify --engine E --scenes IMAGES.npy --labels LABELS.npy [--streams N] [--frames N]
//   ... [--annotate DIR]   (the last 5 frames of each stream, labelled by edgertoverlay, as PNG)
//   ... [--fps F]          (synthetic cameras deliver F frames per second, as a live camera)
//   ... [--preprocess cpu] (edgertinfer's "preprocess": CPU even for CUDA engines)
//
// Each stream is a GStreamer branch "... ! edgertinfer batch-group=camera_classify ! fakesink":
// the streams' frames are batched into shared inferences (docs/gstreamer.md). A --source is
// "test" (videotestsrc), a device ("/dev/video0", v4l2src) or a URI (file://, rtsp://, ...,
// uridecodebin). With --scenes, the streams are synthetic cameras showing the scenes of a
// labelled set (stream k shows scenes k, k+N, k+2N, ...), and the accuracy measured through the
// pipeline is printed, with each frame's latency from its push into the pipeline to its result
// (a probe on edgertinfer's source pad). Per stream it prints frames, fps and the most frequent
// top-1; at the end, the memory EdgeRT holds (host, pinned, device: current and peak).

#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/npy.h"
#include "edgert/memory.h"
#include "gst/edgert/edgertmeta.h"

namespace {

struct StreamStats {
  std::uint64_t frames = 0;
  std::uint64_t correct = 0;
  std::uint64_t labelled = 0;
  std::map<std::string, int> top1;
  std::chrono::steady_clock::time_point first, last;
};

void print_error(GstMessage* m) {
  GError* e = nullptr;
  gchar* dbg = nullptr;
  gst_message_parse_error(m, &e, &dbg);
  std::fprintf(stderr, "camera_classify: %s (%s)\n", e->message, dbg ? dbg : "");
  g_error_free(e);
  g_free(dbg);
}

std::string source_branch(const std::string& src) {
  if (src == "test") return "videotestsrc is-live=false";
  if (src.rfind("/dev/video", 0) == 0) return "v4l2src device=" + src;
  return "uridecodebin uri=\"" + src + "\"";
}

using Clock = std::chrono::steady_clock;

/// Push times of the synthetic cameras' frames and the latencies their results saw.
struct Latency {
  std::vector<std::vector<Clock::time_point>> pushed;  // [stream][frame]
  std::mutex mu;
  std::vector<double> ms;
};

struct ProbeArg {
  Latency* lat;
  int stream;
  std::uint64_t warmup;  // frames of each stream left out of the statistics
};

/// On edgertinfer's source pad: the frame's result is attached; its latency is now - push time.
GstPadProbeReturn on_result(GstPad*, GstPadProbeInfo* info, gpointer data) {
  const auto now = Clock::now();
  auto* a = static_cast<ProbeArg*>(data);
  const GstEdgertClassificationMeta* m =
      gst_buffer_get_edgert_classification_meta(GST_PAD_PROBE_INFO_BUFFER(info));
  const auto& pushed = a->lat->pushed[static_cast<std::size_t>(a->stream)];
  if (m && m->frame_number < pushed.size() && m->frame_number >= a->warmup) {
    const double ms =
        std::chrono::duration<double, std::milli>(now - pushed[m->frame_number]).count();
    std::lock_guard<std::mutex> lock(a->lat->mu);
    a->lat->ms.push_back(ms);
  }
  return GST_PAD_PROBE_OK;
}

/// The directory of EdgeRT's GStreamer plugin relative to this program: <build>/pipelines in a
/// build tree (the program in <build>/examples), <prefix>/lib/gstreamer-1.0 in an installed tree
/// or a deployment bundle (the program in <prefix>/bin). "" when neither holds it. No absolute
/// path is built in, so an installed tree can move.
std::string plugin_dir() {
  gchar* exe = g_file_read_link("/proc/self/exe", nullptr);
  if (!exe) return "";
  gchar* bin = g_path_get_dirname(exe);
  std::string found;
  for (const char* rel : {"../pipelines", "../lib/gstreamer-1.0"}) {
    gchar* dir = g_build_filename(bin, rel, nullptr);
    gchar* so = g_build_filename(dir, "libgstedgert.so", nullptr);
    if (found.empty() && g_file_test(so, G_FILE_TEST_EXISTS)) found = dir;
    g_free(so);
    g_free(dir);
  }
  g_free(bin);
  g_free(exe);
  return found;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0.0;
  const auto k = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Classify N camera streams with one EdgeRT engine (GStreamer, batched)"};
  std::string engine, scenes, labels;
  std::vector<std::string> sources;
  int streams = 4, frames = 250;
  unsigned max_latency = 20;
  std::string annotate;
  bool separate = false;
  double fps = 0;
  std::string preprocess = "auto";
  int warmup = 10;
  app.add_option("--engine", engine, "EdgeRT engine with a preprocessing spec")->required();
  app.add_option("--source", sources, "test, /dev/videoN or a URI (repeat for more streams)");
  app.add_option("--scenes", scenes, "uint8 [N,H,W,3] RGB scenes (.npy) for synthetic cameras");
  app.add_option("--labels", labels, "int64 [N] labels of --scenes (.npy)");
  app.add_option("--streams", streams, "Synthetic camera streams (with --scenes)")
      ->check(CLI::Range(1, 64));
  app.add_option("--frames", frames, "Frames per stream")->check(CLI::Range(1, 1000000));
  app.add_option("--max-latency", max_latency, "ms a frame waits for the other streams' frames");
  app.add_flag("--no-batching", separate,
               "Give each stream an engine and context of its own (no batch group)");
  app.add_option("--annotate", annotate,
                 "Write each stream's last 5 frames with the result drawn (edgertoverlay) as PNG "
                 "files DIR/stream<k>_<n>.png");
  app.add_option("--fps", fps,
                 "Synthetic cameras deliver this many frames per second (0: as fast as the "
                 "pipeline takes them)")
      ->check(CLI::Range(0.0, 100000.0));
  app.add_option("--preprocess", preprocess, "edgertinfer's preprocess property")
      ->check(CLI::IsMember({"auto", "cpu"}));
  app.add_option("--warmup", warmup,
                 "First frames of each synthetic camera left out of the latency statistics "
                 "(engine and pipeline start-up)")
      ->check(CLI::Range(0, 1000000));
  CLI11_PARSE(app, argc, argv);
  if (scenes.empty() == sources.empty()) {
    std::fprintf(stderr, "camera_classify: give either --scenes (synthetic cameras) or --source\n");
    return 2;
  }
  // EdgeRT's plugin next to this program, unless the environment points GStreamer elsewhere.
  if (!g_getenv("GST_PLUGIN_PATH")) {
    const std::string dir = plugin_dir();
    if (!dir.empty()) g_setenv("GST_PLUGIN_PATH", dir.c_str(), TRUE);
  }
  gst_init(&argc, &argv);

  edgert::Tensor images, truth;
  if (!scenes.empty()) {
    auto im = edgert::read_npy(scenes);
    if (!im || im->dtype() != edgert::DataType::kUInt8 || im->shape().rank() != 4 ||
        im->shape()[3] != 3) {
      std::fprintf(stderr, "camera_classify: --scenes %s: %s\n", scenes.c_str(),
                   im ? "expected uint8 [N,H,W,3]" : im.status().to_string().c_str());
      return 1;
    }
    images = std::move(im).value();
    if (!labels.empty()) {
      auto lb = edgert::read_npy(labels);
      if (!lb || lb->dtype() != edgert::DataType::kInt64 || lb->numel() != images.shape()[0]) {
        std::fprintf(stderr, "camera_classify: --labels %s: %s\n", labels.c_str(),
                     lb ? "expected int64 [N] matching --scenes" : lb.status().to_string().c_str());
        return 1;
      }
      truth = std::move(lb).value();
    }
    sources.assign(static_cast<std::size_t>(streams), "scenes");
  }
  const int n = static_cast<int>(sources.size());
  const std::int64_t h = images.empty() ? 0 : images.shape()[1];
  const std::int64_t w = images.empty() ? 0 : images.shape()[2];

  std::string desc;
  if (!annotate.empty()) g_mkdir_with_parents(annotate.c_str(), 0755);
  for (int k = 0; k < n; ++k) {
    // The sink: nothing, or the frame scaled up, labelled and written as PNG.
    const std::string sink =
        annotate.empty()
            ? std::string("fakesink sync=false")
            : "videoscale ! video/x-raw,width=320,height=240 ! edgertoverlay ! videoconvert ! "
              "pngenc ! multifilesink max-files=5 location=\"" +
                  annotate + "/stream" + std::to_string(k) + "_%05d.png\"";
    const std::string infer = "edgertinfer name=infer" + std::to_string(k) + " engine=\"" + engine +
                              (separate ? std::string("\"") : "\" batch-group=camera_classify") +
                              " max-latency=" + std::to_string(max_latency) +
                              " preprocess=" + preprocess + " unique-id=" + std::to_string(k);
    if (sources[static_cast<std::size_t>(k)] == "scenes")
      desc += "appsrc name=src" + std::to_string(k) +
              " format=time caps=video/x-raw,format=RGB,width=" + std::to_string(w) +
              ",height=" + std::to_string(h) + ",framerate=30/1 ! " + infer + " ! " + sink + " ";
    else
      desc += source_branch(sources[static_cast<std::size_t>(k)]) +
              " num-buffers=" + std::to_string(frames) + " ! videoconvert ! " + infer + " ! " +
              sink + " ";
  }
  GError* err = nullptr;
  GstElement* pipeline = gst_parse_launch(desc.c_str(), &err);
  if (!pipeline || err) {
    std::fprintf(stderr, "camera_classify: pipeline: %s\n", err ? err->message : "failed");
    return 1;
  }
  GstBus* bus = gst_element_get_bus(pipeline);
  if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    GstMessage* m = gst_bus_timed_pop_filtered(bus, GST_SECOND, GST_MESSAGE_ERROR);
    if (m) {
      print_error(m);
      gst_message_unref(m);
    }
    return 1;
  }

  // Synthetic cameras: one feeding thread per stream, each frame's push time kept.
  std::vector<std::thread> feeders;
  Latency latency;
  std::vector<ProbeArg> probe_args(static_cast<std::size_t>(n));
  if (!images.empty()) {
    latency.pushed.assign(static_cast<std::size_t>(n),
                          std::vector<Clock::time_point>(static_cast<std::size_t>(frames)));
    for (int k = 0; k < n; ++k) {
      probe_args[static_cast<std::size_t>(k)] = {&latency, k, static_cast<std::uint64_t>(warmup)};
      GstElement* infer =
          gst_bin_get_by_name(GST_BIN(pipeline), ("infer" + std::to_string(k)).c_str());
      GstPad* pad = gst_element_get_static_pad(infer, "src");
      gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_result,
                        &probe_args[static_cast<std::size_t>(k)], nullptr);
      gst_object_unref(pad);
      gst_object_unref(infer);
    }
    const std::int64_t frame_bytes = h * w * 3;
    const auto start = Clock::now();
    for (int k = 0; k < n; ++k)
      feeders.emplace_back([&, k, frame_bytes, start] {
        GstElement* src =
            gst_bin_get_by_name(GST_BIN(pipeline), ("src" + std::to_string(k)).c_str());
        for (int i = 0; i < frames; ++i) {
          if (fps > 0)  // a live camera: frame i is ready at i / fps
            std::this_thread::sleep_until(
                start + std::chrono::duration_cast<Clock::duration>(
                            std::chrono::duration<double>(static_cast<double>(i) / fps)));
          const std::int64_t scene = (static_cast<std::int64_t>(i) * n + k) % images.shape()[0];
          GstBuffer* b = gst_buffer_new_allocate(nullptr, static_cast<gsize>(frame_bytes), nullptr);
          gst_buffer_fill(b, 0, images.data<std::uint8_t>() + scene * frame_bytes,
                          static_cast<gsize>(frame_bytes));
          GST_BUFFER_PTS(b) = gst_util_uint64_scale(static_cast<guint64>(i), GST_SECOND, 30);
          GST_BUFFER_OFFSET(b) = static_cast<guint64>(scene);
          latency.pushed[static_cast<std::size_t>(k)][static_cast<std::size_t>(i)] = Clock::now();
          if (gst_app_src_push_buffer(GST_APP_SRC(src), b) != GST_FLOW_OK) break;
        }
        gst_app_src_end_of_stream(GST_APP_SRC(src));
        gst_object_unref(src);
      });
  }

  std::vector<StreamStats> stats(static_cast<std::size_t>(n));
  int rc = 0;
  for (bool done = false; !done;) {
    GstMessage* m = gst_bus_timed_pop(bus, GST_CLOCK_TIME_NONE);
    switch (GST_MESSAGE_TYPE(m)) {
      case GST_MESSAGE_ELEMENT: {
        const GstStructure* s = gst_message_get_structure(m);
        if (!gst_structure_has_name(s, "edgert-classification")) break;
        guint id = 0;
        guint64 frame = 0;
        gint cls = -1;
        gst_structure_get_uint(s, "unique-id", &id);
        gst_structure_get_uint64(s, "frame-number", &frame);
        gst_structure_get_int(s, "class-id", &cls);
        const char* label = gst_structure_get_string(s, "label");
        if (id >= stats.size()) break;
        StreamStats& st = stats[id];
        const auto now = std::chrono::steady_clock::now();
        if (st.frames++ == 0) st.first = now;
        st.last = now;
        st.top1[label && *label ? label : std::to_string(cls)]++;
        if (!truth.empty()) {
          const std::int64_t scene = (static_cast<std::int64_t>(frame) * n + id) % truth.numel();
          ++st.labelled;
          st.correct += truth.data<std::int64_t>()[scene] == cls;
        }
        break;
      }
      case GST_MESSAGE_ERROR: {
        print_error(m);
        rc = 1;
        done = true;
        break;
      }
      case GST_MESSAGE_EOS: done = true; break;
      default: break;
    }
    gst_message_unref(m);
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  for (auto& t : feeders) t.join();

  std::uint64_t total = 0, correct = 0, labelled = 0;
  double total_fps = 0;
  std::printf("stream  frames      fps  most frequent top-1%s\n",
              truth.empty() ? "" : "   accuracy");
  for (int k = 0; k < n; ++k) {
    const StreamStats& st = stats[static_cast<std::size_t>(k)];
    const double secs = std::chrono::duration<double>(st.last - st.first).count();
    std::string best;
    int best_n = 0;
    for (const auto& [l, c] : st.top1)
      if (c > best_n) best = l, best_n = c;
    const double stream_fps =
        st.frames > 1 && secs > 0 ? static_cast<double>(st.frames - 1) / secs : 0.0;
    total_fps += stream_fps;
    std::printf("%6d %7llu %8.1f  %-20s", k, static_cast<unsigned long long>(st.frames), stream_fps,
                best.c_str());
    if (st.labelled)
      std::printf("  %6.2f %%",
                  100.0 * static_cast<double>(st.correct) / static_cast<double>(st.labelled));
    std::printf("\n");
    total += st.frames;
    correct += st.correct;
    labelled += st.labelled;
  }
  std::printf("total fps %.1f (%d streams)\n", total_fps, n);
  if (labelled)
    std::printf("accuracy through the pipeline: %.2f %% of %llu labelled frames (%d streams)\n",
                100.0 * static_cast<double>(correct) / static_cast<double>(labelled),
                static_cast<unsigned long long>(labelled), n);
  if (!latency.ms.empty()) {
    double sum = 0;
    for (double v : latency.ms) sum += v;
    std::printf(
        "latency per frame (push to result): mean %.2f ms, p50 %.2f ms, p99 %.2f ms, max "
        "%.2f ms over %zu frames (the first %d of each stream left out)\n",
        sum / static_cast<double>(latency.ms.size()), percentile(latency.ms, 50),
        percentile(latency.ms, 99), *std::max_element(latency.ms.begin(), latency.ms.end()),
        latency.ms.size(), warmup);
  }
  {
    auto& t = edgert::tracking_allocator();
    const auto mib = [](std::uint64_t b) { return static_cast<double>(b) / (1024.0 * 1024.0); };
    const auto host = t.usage(edgert::MemoryKind::kHost);
    const auto pinned = t.usage(edgert::MemoryKind::kPinned);
    const auto device = t.usage(edgert::MemoryKind::kDevice);
    std::printf(
        "EdgeRT memory peak: host %.1f MiB, pinned %.1f MiB, device %.1f MiB (device "
        "includes measured library handles)\n",
        mib(host.peak), mib(pinned.peak), mib(device.peak));
  }
  if (total != static_cast<std::uint64_t>(n) * static_cast<std::uint64_t>(frames) && rc == 0 &&
      !images.empty()) {
    std::fprintf(stderr, "camera_classify: %llu results for %d x %d frames\n",
                 static_cast<unsigned long long>(total), n, frames);
    rc = 1;
  }
  gst_object_unref(bus);
  gst_object_unref(pipeline);
  return rc;
}
