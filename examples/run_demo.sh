#!/usr/bin/env bash
# The main demo, from a fresh Debian 12 machine: install the packages, build the SDK (Release,
# ninja), build the bundled Fashion-MNIST model into an engine, and classify 4 synthetic camera
# streams (scenes of the Fashion-MNIST test split) through GStreamer with one shared, batched
# engine: examples/camera_classify prints each stream's frames, fps and accuracy, and the
# accuracy measured through the pipeline, and keeps each stream's last frames labelled by
# edgertoverlay as PNG files. Environment: EDGERT_BUILD_DIR (default build, shared
# with .ci/test so that running both builds once), EDGERT_JOBS (default: all cores).
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir="${EDGERT_BUILD_DIR:-build}"
jobs="${EDGERT_JOBS:-$(nproc)}"

bash .ci/install-deps

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$build_dir" -j "$jobs"

data="$build_dir/demo"
mkdir -p "$data"
# The scenes: the Fashion-MNIST test split (Debian's dataset-fashion-mnist) rendered as 64x64
# camera-like frames, with their labels.
if [ ! -f "$data/fashion_test_labels.npy" ]; then
  /usr/bin/python3 examples/fashion/make_eval_set.py --out "$data"
fi
# The engine: the bundled model for 4 streams (batch 4), CPU target unless a GPU is usable.
target=cpu
if "$build_dir/sdk/edgert" devices 2>/dev/null | grep -q "^#0"; then target=cuda; fi
engine="$data/fashion_b4_$target.engine"
if [ ! -f "$engine" ]; then
  "$build_dir/sdk/edgert" build --onnx examples/fashion/fashion_resnet.onnx --batch 4 \
    --target "$target" --save-engine "$engine"
fi
"$build_dir/examples/camera_classify" --engine "$engine" --streams 4 --frames 250 \
  --scenes "$data/fashion_test_images.npy" --labels "$data/fashion_test_labels.npy" \
  --annotate "$data/annotated"
echo "annotated frames (label, confidence, fps drawn by edgertoverlay): $data/annotated"
