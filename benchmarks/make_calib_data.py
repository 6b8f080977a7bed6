#!/usr/bin/env python3
# Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
"""Random calibration data for int8 benchmark builds: one float32 .npy of shape [SAMPLES, *SHAPE]
with standard-normal values (fixed seed), which `edgert build --int8 --calib-data FILE` cuts into
batches of the engine's batch size (sdk/quant/calibration_data.h: a tensor file of K samples).

Random data gives int8 scales that are fine for timing and meaningless for accuracy: use it for
speed benchmarks only.

  python3 benchmarks/make_calib_data.py --out calib_3x224x224.npy --shape 3x224x224 --samples 128
"""
import argparse
import os
import sys

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--out", required=True, help=".npy file to write")
    ap.add_argument("--shape", default="3x224x224", help="one sample, without the batch dim")
    ap.add_argument("--samples", type=int, default=32, help="number of samples (default 32)")
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()
    try:
        shape = [int(d) for d in args.shape.lower().split("x")]
    except ValueError:
        ap.error(f"--shape {args.shape!r}: expected dims like 3x224x224")
    if args.samples < 1 or any(d < 1 for d in shape):
        ap.error("--samples and every --shape dim must be >= 1")
    rng = np.random.default_rng(args.seed)
    data = rng.standard_normal((args.samples, *shape), dtype=np.float32)
    tmp = args.out + ".tmp.npy"  # np.save appends .npy to names without it
    np.save(tmp, data)
    os.replace(tmp, args.out)
    print(f"{args.out}: float32 {list(data.shape)}, standard normal, seed {args.seed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
