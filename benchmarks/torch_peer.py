#!/usr/bin/env python3
# Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
"""PyTorch peer for the EdgeRT GPU benchmarks: torchvision classifiers (random weights, eval mode)
on one CUDA GPU, in three modes:

  fp32_eager      float32, NCHW, eager
  fp16_cl_eager   float16, channels_last, eager
  fp16_cl_graph   float16, channels_last, the forward pass captured once in a CUDA graph
                  (torch.cuda.CUDAGraph, warmed up on a side stream) and replayed

Timing: cudnn.benchmark on (per-shape algorithm search, as EdgeRT's builder times its tactics),
--warmup untimed runs, then --runs timed runs back to back, each between two CUDA events on the
current stream with no host synchronisation in between (the GPU is not left waiting for a sync, as
in `edgert bench`, which keeps two iterations in flight); the median of the per-run times is
reported, and img/s = batch * 1000 / median_ms. TF32 is left at torch's defaults (recorded).

  python3 benchmarks/torch_peer.py --models resnet50 mobilenet_v2 --batches 1 8 --out peer.json
"""
import argparse
import ctypes
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

MODELS = ("resnet50", "mobilenet_v2", "resnet18")
BATCHES = (1, 8, 32, 128)
MODES = ("fp32_eager", "fp16_cl_eager", "fp16_cl_graph")


def driver_info():
    """(driver release from nvidia-smi or "", CUDA driver API version from libcuda or "")."""
    release = ""
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=30, check=True).stdout
        release = out.strip().splitlines()[0].strip()
    except (OSError, subprocess.SubprocessError, IndexError):
        pass
    api = ""
    try:
        v = ctypes.c_int(0)
        if ctypes.CDLL("libcuda.so.1").cuDriverGetVersion(ctypes.byref(v)) == 0:
            api = f"{v.value // 1000}.{v.value % 1000 // 10}"
    except OSError:
        pass
    return release, api


def environment(torch, torchvision):
    release, api = driver_info()
    cudnn = torch.backends.cudnn.version()  # e.g. 91400 -> 9.14.0
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "host": platform.node(),
        "gpu": torch.cuda.get_device_name(0),
        "driver": release,
        "cuda_driver_api": api,
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "cuda": torch.version.cuda,
        "cudnn": (f"{cudnn // 10000}.{cudnn % 10000 // 100}.{cudnn % 100}" if cudnn else None),
        "python": platform.python_version(),
    }


def make_model(torch, torchvision, name):
    torch.manual_seed(1234)
    return getattr(torchvision.models, name)(weights=None).eval()


def time_runs(torch, fn, runs, warmup):
    """Per-run GPU times (ms) of `fn`, runs back to back on the current stream."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    starts = [torch.cuda.Event(enable_timing=True) for _ in range(runs)]
    ends = [torch.cuda.Event(enable_timing=True) for _ in range(runs)]
    for s, e in zip(starts, ends):
        s.record()
        fn()
        e.record()
    torch.cuda.synchronize()
    return [s.elapsed_time(e) for s, e in zip(starts, ends)]


def run_mode(torch, model_fp32, batch, mode, runs, warmup):
    gen = torch.Generator(device="cpu").manual_seed(42)
    x = torch.randn(batch, 3, 224, 224, generator=gen).cuda()
    if mode == "fp32_eager":
        model = model_fp32
    else:
        model = model_fp32.half().to(memory_format=torch.channels_last)
        x = x.half().contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        if mode != "fp16_cl_graph":
            return time_runs(torch, lambda: model(x), runs, warmup)
        # Warm up on a side stream (cuDNN autotuning, lazy allocations) before capture, as the
        # CUDA graph documentation asks.
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(3):
                model(x)
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            y = model(x)
        del y  # the output stays in the graph's memory pool
        return time_runs(torch, graph.replay, runs, warmup)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    ap.add_argument("--batches", nargs="+", type=int, default=list(BATCHES))
    ap.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    ap.add_argument("--runs", type=int, default=50, help="timed runs per point (default 50)")
    ap.add_argument("--warmup", type=int, default=20, help="untimed runs first (default 20)")
    ap.add_argument("--out", help="write the results as JSON here")
    args = ap.parse_args()
    if args.runs < 1 or args.warmup < 0 or any(b < 1 for b in args.batches):
        ap.error("--runs and --batches must be >= 1, --warmup >= 0")

    try:
        import torch
        import torchvision
    except ImportError as e:
        print(f"torch_peer.py: needs torch and torchvision ({e})", file=sys.stderr)
        return 2
    if not torch.cuda.is_available():
        print("torch_peer.py: torch sees no CUDA device", file=sys.stderr)
        return 2
    torch.backends.cudnn.benchmark = True
    # TF32 stays at torch's defaults (cuDNN convolutions may use it, matmuls not): recorded below.

    env = environment(torch, torchvision)
    print("# " + ", ".join(f"{k} {v}" for k, v in env.items()), flush=True)
    print(f"{'model':<14}{'batch':>6}  {'mode':<15}{'median ms':>11}{'img/s':>11}", flush=True)
    results, errors = [], []
    start = time.time()
    for name in args.models:
        for batch in args.batches:
            for mode in args.modes:
                # A fresh model per point: .half() converts in place.
                model = make_model(torch, torchvision, name).cuda()
                try:
                    times = run_mode(torch, model, batch, mode, args.runs, args.warmup)
                except Exception as e:  # noqa: BLE001: recorded, the next point still runs
                    msg = f"{type(e).__name__}: {e}".splitlines()[0][:300]
                    errors.append({"model": name, "batch": batch, "mode": mode, "error": msg})
                    print(f"{name:<14}{batch:>6}  {mode:<15}  error: {msg}", flush=True)
                else:
                    med = statistics.median(times)
                    results.append({
                        "model": name, "batch": batch, "mode": mode, "median_ms": med,
                        "min_ms": min(times), "mean_ms": statistics.fmean(times),
                        "img_per_s": batch * 1000.0 / med, "runs": len(times),
                    })
                    print(f"{name:<14}{batch:>6}  {mode:<15}{med:>11.4f}{batch * 1000.0 / med:>11.1f}",
                          flush=True)
                finally:
                    del model
                    torch.cuda.empty_cache()
    print(f"# {len(results)} points, {len(errors)} errors, {time.time() - start:.1f} s", flush=True)
    if args.out:
        doc = {"tool": "torch_peer.py", "env": env,
               "settings": {"runs": args.runs, "warmup": args.warmup, "cudnn_benchmark": True,
                            "cudnn_allow_tf32": torch.backends.cudnn.allow_tf32,
                            "matmul_allow_tf32": torch.backends.cuda.matmul.allow_tf32,
                            "input": "randn(batch, 3, 224, 224)",
                            "weights": "random (torch.manual_seed(1234))"},
               "command": " ".join([os.path.basename(sys.executable)] + sys.argv),
               "results": results, "errors": errors}
        tmp = args.out + ".tmp"
        with open(tmp, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        os.replace(tmp, args.out)
    return 0 if results or not (args.models and args.batches and args.modes) else 1


if __name__ == "__main__":
    sys.exit(main())
