#!/usr/bin/python3
# Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
"""Runs an ONNX model without torch, to check an export and to measure the ONNX model's own
accuracy on a rendered evaluation set.

Usage: /usr/bin/python3 onnx_verify.py MODEL.onnx [--eval DIR] [--count N] [--engine E]
  --eval DIR  accuracy on DIR/fashion_test_images.npy + fashion_test_labels.npy
              (make_eval_set.py --out DIR), preprocessed by the model's edgert.preprocess
  --engine    reference (onnx.reference, onnx >= 1.13), onnxruntime, numpy (the small evaluator
              below), or auto (default: the first of those that is installed)

The numpy evaluator covers the operators of the fashion model (Conv, MaxPool, Pad, Relu, Add,
BatchNormalization, GlobalAveragePool, Flatten, Gemm, MatMul) and the shape arithmetic exporters
emit (Constant, ConstantOfShape, Concat, Reshape, Slice, Transpose, Cast, (Un)Squeeze, Gather,
Identity, Sub, Mul, Div), and fails naming any other operator. fold_constants() uses it to fold
that shape arithmetic into initializers after export. Debian 12's python3-onnx (1.12) has no
onnx.reference, so there it is the one that runs.
"""
import argparse
import os
import sys

import numpy as np


def _attrs(node):
    import onnx.helper

    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _windows(x, kh, kw, sh, sw):
    """(N,C,H,W) -> (N,C,Ho,Wo,kh,kw) strided windows (x already padded)."""
    v = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))
    return v[:, :, ::sh, ::sw]


def _pads4(a, rank=2):
    p = list(a.get("pads", [0] * (2 * rank)))
    return [(0, 0), (0, 0)] + [(p[i], p[i + rank]) for i in range(rank)]


def _conv(x, w, b, a):
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise NotImplementedError("Conv auto_pad")
    if any(d != 1 for d in a.get("dilations", [1, 1])):
        raise NotImplementedError("Conv dilations")
    sh, sw = a.get("strides", [1, 1])
    g = a.get("group", 1)
    m, cg, kh, kw = w.shape
    xp = np.pad(x, _pads4(a))
    outs = []
    for gi in range(g):
        win = _windows(xp[:, gi * cg:(gi + 1) * cg], kh, kw, sh, sw)  # N,cg,Ho,Wo,kh,kw
        wg = w[gi * (m // g):(gi + 1) * (m // g)]
        outs.append(np.einsum("nchwij,mcij->nmhw", win, wg, optimize=True))
    y = np.concatenate(outs, axis=1)
    if b is not None:
        y = y + b.reshape(1, -1, 1, 1)
    return y.astype(np.float32)


def _maxpool(x, a):
    if a.get("ceil_mode", 0) or any(d != 1 for d in a.get("dilations", [1, 1])):
        raise NotImplementedError("MaxPool ceil_mode/dilations")
    kh, kw = a["kernel_shape"]
    sh, sw = a.get("strides", [1, 1])
    xp = np.pad(x, _pads4(a), constant_values=-np.inf)
    return _windows(xp, kh, kw, sh, sw).max(axis=(4, 5))


def _pad(x, pads, value, a):
    mode = a.get("mode", b"constant")
    if mode not in (b"constant", "constant"):
        raise NotImplementedError(f"Pad mode {mode}")
    r = x.ndim
    pads = [int(p) for p in pads]
    if any(p < 0 for p in pads):
        raise NotImplementedError("Pad with negative pads")
    v = 0.0 if value is None or value.size == 0 else float(value.reshape(-1)[0])
    return np.pad(x, [(pads[i], pads[i + r]) for i in range(r)], constant_values=v)


def _gemm(a_, b_, c_, a):
    if a.get("transA", 0):
        a_ = a_.T
    if a.get("transB", 0):
        b_ = b_.T
    y = a.get("alpha", 1.0) * (a_ @ b_)
    if c_ is not None:
        y = y + a.get("beta", 1.0) * c_
    return y.astype(np.float32)


def _np_dtype(onnx_type):
    import onnx

    if hasattr(onnx.helper, "tensor_dtype_to_np_dtype"):
        return onnx.helper.tensor_dtype_to_np_dtype(onnx_type)
    return onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[onnx_type]


def _slice(x, starts, ends, axes, steps):
    axes = list(range(len(starts))) if axes is None else [int(a) % x.ndim for a in axes]
    steps = [1] * len(starts) if steps is None else steps
    sl = [slice(None)] * x.ndim
    for s, e, a, st in zip(starts, ends, axes, steps):
        sl[a] = slice(int(s), int(e), int(st))
    return x[tuple(sl)]


def eval_node(node, ins):
    """Output of one node (single-output operators only) for numpy inputs `ins` (None for an
    absent optional input)."""
    from onnx import numpy_helper

    a = _attrs(node)
    ins = list(ins) + [None] * 5
    op = node.op_type
    if op == "Conv":
        return _conv(ins[0], ins[1], ins[2], a)
    if op == "MaxPool":
        return _maxpool(ins[0], a)
    if op == "Pad":
        return _pad(ins[0], ins[1], ins[2], a)
    if op == "Relu":
        return np.maximum(ins[0], 0)
    if op in ("Add", "Sub", "Mul", "Div"):
        if op == "Div" and ins[0].dtype.kind in "iu":  # integer division truncates
            return (np.trunc(ins[0] / ins[1])).astype(ins[0].dtype)
        f = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}[op]
        return f(ins[0], ins[1]).astype(ins[0].dtype)
    if op == "BatchNormalization":
        sh = (1, -1) + (1,) * (ins[0].ndim - 2)
        inv = 1.0 / np.sqrt(ins[4].reshape(sh) + a.get("epsilon", 1e-5))
        y = (ins[0] - ins[3].reshape(sh)) * inv * ins[1].reshape(sh) + ins[2].reshape(sh)
        return y.astype(ins[0].dtype)
    if op == "GlobalAveragePool":
        return ins[0].mean(axis=tuple(range(2, ins[0].ndim)), keepdims=True)
    if op == "Flatten":
        ax = a.get("axis", 1)
        return ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)
    if op == "Reshape":
        shape = [int(d) for d in ins[1]]
        if not a.get("allowzero", 0):
            shape = [d if d != 0 else ins[0].shape[i] for i, d in enumerate(shape)]
        return ins[0].reshape(shape)
    if op == "Gemm":
        return _gemm(ins[0], ins[1], ins[2], a)
    if op == "MatMul":
        return np.matmul(ins[0], ins[1])
    if op == "Constant":
        if "value" not in a:
            raise NotImplementedError("Constant without a tensor value")
        return numpy_helper.to_array(a["value"])
    if op == "ConstantOfShape":
        v = numpy_helper.to_array(a["value"]) if "value" in a else np.zeros(1, np.float32)
        return np.full([int(d) for d in ins[0]], v.reshape(-1)[0], dtype=v.dtype)
    if op == "Concat":
        return np.concatenate(ins[:len(node.input)], axis=a["axis"])
    if op == "Slice":
        return _slice(ins[0], ins[1], ins[2], ins[3], ins[4])
    if op == "Transpose":
        return np.transpose(ins[0], a.get("perm"))
    if op == "Cast":
        return ins[0].astype(_np_dtype(a["to"]))
    if op == "Unsqueeze":
        return np.expand_dims(ins[0], tuple(int(v) for v in ins[1]))
    if op == "Squeeze":
        return np.squeeze(ins[0], None if ins[1] is None else tuple(int(v) for v in ins[1]))
    if op == "Gather":
        return np.take(ins[0], ins[1], axis=a.get("axis", 0))
    if op == "Identity":
        return ins[0]
    if op == "Shape":
        return np.array(ins[0].shape, dtype=np.int64)
    raise NotImplementedError(f"numpy evaluator: operator {op} (node {node.name})")


def run_numpy(model, feeds):
    """Evaluates the graph of an onnx.ModelProto on numpy inputs; returns the graph outputs."""
    from onnx import numpy_helper

    env = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    env.update(feeds)
    env[""] = None
    for node in model.graph.node:
        y = eval_node(node, [env[i] for i in node.input])
        env[node.output[0]] = y.astype(np.float32) if y.dtype == np.float64 else y
    return [env[o.name] for o in model.graph.output]


FOLDABLE = {"Constant", "ConstantOfShape", "Concat", "Reshape", "Slice", "Transpose", "Cast",
            "Unsqueeze", "Squeeze", "Gather", "Identity", "Add", "Sub", "Mul", "Div", "Shape"}


def fold_constants(model):
    """Replaces every node of FOLDABLE type whose inputs are all constant by an initializer (the
    exporter leaves shape arithmetic, e.g. the pads of a ZeroPad2d, unfolded). In place; returns
    the number of nodes removed."""
    from onnx import numpy_helper

    g = model.graph
    init_names = {t.name for t in g.initializer}
    const = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    keep, removed = [], 0
    for node in g.node:
        ins = [i for i in node.input if i]
        if node.op_type in FOLDABLE and len(node.output) == 1 and all(i in const for i in ins):
            const[node.output[0]] = eval_node(node, [const[i] if i else None for i in node.input])
            removed += 1
        else:
            keep.append(node)
    used = {i for n in keep for i in n.input} | {o.name for o in g.output}
    new_inits = [numpy_helper.from_array(np.asarray(v), k) for k, v in const.items()
                 if k in used and k not in init_names]
    old_inits = [t for t in g.initializer if t.name in used]
    del g.node[:]
    g.node.extend(keep)
    del g.initializer[:]
    g.initializer.extend(old_inits + new_inits)
    live = used | {o for n in keep for o in n.output}
    vi = [v for v in g.value_info if v.name in live]
    del g.value_info[:]
    g.value_info.extend(vi)
    return removed


def engines():
    """The evaluators installed here, best first."""
    found = []
    try:
        from onnx.reference import ReferenceEvaluator  # noqa: F401

        found.append("reference")
    except ImportError:
        pass
    try:
        import onnxruntime  # noqa: F401

        found.append("onnxruntime")
    except ImportError:
        pass
    return found + ["numpy"]


def run_onnx(path_or_model, x, engine="auto"):
    """(first output for input x (the model's single input), engine name)."""
    import onnx

    model = onnx.load(path_or_model) if isinstance(path_or_model, str) else path_or_model
    name = model.graph.input[0].name
    engine = engines()[0] if engine == "auto" else engine
    if engine == "reference":
        from onnx.reference import ReferenceEvaluator

        return ReferenceEvaluator(model).run(None, {name: x})[0], engine
    if engine == "onnxruntime":
        import onnxruntime as ort

        s = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        return s.run(None, {name: x})[0], engine
    if engine == "numpy":
        return run_numpy(model, {name: x})[0], engine
    raise ValueError(f"unknown engine {engine!r}")


def parse_preprocess(spec):
    """edgert.preprocess string -> dict (mean, scale as float lists)."""
    out = {}
    for part in spec.split(";"):
        k, _, v = part.partition("=")
        out[k.strip()] = [float(t) for t in v.split(",")] if k.strip() in ("mean", "scale") else v
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("--eval", metavar="DIR")
    ap.add_argument("--count", type=int)
    ap.add_argument("--engine", default="auto")
    ap.add_argument("--batch", type=int, default=100)
    args = ap.parse_args(argv)
    import onnx

    m = onnx.load(args.model)
    onnx.checker.check_model(m, full_check=True)
    meta = {p.key: p.value for p in m.metadata_props}
    dims = lambda v: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]  # noqa
    print(f"{args.model}: checker ok; inputs {[(i.name, dims(i)) for i in m.graph.input]}"
          f"; outputs {[o.name for o in m.graph.output]}; engines here {engines()}")
    for k, v in meta.items():
        print(f"  {k} = {v!r}")
    if not args.eval:
        return
    pp = parse_preprocess(meta["edgert.preprocess"])
    if pp.get("color") != "RGB" or pp.get("layout") != "NCHW":
        sys.exit(f"unsupported preprocessing {pp}")
    images = np.load(os.path.join(args.eval, "fashion_test_images.npy"), mmap_mode="r")
    labels = np.load(os.path.join(args.eval, "fashion_test_labels.npy"))
    n = len(labels) if args.count is None else args.count
    mean = np.array(pp["mean"], np.float32).reshape(1, 3, 1, 1)
    scale = np.array(pp["scale"], np.float32).reshape(1, 3, 1, 1)
    correct = 0
    for i in range(0, n, args.batch):
        x = (np.asarray(images[i:min(i + args.batch, n)]).transpose(0, 3, 1, 2)
             .astype(np.float32) - mean) * scale
        y, engine = run_onnx(m, x, args.engine)
        correct += int((y.argmax(1) == labels[i:i + len(x)]).sum())
    print(f"accuracy on {n} scenes of {args.eval} ({engine}): {correct / n:.4f}")


if __name__ == "__main__":
    main()
