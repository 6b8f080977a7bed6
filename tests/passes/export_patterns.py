#!/usr/bin/env python3
# Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
"""Exports the small torch module whose ONNX graph holds the subgraphs recognize_patterns and
fuse_softmax_topk look for (erf and tanh Gelu, SiLU, LayerNorm, mean over H,W, Softmax + TopK and
Softmax + ArgMax), as torch.onnx writes them.

usage: export_patterns.py OUT_DIR OPSET   -> OUT_DIR/patterns_opset<OPSET>.onnx
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class Patterns(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln = nn.LayerNorm(8)
        with torch.no_grad():  # non-trivial affine parameters (defaults are 1 and 0)
            self.ln.weight.uniform_(0.5, 1.5)
            self.ln.bias.uniform_(-0.5, 0.5)

    def forward(self, x, y):
        return (F.gelu(x), F.gelu(x, approximate="tanh"), F.silu(x), self.ln(x),
                x.mean(dim=(2, 3)), x.mean(dim=(-2, -1), keepdim=True),
                *torch.softmax(x, -1).topk(3, -1), torch.softmax(y, -1).argmax(-1))


def main():
    out_dir, opset = sys.argv[1], int(sys.argv[2])
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)
    path = os.path.join(out_dir, f"patterns_opset{opset}.onnx")
    tmp = path + ".tmp"
    args = (torch.randn(1, 2, 4, 8), torch.randn(2, 10))
    torch.onnx.export(Patterns().eval(), args, tmp, opset_version=opset,
                      input_names=["x", "y"])
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
