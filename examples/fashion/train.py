#!/usr/bin/python3
# Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
"""Trains EdgeRT's bundled fashion classifier on rendered Fashion-MNIST scenes and exports it to
ONNX.

Usage (the full run, on a GPU: 40 epochs of 55000 scenes, 1-3 minutes on an H100):
  python3 examples/fashion/train.py --device cuda --epochs 40 --batch 256 --out OUT_DIR
Smoke test on a CPU:
  /usr/bin/python3 examples/fashion/train.py --device cpu --epochs 1 --train-count 2000 \
      --val-count 500 --test-count 500 --out /tmp/fashion_smoke
Re-export a checkpoint (e.g. one trained on another machine) with this machine's torch:
  /usr/bin/python3 examples/fashion/train.py --export-only OUT_DIR/fashion_resnet.npz --out DIR

Data: scenes are rendered on the fly on --device by scenes.py from Fashion-MNIST's train split
items 0..54999 (the renderer's randomness is the augmentation); items 55000..59999 are held out
and rendered once (fixed seed) as the validation set. After training, the model is evaluated on
the rendered test split exactly as make_eval_set.py writes it (CPU, its fixed seed).

Writes into --out: fashion_resnet.onnx (opset 17, input "image" float32 [batch,3,64,64] NCHW
normalised RGB, output "logits" [batch,10], no softmax; metadata_props edgert.labels and
edgert.preprocess), labels.txt, fashion_resnet.npz (the state_dict as numpy arrays, written
before the export) and train_log.txt (appended to). The ONNX file is checked with onnx.checker and
its outputs compared with torch's on a few inputs with every ONNX evaluator installed that does not
use torch (onnx.reference, onnxruntime, onnx_verify.py's numpy evaluator).
"""
import argparse
import os
import sys
import time
import warnings

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_eval_set  # noqa: E402
import onnx_verify  # noqa: E402
import scenes  # noqa: E402

INPUT_SIZE = 64
NUM_TRAIN = 55000  # train split items 0..54999 train; 55000..59999 are the validation set
VAL_SEED = 777
# torchvision (ImageNet) normalisation on [0,1] RGB: x = (p/255 - m) / s for pixel p in 0..255,
# i.e. x = (p - 255 m) * 1/(255 s): EdgeRT's PreprocessSpec mean and scale.
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
PIXEL_MEAN = tuple(255.0 * m for m in MEAN)
PIXEL_SCALE = tuple(1.0 / (255.0 * s) for s in STD)
ONNX_NAME = "fashion_resnet.onnx"
CKPT_NAME = "fashion_resnet.npz"  # numpy, so any torch version can re-export it
LOG_NAME = "train_log.txt"


def preprocess_spec():
    f = lambda v: ",".join(f"{x:.9g}" for x in v)  # noqa: E731
    return f"color=RGB;resize=stretch;layout=NCHW;mean={f(PIXEL_MEAN)};scale={f(PIXEL_SCALE)}"


def normalize(frames_u8):
    """uint8 NHWC RGB -> float32 NCHW network input (the preprocess spec, exactly)."""
    x = frames_u8.permute(0, 3, 1, 2).float()
    mean = torch.tensor(PIXEL_MEAN, device=x.device).view(1, 3, 1, 1)
    scale = torch.tensor(PIXEL_SCALE, device=x.device).view(1, 3, 1, 1)
    return (x - mean) * scale


# ---------------------------------------------------------------------------------------- model
def conv_bn(cin, cout, k, stride, pad):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, pad, bias=False), nn.BatchNorm2d(cout))


class BasicBlock(nn.Module):
    """ResNet basic block: relu(bn(conv(relu(bn(conv(x))))) + shortcut(x))."""

    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = conv_bn(cin, cout, 3, stride, 1)
        self.conv2 = conv_bn(cout, cout, 3, 1, 1)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = conv_bn(cin, cout, 1, stride, 0) if stride != 1 or cin != cout else None

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        y = self.relu(self.conv1(x))
        return self.relu(self.conv2(y) + identity)


class FashionResNet(nn.Module):
    """64x64 RGB -> 10 logits. Layout chosen so that EdgeRT's fusions all apply:
    stem   conv3x3/2 + BN + ReLU + MaxPool3x3/2     -> 32 x 16x16   (conv+pool fusion)
    layer1 BasicBlock(32)                           -> 32 x 16x16   (residual add fusion)
    layer2 BasicBlock(32->64, /2, 1x1 conv shortcut)-> 64 x 8x8
    trans  ZeroPad2d(1) + conv3x3/2 pad 0 + BN+ReLU -> 128 x 4x4    (pad+conv fusion)
    layer3 BasicBlock(128)                          -> 128 x 4x4
    head   global average pool, flatten, Linear(128, 10)
    """

    def __init__(self, num_classes=10, widths=(32, 64, 128)):
        super().__init__()
        w1, w2, w3 = widths
        self.stem = nn.Sequential(
            nn.Conv2d(3, w1, 3, 2, 1, bias=False), nn.BatchNorm2d(w1), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1))
        self.layer1 = BasicBlock(w1, w1)
        self.layer2 = BasicBlock(w1, w2, stride=2)
        self.trans = nn.Sequential(
            nn.ZeroPad2d(1), nn.Conv2d(w2, w3, 3, 2, 0, bias=False), nn.BatchNorm2d(w3),
            nn.ReLU(inplace=True))
        self.layer3 = BasicBlock(w3, w3)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(w3, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        for m in self.modules():  # zero-init the last BN of each residual branch
            if isinstance(m, BasicBlock):
                nn.init.zeros_(m.conv2[1].weight)

    def forward(self, x):
        x = self.stem(x)
        x = self.layer3(self.trans(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.pool(x), 1))


def count_macs(model, shape=(1, 3, INPUT_SIZE, INPUT_SIZE)):
    """Multiply-accumulates of Conv2d and Linear layers for one input (BN, ReLU, pool, add not
    counted)."""
    macs = []

    def hook(m, inp, out):
        if isinstance(m, nn.Conv2d):
            k = m.kernel_size[0] * m.kernel_size[1]
            macs.append(out.numel() * m.in_channels // m.groups * k)
        elif isinstance(m, nn.Linear):
            macs.append(out.numel() * m.in_features)

    hs = [m.register_forward_hook(hook) for m in model.modules()
          if isinstance(m, (nn.Conv2d, nn.Linear))]
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(shape, device=next(model.parameters()).device))
    model.train(was_training)
    for h in hs:
        h.remove()
    return sum(macs)


# ----------------------------------------------------------------------------------- training
class Log:
    def __init__(self, path):
        self.f = open(path, "a", encoding="utf-8")

    def __call__(self, msg):
        print(msg, flush=True)
        self.f.write(msg + "\n")
        self.f.flush()


@torch.no_grad()
def evaluate(model, frames_u8, labels, device, batch=500):
    """Accuracy of model on uint8 NHWC frames (numpy or tensor)."""
    model.eval()
    correct = 0
    for i in range(0, len(labels), batch):
        x = normalize(torch.as_tensor(frames_u8[i:i + batch]).to(device))
        if device.type == "cuda":
            x = x.contiguous(memory_format=torch.channels_last)
        pred = model(x).argmax(1).cpu()
        correct += int((pred == torch.as_tensor(labels[i:i + batch])).sum())
    return correct / len(labels)


def train(args, log):
    device = torch.device(args.device)
    torch.manual_seed(args.seed)
    images, labels = scenes.load_fashion_mnist("train", args.data)
    n_train = min(args.train_count or NUM_TRAIN, NUM_TRAIN)
    renderer = scenes.SceneRenderer(images, device=device)
    train_labels = torch.as_tensor(labels, device=device)

    gen = torch.Generator(device=device)
    gen.manual_seed(VAL_SEED)
    val_idx = torch.arange(NUM_TRAIN, NUM_TRAIN + args.val_count, device=device)
    with torch.no_grad():
        val_frames = torch.cat([renderer.render(val_idx[i:i + 500], gen)
                                for i in range(0, len(val_idx), 500)])
    val_labels = labels[NUM_TRAIN:NUM_TRAIN + args.val_count]

    model = FashionResNet().to(device)
    cuda = device.type == "cuda"
    if cuda:
        torch.backends.cudnn.benchmark = True
        model = model.to(memory_format=torch.channels_last)
    steps_per_epoch = n_train // args.batch
    if steps_per_epoch < 1:
        raise SystemExit(f"--batch {args.batch} is larger than the training set ({n_train})")
    decay, no_decay = [], []
    for p in model.parameters():
        (decay if p.ndim > 1 else no_decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.wd},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=args.lr, epochs=args.epochs, steps_per_epoch=steps_per_epoch, pct_start=0.15,
        div_factor=20.0, final_div_factor=200.0)
    crit = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)

    log(f"device {device} ({torch.cuda.get_device_name(device) if cuda else 'cpu'}), torch "
        f"{torch.__version__}; train items {n_train}, val items {args.val_count}, "
        f"{steps_per_epoch} steps of {args.batch} per epoch, {args.epochs} epochs; AdamW lr "
        f"{args.lr} wd {args.wd} OneCycle, label smoothing {args.label_smoothing}, "
        f"bf16 autocast {cuda and not args.no_amp}")
    gen.manual_seed(args.seed)
    perm_gen = torch.Generator()
    perm_gen.manual_seed(args.seed)
    best = 0.0
    for epoch in range(1, args.epochs + 1):
        t0 = time.time()
        model.train()
        perm = torch.randperm(n_train, generator=perm_gen).to(device)
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), device=device, dtype=torch.long)
        seen = 0
        for step in range(steps_per_epoch):
            idx = perm[step * args.batch:(step + 1) * args.batch]
            with torch.no_grad():
                x = normalize(renderer.render(idx, gen))
                if cuda:
                    x = x.contiguous(memory_format=torch.channels_last)
            y = train_labels[idx]
            with torch.autocast(device_type=device.type, dtype=torch.bfloat16,
                                enabled=cuda and not args.no_amp):
                out = model(x)
                loss = crit(out.float(), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.detach() * len(idx)
            correct += (out.argmax(1) == y).sum()
            seen += len(idx)
        val_acc = evaluate(model, val_frames, val_labels, device)
        best = max(best, val_acc)
        log(f"epoch {epoch:3d}/{args.epochs}  lr {sched.get_last_lr()[0]:.2e}  loss "
            f"{float(loss_sum) / seen:.4f}  train acc {int(correct) / seen:.4f}  eval acc "
            f"{val_acc:.4f}  ({time.time() - t0:.1f} s)")
    return model.to(memory_format=torch.contiguous_format), best


# ------------------------------------------------------------------------------------- export
def export_onnx(model, path):
    """Exports the float32 model (CPU, eval) to ONNX opset 17 with a dynamic batch dimension,
    then adds EdgeRT's metadata."""
    import inspect

    import onnx

    model = model.cpu().float().eval()
    kwargs = dict(input_names=["image"], output_names=["logits"], opset_version=17,
                  dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
                  do_constant_folding=False,  # keep BatchNormalization: the builder folds it
                  training=torch.onnx.TrainingMode.PRESERVE)  # (eval model; skips the BN peephole)
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # the TorchScript exporter: plain op set
    dummy = torch.zeros(1, 3, INPUT_SIZE, INPUT_SIZE)
    with warnings.catch_warnings():
        # torch 1.13 on the ZeroPad2d pads: "Constant folding - Only steps=1 can be constant
        # folded ..."; fold_constants() below folds them.
        warnings.filterwarnings("ignore", message="Constant folding")
        torch.onnx.export(model, (dummy,), path, **kwargs)

    m = onnx.load(path)
    # ZeroPad2d exports as Pad fed by a chain of shape ops (ConstantOfShape, Concat, Slice, ...);
    # fold them so that the Pad's pads are a plain int64 initializer.
    onnx_verify.fold_constants(m)
    rename_initializers(m)
    meta = {"edgert.labels": "\n".join(scenes.CLASS_NAMES),
            "edgert.preprocess": preprocess_spec()}
    del m.metadata_props[:]
    for k, v in meta.items():
        e = m.metadata_props.add()
        e.key, e.value = k, v
    m.doc_string = ("EdgeRT fashion classifier: 64x64 RGB camera-like scene of one Fashion-MNIST "
                    "item -> 10 class logits (examples/fashion).")
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, path)
    return m


def rename_initializers(m):
    """Names the exporter's generated initializers (onnx::Conv_115: conv weights with BN folded in,
    /trans/.../Cast_output_0: folded constants) after their node: <node name>.<role>."""
    roles = {"Conv": ["x", "weight", "bias"], "Gemm": ["a", "weight", "bias"],
             "Pad": ["x", "pads", "constant_value"]}
    inits = {t.name: t for t in m.graph.initializer}
    renames = {}
    for n in m.graph.node:
        for k, name in enumerate(n.input):
            if name in inits and name not in renames and (name.startswith("onnx::") or
                                                          name.startswith("/")):
                role = roles.get(n.op_type, [])[k] if k < len(roles.get(n.op_type, [])) else str(k)
                renames[name] = f"{n.name}.{role}"
    for n in m.graph.node:
        for k, name in enumerate(n.input):
            if name in renames:
                n.input[k] = renames[name]
    for t in m.graph.initializer:
        t.name = renames.get(t.name, t.name)


def export_and_check(model, out_dir, log):
    path = os.path.join(out_dir, ONNX_NAME)
    m = export_onnx(model, path)
    ops = {}
    for n in m.graph.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    log(f"exported {path} ({os.path.getsize(path)} bytes): ops {dict(sorted(ops.items()))}")
    log(f"  edgert.preprocess = {preprocess_spec()}")
    # Compare torch and an ONNX evaluator that does not use torch, on rendered scenes (batch 3,
    # checks the dynamic batch) and on random noise (batch 1).
    frames, _, _ = make_eval_set.render_split("test", 3, start=100, seed=1, data=None)
    inputs = [normalize(torch.from_numpy(frames)).numpy(),
              np.random.default_rng(0).standard_normal((1, 3, INPUT_SIZE, INPUT_SIZE))
              .astype(np.float32)]
    model = model.cpu().eval()
    for x in inputs:
        with torch.no_grad():
            ref = model(torch.from_numpy(x)).numpy()
        for engine in onnx_verify.engines():
            got, _ = onnx_verify.run_onnx(m, x, engine)
            err = float(np.max(np.abs(got - ref)))
            rel = err / max(float(np.max(np.abs(ref))), 1e-6)
            log(f"  onnx ({engine}) vs torch, input {list(x.shape)}: max abs diff {err:.2e} "
                f"(relative {rel:.2e}), argmax equal "
                f"{bool((got.argmax(1) == ref.argmax(1)).all())}")
            if rel > 1e-4:
                raise SystemExit(f"ONNX export does not match torch ({engine})")
    with open(os.path.join(out_dir, "labels.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(scenes.CLASS_NAMES) + "\n")
    return path


def save_checkpoint(model, info, path):
    arrays = {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}
    np.savez(path, __info__=np.array(info), **arrays)


def load_checkpoint(path):
    with np.load(path, allow_pickle=False) as z:
        state = {k: torch.from_numpy(z[k]) for k in z.files if k != "__info__"}
    model = FashionResNet()
    model.load_state_dict(state)
    return model.eval()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=4e-3, help="peak learning rate (OneCycle)")
    ap.add_argument("--wd", type=float, default=0.05, help="AdamW weight decay (conv/linear)")
    ap.add_argument("--label-smoothing", type=float, default=0.1)
    ap.add_argument("--train-count", type=int, help="train on the first N items only (smoke)")
    ap.add_argument("--val-count", type=int, default=5000)
    ap.add_argument("--test-count", type=int, default=10000,
                    help="rendered test scenes for the final accuracy (0: skip)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-amp", action="store_true", help="no bf16 autocast on CUDA")
    ap.add_argument("--data", help="Fashion-MNIST .gz directory (default "
                    "$EDGERT_FASHION_MNIST or /usr/share/datasets/fashion-mnist)")
    ap.add_argument("--threads", type=int, help="torch CPU threads")
    ap.add_argument("--export-only", metavar="CKPT", help="export this checkpoint, no training")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    if not 0 < args.val_count <= 60000 - NUM_TRAIN:
        ap.error(f"--val-count must be in 1..{60000 - NUM_TRAIN}")
    if args.data:
        os.environ["EDGERT_FASHION_MNIST"] = args.data  # make_eval_set / scenes default
    if args.threads:
        torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    log = Log(os.path.join(args.out, LOG_NAME))
    t_start = time.time()
    log(f"== {time.strftime('%Y-%m-%d %H:%M:%S')} train.py {' '.join(argv or sys.argv[1:])}")

    device = torch.device(args.device)
    if args.export_only:
        model = load_checkpoint(args.export_only)
        device = torch.device("cpu")
        log(f"loaded {args.export_only}")
    else:
        model, best = train(args, log)
        info = f"best eval acc {best:.4f}, torch {torch.__version__}, args {vars(args)}"
        save_checkpoint(model, info, os.path.join(args.out, CKPT_NAME))
        log(f"training done in {time.time() - t_start:.1f} s; wrote {CKPT_NAME}")

    n_params = sum(p.numel() for p in model.parameters())
    macs = count_macs(model)
    log(f"parameters {n_params} ({n_params * 4 / 1e6:.2f} MB float32); {macs / 1e6:.1f} M MACs "
        f"= {2 * macs / 1e6:.1f} MFLOPs per 1x3x64x64 image (conv + linear)")
    if args.test_count:
        t0 = time.time()
        frames, labels, _ = make_eval_set.render_split("test", args.test_count)
        acc = evaluate(model.to(device), frames, labels, device)
        log(f"rendered test split (make_eval_set.py scenes 0..{args.test_count - 1}, seed "
            f"{make_eval_set.DEFAULT_SEEDS['test']}): accuracy {acc:.4f} "
            f"({time.time() - t0:.1f} s)")
    try:
        export_and_check(model.cpu().eval(), args.out, log)
    except Exception as e:  # noqa: BLE001 (keep the log; the checkpoint is already written)
        log(f"EXPORT FAILED: {type(e).__name__}: {e}")
        log(f"re-export with: train.py --export-only {os.path.join(args.out, CKPT_NAME)} --out DIR")
        log(f"total time {time.time() - t_start:.1f} s")
        sys.exit(3)
    log(f"total time {time.time() - t_start:.1f} s")


if __name__ == "__main__":
    main()
