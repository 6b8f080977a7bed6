#!/usr/bin/env python3
# Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
"""Exports the benchmark models with tests/models/export_torchvision.py (same models, weights,
seeds and exporter), changing one thing in its torch.onnx.export call: dim 0 of every input and
output is a symbolic "batch" (dynamic_axes). export_torchvision.py exports a static batch of 1, and
`edgert build --batch N` refuses to change a static dimension.

  python3 benchmarks/export_models.py OUT_DIR [MODEL...]     (arguments as export_torchvision.py)
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "models"))

import torch  # noqa: E402

import export_torchvision  # noqa: E402

_torch_export = torch.onnx.export


def export_with_dynamic_batch(*args, **kwargs):
    names = list(kwargs.get("input_names") or []) + list(kwargs.get("output_names") or [])
    if not names:
        raise RuntimeError("export_models.py: the export names no inputs/outputs to make dynamic")
    kwargs["dynamic_axes"] = {n: {0: "batch"} for n in names}
    return _torch_export(*args, **kwargs)


# export_torchvision looks torch.onnx.export up when it exports, so it calls this one.
torch.onnx.export = export_with_dynamic_batch

if __name__ == "__main__":
    sys.exit(export_torchvision.main())
