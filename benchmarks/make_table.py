#!/usr/bin/env python3
# Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
"""The markdown table of benchmarks/gpu_benchmarks.sh, from the files it leaves in OUT_DIR:

  results/<model>_b<batch>_<precision>.bench.json   `edgert bench --report-json` (one engine)
  results/<model>_b<batch>_<precision>.error.json   a point that failed or was not run
  torch/*.json                                      benchmarks/torch_peer.py --out (any number)
  meta/run_*.txt                                    environment of each run ("key: value" lines)
  commands.log                                      every command run, in order

EdgeRT's time is the median latency of `edgert bench` (GPU time of one enqueue, no copies);
PyTorch's is torch_peer.py's median; img/s = batch * 1000 / median ms for both.

  python3 benchmarks/make_table.py OUT_DIR [--out FILE]
"""
import argparse
import glob
import json
import os
import re
import sys

PRECISIONS = ("fp32", "fp16", "int8")
TORCH_MODES = ("fp32_eager", "fp16_cl_eager", "fp16_cl_graph")
RESULT_NAME = re.compile(r"^(?P<model>.+)_b(?P<batch>\d+)_(?P<precision>fp32|fp16|int8qdq|int8)"
                         r"\.(?P<kind>bench|error)\.json$")


def load_json(path, problems):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        problems.append(f"{os.path.basename(path)}: unreadable ({e})")
        return None


def read_edgert(out_dir, problems):
    """{(model, batch, precision): {"ms", "ips", "report"} or {"error", "stage"}}."""
    points = {}
    for path in sorted(glob.glob(os.path.join(out_dir, "results", "*.json"))):
        m = RESULT_NAME.match(os.path.basename(path))
        if not m:
            continue
        key = (m["model"], int(m["batch"]), m["precision"])
        doc = load_json(path, problems)
        if doc is None:
            continue
        if m["kind"] == "error":
            if key not in points:  # a result from a later run wins over an old error
                points[key] = {"error": doc.get("error", "unknown error"),
                               "stage": doc.get("stage", "")}
            continue
        try:
            ms = float(doc["latency_ms"]["median"])
            batch = int(doc["batch"])
        except (KeyError, TypeError, ValueError):
            points[key] = {"error": "report without latency_ms.median/batch", "stage": "bench"}
            continue
        points[key] = {"ms": ms, "ips": batch * 1000.0 / ms if ms > 0 else 0.0, "report": doc}
    return points


def read_torch(out_dir, problems):
    """({(model, batch, mode): {"ms", "ips"} or {"error"}}, [env dicts], [errors of whole runs])."""
    points, envs, failed = {}, [], []
    files = glob.glob(os.path.join(out_dir, "torch", "*.json"))
    for path in sorted(files, key=os.path.getmtime):  # later runs override earlier ones
        doc = load_json(path, problems)
        if doc is None:
            continue
        if path.endswith(".error.json"):
            failed.append(f"{doc.get('error', 'failed')} (log: {doc.get('log', '?')})")
            continue
        if doc.get("env"):
            envs.append(doc["env"])
        for r in doc.get("results", []):
            points[(r["model"], int(r["batch"]), r["mode"])] = {
                "ms": float(r["median_ms"]), "ips": float(r["img_per_s"])}
        for e in doc.get("errors", []):
            points[(e["model"], int(e["batch"]), e["mode"])] = {"error": e["error"]}
    return points, envs, failed


def read_meta(out_dir):
    runs = []
    for path in sorted(glob.glob(os.path.join(out_dir, "meta", "run_*.txt"))):
        meta = {}
        with open(path, errors="replace") as f:
            for line in f:
                key, sep, value = line.rstrip("\n").partition(": ")
                if sep:
                    meta.setdefault(key, []).append(value)
        runs.append(meta)
    return runs


def fmt_ms(p):
    return f"{p['ms']:.3f}" if p and "ms" in p else ""


def fmt_ips(p):
    return f"{p['ips']:,.0f}" if p and "ips" in p else ""


def distinct(values):
    out = []
    for v in values:
        if v and v not in out:
            out.append(v)
    return ", ".join(out) if out else "unknown"


REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def relative_paths(text, out_dir, build_dir):
    """The machine's directories as names: OUT, BUILD and the repository root as '.'."""
    for path, name in ((os.path.abspath(out_dir), "OUT"),
                       (os.path.abspath(build_dir) if build_dir else None, "BUILD"),
                       (REPO, ".")):
        if path:
            text = text.replace(path + "/", name + "/").replace(path, name)
    return text


def make_table(out_dir, build_dir=None):
    problems = []
    edgert = read_edgert(out_dir, problems)
    torch_points, torch_envs, torch_failed = read_torch(out_dir, problems)
    runs = read_meta(out_dir)

    model_order = ["resnet50", "mobilenet_v2", "resnet18"]
    models = sorted({k[0] for k in edgert} | {k[0] for k in torch_points},
                    key=lambda m: (model_order.index(m) if m in model_order else 99, m))
    rows = sorted({(k[0], k[1]) for k in edgert} | {(k[0], k[1]) for k in torch_points},
                  key=lambda r: (models.index(r[0]), r[1]))

    # Errors get numbered notes; a cell shows "error [n]".
    notes = []

    def cell_ms(p, label):
        if p is None:
            return "-"
        if "error" in p:
            stage = p.get("stage", "")
            notes.append(f"{label}: {stage + ': ' if stage and stage != 'skipped' else ''}"
                         f"{p['error']}")
            return f"{'not run' if stage == 'skipped' else 'error'} [{len(notes)}]"
        return fmt_ms(p)

    lines = ["# EdgeRT vs PyTorch on one GPU", ""]
    reports = [p["report"] for p in edgert.values() if "report" in p]
    infos = [r.get("device_info") or {} for r in reports]
    smi = [v for r in runs for v in r.get("nvidia-smi", [])]
    env_lines = [
        ("Date", distinct([v for r in runs for v in r.get("date", [])] +
                          [e.get("date") for e in torch_envs])),
        ("GPU", distinct([i.get("name") for i in infos] + [e.get("gpu") for e in torch_envs])),
        ("Driver", distinct([e.get("driver") for e in torch_envs] +
                            [s.split(", ")[1] for s in smi if s.count(", ") >= 1]) +
         " (CUDA driver API " + distinct([i.get("cuda_driver") for i in infos] +
                                         [e.get("cuda_driver_api") for e in torch_envs]) + ")"),
        ("CUDA", "EdgeRT runtime " + distinct([i.get("cuda_runtime") for i in infos]) +
         "; nvcc " + distinct([v for r in runs for v in r.get("nvcc", [])]) +
         "; torch built with " + distinct([e.get("cuda") for e in torch_envs])),
        ("cuDNN", "EdgeRT " + distinct([i.get("cudnn") for i in infos]) + "; torch " +
         distinct([e.get("cudnn") for e in torch_envs])),
        ("cuBLAS (EdgeRT)", distinct([i.get("cublas") for i in infos])),
        ("PyTorch", "torch " + distinct([e.get("torch") for e in torch_envs]) + ", torchvision " +
         distinct([e.get("torchvision") for e in torch_envs])),
        ("EdgeRT", "git " + distinct([v for r in runs for v in r.get("git", [])])),
    ]
    for k, v in env_lines:
        lines.append(f"- {k}: {v}")
    lines += [
        "",
        "EdgeRT: `edgert build --target cuda --batch N [--fp16 | --int8]` (int8 calibrated on random "
        "normal data: for timing only), timed by `edgert bench --use-cuda-graph "
        "--no-data-transfers`; ms is the median GPU latency of one enqueue. PyTorch: "
        "`benchmarks/torch_peer.py`, fp16 channels_last replayed as a CUDA graph; ms is the median "
        "of 50 runs by CUDA events. Both: torchvision models with random weights, input 3x224x224, "
        "img/s = batch x 1000 / median ms. Speedup = PyTorch fp16 graph ms / EdgeRT ms (> 1: "
        "EdgeRT faster); \"best\" takes EdgeRT's fastest precision.",
        "",
        "| model | batch | EdgeRT fp32 ms | img/s | EdgeRT fp16 ms | img/s | EdgeRT int8 ms | img/s "
        "| PyTorch fp16 graph ms | img/s | speedup fp16 | speedup best |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for model, batch in rows:
        cells = [model, str(batch)]
        times = {}
        for prec in PRECISIONS:
            p = edgert.get((model, batch, prec))
            cells += [cell_ms(p, f"{model} batch {batch} EdgeRT {prec}"), fmt_ips(p)]
            if p and "ms" in p:
                times[prec] = p["ms"]
        t = torch_points.get((model, batch, "fp16_cl_graph"))
        cells += [cell_ms(t, f"{model} batch {batch} PyTorch fp16 graph"), fmt_ips(t)]
        tms = t.get("ms") if t else None
        cells.append(f"{tms / times['fp16']:.2f}x" if tms and times.get("fp16") else "")
        if tms and times:
            best = min(times, key=times.get)
            cells.append(f"{tms / times[best]:.2f}x ({best})")
        else:
            cells.append("")
        lines.append("| " + " | ".join(cells) + " |")

    qdq_rows = [(m, b) for m, b in rows if (m, b, "int8qdq") in edgert]
    if qdq_rows:
        lines += ["", "## Explicit (Q/DQ) vs implicit (calibrated) int8", "",
                  "The Q/DQ model is examples/fashion/make_qdq.py's copy of the ONNX model with the "
                  "int8 build's calibrated scales in QuantizeLinear/DequantizeLinear nodes; "
                  "difference = Q/DQ ms / calibrated ms - 1.", "",
                  "| model | batch | calibrated int8 ms | Q/DQ int8 ms | difference |",
                  "|---|--:|--:|--:|--:|"]
        for model, batch in qdq_rows:
            imp = edgert.get((model, batch, "int8"))
            exp = edgert.get((model, batch, "int8qdq"))
            diff = (f"{(exp['ms'] / imp['ms'] - 1) * 100:+.1f} %"
                    if imp and exp and "ms" in imp and "ms" in exp else "")
            lines.append(f"| {model} | {batch} | {cell_ms(imp, f'{model} batch {batch} int8')} | "
                         f"{cell_ms(exp, f'{model} batch {batch} Q/DQ int8')} | {diff} |")

    if torch_points:
        lines += ["", "## PyTorch, every mode", "",
                  "| model | batch | fp32 eager ms | img/s | fp16 channels_last eager ms | img/s "
                  "| fp16 channels_last CUDA graph ms | img/s |",
                  "|---|--:|--:|--:|--:|--:|--:|--:|"]
        for model, batch in rows:
            cells = [model, str(batch)]
            for mode in TORCH_MODES:
                p = torch_points.get((model, batch, mode))
                cells += [cell_ms(p, f"{model} batch {batch} PyTorch {mode}"), fmt_ips(p)]
            lines.append("| " + " | ".join(cells) + " |")

    if notes or torch_failed or problems:
        lines += ["", "## Errors", ""]
        lines += [f"{i}. {n}" for i, n in enumerate(notes, 1)]
        lines += [f"- PyTorch peer: {f}" for f in torch_failed]
        lines += [f"- {p}" for p in problems]

    lines += ["", "## Commands", ""]
    for r in runs:
        for c in r.get("command", []):
            c = relative_paths(c.strip(), out_dir, build_dir)
            lines.append(f"- `{c}` ({distinct(r.get('date', []))})")
    commands = os.path.join(out_dir, "commands.log")
    if os.path.exists(commands):
        with open(commands, errors="replace") as f:
            logged = [relative_paths(l.rstrip(), out_dir, build_dir) for l in f if l.strip()]
        lines += ["", f"<details><summary>Every command run ({len(logged)}; OUT = the output "
                  "directory, BUILD = the build directory, paths from the repository root)"
                  "</summary>", "", "```"]
        lines += logged
        lines += ["```", "", "</details>"]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("out_dir", help="OUT_DIR of gpu_benchmarks.sh")
    ap.add_argument("--out", help="write the markdown here (default: stdout)")
    ap.add_argument("--build-dir", help="the EdgeRT build directory (shown as BUILD)")
    args = ap.parse_args()
    if not os.path.isdir(args.out_dir):
        print(f"make_table.py: no directory {args.out_dir}", file=sys.stderr)
        return 2
    text = make_table(args.out_dir, args.build_dir)
    if args.out:
        tmp = args.out + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, args.out)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
