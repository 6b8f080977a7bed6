#!/usr/bin/env bash
# Camera streams through GStreamer on a CUDA GPU (benchmarks/gstreamer_streams.md): S synthetic
# 1080p RGB cameras (appsrc) -> edgertinfer -> fakesink, with the bundled Fashion-MNIST model
# (fp32) and torchvision ResNet-50 (fp16, random weights), batched across the streams or one
# context per stream, frames preprocessed by the CUDA kernel or on the CPU; throughput with
# unpaced sources, per-frame latency with sources paced at 30 fps, GPU memory sampled with
# nvidia-smi. Then the peer: the same ResNet-50 work in PyTorch (benchmarks/torch_streams_peer.py).
#
#   bash benchmarks/gstreamer_streams.sh BUILD_DIR OUT_DIR [fashion|resnet50|peer]...
#
# BUILD_DIR holds a CUDA build with the GStreamer elements (sdk/edgert,
# examples/camera_classify); EDGERT_PYTHON is a python3 with numpy (and torch + torchvision for
# resnet50 and the peer). Logs and OUT_DIR/streams.log are written; nothing else.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "$1" && pwd)
OUT=$2
shift 2
PARTS=${*:-fashion resnet50 peer}
PY=${EDGERT_PYTHON:-python3}
E=$BUILD/sdk/edgert
X=$BUILD/examples/camera_classify
W=$OUT/work
L=$OUT/streams.log
mkdir -p "$W"
STREAMS="1 4 8 16"

log() { echo "$*" | tee -a "$L"; }

# The GPU's used memory (MiB), every 100 ms while "$@" runs: the peak over the baseline goes to
# the log with the command's output.
run() {
  local name=$1
  shift
  local base
  base=$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits | head -1)
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 100 > "$W/mem_$name.txt" &
  local smi=$!
  log "== $name: $*"
  timeout 300 "$@" > "$W/$name.log" 2>&1
  local rc=$?
  kill "$smi" 2>/dev/null
  wait "$smi" 2>/dev/null
  grep -E "^ +[0-9]+ |accuracy|latency|memory|fps|error|batch" "$W/$name.log" | tee -a "$L"
  local peak
  peak=$(sort -n "$W/mem_$name.txt" | tail -1)
  log "rc=$rc gpu memory: baseline ${base} MiB, peak ${peak:-?} MiB, delta $((${peak:-0} - base)) MiB"
}

log "date $(date -u '+%F %T') UTC"
log "gpu $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader)"
log "cpu cores $(nproc)"

if [ ! -f "$W/hd/fashion_test_images.npy" ]; then
  "$PY" "$ROOT/examples/fashion/make_eval_set.py" --size 1920x1080 --count 64 --out "$W/hd" \
    > "$W/hd.log" 2>&1 || { tail -3 "$W/hd.log"; exit 1; }
fi
SCENES=(--scenes "$W/hd/fashion_test_images.npy")
LABELS=(--labels "$W/hd/fashion_test_labels.npy")

for part in $PARTS; do
  case $part in
    fashion)
      for B in $STREAMS; do
        [ -f "$W/f$B.engine" ] || "$E" build --onnx "$ROOT/examples/fashion/fashion_resnet.onnx" \
          --batch "$B" --target cuda --save-engine "$W/f$B.engine" > "$W/build_f$B.log" 2>&1 ||
          { log "fashion batch $B: build failed"; tail -3 "$W/build_f$B.log"; }
      done
      for S in $STREAMS; do
        run "fashion_s${S}_batched" "$X" --engine "$W/f$S.engine" --streams "$S" --frames 100 \
          "${SCENES[@]}" "${LABELS[@]}"
        run "fashion_s${S}_batched_cpu" "$X" --engine "$W/f$S.engine" --streams "$S" \
          --frames 100 --preprocess cpu "${SCENES[@]}" "${LABELS[@]}"
        [ "$S" -gt 1 ] && run "fashion_s${S}_separate" "$X" --engine "$W/f1.engine" \
          --streams "$S" --frames 100 --no-batching "${SCENES[@]}" "${LABELS[@]}"
        run "fashion_s${S}_batched_30fps" "$X" --engine "$W/f$S.engine" --streams "$S" \
          --frames 90 --fps 30 "${SCENES[@]}" "${LABELS[@]}"
        [ "$S" -gt 1 ] && run "fashion_s${S}_separate_30fps" "$X" --engine "$W/f1.engine" \
          --streams "$S" --frames 90 --fps 30 --no-batching "${SCENES[@]}" "${LABELS[@]}"
      done
      ;;
    resnet50)
      [ -f "$W/models/resnet50.onnx" ] || "$PY" "$ROOT/benchmarks/export_models.py" "$W/models" \
        resnet50 > "$W/export.log" 2>&1 || { log "resnet50 export failed"; tail -3 "$W/export.log"; }
      # torchvision's Normalize(mean, std) on [0,1] images, in EdgeRT's units (preprocess.h).
      PRE="color=RGB;mean=123.675,116.28,103.53;scale=0.017124754,0.017507003,0.017429194"
      for B in $STREAMS; do
        [ -f "$W/r$B.engine" ] || "$E" build --onnx "$W/models/resnet50.onnx" --batch "$B" \
          --target cuda --fp16 --preprocess "$PRE" --timing-cache "$W/resnet50.cache" \
          --save-engine "$W/r$B.engine" > "$W/build_r$B.log" 2>&1 ||
          { log "resnet50 batch $B: build failed"; tail -3 "$W/build_r$B.log"; }
      done
      for S in $STREAMS; do
        run "resnet50_s${S}_batched" "$X" --engine "$W/r$S.engine" --streams "$S" --frames 100 \
          "${SCENES[@]}"
        [ "$S" -gt 1 ] && run "resnet50_s${S}_separate" "$X" --engine "$W/r1.engine" \
          --streams "$S" --frames 100 --no-batching "${SCENES[@]}"
        run "resnet50_s${S}_batched_30fps" "$X" --engine "$W/r$S.engine" --streams "$S" \
          --frames 90 --fps 30 "${SCENES[@]}"
        [ "$S" -gt 1 ] && run "resnet50_s${S}_separate_30fps" "$X" --engine "$W/r1.engine" \
          --streams "$S" --frames 90 --fps 30 --no-batching "${SCENES[@]}"
      done
      ;;
    peer)
      for S in $STREAMS; do
        run "torch_resnet50_s$S" "$PY" "$ROOT/benchmarks/torch_streams_peer.py" \
          --frames "$W/hd/fashion_test_images.npy" --streams "$S" --batches 100
      done
      ;;
    *) log "unknown part '$part'"; exit 2 ;;
  esac
done
