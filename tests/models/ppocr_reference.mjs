// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Runs a PP-OCR model with ONNX Runtime (CPU) on a seeded random input and writes the input and
// the outputs as .npy, the reference EdgeRT's test_models compares against.
//
// Usage: node ppocr_reference.mjs DIR det|cls|rec
//   reads DIR/ppocr_<m>.onnx, writes DIR/ppocr_<m>_input.npy and DIR/ppocr_<m>_output.npy
//   (one output per model; a model with several would get _output1.npy, ... after the first).
// Also usable as a module: runModel() and writeNpy() are exported for other scripts.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// Input shapes: the models have dynamic batch/height/width; these are the sizes PaddleOCR feeds
// (det: multiple of 32, cls: 48x192, rec: 48 high, width a multiple of 8).
export const SHAPES = {
  det: [1, 3, 320, 320],
  cls: [1, 3, 48, 192],
  rec: [1, 3, 48, 320],
};

/// mulberry32: a tiny seeded PRNG, so the reference input is the same on every machine.
export function makeRng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/// A seeded page-like image, already normalized to [-1, 1]: a light noisy background with lines
/// of dark glyph-sized blocks. The detector needs it: on uniform noise its sigmoid output is ~1e-7
/// everywhere, deep in saturation, where a relative comparison measures only rounding (ORT's own
/// optimized and unoptimized runs differ by 3e-4 there, but by 5e-7 on this input).
export function textLikeImage(rng, dims) {
  const [, C, H, W] = dims;
  const x = new Float32Array(C * H * W);
  for (let i = 0; i < x.length; ++i) x[i] = 0.8 + 0.2 * rng();
  for (let y0 = 12 + Math.floor(rng() * 8); y0 + 14 < H; y0 += 30 + Math.floor(rng() * 16)) {
    const h = 14 + Math.floor(rng() * 8);
    const xEnd = W - 8 - Math.floor(rng() * W * 0.4);
    for (let x0 = 8 + Math.floor(rng() * 30); x0 < xEnd;) {
      const w = 4 + Math.floor(rng() * 10);
      for (let c = 0; c < C; ++c) {
        for (let yy = y0; yy < Math.min(H, y0 + h); ++yy) {
          for (let xx = x0; xx < Math.min(W, x0 + w); ++xx) {
            if (rng() < 0.7) x[(c * H + yy) * W + xx] = -0.9 + 0.2 * rng();
          }
        }
      }
      x0 += w + 2 + Math.floor(rng() * 5);
    }
  }
  return x;
}

/// Writes a C-order little-endian .npy (format 1.0) of float32 / int64 / uint8 data.
export function writeNpy(file, data, shape) {
  let descr;
  if (data instanceof Float32Array) descr = '<f4';
  else if (data instanceof BigInt64Array) descr = '<i8';
  else if (data instanceof Uint8Array) descr = '|u1';
  else throw new Error(`writeNpy: unsupported array type ${data.constructor.name}`);
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  // magic(6) + version(2) + header length(2) + header + '\n' must be a multiple of 64.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  if (header.length > 65535) throw new Error('writeNpy: header too long');
  const pre = Buffer.alloc(10);
  Buffer.from('\x93NUMPY', 'latin1').copy(pre, 0);
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  // The typed arrays are little-endian on every platform node runs on in practice (x86, arm).
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
}

/// Loads onnxruntime-node from DIR/node_modules (installed there by setup_ppocr.sh, not next to
/// this script).
export function loadOrt(dir) {
  const require = createRequire(path.join(path.resolve(dir), 'package.json'));
  return require('onnxruntime-node');
}

/// Runs `modelPath` on a float32 tensor; returns [{name, data, dims}] in the model's output order.
export async function runModel(ort, modelPath, data, dims) {
  // No graph optimizations: the reference should be the plain node-by-node semantics, not ORT's
  // fused kernels.
  const session = await ort.InferenceSession.create(modelPath, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'disabled',
    intraOpNumThreads: 1,
  });
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, dims) };
  const results = await session.run(feeds);
  return session.outputNames.map((n) => ({
    name: n, data: results[n].data, dims: results[n].dims,
  }));
}

async function main() {
  const [dir, which] = process.argv.slice(2);
  if (!dir || !(which in SHAPES)) {
    console.error('usage: node ppocr_reference.mjs DIR det|cls|rec');
    process.exit(2);
  }
  const ort = loadOrt(dir);
  const dims = SHAPES[which];
  const rng = makeRng({ det: 1, cls: 2, rec: 3 }[which]);
  const n = dims.reduce((a, b) => a * b, 1);
  let x;
  if (which === 'det') {
    x = textLikeImage(rng, dims);
  } else {
    // Uniform in [-1, 1), the range of images after PaddleOCR's (x/255 - 0.5) / 0.5; these two
    // models' outputs stay well away from saturation on it (checked against ORT's optimized run).
    x = new Float32Array(n);
    for (let i = 0; i < n; ++i) x[i] = rng() * 2 - 1;
  }
  const start = Date.now();
  const outs = await runModel(ort, path.join(dir, `ppocr_${which}.onnx`), x, dims);
  const ms = Date.now() - start;
  const base = path.join(dir, `ppocr_${which}`);
  // The input first, the outputs last: setup_ppocr.sh checks for the output file, so an
  // interrupted run is redone rather than leaving an output without its input.
  writeNpy(`${base}_input.npy`, x, dims);
  outs.forEach((o, i) => writeNpy(`${base}_output${i ? i : ''}.npy`, o.data, o.dims));
  console.log(`ppocr_${which}: input [${dims}] -> ` +
              outs.map((o) => `${o.name} [${o.dims}]`).join(', ') + ` (ORT ${ms} ms)`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`ppocr_reference.mjs: ${e.stack || e}`);
    process.exit(1);
  });
}
