// Times an etch mobilenet module (built by examples/web/build-mobilenet.sh) in
// node: loads DIR/NAME.wasm, writes DIR/NAME.bin at the address in NAME.json,
// runs the case's input ITERS times after WARMUP, checks the logits against
// the case's output (ATOL/RTOL) and prints one JSON line with the median.
// NAME.relaxed (the relaxed SIMD build, node needs --experimental-wasm-relaxed-simd)
// shares NAME's .bin.
// Usage: node etch.mjs DIR NAME CASE_DIR ATOL RTOL [ITERS] [WARMUP]
import { readFile } from 'node:fs/promises';
import { npy } from '../../examples/web/www/npy.mjs';

const [dir, name, caseDir, atol, rtol, iters = '30', warmup = '3'] = process.argv.slice(2);
const manifest = JSON.parse(await readFile(`${dir}/${name}.json`, 'utf8'));
const { instance } = await WebAssembly.instantiate(await readFile(`${dir}/${name}.wasm`), {});
const wasm = instance.exports;
const weights = await readFile(`${dir}/${name.replace(/\.relaxed$/, '')}.bin`);
if (weights.length !== manifest.bytes) throw new Error(`${name}.bin has ${weights.length} bytes, the manifest says ${manifest.bytes}`);
new Uint8Array(wasm.memory.buffer, manifest.offset, manifest.bytes).set(weights);
const input = npy(await readFile(`${caseDir}/in0.npy`));
const expected = npy(await readFile(`${caseDir}/out0.npy`));
const run = () => {
  new Float32Array(wasm.memory.buffer, wasm.input_ptr(), input.length).set(input);
  return wasm.infer();
};
for (let i = 0; i < Number(warmup); i++) run();
const times = [];
for (let i = 0; i < Number(iters); i++) {
  const t = process.hrtime.bigint();
  run();
  times.push(Number(process.hrtime.bigint() - t) / 1e6);
}
const logits = new Float32Array(wasm.memory.buffer, wasm.logits_ptr(), expected.length);
let worst = 0, bad = 0;
logits.forEach((g, i) => {
  const e = expected[i], d = Math.abs(g - e);
  worst = Math.max(worst, d);
  if (!(d <= Number(atol) + Number(rtol) * Math.abs(e))) bad++;
});
times.sort((a, b) => a - b);
console.log(JSON.stringify({ name, median_ms: times[times.length >> 1], min_ms: times[0], iters: times.length, max_abs_diff: worst, mismatches: bad }));
if (bad) process.exit(1);
