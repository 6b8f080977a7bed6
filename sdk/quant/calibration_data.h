// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Calibration data sources: where the batches the calibration driver (calibration.h) runs come
// from. A source is a sequence of samples (one image, one tensor row), assembled in order into
// batches of the input's batch size. Samples are read when their batch is asked for, so a large
// image directory is never held in memory at once.
//
// - An image directory: every file OpenCV recognises as an image (by its signature, whatever the
//   extension), in byte-wise sorted file-name order; decoded with imgcodecs to 8-bit colour
//   (IMREAD_COLOR: EXIF orientation applied, alpha dropped, gray expanded, 16-bit scaled), then
//   fed through kernels/cpu/preprocess with the input's PreprocessSpec, so calibration sees
//   exactly what the engine will be fed. Files that are not images are skipped with one warning
//   naming them; a file with an image extension that OpenCV cannot read is an error (a damaged
//   data set should not calibrate silently on less data). Subdirectories and hidden files are
//   ignored.
// - Raw tensor files (.npy of the input's dtype, or .bin raw little-endian float32): each file
//   holds one sample (the input shape without the batch dim), a whole batch, or any number K of
//   samples ([K, ...input shape without the batch dim]); .bin files are cut into samples by size.
// - A uint8 image batch .npy (N, H, W, 3) RGB or (N, H, W) / (N, H, W, 1) gray, each image fed
//   through preprocessing like a decoded image file.
// A partial last batch is dropped with a warning (an engine's batch size is fixed); fewer samples
// than one batch is an error. Single-input models only for the file sources (from_batches takes
// any number of inputs).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "edgert/preprocess.h"
#include "edgert/status.h"
#include "edgert/tensor.h"

namespace edgert::quant {

/// The network input calibration feeds: its name, dtype, static shape (batch first) and, for
/// image sources, its preprocessing (width/height 0 are taken from the shape).
struct CalibrationInput {
  std::string name;
  DataType dtype = DataType::kFloat32;
  Shape shape;
  PreprocessSpec preprocess;
};

struct CalibrationDataOptions {
  /// Use at most this many samples (images, tensor rows); <= 0: all.
  std::int64_t max_samples = 0;
};

/// Reads one sample into `dst` (the input's dtype, one batch row); indices come in increasing
/// order during a calibration run. Errors should name the sample's origin (file, index).
class SampleReader {
 public:
  virtual ~SampleReader() = default;
  virtual std::int64_t num_samples() const = 0;
  virtual Status read(std::int64_t index, void* dst) = 0;
};

class CalibrationData {
 public:
  /// All images of `dir` (see above). kNotFound for a missing directory; kInvalidArgument when it
  /// holds no image, the input has no enabled PreprocessSpec or a shape that disagrees with it.
  static Expected<CalibrationData> from_image_directory(const std::string& dir,
                                                        const CalibrationInput& input,
                                                        const CalibrationDataOptions& opts = {});
  /// A uint8 image batch .npy (see above).
  static Expected<CalibrationData> from_image_npy(const std::string& path,
                                                  const CalibrationInput& input,
                                                  const CalibrationDataOptions& opts = {});
  /// .npy / .bin tensor files, in the order given (see above).
  static Expected<CalibrationData> from_tensor_files(const std::vector<std::string>& paths,
                                                     const CalibrationInput& input,
                                                     const CalibrationDataOptions& opts = {});
  /// Picks the source for `path`: a directory with images -> from_image_directory; a directory
  /// without -> its .npy/.bin files (sorted) as tensor files; a uint8 .npy for an input with
  /// preprocessing -> from_image_npy; another file -> from_tensor_files({path}).
  static Expected<CalibrationData> open(const std::string& path, const CalibrationInput& input,
                                        const CalibrationDataOptions& opts = {});
  /// Ready-made batches, one tensor per model input each (tests, API users with their own data).
  static CalibrationData from_batches(std::vector<std::vector<Tensor>> batches);
  /// Batches of input.shape[0] samples from any reader (a custom source: video frames, a
  /// database); `what` describes it in the description and in errors.
  static Expected<CalibrationData> from_reader(std::shared_ptr<SampleReader> reader,
                                               const CalibrationInput& input,
                                               const CalibrationDataOptions& opts,
                                               const std::string& what);

  std::size_t num_batches() const noexcept { return num_batches_; }
  std::int64_t batch_size() const noexcept { return batch_size_; }
  /// "image directory 'cal/' (120 images, 15 batches of 8)" and the like.
  const std::string& description() const noexcept { return description_; }
  /// Batch i in [0, num_batches()): one tensor per model input. Errors name the sample's file.
  /// Not thread-safe (file sources cache the file they read last).
  Expected<std::vector<Tensor>> batch(std::size_t i) const;

 private:
  std::shared_ptr<SampleReader> reader_;  // null for from_batches
  std::vector<std::vector<Tensor>> batches_;
  CalibrationInput input_;
  std::size_t num_batches_ = 0;
  std::int64_t batch_size_ = 0;
  std::string description_;
};

}  // namespace edgert::quant
