// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// The bundled model's evaluation in tests: the 10k rendered test split
// (examples/fashion/make_eval_set.py), made once per directory, and an engine's top-1 on it,
// every image through the engine's own preprocessing spec.

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/npy.h"
#include "edgert/engine.h"
#include "edgert/runtime.h"
#include "kernels/cpu/preprocess.h"
#include "test_util.h"

namespace edgert::test {

/// Writes fashion_test_images.npy / fashion_test_labels.npy into `dir` unless they are there.
inline void ensure_fashion_eval_set(const std::string& dir) {
  if (std::filesystem::exists(dir + "/fashion_test_labels.npy")) return;
  std::filesystem::create_directories(dir);
  const std::string cmd = python() + " " + std::string(EDGERT_SOURCE_DIR) +
                          "/examples/fashion/make_eval_set.py --out " + dir + " > " + dir +
                          "/make_eval_set.log 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
}

/// The calibration images as one uint8 image-batch .npy (the 500 training scenes that
/// calibration_data/fashion holds as PNGs, rendered again) in `dir`: a calibration source that
/// needs no image decoding. Returns the .npy's path.
inline std::string ensure_fashion_calib_npy(const std::string& dir) {
  const std::string npy = dir + "/fashion_train_images.npy";
  if (std::filesystem::exists(npy)) return npy;
  std::filesystem::create_directories(dir);
  const std::string cmd = python() + " " + std::string(EDGERT_SOURCE_DIR) +
                          "/examples/fashion/make_eval_set.py --split train --count 500 --out " +
                          dir + " > " + dir + "/../make_calib_npy.log 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  return npy;
}

/// Top-1 (percent) of an engine over the first `limit` images (0: all) of the set in `dir`.
inline double fashion_top1(const Engine& e, const std::string& dir, std::int64_t limit = 0) {
  auto images = read_npy(dir + "/fashion_test_images.npy");
  auto labels = read_npy(dir + "/fashion_test_labels.npy");
  REQUIRE(images);
  REQUIRE(labels);
  const Shape& is = images->shape();
  std::int64_t n = limit > 0 ? std::min(limit, is[0]) : is[0];
  const TensorDesc& in = e.inputs()[0];
  const std::int64_t batch = in.shape[0];
  auto input = Tensor::allocate(in.dtype, in.shape);
  REQUIRE(input);
  auto ctx = e.create_context();
  REQUIRE(ctx);
  std::vector<Tensor> outputs;
  std::int64_t correct = 0;
  const std::int64_t frame = is[1] * is[2] * 3;
  const std::int64_t per_item = input->numel() / batch;
  for (std::int64_t s = 0; s < n; s += batch) {
    const std::int64_t count = std::min(batch, n - s);
    for (std::int64_t i = 0; i < count; ++i) {
      const cpu::Frame f =
          cpu::packed_frame(PixelFormat::kRGB, static_cast<int>(is[2]), static_cast<int>(is[1]),
                            images->data<std::uint8_t>() + (s + i) * frame);
      REQUIRE(cpu::preprocess_frame(f, e.preprocess(0), input->data<float>() + i * per_item).ok());
    }
    const Tensor* ip = &*input;
    REQUIRE((*ctx)->execute({ip}, outputs).ok());
    const std::int64_t classes = outputs[0].numel() / batch;
    for (std::int64_t i = 0; i < count; ++i) {
      const float* row = outputs[0].data<float>() + i * classes;
      if (std::max_element(row, row + classes) - row == labels->data<std::int64_t>()[s + i])
        ++correct;
    }
  }
  return 100.0 * static_cast<double>(correct) / static_cast<double>(n);
}

}  // namespace edgert::test
