// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Calibration cache: a ScaleTable as human-readable text, so that a rebuild skips calibration and
// a person can read (or edit) the scales.
//
//   edgert-calibration-cache version=1 calibrator=entropy model=9f86d081884c7d65
//   # tensor: scale amax (scale = amax / 127)
//   conv1_out: 0.0123456791 1.56790125
//   "block 1:relu": 0.00787401572 1
//
// The first line is the header: the magic word, then key=value items (version, calibrator, model
// hash; unknown keys are an error). Then one line per tensor in name order. A name made only of
// printable ASCII other than space, '"', '#', ':' and '\' is written bare; any other name is
// quoted: "..." with \" \\ \n \r \t and \xHH (other control bytes) escaped, UTF-8 kept as it is.
// Floats are written with %.9g, which reads back to the same float. Blank lines and lines
// starting with '#' are skipped. Reading checks everything: errors name the file and line.

#include <string>

#include "edgert/status.h"
#include "quant/calibration.h"

namespace edgert::quant {

constexpr int kCalibrationCacheVersion = 1;

struct CalibrationCache {
  int version = kCalibrationCacheVersion;
  std::string model_hash;  ///< opaque token from the builder (no spaces); may be empty
  ScaleTable table;        ///< table.calibrator is the header's calibrator
};

/// The cache text for `table`. kInvalidArgument if the model hash or calibrator name contains
/// whitespace, or a scale or amax is not finite and positive.
Expected<std::string> format_calibration_cache(const ScaleTable& table,
                                               const std::string& model_hash);
Status write_calibration_cache(const std::string& path, const ScaleTable& table,
                               const std::string& model_hash);

/// Parses cache text; `label` (the file name) starts every error message ("label:3: ...").
/// kParseError for malformed text, kVersionMismatch for another format version.
Expected<CalibrationCache> parse_calibration_cache(const std::string& text,
                                                   const std::string& label);
/// kNotFound if the file cannot be opened.
Expected<CalibrationCache> read_calibration_cache(const std::string& path);

/// kVersionMismatch, naming `label` and both values, when the cache was made for another model
/// or with another calibrator than the build asks for (names compared after parse_calibrator, so
/// "percentile" matches "percentile=99.99").
Status check_calibration_cache(const CalibrationCache& cache, const std::string& model_hash,
                               const std::string& calibrator, const std::string& label);

}  // namespace edgert::quant
