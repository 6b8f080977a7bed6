#!/usr/bin/python3
# Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
"""Writes an explicitly quantized (Q/DQ) copy of an ONNX classifier, the way quantization-aware
export tools lay it out: BatchNormalization folded into the preceding Conv, weights stored as int8
with per-output-channel scales behind a DequantizeLinear, and a QuantizeLinear/DequantizeLinear
pair on the activation input of every Conv and Gemm (placed before a Pad that feeds a Conv, since a
zero pad commutes with symmetric quantization). Activation scales come from an EdgeRT calibration
cache, so the explicit and the implicitly quantized (calibrated) engines use the same scales and can
be compared layer for layer. With --quantize-residual, both inputs of every Add get a Q/DQ pair too,
as quantization toolkits place them on a ResNet's shortcut so that the add (fused into the
convolution) reads and writes int8.

  make_qdq.py --onnx fashion_resnet.onnx --cache fashion.calib --out fashion_resnet_qdq.onnx
"""
import argparse
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper


def read_cache(path):
    """tensor name -> scale from an EdgeRT calibration cache (header line, then `name: scale amax`
    lines; names with spaces or colons are double-quoted)."""
    scales = {}
    with open(path) as f:
        lines = f.read().splitlines()
    if not lines or not lines[0].startswith("edgert-calibration-cache"):
        sys.exit(f"{path}: not an EdgeRT calibration cache")
    for line in lines[1:]:
        if not line.strip() or line.startswith("#"):
            continue
        name, _, values = line.rpartition(": ")
        if name.startswith('"') and name.endswith('"'):
            name = bytes(name[1:-1], "utf-8").decode("unicode_escape")
        scales[name] = float(values.split()[0])
    return scales


def fold_batchnorm(model):
    """Conv -> BatchNormalization (inference) becomes one Conv with new weights and bias."""
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    removed = set()
    for conv in list(g.node):
        if conv.op_type != "Conv" or len(consumers.get(conv.output[0], [])) != 1:
            continue
        bn = consumers[conv.output[0]][0]
        if bn.op_type != "BatchNormalization":
            continue
        eps = next((a.f for a in bn.attribute if a.name == "epsilon"), 1e-5)
        gamma, beta, mean, var = (numpy_helper.to_array(inits[i]) for i in bn.input[1:5])
        w = numpy_helper.to_array(inits[conv.input[1]])
        b = (numpy_helper.to_array(inits[conv.input[2]]) if len(conv.input) > 2 and conv.input[2]
             else np.zeros(w.shape[0], np.float32))
        k = gamma / np.sqrt(var + eps)
        w2 = (w * k.reshape(-1, 1, 1, 1)).astype(np.float32)
        b2 = ((b - mean) * k + beta).astype(np.float32)
        wn, bn_name = conv.name + ".weight_folded", conv.name + ".bias_folded"
        g.initializer.extend([numpy_helper.from_array(w2, wn), numpy_helper.from_array(b2, bn_name)])
        x = conv.input[0]
        del conv.input[:]
        conv.input.extend([x, wn, bn_name])
        conv.output[0] = bn.output[0]
        removed.add(id(bn))
    keep = [n for n in g.node if id(n) not in removed]
    del g.node[:]
    g.node.extend(keep)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--onnx", required=True)
    ap.add_argument("--cache", required=True, help="EdgeRT calibration cache (edgert build --int8)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--quantize-residual", action="store_true",
                    help="also a Q/DQ pair on both inputs of every Add")
    args = ap.parse_args()

    model = onnx.load(args.onnx)
    fold_batchnorm(model)
    scales = read_cache(args.cache)
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    producer = {o: n for n in g.node for o in n.output}
    new_nodes, qdq_done, quantized, skipped = [], {}, 0, []

    def qdq_activation(x):
        """Q/DQ on tensor x (once per tensor); returns the dequantized tensor's name."""
        if x in qdq_done:
            return qdq_done[x]
        s = scales.get(x)
        if s is None:
            return None
        sn, zn = x + "_qdq.scale", x + "_qdq.zero_point"
        g.initializer.extend([numpy_helper.from_array(np.array(s, np.float32), sn),
                              numpy_helper.from_array(np.array(0, np.int8), zn)])
        qn, dqn = x + "_quantized", x + "_dequantized"
        new_nodes.append(helper.make_node("QuantizeLinear", [x, sn, zn], [qn], name=x + "_Q"))
        new_nodes.append(helper.make_node("DequantizeLinear", [qn, sn, zn], [dqn], name=x + "_DQ"))
        qdq_done[x] = dqn
        return dqn

    def dq_weight(name, axis):
        w = numpy_helper.to_array(inits[name]).astype(np.float32)
        amax = np.abs(w).reshape(w.shape[0], -1).max(axis=1) if axis == 0 else \
            np.abs(w).reshape(-1, w.shape[1]).max(axis=0)
        s = np.maximum(amax, 1e-12) / 127.0
        shape = [-1] + [1] * (w.ndim - 1) if axis == 0 else [1, -1]
        q = np.clip(np.round(w / s.reshape(shape)), -127, 127).astype(np.int8)
        qn, sn, zn = name + "_int8", name + "_int8.scale", name + "_int8.zero_point"
        g.initializer.extend([numpy_helper.from_array(q, qn),
                              numpy_helper.from_array(s.astype(np.float32), sn),
                              numpy_helper.from_array(np.zeros(s.shape, np.int8), zn)])
        out = name + "_dequantized"
        new_nodes.append(helper.make_node("DequantizeLinear", [qn, sn, zn], [out], axis=axis,
                                          name=name + "_DQ"))
        return out

    for n in list(g.node):
        if n.op_type in ("Conv", "Gemm"):
            x = n.input[0]
            p = producer.get(x)
            if p is not None and p.op_type == "Pad" and n.op_type == "Conv":
                dq = qdq_activation(p.input[0])
                if dq is not None:
                    p.input[0] = dq
            else:
                dq = qdq_activation(x)
                if dq is not None:
                    n.input[0] = dq
            if dq is None:
                skipped.append(n.name)
                continue
            trans_b = next((a.i for a in n.attribute if a.name == "transB"), 0)
            axis = 0 if n.op_type == "Conv" or trans_b else 1
            n.input[1] = dq_weight(n.input[1], axis)
            quantized += 1
        elif n.op_type == "Add" and args.quantize_residual:
            for k, x in enumerate(n.input):
                dq = qdq_activation(x)
                if dq is not None:
                    n.input[k] = dq
    # Each new Q/DQ node goes right before the first node that reads it; every other node keeps its
    # place. The builder's fusions break ties by graph order (fuse_conv_add fuses a residual Add
    # into the later of two convolutions), so the explicit model fuses as the original does.
    made_by = {o: node for node in new_nodes for o in node.output}
    ordered, emitted = [], set()

    def emit(node):
        if id(node) in emitted:
            return
        for i in node.input:
            if i in made_by:
                emit(made_by[i])
        emitted.add(id(node))
        ordered.append(node)

    for node in list(g.node):
        emit(node)
    del g.node[:]
    g.node.extend(ordered)
    used = {i for node in g.node for i in node.input}
    keep = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(keep)
    onnx.checker.check_model(model)
    onnx.save(model, args.out)
    print(f"{args.out}: {quantized} layers quantized with Q/DQ"
          + (f"; no scale for {', '.join(skipped)} (left in float)" if skipped else ""))


if __name__ == "__main__":
    main()
