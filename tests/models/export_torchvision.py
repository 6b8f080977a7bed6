#!/usr/bin/python3
# Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
"""Exports torchvision classifiers (random weights) to ONNX plus a reference input/output pair.

Usage: /usr/bin/python3 export_torchvision.py OUT_DIR [MODEL...]
Writes OUT_DIR/<model>.onnx, <model>_input.npy and <model>_output.npy for each model (default:
resnet18 resnet50 mobilenet_v2). Files that already exist are kept, so reruns are cheap.

Random weights keep the export offline (no pretrained download); the numerics exercised by the
EdgeRT comparison are the same. Constant folding is off so that EdgeRT's own folding of the
exported shape computations (Flatten/Reshape chains) gets exercised.
"""
import fcntl
import inspect
import os
import sys
import time

import numpy as np
import torch
import torchvision

# torch 2.9 and later default to the dynamo-based exporter, which on torch 2.11 writes opset 18
# (IR 10; its conversion to the requested 13 fails) and turns torch.flatten into a Reshape to a
# constant shape. The TorchScript-based exporter writes opset 13 with Flatten, as older torch does
# by default. (Read here, before benchmarks/export_models.py wraps torch.onnx.export.)
LEGACY_EXPORTER = ({"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters
                   else {})

MODELS = {
    "resnet18": lambda: torchvision.models.resnet18(weights=None),
    "resnet50": lambda: torchvision.models.resnet50(weights=None),
    "mobilenet_v2": lambda: torchvision.models.mobilenet_v2(weights=None),
}


def export(name, out_dir):
    onnx_path = os.path.join(out_dir, name + ".onnx")
    in_path = os.path.join(out_dir, name + "_input.npy")
    out_path = os.path.join(out_dir, name + "_output.npy")
    if all(os.path.exists(p) for p in (onnx_path, in_path, out_path)):
        print(f"{name}: up to date")
        return
    start = time.time()
    # One seed per model so each model's files do not depend on which others were exported.
    torch.manual_seed(1234)
    model = MODELS[name]().eval()
    # Random init leaves BatchNorm at mean 0 / var 1, which makes BN an identity-like op; give the
    # running statistics random values so a wrong BN folding would show up in the comparison.
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)
    gen = torch.Generator().manual_seed(42)
    x = torch.rand(1, 3, 224, 224, generator=gen) * 2 - 1
    with torch.no_grad():
        y = model(x)
    # Write to temporary names and rename at the end: an interrupted run never leaves a file that
    # the up-to-date check above would accept.
    tmp = onnx_path + ".tmp"
    torch.onnx.export(model, x, tmp, opset_version=13, do_constant_folding=False,
                      input_names=["input"], output_names=["output"], **LEGACY_EXPORTER)
    np.save(in_path + ".tmp.npy", x.numpy().astype(np.float32))
    np.save(out_path + ".tmp.npy", y.numpy().astype(np.float32))
    os.replace(in_path + ".tmp.npy", in_path)
    os.replace(out_path + ".tmp.npy", out_path)
    os.replace(tmp, onnx_path)
    print(f"{name}: exported in {time.time() - start:.1f} s")


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out_dir = sys.argv[1]
    names = sys.argv[2:] or list(MODELS)
    for n in names:
        if n not in MODELS:
            print(f"unknown model {n!r}; known: {', '.join(MODELS)}", file=sys.stderr)
            return 2
    os.makedirs(out_dir, exist_ok=True)
    # Test cases run in parallel (ctest -j) may call this at once; serialize them on a lock so
    # that each model is exported once and the others just find the files.
    with open(os.path.join(out_dir, ".export.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for n in names:
            export(n, out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
