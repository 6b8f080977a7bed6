#!/usr/bin/env python3
# Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
"""Exports one small ONNX model per layer kind and fusion the CUDA backend must run: every
convolution geometry its tactics treat differently, each fused pattern (conv+bn+act, conv+add+act,
pad+conv, conv+maxpool, gemm+act), the pooling, element-wise, softmax and data-movement layers.
The GPU engine tests build each one for the CPU and CUDA targets and compare the outputs.

usage: export_gpu_cases.py OUT_DIR   -> OUT_DIR/<case>.onnx (random weights, seed 0)
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_bn(cin, cout, k, s=1, p=0, d=1, g=1, act=None):
    layers = [nn.Conv2d(cin, cout, k, s, p, d, g, bias=False), nn.BatchNorm2d(cout)]
    if act is not None:
        layers.append(act)
    return nn.Sequential(*layers)


class Residual(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.a = conv_bn(c, c, 3, 1, 1, act=nn.ReLU())
        self.b = conv_bn(c, c, 3, 1, 1)

    def forward(self, x):
        return F.relu(self.b(self.a(x)) + x)


class Bottleneck1x1(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = conv_bn(32, 16, 1, act=nn.ReLU())
        self.b = conv_bn(16, 32, 1)

    def forward(self, x):
        return F.relu(self.b(self.a(x)) + x)


class PadConv(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(8, 16, 3)

    def forward(self, x):
        return F.relu(self.conv(F.pad(x, (1, 1, 1, 1))))


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = conv_bn(8, 32, 3, 1, 1, act=nn.ReLU())
        self.fc1 = nn.Linear(32, 24)
        self.fc2 = nn.Linear(24, 10)

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.conv(x), 1).flatten(1)
        return torch.softmax(self.fc2(F.relu(self.fc1(x))), -1)


class Elementwise(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(8, 8, 3, padding=1)
        self.scale = nn.Parameter(torch.rand(1, 8, 1, 1) + 0.5)

    def forward(self, x):
        y = self.conv(x)
        z = torch.sigmoid(y) * self.scale + torch.tanh(x) - 0.25
        return torch.maximum(z, F.hardswish(y)) / 1.5


class Concat(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = conv_bn(8, 8, 1, act=nn.ReLU())
        self.b = conv_bn(8, 12, 3, 1, 1, act=nn.ReLU())
        self.c = conv_bn(20, 16, 1, act=nn.ReLU6())

    def forward(self, x):
        return self.c(torch.cat([self.a(x), self.b(x)], 1))


class Pools(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = conv_bn(8, 16, 3, 1, 1, act=nn.ReLU())

    def forward(self, x):
        y = self.conv(x)
        return (F.max_pool2d(y, 3, 2, 1), F.avg_pool2d(y, 2, 2),
                F.avg_pool2d(y, 3, 1, 1, count_include_pad=False), y.amax((2, 3), keepdim=True))


class ConvMaxPool(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = conv_bn(3, 16, 7, 2, 3, act=nn.ReLU())

    def forward(self, x):
        return F.max_pool2d(self.conv(x), 3, 2, 1)


class Activations(nn.Module):
    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv2d(8, 8, 3, padding=1) for _ in range(5)])

    def forward(self, x):
        acts = [F.silu, F.gelu, torch.sigmoid, F.leaky_relu, F.hardsigmoid]
        return tuple(a(c(x)) for a, c in zip(acts, self.convs))


class Transpose(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x):  # x: 1 x 8 x 6 x 5
        y = x.permute(0, 2, 3, 1)  # N H W C
        return torch.log_softmax(self.fc(y), -1).permute(0, 3, 1, 2).contiguous()


CASES = {
    # name: (module, input shape)
    "conv3x3": (conv_bn(8, 16, 3, 1, 1, act=nn.ReLU()), (2, 8, 13, 11)),
    "conv1x1": (conv_bn(16, 24, 1, act=nn.ReLU()), (2, 16, 9, 7)),
    "conv3x3_s2": (conv_bn(8, 16, 3, 2, 1, act=nn.ReLU()), (2, 8, 15, 15)),
    "conv7x7_s2": (conv_bn(3, 16, 7, 2, 3, act=nn.ReLU()), (1, 3, 32, 30)),
    "conv_dilated": (conv_bn(8, 8, 3, 1, 2, d=2), (1, 8, 12, 12)),
    "conv_grouped": (conv_bn(8, 16, 3, 1, 1, g=2, act=nn.ReLU()), (1, 8, 10, 10)),
    "conv_depthwise": (conv_bn(16, 16, 3, 1, 1, g=16, act=nn.ReLU6()), (2, 16, 12, 12)),
    "conv_depthwise_s2": (conv_bn(16, 16, 5, 2, 2, g=16, act=nn.ReLU6()), (1, 16, 15, 15)),
    "residual": (Residual(16), (2, 16, 10, 10)),
    "bottleneck_1x1": (Bottleneck1x1(), (2, 32, 8, 8)),
    "pad_conv": (PadConv(), (1, 8, 9, 9)),
    "conv_maxpool": (ConvMaxPool(), (2, 3, 32, 32)),
    "head_gemm_softmax": (Head(), (4, 8, 6, 6)),
    "elementwise": (Elementwise(), (2, 8, 7, 7)),
    "concat": (Concat(), (1, 8, 9, 9)),
    "pools": (Pools(), (2, 8, 11, 11)),
    "activations": (Activations(), (1, 8, 9, 9)),
    "transpose_logsoftmax": (Transpose(), (1, 8, 6, 5)),
}


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    for name, (module, shape) in CASES.items():
        torch.manual_seed(0)
        module.eval()
        for m in module.modules():  # non-trivial batch-norm statistics
            if isinstance(m, nn.BatchNorm2d):
                with torch.no_grad():
                    m.running_mean.uniform_(-0.5, 0.5)
                    m.running_var.uniform_(0.5, 1.5)
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.uniform_(-0.5, 0.5)
        path = os.path.join(out_dir, name + ".onnx")
        tmp = path + ".tmp"
        torch.onnx.export(module, (torch.randn(*shape),), tmp, opset_version=17,
                          input_names=["x"], do_constant_folding=False,
                          training=torch.onnx.TrainingMode.PRESERVE)
        os.replace(tmp, path)
    print(f"wrote {len(CASES)} models to {out_dir}")


if __name__ == "__main__":
    main()
