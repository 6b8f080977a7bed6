#!/usr/bin/env bash
# Top-1 of the bundled Fashion-MNIST classifier on the 10k rendered test split, CPU target, for
# fp32, fp16 and int8 with each calibrator, plus the explicitly quantized (Q/DQ) model; fusions and
# planned memory from the build reports. Writes a markdown table to stdout (and the engines, caches
# and reports under $WORK).
#
#   bash benchmarks/fashion_accuracy.sh [BUILD_DIR] > benchmarks/fashion_accuracy.md
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
EDGERT="$BUILD/sdk/edgert"
WORK="${WORK:-$BUILD/test_data/fashion}"
MODEL="$ROOT/examples/fashion/fashion_resnet.onnx"
CALIB="$ROOT/calibration_data/fashion"
mkdir -p "$WORK"
[ -f "$WORK/fashion_test_images.npy" ] ||
  /usr/bin/python3 "$ROOT/examples/fashion/make_eval_set.py" --out "$WORK" >&2

build() {  # name, extra args...
  local name="$1"; shift
  "$EDGERT" build --onnx "${ONNX:-$MODEL}" --save-engine "$WORK/$name.engine" --batch 32 \
    --report-json "$WORK/$name.build.json" "$@" > "$WORK/$name.build.txt"
}
evaluate() {  # name -> "top1"
  "$EDGERT" eval --engine "$WORK/$1.engine" --images "$WORK/fashion_test_images.npy" \
    --labels "$WORK/fashion_test_labels.npy" --report-json "$WORK/$1.eval.json" > /dev/null
  /usr/bin/python3 -c "import json,sys; print('%.2f' % json.load(open(sys.argv[1]))['top1'])" \
    "$WORK/$1.eval.json"
}
field() { /usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$WORK/$1.build.json" "$2"; }
fusions() { /usr/bin/python3 -c "import json,sys; f=json.load(open(sys.argv[1]))['fusions']; print(', '.join('%s x%d' % kv for kv in sorted(f.items())))" "$WORK/$1.build.json"; }

rows=()
row() {  # name, label
  local name="$1" label="$2" top1
  top1="$(evaluate "$name")"
  rows+=("| $label | $top1 | $(field "$name" layers) | $(( $(field "$name" arena_bytes) / 1024 )) KiB | $(( $(field "$name" naive_activation_bytes) / 1024 )) KiB | $(( $(field "$name" weight_bytes) / 1024 )) KiB | $(fusions "$name") |")
}

build fp32
row fp32 "fp32"
build fp16 --fp16
row fp16 "fp16 (emulated on the CPU)"
for c in entropy minmax percentile mse; do
  build "int8_$c" --int8 --calibrator "$c" --calib-data "$CALIB" --calib-cache "$WORK/fashion_$c.calib"
  row "int8_$c" "int8, $c calibrator"
done
/usr/bin/python3 "$ROOT/examples/fashion/make_qdq.py" --onnx "$MODEL" --cache "$WORK/fashion_entropy.calib" \
  --out "$WORK/fashion_resnet_qdq.onnx" >&2
ONNX="$WORK/fashion_resnet_qdq.onnx" build int8_qdq --int8
row int8_qdq "int8, explicit Q/DQ (entropy scales)"

echo "| precision | top-1 % | layers | planned activations | naive sum | weights | fusions |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
