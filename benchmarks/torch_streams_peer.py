#!/usr/bin/env python3
# Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
"""The PyTorch peer of benchmarks/gstreamer_streams.sh's ResNet-50 runs: the same work without
GStreamer. S streams of 1080p RGB frames in host memory (uint8, pageable, as GStreamer buffers
are); each step takes one frame per stream, copies the S frames to the GPU, resizes them to
224x224 (bilinear, no antialiasing: what edgertinfer's stretch resize does), normalises them as
torchvision's Normalize, runs torchvision ResNet-50 (random weights, fp16, eval) and reads the top-1
back. One Python thread; the frames of a step wait for the whole batch, so the per-frame latency is
the step time.

  python3 benchmarks/torch_streams_peer.py --frames IMAGES.npy --streams S [--batches N]
"""
import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F
import torchvision


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", required=True, help="uint8 [N,H,W,3] RGB frames (.npy)")
    ap.add_argument("--streams", type=int, required=True)
    ap.add_argument("--batches", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=10)
    a = ap.parse_args()

    frames = np.load(a.frames)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[3] != 3:
        raise SystemExit(f"{a.frames}: expected uint8 [N,H,W,3], got {frames.dtype} {frames.shape}")
    dev = torch.device("cuda")
    torch.manual_seed(0)
    model = torchvision.models.resnet50(weights=None).eval().half().to(dev)
    mean = torch.tensor([0.485, 0.456, 0.406], device=dev).view(1, 3, 1, 1) * 255
    std = torch.tensor([0.229, 0.224, 0.225], device=dev).view(1, 3, 1, 1) * 255
    n = frames.shape[0]

    def step(i):
        idx = [(i * a.streams + k) % n for k in range(a.streams)]
        x = torch.from_numpy(frames[idx]).to(dev)  # pageable host -> device
        x = x.permute(0, 3, 1, 2).float()
        x = F.interpolate(x, size=(224, 224), mode="bilinear", align_corners=False, antialias=False)
        x = ((x - mean) / std).half()
        with torch.inference_mode():
            return model(x).argmax(1).cpu()

    for i in range(a.warmup):
        step(i)
    torch.cuda.synchronize()
    times = []
    t0 = time.perf_counter()
    for i in range(a.batches):
        s = time.perf_counter()
        step(i)
        times.append((time.perf_counter() - s) * 1e3)
    total = time.perf_counter() - t0
    times = np.array(times)
    print(f"torch {torch.__version__} torchvision {torchvision.__version__} "
          f"{torch.cuda.get_device_name(0)}: resnet50 fp16, {a.streams} streams of "
          f"{frames.shape[2]}x{frames.shape[1]}")
    print(f"total fps {a.batches * a.streams / total:.1f} ({a.batches} batches of {a.streams})")
    print(f"latency per frame (batch step): mean {times.mean():.2f} ms, "
          f"p50 {np.percentile(times, 50):.2f} ms, p99 {np.percentile(times, 99):.2f} ms")
    print(f"torch memory peak {torch.cuda.max_memory_allocated() / 2**20:.1f} MiB allocated")


if __name__ == "__main__":
    main()
