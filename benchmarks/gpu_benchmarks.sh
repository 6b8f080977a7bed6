#!/usr/bin/env bash
# Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
# EdgeRT against PyTorch on one CUDA GPU: torchvision resnet50, mobilenet_v2 and resnet18 (random
# weights) at batch 1, 8, 32 and 128; EdgeRT engines in fp32, fp16 and int8 (random calibration
# data: timing only), timed by `edgert bench --use-cuda-graph --no-data-transfers`; the PyTorch
# peer (benchmarks/torch_peer.py) in fp32 eager, fp16 channels_last eager and fp16 channels_last
# CUDA graph. Writes OUT_DIR/gpu_benchmarks.md (benchmarks/make_table.py) and prints it.
#
# Precision int8qdq (not in the default set) is the explicitly quantized model: the ONNX model
# with QuantizeLinear/DequantizeLinear nodes written by examples/fashion/make_qdq.py
# --quantize-residual from the int8 build's calibration cache (so it needs int8 listed before it), built with --int8 and no
# calibration. The table compares it with the implicit (calibrated) int8 engine.
#
#   bash benchmarks/gpu_benchmarks.sh [options] BUILD_DIR OUT_DIR
#
# BUILD_DIR holds a CUDA build of EdgeRT (BUILD_DIR/sdk/edgert). Nothing is downloaded.
#
# The run is resumable and can be split: a point whose result is already in OUT_DIR is not run
# again (--rerun to redo it), engines already built are reused (--rebuild to rebuild them), and
# --models/--batches/--precisions pick a subset. Builds time their tactics (tens of seconds
# each), so the whole set takes more than one run of --budget seconds (default 480): points not
# started in time are listed as "not run" and the next run of the same command continues there;
# the table covers every result in OUT_DIR. For example:
#   bash benchmarks/gpu_benchmarks.sh --models resnet50 build out
#   bash benchmarks/gpu_benchmarks.sh --models "mobilenet_v2 resnet18" build out
# A point that fails (build, bench or timeout) is recorded with its error and the run goes on.
set -euo pipefail
ORIGINAL_ARGS=("$@")

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ALL_MODELS="resnet50 mobilenet_v2 resnet18"
MODELS="$ALL_MODELS"
BATCHES="1 8 32 128"
PRECISIONS="fp32 fp16 int8"
DURATION=1        # seconds of timed run per engine
WARMUP=200        # ms
BUDGET=480        # seconds for the whole script; no new step starts when less than 30 s are left
BUILD_TIMEOUT=300 # seconds, one engine build
BENCH_TIMEOUT=120 # seconds, one bench (includes the engine load and the context set-up)
RUN_TORCH=1
RUN_EDGERT=1
REBUILD=0
RERUN=0
# The first interpreter that has torch (a virtual environment's python3 comes first on PATH).
PYTHON=python3
for py in python3 /usr/bin/python3; do
  if "$py" -c "import torch, torchvision" > /dev/null 2>&1; then
    PYTHON="$py"
    break
  fi
done

usage() {
  cat <<EOF
usage: bash benchmarks/gpu_benchmarks.sh [options] BUILD_DIR OUT_DIR
  --models "LIST"      of: $ALL_MODELS (default all)
  --batches "LIST"     default "$BATCHES"
  --precisions "LIST"  of: fp32 fp16 int8 int8qdq (default fp32 fp16 int8)
  --duration S         timed seconds per engine (default $DURATION)
  --warmup MS          warm-up per engine (default $WARMUP)
  --budget S           wall-clock budget of this run (default $BUDGET)
  --build-timeout S    per engine build (default $BUILD_TIMEOUT)
  --bench-timeout S    per bench (default $BENCH_TIMEOUT)
  --no-torch           skip the PyTorch peer
  --torch-only         only the PyTorch peer (and the table)
  --rebuild            rebuild engines that exist
  --rerun              run points that already have a result
  --python PY          interpreter with torch, torchvision, onnx, numpy (default: the first of
                       python3, /usr/bin/python3 that imports torch; now $PYTHON)
EOF
}

die() {
  echo "gpu_benchmarks.sh: $*" >&2
  exit 2
}

positional=()
while [ $# -gt 0 ]; do
  case "$1" in
    --models | --batches | --precisions | --duration | --warmup | --budget | --build-timeout | \
      --bench-timeout | --python)
      [ $# -ge 2 ] || die "$1 needs a value"
      case "$1" in
        --models) MODELS="$2" ;;
        --batches) BATCHES="$2" ;;
        --precisions) PRECISIONS="$2" ;;
        --duration) DURATION="$2" ;;
        --warmup) WARMUP="$2" ;;
        --budget) BUDGET="$2" ;;
        --build-timeout) BUILD_TIMEOUT="$2" ;;
        --bench-timeout) BENCH_TIMEOUT="$2" ;;
        --python) PYTHON="$2" ;;
      esac
      shift 2
      ;;
    --no-torch) RUN_TORCH=0; shift ;;
    --torch-only) RUN_EDGERT=0; shift ;;
    --rebuild) REBUILD=1; shift ;;
    --rerun) RERUN=1; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) usage >&2; die "unknown option $1" ;;
    *) positional+=("$1"); shift ;;
  esac
done
[ ${#positional[@]} -eq 2 ] || { usage >&2; die "expected BUILD_DIR and OUT_DIR"; }

if [ -z "${MODELS// /}" ] || [ -z "${BATCHES// /}" ] || [ -z "${PRECISIONS// /}" ]; then
  die "empty --models, --batches or --precisions"
fi
for m in $MODELS; do
  case " $ALL_MODELS " in *" $m "*) ;; *) die "unknown model '$m' (known: $ALL_MODELS)" ;; esac
done
for b in $BATCHES; do
  [[ "$b" =~ ^[1-9][0-9]*$ ]] || die "--batches: '$b' is not a positive integer"
done
for p in $PRECISIONS; do
  case "$p" in fp32 | fp16 | int8 | int8qdq) ;; *) die "unknown precision '$p' (fp32 fp16 int8 int8qdq)" ;; esac
done
if [[ " $PRECISIONS " == *" int8qdq "* ]] && [[ " $PRECISIONS " != *" int8 "*"int8qdq "* ]]; then
  die "int8qdq is made from the int8 build's calibration cache: list int8 before it"
fi
for v in "$DURATION" "$WARMUP"; do
  [[ "$v" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--duration/--warmup: '$v' is not a number"
done
for v in "$BUDGET" "$BUILD_TIMEOUT" "$BENCH_TIMEOUT"; do
  [[ "$v" =~ ^[1-9][0-9]*$ ]] || die "--budget/--build-timeout/--bench-timeout: '$v' is not a whole number of seconds"
done
# Ascending batches: the first int8 build of a model calibrates (smallest batch, fewest samples
# needed) and writes the calibration cache that the larger batches then reuse.
# shellcheck disable=SC2086  # (word lists, split on purpose, here and below)
BATCHES="$(printf '%s\n' $BATCHES | sort -n -u | tr '\n' ' ' | sed 's/ $//')"

BUILD="$(cd "${positional[0]}" 2>/dev/null && pwd)" || die "no build directory '${positional[0]}'"
EDGERT="$BUILD/sdk/edgert"
mkdir -p "${positional[1]}"
OUT="$(cd "${positional[1]}" && pwd)"
mkdir -p "$OUT/models" "$OUT/engines" "$OUT/results" "$OUT/torch" "$OUT/logs" "$OUT/meta" "$OUT/calib"
COMMANDS="$OUT/commands.log"
START=$SECONDS
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"

if [ "$RUN_EDGERT" = 1 ]; then
  [ -x "$EDGERT" ] || die "no $EDGERT: build EdgeRT with CUDA first (cmake --build $BUILD --target edgert)"
fi
"$PYTHON" -c "import numpy" 2>/dev/null || die "$PYTHON cannot import numpy (--python PY)"

log() { echo "[$(date +%H:%M:%S) +$((SECONDS - START))s] $*" >&2; }
# Seconds left in the budget, less 15 s kept for the table.
remaining() { echo $((BUDGET - (SECONDS - START) - 15)); }
# Runs a command with a timeout capped by the budget, logging it to commands.log; stdout+stderr
# go to LOG. Returns the command's status (124: timed out). Sets STEP_LIMIT and STEP_CAPPED (1
# when the budget, not TIMEOUT, set the limit).
STEP_LIMIT=0
STEP_CAPPED=0
run_step() {  # LOG TIMEOUT CMD...
  local logfile="$1" limit="$2" left
  shift 2
  left="$(remaining)"
  STEP_CAPPED=0
  if [ "$left" -lt "$limit" ]; then
    limit="$left"
    STEP_CAPPED=1
  fi
  [ "$limit" -lt 5 ] && limit=5  # (timeout 0 would mean no limit)
  STEP_LIMIT="$limit"
  printf '%q ' "$@" >> "$COMMANDS"
  printf '> %q 2>&1\n' "$logfile" >> "$COMMANDS"
  timeout --kill-after=10 "$limit" "$@" > "$logfile" 2>&1
}
# Writes results/NAME.error.json: STAGE (build/bench/export/skipped), MESSAGE, LOG (may be "").
record_error() {  # NAME MODEL BATCH PRECISION STAGE MESSAGE LOG
  "$PYTHON" - "$@" <<'PYEOF'
import json, os, sys
name, model, batch, precision, stage, message, logfile = sys.argv[1:8]
tail = []
if logfile and os.path.exists(logfile):
    with open(logfile, errors="replace") as f:
        tail = [l.rstrip() for l in f if l.strip()][-8:]
# The tool's own error line ("edgert build: ...") says most; else the log's last line.
for line in reversed(tail):
    if line.startswith("edgert ") or "Error" in line or "error" in line:
        message = f"{message}: {line}"
        break
else:
    if tail:
        message = f"{message}: {tail[-1]}"
out = os.path.join(os.environ["OUT"], "results", name + ".error.json")
with open(out, "w") as f:
    json.dump({"model": model, "batch": int(batch), "precision": precision, "stage": stage,
               "error": message[:400], "log": logfile, "log_tail": tail}, f, indent=1)
PYEOF
}
export OUT
# Why the last run_step failed, from its STATUS.
failure_text() {  # STATUS
  if [ "$1" = 124 ] || [ "$1" = 137 ]; then
    if [ "$STEP_CAPPED" = 1 ]; then
      echo "stopped after $STEP_LIMIT s by the time budget; rerun to continue"
    else
      echo "timed out after $STEP_LIMIT s"
    fi
  else
    echo "exit status $1"
  fi
}

# What the run was made on (make_table.py reads these).
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "host: $(hostname)"
  echo "command: bash benchmarks/gpu_benchmarks.sh $(printf '%q ' "${ORIGINAL_ARGS[@]:-}")"
  echo "git: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' (modified)')"
  if command -v nvidia-smi > /dev/null; then
    echo "nvidia-smi: $(nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader 2>&1 | head -n 1)"
  else
    echo "nvidia-smi: not found"
  fi
  echo "nvcc: $(nvcc --version 2>/dev/null | grep -o 'release [0-9.]*' || echo 'not found')"
  if [ -x "$EDGERT" ]; then
    "$EDGERT" devices 2>&1 | sed 's/^/edgert devices: /'
  fi
} > "$OUT/meta/run_$STAMP.txt"
log "environment in $OUT/meta/run_$STAMP.txt"

# --- PyTorch peer -------------------------------------------------------------------------------
if [ "$RUN_TORCH" = 1 ]; then
  tag="torch_$(echo "$MODELS" | tr ' ' '-')_b$(echo "$BATCHES" | tr ' ' '-')"
  if [ "$RERUN" = 0 ] && [ -f "$OUT/torch/$tag.json" ]; then
    log "PyTorch peer: $OUT/torch/$tag.json exists (--rerun to redo)"
  elif [ "$(remaining)" -lt 30 ]; then
    log "PyTorch peer: skipped, out of time budget"
  else
    log "PyTorch peer: $MODELS at batch $BATCHES"
    # shellcheck disable=SC2086  # the lists are word lists
    if run_step "$OUT/logs/$tag.log" 360 "$PYTHON" "$ROOT/benchmarks/torch_peer.py" \
      --models $MODELS --batches $BATCHES --out "$OUT/torch/$tag.json"; then
      rm -f "$OUT/torch/$tag.error.json"
      sed 's/^/  /' "$OUT/logs/$tag.log" >&2
    else
      status=$?
      log "PyTorch peer failed ($(failure_text $status)); log: $OUT/logs/$tag.log"
      tail -n 5 "$OUT/logs/$tag.log" >&2 || true
      "$PYTHON" -c 'import json,sys; json.dump({"error": sys.argv[1], "log": sys.argv[2]}, open(sys.argv[3], "w"))' \
        "PyTorch peer failed ($(failure_text $status))" "$OUT/logs/$tag.log" "$OUT/torch/$tag.error.json"
    fi
  fi
fi

# --- EdgeRT --------------------------------------------------------------------------------------
if [ "$RUN_EDGERT" = 1 ]; then
  CALIB=""
  if [[ " $PRECISIONS " == *" int8 "* ]]; then
    # Enough samples for one batch of the largest batch size (calibration batches are engine
    # batches), and at least 32.
    # shellcheck disable=SC2086
    max_batch="$(printf '%s\n' $BATCHES | sort -n | tail -n 1)"
    samples=$((max_batch > 32 ? max_batch : 32))
    CALIB="$OUT/calib/randn_3x224x224_$samples.npy"
    if [ ! -f "$CALIB" ]; then
      log "calibration data: $CALIB"
      run_step "$OUT/logs/make_calib_data.log" 120 "$PYTHON" "$ROOT/benchmarks/make_calib_data.py" \
        --out "$CALIB" --shape 3x224x224 --samples "$samples" ||
        { cat "$OUT/logs/make_calib_data.log" >&2; die "could not write calibration data"; }
    fi
  fi

  for m in $MODELS; do
    onnx="$OUT/models/$m.onnx"
    if [ ! -f "$onnx" ]; then
      log "exporting $m to ONNX (benchmarks/export_models.py: tests/models/export_torchvision.py)"
      if ! run_step "$OUT/logs/export_$m.log" 300 "$PYTHON" "$ROOT/benchmarks/export_models.py" \
        "$OUT/models" "$m" || [ ! -f "$onnx" ]; then
        log "export of $m failed; log: $OUT/logs/export_$m.log"
        tail -n 5 "$OUT/logs/export_$m.log" >&2 || true
        for b in $BATCHES; do
          for p in $PRECISIONS; do
            record_error "${m}_b${b}_$p" "$m" "$b" "$p" export "ONNX export failed" "$OUT/logs/export_$m.log"
          done
        done
        continue
      fi
    fi
    for b in $BATCHES; do
      for p in $PRECISIONS; do
        name="${m}_b${b}_$p"
        engine="$OUT/engines/$name.engine"
        result="$OUT/results/$name.bench.json"
        if [ "$RERUN" = 0 ] && [ -f "$result" ] && [ "$result" -nt "$engine" ]; then
          log "$name: done before (--rerun to redo)"
          continue
        fi
        if [ "$(remaining)" -lt 30 ]; then
          log "$name: not run (time budget); run the same command again to continue"
          record_error "$name" "$m" "$b" "$p" skipped "not run (time budget of $BUDGET s); rerun to continue" ""
          continue
        fi
        model_file="$onnx"
        if [ "$p" = int8qdq ]; then
          model_file="$OUT/models/${m}_qdq.onnx"
          cache="$OUT/calib/$m.entropy.calib"
          if [ ! -f "$model_file" ] || [ "$cache" -nt "$model_file" ]; then
            if [ ! -f "$cache" ] || ! run_step "$OUT/logs/qdq_$m.log" 300 "$PYTHON" \
              "$ROOT/examples/fashion/make_qdq.py" --onnx "$onnx" --cache "$cache" \
              --out "$model_file" --quantize-residual; then
              log "$name: no Q/DQ model (needs $cache from the int8 build); log: $OUT/logs/qdq_$m.log"
              record_error "$name" "$m" "$b" "$p" export "Q/DQ model not written" "$OUT/logs/qdq_$m.log"
              continue
            fi
          fi
        fi
        if [ "$REBUILD" = 1 ] || [ ! -f "$engine" ]; then
          flags=()
          case "$p" in
            fp16) flags=(--fp16) ;;
            # The first int8 build of a model calibrates (on max(batch, 32) samples) and writes the
            # cache; later ones read the cache (it depends on the model, not on the batch).
            int8) flags=(--int8 --calib-data "$CALIB" --calib-max $((b > 32 ? b : 32))
                         --calib-cache "$OUT/calib/$m.entropy.calib") ;;
            # Scales from the Q/DQ nodes: no calibration.
            int8qdq) flags=(--int8) ;;
          esac
          log "$name: building"
          t0=$SECONDS
          if run_step "$OUT/logs/$name.build.log" "$BUILD_TIMEOUT" "$EDGERT" build --onnx "$model_file" \
            --batch "$b" --target cuda --save-engine "$engine" --timing-cache "$OUT/timing.cache" \
            --report-json "$OUT/logs/$name.build.json" "${flags[@]}"; then
            log "$name: built in $((SECONDS - t0)) s"
          else
            status=$?
            rm -f "$engine" "$result"
            log "$name: build failed ($(failure_text $status)); log: $OUT/logs/$name.build.log"
            record_error "$name" "$m" "$b" "$p" build "build failed ($(failure_text $status))" \
              "$OUT/logs/$name.build.log"
            continue
          fi
        fi
        if run_step "$OUT/logs/$name.bench.log" "$BENCH_TIMEOUT" "$EDGERT" bench --engine "$engine" \
          --use-cuda-graph --no-data-transfers --duration "$DURATION" --warmup "$WARMUP" \
          --report-json "$result"; then
          rm -f "$OUT/results/$name.error.json"
          log "$name: $(grep -m1 '^Throughput' "$OUT/logs/$name.bench.log" || true)"
        else
          status=$?
          rm -f "$result"
          log "$name: bench failed ($(failure_text $status)); log: $OUT/logs/$name.bench.log"
          record_error "$name" "$m" "$b" "$p" bench "bench failed ($(failure_text $status))" \
            "$OUT/logs/$name.bench.log"
        fi
      done
    done
  done
fi

# --- Table ---------------------------------------------------------------------------------------
"$PYTHON" "$ROOT/benchmarks/make_table.py" "$OUT" --build-dir "$BUILD" --out "$OUT/gpu_benchmarks.md"
cat "$OUT/gpu_benchmarks.md"
log "table: $OUT/gpu_benchmarks.md (total $((SECONDS - START)) s)"
