// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Calibrators: choose a tensor's int8 threshold amax (scale = amax / 127, symmetric) from its |x|
// histogram (histogram.h). Every calibrator returns a value in [0, max |x|]; 0 only when the
// tensor was zero everywhere (calibration.h decides what scale that gets).
//
// - minmax: the exact max |x|. Never clips; wastes resolution on outliers.
// - percentile (default 99.99): the |x| below which that share of all values (zeros included)
//   lies, linearly interpolated inside its bin (values taken as uniform within a bin).
// - entropy: TensorRT's entropy calibration (IInt8EntropyCalibrator2, after Migacz, "8-bit
//   Inference with TensorRT", GTC 2017): for each candidate i = 128 .. (last populated bin + 1),
//   P = bins [0, i) with everything above folded into bin i-1, Q = the same bins quantized to 128
//   levels (bin j in level floor(128 j / i); a level's count spread evenly over its nonempty bins,
//   empty bins stay empty), KL(P || Q) over normalised P and Q (infinite where P > 0 = Q); amax =
//   i * bin width for the smallest divergence (ties: the largest i, as pytorch-quantization).
//   Exact zeros are left out (the histogram keeps them apart): they quantize exactly at any
//   threshold, and as a spike in bin 0 they would dominate the divergence; this replaces
//   pytorch-quantization's `bins[0] = bins[1]` workaround.
// - mse: the threshold minimising the expected squared quantization error over the histogram,
//   with values uniform within each bin (the last populated bin ends at max |x|): rounding error
//   integrated exactly (the sawtooth's integral in closed form) below the threshold, clipping
//   error (x - t)^2 above it. Candidates: every bin edge up to the data and max |x| itself, so
//   mse's expected error is never above minmax's.

#include <string>

#include "edgert/status.h"
#include "quant/histogram.h"

namespace edgert::quant {

enum class CalibratorKind : std::uint8_t { kEntropy = 0, kMinMax = 1, kPercentile = 2, kMse = 3 };

struct CalibratorConfig {
  CalibratorKind kind = CalibratorKind::kEntropy;
  double percentile = 99.99;  ///< kPercentile only: in (0, 100]

  /// "entropy", "minmax", "mse", "percentile=99.99" (percentile with the fewest digits that
  /// read back to the same double); parse_calibrator(name()) gives back an equal config.
  std::string name() const;
};

/// Parses "entropy", "minmax", "mse", "percentile" (99.99) or "percentile=P" with 0 < P <= 100;
/// case-insensitive. kInvalidArgument naming the text otherwise.
Expected<CalibratorConfig> parse_calibrator(const std::string& text);

/// The threshold the configured calibrator picks; kInvalidArgument for a percentile outside
/// (0, 100] or a histogram of fewer than 2 bins.
Expected<float> compute_amax(const Histogram& h, const CalibratorConfig& config);

float amax_minmax(const Histogram& h);
float amax_percentile(const Histogram& h, double percentile);
float amax_entropy(const Histogram& h);
float amax_mse(const Histogram& h);

/// The expected squared error per value (zeros included, contributing 0) of quantizing the
/// histogram's distribution with threshold `amax` (127 levels a side, clipping above), under the
/// uniform-within-bin model mse minimises. For tests and diagnostics.
double expected_quantization_mse(const Histogram& h, double amax);

}  // namespace edgert::quant
