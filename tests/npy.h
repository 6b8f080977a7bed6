// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// NumPy .npy files for test data made by Python/JS scripts (references from torch and ONNX
// Runtime). float32, int64 and uint8; C order; little-endian; format versions 1.0, 2.0 and 3.0.

#include <string>

#include "edgert/status.h"
#include "edgert/tensor.h"

namespace edgert::test {

/// Reads a .npy file. kNotFound if it cannot be opened, kParseError for a malformed header or a
/// size that does not match the header, kUnsupported for other dtypes, big-endian data or
/// Fortran order. Error messages name the file.
Expected<Tensor> read_npy(const std::string& path);

/// Parses .npy bytes held in memory; `label` names the data in error messages.
Expected<Tensor> parse_npy(const std::string& bytes, const std::string& label);

/// Writes `t` (float32, int64 or uint8, static shape) as a version 1.0 .npy file.
Status write_npy(const std::string& path, const Tensor& t);

}  // namespace edgert::test
