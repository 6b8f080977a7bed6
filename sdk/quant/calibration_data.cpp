// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "quant/calibration_data.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <utility>

#ifdef EDGERT_HAVE_OPENCV
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#endif

#include "core/npy.h"
#include "edgert/logger.h"
#include "kernels/cpu/preprocess.h"

namespace edgert::quant {
namespace {

namespace fs = std::filesystem;

std::string lower_extension(const fs::path& p) {
  std::string e = p.extension().string();
  for (char& ch : e) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return e;
}

// Extensions of the formats OpenCV's imgcodecs may read: a file named like this that OpenCV
// cannot read is a damaged image, not a stray file.
bool has_image_extension(const fs::path& p) {
  static const char* const kExts[] = {".png", ".jpg", ".jpeg", ".jpe", ".bmp", ".dib",  ".ppm",
                                      ".pgm", ".pbm", ".pnm",  ".pxm", ".tif", ".tiff", ".webp",
                                      ".jp2", ".exr", ".hdr",  ".pic", ".sr",  ".ras"};
  const std::string e = lower_extension(p);
  return std::any_of(std::begin(kExts), std::end(kExts), [&](const char* x) { return e == x; });
}

bool opencv_can_read(const std::string& path) {
#ifdef EDGERT_HAVE_OPENCV
  try {
    return cv::haveImageReader(path);
  } catch (const cv::Exception&) {
    return false;
  }
#else
  (void)path;
  return false;
#endif
}

// Regular, non-hidden files of `dir` in byte-wise name order.
Expected<std::vector<fs::path>> list_files(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec))
    return make_error(StatusCode::kNotFound, "calibration data '" + dir + "' does not exist");
  if (!fs::is_directory(dir, ec))
    return make_error(StatusCode::kInvalidArgument,
                      "calibration data '" + dir + "' is not a directory");
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    if (p.filename().string().rfind('.', 0) == 0) continue;  // hidden
    std::error_code fec;
    if (it->is_regular_file(fec)) files.push_back(p);
  }
  if (ec)
    return make_error(StatusCode::kIoError,
                      "calibration data '" + dir + "': cannot list the directory: " + ec.message());
  std::sort(files.begin(), files.end(),
            [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
  return files;
}

std::string input_label(const CalibrationInput& in) { return "input '" + in.name + "'"; }

// The spec an image source preprocesses with: the input's, its size completed from the shape and
// checked against it.
Expected<PreprocessSpec> image_spec(const CalibrationInput& in) {
  PreprocessSpec spec = in.preprocess;
  if (!spec.enabled)
    return make_error(StatusCode::kInvalidArgument,
                      input_label(in) +
                          " has no preprocessing spec (model metadata 'edgert.preprocess'): "
                          "image calibration data needs one to turn images into tensors");
  if (in.dtype != DataType::kFloat32)
    return make_error(StatusCode::kInvalidArgument,
                      input_label(in) + " is " + dtype_name(in.dtype) +
                          ": image calibration data feeds float32 inputs only");
  const Shape& s = in.shape;
  if (s.rank() != 4 || !s.is_static())
    return make_error(StatusCode::kInvalidArgument,
                      input_label(in) + " shape " + s.to_string() +
                          " is not a static 4-D image shape (NCHW or NHWC)");
  const bool nchw = spec.layout == TensorLayout::kNCHW;
  const std::int64_t c = nchw ? s[1] : s[3], h = nchw ? s[2] : s[1], w = nchw ? s[3] : s[2];
  if (spec.width == 0) spec.width = static_cast<int>(w);
  if (spec.height == 0) spec.height = static_cast<int>(h);
  if (c != color_order_channels(spec.color) || h != spec.height || w != spec.width)
    return make_error(StatusCode::kInvalidArgument,
                      input_label(in) + " shape " + s.to_string() + " disagrees with its " +
                          "preprocessing (" + std::to_string(spec.width) + "x" +
                          std::to_string(spec.height) + ", " +
                          std::to_string(color_order_channels(spec.color)) + " channel(s), " +
                          tensor_layout_name(spec.layout) + ")");
  return spec;
}

std::int64_t sample_bytes(const CalibrationInput& in) {
  return in.shape.numel() / in.shape[0] * static_cast<std::int64_t>(dtype_size(in.dtype));
}

class ImageFileReader final : public SampleReader {
 public:
  ImageFileReader(std::vector<std::string> files, PreprocessSpec spec)
      : files_(std::move(files)), spec_(spec) {}
  std::int64_t num_samples() const override { return static_cast<std::int64_t>(files_.size()); }
  Status read(std::int64_t index, void* dst) override {
    const std::string& path = files_[static_cast<std::size_t>(index)];
#ifndef EDGERT_HAVE_OPENCV
    (void)dst;
    return make_error(StatusCode::kUnsupported,
                      path +
                          ": this EdgeRT builder was built without OpenCV and decodes no "
                          "images; calibrate from tensor files (.npy/.bin) instead");
#else
    cv::Mat img;
    try {
      // 8-bit, 3 channels in OpenCV's B,G,R order: fed as a BGR frame, which is the same as
      // converting to RGB first (the kernel only reorders packed channels).
      img = cv::imread(path, cv::IMREAD_COLOR);
    } catch (const cv::Exception& e) {
      return make_error(StatusCode::kParseError, path + ": OpenCV failed to decode: " + e.what());
    }
    if (img.empty() || img.type() != CV_8UC3)
      return make_error(StatusCode::kParseError, path + ": OpenCV cannot decode this image");
    const cpu::Frame f = cpu::packed_frame(PixelFormat::kBGR, img.cols, img.rows, img.data,
                                           static_cast<std::int64_t>(img.step[0]));
    Status st = cpu::preprocess_frame(f, spec_, static_cast<float*>(dst));
    return st.ok() ? st : st.with_context(path);
#endif
  }

 private:
  std::vector<std::string> files_;
  PreprocessSpec spec_;
};

class ImageNpyReader final : public SampleReader {
 public:
  ImageNpyReader(Tensor images, std::string path, PreprocessSpec spec)
      : images_(std::move(images)), path_(std::move(path)), spec_(spec) {}
  std::int64_t num_samples() const override { return images_.shape()[0]; }
  Status read(std::int64_t index, void* dst) override {
    const Shape& s = images_.shape();
    const bool gray = s.rank() == 3 || s[3] == 1;
    const int h = static_cast<int>(s[1]), w = static_cast<int>(s[2]);
    const std::int64_t bytes = s.numel() / s[0];
    const cpu::Frame f = cpu::packed_frame(gray ? PixelFormat::kGray : PixelFormat::kRGB, w, h,
                                           images_.data<std::uint8_t>() + index * bytes);
    Status st = cpu::preprocess_frame(f, spec_, static_cast<float*>(dst));
    return st.ok() ? st : st.with_context(path_ + " image " + std::to_string(index));
  }

 private:
  Tensor images_;
  std::string path_;
  PreprocessSpec spec_;
};

// .npy or raw .bin files, each holding `counts[i]` samples; the file being read is cached.
class TensorFileReader final : public SampleReader {
 public:
  TensorFileReader(std::vector<std::string> files, std::vector<std::int64_t> counts,
                   std::int64_t sample_bytes)
      : files_(std::move(files)), sample_bytes_(sample_bytes) {
    starts_.push_back(0);
    for (std::int64_t c : counts) starts_.push_back(starts_.back() + c);
  }
  std::int64_t num_samples() const override { return starts_.back(); }
  Status read(std::int64_t index, void* dst) override {
    const auto f = static_cast<std::size_t>(
        std::upper_bound(starts_.begin(), starts_.end(), index) - starts_.begin() - 1);
    if (f != cached_) {
      const std::string& path = files_[f];
      if (lower_extension(path) == ".npy") {
        EDGERT_ASSIGN_OR_RETURN(Tensor t, read_npy(path));
        data_.assign(static_cast<const char*>(t.raw()), t.nbytes());
      } else {
        std::ifstream in(path, std::ios::binary);
        if (!in) return make_error(StatusCode::kNotFound, path + ": cannot open");
        data_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      }
      const auto want = static_cast<std::size_t>((starts_[f + 1] - starts_[f]) * sample_bytes_);
      if (data_.size() != want)
        return make_error(StatusCode::kIoError, path + ": the file changed while calibrating");
      cached_ = f;
    }
    std::memcpy(dst, data_.data() + (index - starts_[f]) * sample_bytes_,
                static_cast<std::size_t>(sample_bytes_));
    return Status::ok_status();
  }

 private:
  std::vector<std::string> files_;
  std::vector<std::int64_t> starts_;
  std::int64_t sample_bytes_;
  std::size_t cached_ = static_cast<std::size_t>(-1);
  std::string data_;
};

// How many samples a tensor of `shape` holds for the input: one sample (the input shape without
// the batch dim), or K of them ([K, rest...]).
Expected<std::int64_t> samples_in(const Shape& shape, const CalibrationInput& in,
                                  const std::string& path) {
  const auto& d = in.shape.dims();
  const std::vector<std::int64_t> rest(d.begin() + 1, d.end());
  const auto& s = shape.dims();
  if (s == rest) return std::int64_t{1};
  if (s.size() == d.size() && std::vector<std::int64_t>(s.begin() + 1, s.end()) == rest)
    return s[0];
  return make_error(StatusCode::kInvalidArgument,
                    path + ": shape " + shape.to_string() + " does not fit " + input_label(in) +
                        " of shape " + in.shape.to_string() + " (expected " +
                        Shape(rest).to_string() + " for one sample or [K," +
                        Shape(rest).to_string().substr(1) + " for K samples)");
}

Status check_input(const CalibrationInput& in) {
  if (in.shape.rank() == 0 || !in.shape.is_static() || in.shape[0] <= 0)
    return make_error(StatusCode::kInvalidArgument,
                      input_label(in) + " shape " + in.shape.to_string() +
                          " must be static with a batch dimension first");
  if (dtype_size(in.dtype) == 0)
    return make_error(StatusCode::kInvalidArgument, input_label(in) + " has no dtype");
  return Status::ok_status();
}

}  // namespace

Expected<CalibrationData> CalibrationData::from_reader(std::shared_ptr<SampleReader> reader,
                                                       const CalibrationInput& input,
                                                       const CalibrationDataOptions& opts,
                                                       const std::string& what) {
  EDGERT_RETURN_IF_ERROR(check_input(input));
  std::int64_t count = reader->num_samples();
  if (opts.max_samples > 0) count = std::min(count, opts.max_samples);
  const std::int64_t b = input.shape[0];
  if (count < b)
    return make_error(StatusCode::kInvalidArgument,
                      what + ": " + std::to_string(count) + " sample(s), fewer than one batch of " +
                          std::to_string(b) + " for " + input_label(input));
  if (count % b != 0)
    EDGERT_LOG(kWarning, what << ": the last " << count % b << " sample(s) do not fill a batch of "
                              << b << " and are not used");
  CalibrationData d;
  d.reader_ = std::move(reader);
  d.input_ = input;
  d.batch_size_ = b;
  d.num_batches_ = static_cast<std::size_t>(count / b);
  d.description_ = what + " (" + std::to_string(count) + " samples, " +
                   std::to_string(d.num_batches_) + " batch(es) of " + std::to_string(b) + ")";
  return d;
}

CalibrationData CalibrationData::from_batches(std::vector<std::vector<Tensor>> batches) {
  CalibrationData d;
  d.num_batches_ = batches.size();
  d.batch_size_ = batches.empty() || batches[0].empty() || batches[0][0].shape().rank() == 0
                      ? 1
                      : batches[0][0].shape()[0];
  d.batches_ = std::move(batches);
  d.description_ = std::to_string(d.num_batches_) + " batch(es) given in memory";
  return d;
}

Expected<std::vector<Tensor>> CalibrationData::batch(std::size_t i) const {
  if (i >= num_batches_)
    return make_error(StatusCode::kInvalidArgument, "calibration batch " + std::to_string(i) +
                                                        " of " + std::to_string(num_batches_) +
                                                        " does not exist");
  if (!reader_) return batches_[i];
  EDGERT_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(input_.dtype, input_.shape));
  const std::int64_t bytes = sample_bytes(input_);
  for (std::int64_t s = 0; s < batch_size_; ++s) {
    Status st = reader_->read(static_cast<std::int64_t>(i) * batch_size_ + s,
                              static_cast<char*>(t.raw()) + s * bytes);
    if (!st.ok()) return st.with_context("calibration batch " + std::to_string(i));
  }
  return std::vector<Tensor>{std::move(t)};
}

Expected<CalibrationData> CalibrationData::from_image_directory(
    const std::string& dir, const CalibrationInput& input, const CalibrationDataOptions& opts) {
  EDGERT_RETURN_IF_ERROR(check_input(input));
  EDGERT_ASSIGN_OR_RETURN(PreprocessSpec spec, image_spec(input));
  EDGERT_ASSIGN_OR_RETURN(std::vector<fs::path> files, list_files(dir));
  std::vector<std::string> images, skipped;
  for (const fs::path& p : files) {
    if (opencv_can_read(p.string())) {
      images.push_back(p.string());
    } else if (has_image_extension(p)) {
      return make_error(StatusCode::kParseError,
                        p.string() +
                            ": named like an image but OpenCV cannot read it "
                            "(damaged, empty or an unsupported variant)");
    } else {
      skipped.push_back(p.filename().string());
    }
  }
  if (!skipped.empty()) {
    std::string names;
    for (std::size_t i = 0; i < skipped.size() && i < 5; ++i) names += (i ? ", " : "") + skipped[i];
    if (skipped.size() > 5) names += ", ...";
    EDGERT_LOG(kWarning, "calibration images '" << dir << "': skipped " << skipped.size()
                                                << " file(s) that are not images: " << names);
  }
  if (images.empty())
    return make_error(
        StatusCode::kInvalidArgument,
        "calibration images '" + dir + "': the directory holds no image OpenCV can read");
  return from_reader(std::make_shared<ImageFileReader>(std::move(images), spec), input, opts,
                     "image directory '" + dir + "'");
}

Expected<CalibrationData> CalibrationData::from_image_npy(const std::string& path,
                                                          const CalibrationInput& input,
                                                          const CalibrationDataOptions& opts) {
  EDGERT_RETURN_IF_ERROR(check_input(input));
  EDGERT_ASSIGN_OR_RETURN(PreprocessSpec spec, image_spec(input));
  EDGERT_ASSIGN_OR_RETURN(Tensor images, read_npy(path));
  const Shape& s = images.shape();
  const bool ok_shape = (s.rank() == 3 || (s.rank() == 4 && (s[3] == 3 || s[3] == 1))) &&
                        s[0] > 0 && s[1] > 0 && s[2] > 0;
  if (images.dtype() != DataType::kUInt8 || !ok_shape)
    return make_error(StatusCode::kInvalidArgument,
                      path +
                          ": an image batch must be uint8 (N, H, W, 3) RGB or (N, H, W) gray, "
                          "got " +
                          dtype_name(images.dtype()) + " " + s.to_string());
  return from_reader(std::make_shared<ImageNpyReader>(std::move(images), path, spec), input, opts,
                     "image batch '" + path + "'");
}

Expected<CalibrationData> CalibrationData::from_tensor_files(const std::vector<std::string>& paths,
                                                             const CalibrationInput& input,
                                                             const CalibrationDataOptions& opts) {
  EDGERT_RETURN_IF_ERROR(check_input(input));
  if (paths.empty())
    return make_error(StatusCode::kInvalidArgument, "calibration tensor files: none given");
  const std::int64_t bytes = sample_bytes(input);
  std::vector<std::int64_t> counts;
  for (const std::string& path : paths) {
    const std::string ext = lower_extension(path);
    if (ext == ".npy") {
      EDGERT_ASSIGN_OR_RETURN(NpyHeader h, read_npy_header(path));
      if (h.dtype != input.dtype)
        return make_error(StatusCode::kInvalidArgument, path + ": holds " + dtype_name(h.dtype) +
                                                            ", " + input_label(input) + " is " +
                                                            dtype_name(input.dtype));
      EDGERT_ASSIGN_OR_RETURN(std::int64_t k, samples_in(h.shape, input, path));
      counts.push_back(k);
    } else if (ext == ".bin") {
      std::error_code ec;
      const auto size = fs::file_size(path, ec);
      if (ec) return make_error(StatusCode::kNotFound, path + ": cannot open: " + ec.message());
      if (size == 0 || static_cast<std::int64_t>(size) % bytes != 0)
        return make_error(StatusCode::kInvalidArgument,
                          path + ": " + std::to_string(size) + " bytes is not a whole number of " +
                              input_label(input) + " samples (" + std::to_string(bytes) +
                              " bytes of raw " + dtype_name(input.dtype) + " each, shape " +
                              input.shape.to_string() + " without the batch dim)");
      counts.push_back(static_cast<std::int64_t>(size) / bytes);
    } else {
      return make_error(StatusCode::kInvalidArgument,
                        path + ": not a tensor file (expected .npy, or .bin raw " +
                            dtype_name(input.dtype) + ")");
    }
  }
  const std::string what = paths.size() == 1 ? "tensor file '" + paths[0] + "'"
                                             : std::to_string(paths.size()) + " tensor files";
  return from_reader(std::make_shared<TensorFileReader>(paths, std::move(counts), bytes), input,
                     opts, what);
}

Expected<CalibrationData> CalibrationData::open(const std::string& path,
                                                const CalibrationInput& input,
                                                const CalibrationDataOptions& opts) {
  std::error_code ec;
  if (!fs::exists(path, ec))
    return make_error(StatusCode::kNotFound, "calibration data '" + path + "' does not exist");
  if (fs::is_directory(path, ec)) {
    EDGERT_ASSIGN_OR_RETURN(std::vector<fs::path> files, list_files(path));
    std::vector<std::string> tensors;
    bool any_image = false;
    for (const fs::path& p : files) {
      const std::string ext = lower_extension(p);
      if (ext == ".npy" || ext == ".bin")
        tensors.push_back(p.string());
      else if (!any_image && opencv_can_read(p.string()))
        any_image = true;
    }
    if (any_image || tensors.empty()) return from_image_directory(path, input, opts);
    return from_tensor_files(tensors, input, opts);
  }
  if (lower_extension(path) == ".npy" && input.preprocess.enabled) {
    EDGERT_ASSIGN_OR_RETURN(NpyHeader h, read_npy_header(path));
    if (h.dtype == DataType::kUInt8 && input.dtype != DataType::kUInt8)
      return from_image_npy(path, input, opts);
  }
  return from_tensor_files({path}, input, opts);
}

}  // namespace edgert::quant
