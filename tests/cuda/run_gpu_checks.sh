#!/usr/bin/env bash
# Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
# The GPU correctness run, in one go on a machine with an NVIDIA GPU:
#   - the CUDA kernel tests against the CPU ops;
#   - the CUDA engine tests: every layer kind and fusion in fp32/fp16 (and int8) against the CPU,
#     the bundled model's top-1, timing cache, contexts, CUDA graphs, profiler;
#   - the ONNX backend node tests as CUDA engines in fp32 and fp16 (reports
#     conformance_cuda_fp32.md / _fp16.md in the build's test_data);
#   - the real models as CUDA engines in fp32 and fp16 (torchvision resnet18/50 and mobilenet_v2
#     against torch, the PP-OCR models against ONNX Runtime);
#   - compute-sanitizer memcheck and racecheck over the kernel tests.
# Data: libonnx-testdata (or EDGERT_ONNX_TESTDATA), Fashion-MNIST (or EDGERT_FASHION_MNIST), a
# python3 with torch and torchvision (EDGERT_PYTHON; found on PATH when unset), and the PP-OCR
# references that tests/models/setup_ppocr.sh writes (npm) in the build's test_data/models/ppocr.
#
# usage: tests/cuda/run_gpu_checks.sh BUILD_DIR [OUT_DIR]
#   BUILD_DIR  a build with -DEDGERT_CUDA=ON (tests/test_cuda_kernels, tests/test_cuda_engines)
#   OUT_DIR    where the logs go (default BUILD_DIR/gpu_checks)
set -uo pipefail
build=${1:?usage: run_gpu_checks.sh BUILD_DIR [OUT_DIR]}
out=${2:-$build/gpu_checks}
mkdir -p "$out"
status=0
if [ -z "${EDGERT_PYTHON:-}" ]; then
  for py in python3 /usr/bin/python3; do
    if "$py" -c "import torch, torchvision, onnx" > /dev/null 2>&1; then
      EDGERT_PYTHON=$(command -v "$py")
      export EDGERT_PYTHON
      break
    fi
  done
fi

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader > "$out/gpu.txt" 2>&1 || true
echo "GPU: $(cat "$out/gpu.txt")"

run() {  # name, command...
  local name=$1
  shift
  echo "== $name: $*"
  local t0=$SECONDS
  if "$@" > "$out/$name.log" 2>&1; then
    echo "   passed ($((SECONDS - t0)) s)"
  else
    echo "   FAILED ($((SECONDS - t0)) s): see $out/$name.log"
    tail -40 "$out/$name.log"
    status=1
  fi
  grep -E "EDGERT_SKIPPED|test cases|assertions" "$out/$name.log" | tail -3 | sed 's/^/   /'
}

run kernels "$build/tests/test_cuda_kernels" "[cuda]"
run engines "$build/tests/test_cuda_engines" "[cuda]" -s
grep -E "fashion top-1|tactic selection|ONNX node tests|against the reference" "$out/engines.log" |
  sed 's/^/   /'
cp "$build"/test_data/conformance_cuda_*.md "$out/" 2> /dev/null
# The GStreamer element on CUDA engines (when the build has the elements).
if [ -x "$build/tests/test_gst" ]; then
  run gst "$build/tests/test_gst" "[cuda]"
fi
if command -v compute-sanitizer > /dev/null; then
  run memcheck compute-sanitizer --tool memcheck --error-exitcode 1 "$build/tests/test_cuda_kernels" "[cuda]"
  run racecheck compute-sanitizer --tool racecheck --error-exitcode 1 "$build/tests/test_cuda_kernels" "[cuda]"
else
  echo "compute-sanitizer not found: memcheck and racecheck not run"
  status=1
fi
exit $status
