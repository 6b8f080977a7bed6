#!/usr/bin/python3
# Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
"""Exports torchvision resnet18 (random weights) with its BatchNormalization nodes kept.

Usage: /usr/bin/python3 export_bn_model.py OUT_DIR
Writes OUT_DIR/resnet18_bn.onnx, resnet18_bn_input.npy and resnet18_bn_output.npy (kept when they
exist). torch.onnx folds BN into the preceding Conv when exporting in eval mode, so the models of
tests/models/export_torchvision.py have no BN left; TrainingMode.PRESERVE on an eval() model keeps
the inference BNs, which is what fold_batchnorm needs to see on a real network.
"""
import os
import sys

import numpy as np
import torch
import torchvision


def main(out_dir):
    prefix = os.path.join(out_dir, "resnet18_bn")
    paths = [prefix + ".onnx", prefix + "_input.npy", prefix + "_output.npy"]
    if all(os.path.exists(p) for p in paths):
        return
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(4321)
    model = torchvision.models.resnet18(weights=None).eval()
    # Random BN statistics (random init leaves them at identity) so a wrong fold shows.
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)
    x = torch.rand(1, 3, 224, 224, generator=torch.Generator().manual_seed(42)) * 2 - 1
    with torch.no_grad():
        y = model(x)
    tmp = prefix + ".tmp.onnx"
    torch.onnx.export(model, x, tmp, opset_version=13, do_constant_folding=False,
                      training=torch.onnx.TrainingMode.PRESERVE, input_names=["input"],
                      output_names=["output"])
    np.save(prefix + "_input.tmp.npy", x.numpy().astype(np.float32))
    np.save(prefix + "_output.tmp.npy", y.numpy().astype(np.float32))
    os.replace(prefix + "_input.tmp.npy", paths[1])
    os.replace(prefix + "_output.tmp.npy", paths[2])
    os.replace(tmp, paths[0])


if __name__ == "__main__":
    main(sys.argv[1])
