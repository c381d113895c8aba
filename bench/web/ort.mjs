// Times onnxruntime-web (its wasm backend: SIMD, one thread, no proxy worker)
// in node on an ONNX model, the same way etch.mjs times etch: the case's
// input ITERS times after WARMUP, logits checked against the case's output
// (ATOL/RTOL), one JSON line with the median.
// Usage: NODE_PATH=<dir with node_modules> node ort.mjs MODEL.onnx CASE_DIR ATOL RTOL [ITERS] [WARMUP]
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { npy } from '../../examples/web/www/npy.mjs';

const [onnx, caseDir, atol, rtol, iters = '30', warmup = '3'] = process.argv.slice(2);
// onnxruntime-web is installed at bench time, outside the repo (ORT_DIR).
const require = createRequire(join(process.env.ORT_DIR, 'node_modules', '.'));
const mod = await import(require.resolve('onnxruntime-web/wasm'));
const ort = mod.env ? mod : mod.default;
ort.env.wasm.numThreads = 1;
ort.env.wasm.proxy = false;
const session = await ort.InferenceSession.create(await readFile(onnx), {
  executionProviders: ['wasm'], graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1,
});
const input = npy(await readFile(`${caseDir}/in0.npy`));
const expected = npy(await readFile(`${caseDir}/out0.npy`));
const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input, [1, 3, 224, 224]) };
let out;
const run = async () => { out = await session.run(feeds); };
for (let i = 0; i < Number(warmup); i++) await run();
const times = [];
for (let i = 0; i < Number(iters); i++) {
  const t = process.hrtime.bigint();
  await run();
  times.push(Number(process.hrtime.bigint() - t) / 1e6);
}
const logits = out[session.outputNames[0]].data;
let worst = 0, bad = 0;
logits.forEach((g, i) => {
  const e = expected[i], d = Math.abs(g - e);
  worst = Math.max(worst, d);
  if (!(d <= Number(atol) + Number(rtol) * Math.abs(e))) bad++;
});
times.sort((a, b) => a - b);
console.log(JSON.stringify({ name: 'onnxruntime-web', version: ort.env.versions?.web, median_ms: times[times.length >> 1], min_ms: times[0], iters: times.length, max_abs_diff: worst, mismatches: bad }));
if (bad) process.exit(1);
