// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Cross-check for the samples: runs the PP-OCR direction classifier with ONNX Runtime (CPU) on the
// input tensors make_samples.py --tensors wrote and prints the class probabilities.
//
// Usage: node verify_samples.mjs MODEL_DIR TENSOR_DIR
//   MODEL_DIR: the directory tests/models/setup_ppocr.sh filled (ppocr_cls.onnx, node_modules)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const { loadOrt, runModel } = await import(
  path.join(here, '..', '..', 'tests', 'models', 'ppocr_reference.mjs'));

// Reads a little-endian float32 C-order .npy (what numpy.save writes for float32 arrays).
function readNpyF32(file) {
  const b = fs.readFileSync(file);
  const major = b[6];
  const headerLen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12);
  const header = b.toString('latin1', start, start + headerLen);
  if (!header.includes("'<f4'") || header.includes('True')) throw new Error(`${file}: not <f4 C`);
  const shape = header.match(/'shape': \(([^)]*)\)/)[1].split(',').filter((s) => s.trim())
    .map(Number);
  const off = start + headerLen;
  const data = new Float32Array(b.buffer.slice(b.byteOffset + off, b.byteOffset + b.length));
  return { data, shape };
}

const [modelDir, tensorDir] = process.argv.slice(2);
if (!modelDir || !tensorDir) {
  console.error('usage: node verify_samples.mjs MODEL_DIR TENSOR_DIR');
  process.exit(2);
}
const ort = loadOrt(modelDir);
for (const name of ['upright', 'rotated_180']) {
  const x = readNpyF32(path.join(tensorDir, `${name}.npy`));
  const [out] = await runModel(ort, path.join(modelDir, 'ppocr_cls.onnx'), x.data, x.shape);
  console.log(`${name}: P(0) = ${out.data[0].toPrecision(6)}, P(180) = ${out.data[1].toPrecision(6)}`);
}
