// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Shared test helpers: seeded random tensors, relative L2 error, skip reporting.

#include <cstdint>
#include <random>
#include <string>

#include "edgert/status.h"
#include "edgert/tensor.h"

namespace edgert::test {

/// A tensor of `shape` filled with uniform values in [lo, hi) from `rng` (float32) or integers in
/// [lo, hi] (integer types; bool: 0/1). Never all zeros.
Tensor random_tensor(DataType t, const Shape& shape, std::mt19937& rng, double lo = -1.0,
                     double hi = 1.0);
/// ||a - b|| / ||b|| over all elements (as double); +inf on a shape/type mismatch or a NaN.
double rel_l2(const Tensor& a, const Tensor& b);
/// Max |a - b|.
double max_abs_diff(const Tensor& a, const Tensor& b);
/// Prints "EDGERT_SKIPPED: <why>" (CTest marks the test skipped) and returns.
void report_skip(const std::string& why);
/// True when a CUDA device can be used in this process.
bool cuda_device_available();

/// The interpreter the data-generating scripts run with: $EDGERT_PYTHON, else /usr/bin/python3
/// (the Debian python3 with python3-torchvision and python3-onnx).
std::string python();

/// The path prefix of a torchvision model exported by tests/models/export_torchvision.py
/// (<prefix>.onnx, <prefix>_input.npy, <prefix>_output.npy under EDGERT_TEST_DATA_DIR/models),
/// running the script first when the files are missing. An error when the export fails.
Expected<std::string> torchvision_model(const std::string& name);

/// Same for a pretrained PP-OCR model, `which` = det | cls | rec (<prefix>.onnx with its ONNX
/// Runtime reference pair, made by tests/models/setup_ppocr.sh from the npm registry).
Expected<std::string> ppocr_model(const std::string& which);

}  // namespace edgert::test

#define EDGERT_SKIP(why)              \
  do {                                \
    ::edgert::test::report_skip(why); \
    return;                           \
  } while (0)
