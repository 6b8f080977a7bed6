#!/usr/bin/env bash
# The main demo, from a fresh Debian 12 machine: install the packages, build the SDK (Release,
# ninja), then classify sample text images with the pretrained PP-OCR text-direction classifier
# (examples/classify_image/run_demo.sh does that part). Environment: EDGERT_BUILD_DIR (default
# build, shared with .ci/test so that running both builds once), EDGERT_JOBS (default: all cores).
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir="${EDGERT_BUILD_DIR:-build}"
jobs="${EDGERT_JOBS:-$(nproc)}"

bash .ci/install-deps

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$build_dir" -j "$jobs"

demo=examples/classify_image/run_demo.sh
if [ ! -f "$demo" ]; then
  echo "run_demo: $demo is missing from this checkout" >&2
  exit 1
fi
bash "$demo" "$(cd "$build_dir" && pwd)"
