// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Histogram of |x| for one tensor, accumulated over calibration batches; the calibrators
// (calibrator.h) pick an int8 threshold (amax) from it.
//
// One pass, range grown by exact re-binning: the first batch with a nonzero value sets the range
// to its max |x|; a later batch that exceeds the range doubles it (as often as needed), each
// doubling merging bin pairs 2k, 2k+1 into bin k, which is exact because the new bin edges are old
// ones. So the data is never run twice, nothing is interpolated, and the final range lies in
// [max |x|, 2 max |x|): the populated part always spans at least half the bins (1024 of 2048).
// Exact zeros are counted apart (zeros()): a zero is represented exactly at every scale, and
// ReLU-heavy tensors are mostly zeros, which would otherwise swamp bin 0 (see the entropy
// calibrator). The exact max |x| is kept too (minmax uses it, the others cap at it).

#include <cstdint>
#include <vector>

#include "edgert/status.h"
#include "edgert/tensor.h"

namespace edgert::quant {

class Histogram {
 public:
  static constexpr int kDefaultBins = 2048;

  /// `num_bins` must be even and >= 2 (checked by add(): kInvalidArgument).
  explicit Histogram(int num_bins = kDefaultBins);

  /// Adds |x| of every value. kInvalidArgument on NaN or infinity (the histogram is unchanged).
  Status add(const float* x, std::int64_t n);
  /// float32 or float16 tensors; kUnsupported for other dtypes.
  Status add(const Tensor& t);

  int num_bins() const noexcept { return static_cast<int>(counts_.size()); }
  /// Upper edge of the last bin; 0 until a nonzero value was added.
  double range() const noexcept { return range_; }
  double bin_width() const noexcept { return range_ / static_cast<double>(counts_.size()); }
  /// Counts of nonzero |x| per bin: bin i holds (i * w, (i + 1) * w] roughly (a value exactly on
  /// an edge may land on either side; the last bin includes range()).
  const std::vector<std::uint64_t>& counts() const noexcept { return counts_; }
  std::uint64_t zeros() const noexcept { return zeros_; }
  /// All values added, zeros included.
  std::uint64_t total() const noexcept { return total_; }
  /// The exact largest |x| added (0 if none).
  float max_abs() const noexcept { return max_abs_; }
  /// How many times the range doubled (for logs and tests).
  int regrowths() const noexcept { return regrowths_; }

 private:
  void grow_to(double needed);

  std::vector<std::uint64_t> counts_;
  double range_ = 0;
  std::uint64_t zeros_ = 0;
  std::uint64_t total_ = 0;
  float max_abs_ = 0.f;
  int regrowths_ = 0;
};

}  // namespace edgert::quant
