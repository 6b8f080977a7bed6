#!/usr/bin/python3
# Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
"""Renders Fashion-MNIST scenes (scenes.py) deterministically on the CPU: the evaluation set of the
bundled fashion model, the calibration images, or big camera-like frames.

Usage: /usr/bin/python3 make_eval_set.py [--split test|train] [--count N] [--start I]
           [--seed S] [--size WxH] [--out DIR] [--png DIR] [--data DIR]

  --split    Fashion-MNIST split to render (default test)
  --count    how many items, from index --start of the split on (default: the whole split)
  --seed     renderer seed (default 20240 for test, 20241 for train)
  --size     frame size, WIDTH x HEIGHT (default 64x64, the network input)
  --out DIR  write fashion_<split>_images.npy (uint8 N,H,W,3, RGB) and fashion_<split>_labels.npy
             (int64 N)
  --png DIR  write one PNG per scene, named <index>_<label>.png (index in the split, 5 digits)
  --data     the directory of the Fashion-MNIST .gz files (default $EDGERT_FASHION_MNIST or
             /usr/share/datasets/fashion-mnist, Debian's dataset-fashion-mnist)

The evaluation set:   make_eval_set.py --out DIR                 (10000 test scenes, a few seconds)
Calibration images:   make_eval_set.py --split train --count 500 --png calibration_data/fashion

Scenes are rendered on the CPU in chunks of CHUNK items, the composition from a torch.Generator
seeded with --seed and the sensor noise from one seeded with --seed + 1, so the result is fixed by
(split, start, seed, size): the first K scenes of a run with --count N > K are the scenes of a run
with --count K, and --size 640x480 renders the same scenes as the default 64x64, only bigger (the
sensor noise differs). Different CPUs or torch versions may round a few pixels differently.
"""
import argparse
import hashlib
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scenes  # noqa: E402

CHUNK = 64
DEFAULT_SEEDS = {"test": 20240, "train": 20241}


def render_split(split, count=None, start=0, seed=None, height=64, width=64, data=None,
                 images=None, labels=None):
    """(uint8 (N,height,width,3) RGB, int64 (N,) labels, int64 (N,) split indices), on the CPU.
    `images`/`labels` may pass the split already loaded."""
    if images is None:
        images, labels = scenes.load_fashion_mnist(split, data)
    end = images.shape[0] if count is None else start + count
    if not 0 <= start < end <= images.shape[0]:
        raise ValueError(f"items {start}..{end - 1} are not in the {split} split "
                         f"({images.shape[0]} items)")
    seed = DEFAULT_SEEDS[split] if seed is None else seed
    renderer = scenes.SceneRenderer(images[start:end], device="cpu")
    gen = torch.Generator(device="cpu")
    gen.manual_seed(seed)
    noise_gen = torch.Generator(device="cpu")
    noise_gen.manual_seed(seed + 1)
    n = end - start
    out = np.empty((n, height, width, 3), dtype=np.uint8)
    with torch.no_grad():
        for i in range(0, n, CHUNK):
            j = min(i + CHUNK, n)
            # Always a full chunk (the last one padded with the last item), so that scene k does not
            # depend on --count.
            idx = torch.arange(i, i + CHUNK).clamp(max=n - 1)
            out[i:j] = renderer.render(idx, gen, height, width, noise_gen)[:j - i].numpy()
    index = np.arange(start, end, dtype=np.int64)
    return out, labels[start:end].copy(), index


def write_pngs(directory, frames, labels, index):
    from PIL import Image  # python3-pil

    os.makedirs(directory, exist_ok=True)
    for f, y, i in zip(frames, labels, index):
        Image.fromarray(f).save(os.path.join(directory, f"{i:05d}_{y}.png"), optimize=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", choices=["test", "train"], default="test")
    ap.add_argument("--count", type=int)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--size", default="64x64", help="WIDTHxHEIGHT")
    ap.add_argument("--out")
    ap.add_argument("--png")
    ap.add_argument("--data")
    ap.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    args = ap.parse_args(argv)
    if not args.out and not args.png:
        ap.error("nothing to write: give --out DIR and/or --png DIR")
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        ap.error(f"--size must be WIDTHxHEIGHT, not {args.size!r}")
    torch.set_num_threads(args.threads)

    t0 = time.time()
    frames, labels, index = render_split(args.split, args.count, args.start, args.seed, height,
                                         width, args.data)
    dt = time.time() - t0
    digest = hashlib.sha256(frames.tobytes()).hexdigest()[:16]
    seed = DEFAULT_SEEDS[args.split] if args.seed is None else args.seed
    print(f"rendered {len(frames)} {args.split} scenes {width}x{height} (seed {seed}) in "
          f"{dt:.1f} s; sha256(images)[:16] = {digest}; "
          f"label counts {np.bincount(labels, minlength=10)}")
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        np.save(os.path.join(args.out, f"fashion_{args.split}_images.npy"), frames)
        np.save(os.path.join(args.out, f"fashion_{args.split}_labels.npy"), labels)
        print(f"wrote {args.out}/fashion_{args.split}_{{images,labels}}.npy")
    if args.png:
        write_pngs(args.png, frames, labels, index)
        print(f"wrote {len(frames)} PNGs to {args.png}")


if __name__ == "__main__":
    main()
