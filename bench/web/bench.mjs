// bench/web.sh's run in headless Chromium: etch's module with relaxed SIMD,
// with SIMD128 and without, and onnxruntime-web (wasm backend, SIMD, one thread: the page is
// not cross-origin isolated, so it has no threads), interleaved over
// ?rounds=R&iters=N. Logits are checked against the case's output; the
// medians go in body's data-results (JSON) for web.sh.
import { npy } from './npy.mjs';
import * as ort from './ort/ort.wasm.min.mjs';

const q = new URLSearchParams(location.search);
const [rounds, iters, atol, rtol] = ['rounds', 'iters', 'atol', 'rtol'].map((k) => Number(q.get(k)));
const get = async (u) => new Uint8Array(await (await fetch(u)).arrayBuffer());
const input = npy((await get('case/in0.npy')).buffer);
const expected = npy((await get('case/out0.npy')).buffer);
const log = (s) => { document.getElementById('log').textContent += `\n${s}`; };

function check(name, logits) {
  const bad = expected.filter((e, i) => !(Math.abs(logits[i] - e) <= atol + rtol * Math.abs(e))).length;
  if (bad) throw new Error(`${name}: ${bad} logits off ExecuTorch's`);
}

async function etch(dir, build = '') {
  const manifest = await (await fetch(`${dir}/mobilenet_v2${build}.json`)).json();
  const { instance } = await WebAssembly.instantiate(await get(`${dir}/mobilenet_v2${build}.wasm`), {});
  const w = instance.exports;
  new Uint8Array(w.memory.buffer, manifest.offset, manifest.bytes).set(await get(`${dir}/mobilenet_v2.bin`));
  return async () => {
    new Float32Array(w.memory.buffer, w.input_ptr(), input.length).set(input);
    w.infer();
    return new Float32Array(w.memory.buffer, w.logits_ptr(), expected.length);
  };
}

async function onnx() {
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmPaths = new URL('ort/', location.href).href;
  const s = await ort.InferenceSession.create(await get('mobilenet_v2.onnx'), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const feeds = { [s.inputNames[0]]: new ort.Tensor('float32', input, [1, 3, 224, 224]) };
  return async () => (await s.run(feeds))[s.outputNames[0]].data;
}

try {
  const runs = { 'etch-wasm-relaxed': await etch('simd', '.relaxed'), 'etch-wasm-simd': await etch('simd'), 'etch-wasm-scalar': await etch('scalar'), 'onnxruntime-web': await onnx() };
  const medians = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
  for (const [name, run] of Object.entries(runs)) { for (let i = 0; i < 3; i++) check(name, await run()); }
  for (let r = 0; r < rounds; r++) {
    for (const [name, run] of Object.entries(runs)) {
      const t = [];
      for (let i = 0; i < iters; i++) { const t0 = performance.now(); await run(); t.push(performance.now() - t0); }
      t.sort((a, b) => a - b);
      medians[name].push(t[t.length >> 1]);
      log(`round ${r + 1}: ${name} ${t[t.length >> 1].toFixed(2)} ms`);
    }
  }
  const mid = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  document.body.dataset.results = JSON.stringify(Object.fromEntries(Object.entries(medians).map(([k, v]) => [k, mid(v)])));
  document.body.dataset.ready = 'true';
} catch (e) {
  log(`Could not run: ${e.message}`);
  throw e;
}
