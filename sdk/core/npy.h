// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// NumPy .npy files: calibration inputs (sdk/quant), test references made by Python/JS scripts
// (torch, ONNX Runtime), debugging dumps. Every EdgeRT dtype (float32 '<f4', float16 '<f2', int8
// '|i1', uint8 '|u1', int32 '<i4', int64 '<i8', bool '|b1'); C order; little-endian; format
// versions 1.0, 2.0 and 3.0. The one .npy implementation of the project (the tests use it too).

#include <cstddef>
#include <string>

#include "edgert/status.h"
#include "edgert/tensor.h"

namespace edgert {

/// What a .npy header says: element type, shape, where the data starts and how many bytes it has.
struct NpyHeader {
  DataType dtype = DataType::kUndefined;
  Shape shape;
  std::size_t data_offset = 0;
  std::size_t data_bytes = 0;
};

/// Reads only the header of a .npy file (and checks the file size against it): the same errors as
/// read_npy, without reading the data.
Expected<NpyHeader> read_npy_header(const std::string& path);
/// Parses the header at the start of `bytes` (which may hold more, or only the header).
Expected<NpyHeader> parse_npy_header(const std::string& bytes, const std::string& label);
/// kParseError naming `label` when a file of `file_bytes` does not hold exactly the header's data.
Status check_npy_size(const NpyHeader& h, std::size_t file_bytes, const std::string& label);

/// Reads a .npy file. kNotFound if it cannot be opened, kParseError for a malformed header or a
/// size that does not match the header, kUnsupported for other dtypes, big-endian data or
/// Fortran order. Error messages name the file.
Expected<Tensor> read_npy(const std::string& path);

/// Parses .npy bytes held in memory; `label` names the data in error messages.
Expected<Tensor> parse_npy(const std::string& bytes, const std::string& label);

/// Writes `t` (any dtype above, static shape) as a version 1.0 .npy file.
Status write_npy(const std::string& path, const Tensor& t);

}  // namespace edgert
