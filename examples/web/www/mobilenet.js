// The image classifier: mobilenet_v2 (f32 or int8) as an etch wasm module with
// no imports, whose weights come as a separate .bin (fetched with progress,
// kept in the Cache API) written into the module's memory before its first call.
// `?test=K&model=NAME` runs the zoo's case K input (models/NAME.case0.npy for
// K = 0) through the same classify(); #prediction's data-* attributes carry the
// model, class and logits, which check.sh reads.

const $ = (id) => document.getElementById(id);
const SIDE = 224;
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];
const params = new URLSearchParams(location.search);

// One function doing f32x4.relaxed_madd: where the engine validates it, the page
// loads the relaxed SIMD build (fused multiply-add), else the SIMD128 one.
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0,
  ...[0, 1, 2].flatMap(() => [253, 12, ...new Array(16).fill(0)]), 253, 133, 2, 11,
]);
const BUILD = WebAssembly.validate(RELAXED_PROBE) ? '.relaxed' : '';

const classes = await (await fetch('imagenet_classes.json')).json();
const loaded = new Map();
let model = null;
let input = null;
let inputSource = '';

/** Bytes of `url`, reporting progress; from the cache when it is there. */
async function weights(url, onProgress) {
  const cache = 'caches' in self ? await caches.open('etch-mobilenet-weights') : null;
  const hit = cache && (await cache.match(url));
  if (hit) {
    const bytes = new Uint8Array(await hit.arrayBuffer());
    onProgress(bytes.length, bytes.length, true);
    return Object.assign(bytes, { fromCache: true });
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const total = Number(response.headers.get('content-length')) || 0;
  const reader = response.body.getReader();
  const parts = [];
  let got = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    got += value.length;
    onProgress(got, total, false);
  }
  const bytes = new Uint8Array(got);
  let at = 0;
  for (const p of parts) { bytes.set(p, at); at += p.length; }
  if (cache) await cache.put(url, new Response(bytes, { headers: { 'content-type': 'application/octet-stream' } }));
  return bytes;
}

async function load(name) {
  if (loaded.has(name)) return loaded.get(name);
  const manifest = await (await fetch(`models/${name}${BUILD}.json`)).json();
  const wasmBytes = await (await fetch(`models/${name}${BUILD}.wasm`)).arrayBuffer();
  const { instance } = await WebAssembly.instantiate(wasmBytes, {});
  const mb = (n) => (n / 1e6).toFixed(1);
  // The sha names the cache entry, so a rebuilt .bin is fetched anew.
  const bytes = await weights(`models/${name}.bin?sha256=${manifest.sha256}`, (got, total, cached) => {
    $('progress').max = total || manifest.bytes;
    $('progress').value = got;
    $('load-text').textContent = cached ? `${name}: ${mb(got)} MB of weights from the cache`
      : `${name}: fetching weights, ${mb(got)} of ${mb(total || manifest.bytes)} MB`;
  });
  $('load-text').dataset.weights = bytes.fromCache ? 'cache' : 'network';
  $('load-text').dataset.build = BUILD ? 'relaxed-simd' : 'simd128';
  if (bytes.length !== manifest.bytes) throw new Error(`${name}.bin has ${bytes.length} bytes, expected ${manifest.bytes}`);
  $('load-text').textContent = `${name}: ${(wasmBytes.byteLength / 1000).toFixed(1)} kB of WebAssembly, ${mb(bytes.length)} MB of weights${bytes.fromCache ? ' (cached)' : ''}`;
  const wasm = instance.exports;
  new Uint8Array(wasm.memory.buffer, manifest.offset, manifest.bytes).set(bytes);
  const m = { name, wasm, wasmBytes: wasmBytes.byteLength, weightBytes: bytes.length };
  loaded.set(name, m);
  return m;
}

/** Runs the model on a normalized 3×224×224 tensor. */
function classify(m, tensor) {
  new Float32Array(m.wasm.memory.buffer, m.wasm.input_ptr(), tensor.length).set(tensor);
  const t0 = performance.now();
  const cls = m.wasm.infer();
  const ms = performance.now() - t0;
  const logits = Float32Array.from(new Float32Array(m.wasm.memory.buffer, m.wasm.logits_ptr(), classes.length));
  const top = logits[cls];
  const exp = Array.from(logits, (l) => Math.exp(l - top));
  const sum = exp.reduce((a, b) => a + b, 0);
  const order = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a]).slice(0, 5);
  return { cls, ms, logits, top5: order.map((i) => ({ i, p: exp[i] / sum })) };
}

const rows = Array.from({ length: 5 }, () => {
  const li = document.createElement('li');
  li.innerHTML = '<span class="name"></span><span class="track"><span class="fill"></span></span><span class="pct"></span>';
  $('top5').append(li);
  return li;
});

function run() {
  if (!model || !input) return;
  const r = classify(model, input);
  const out = $('prediction');
  out.textContent = classes[r.cls];
  Object.assign(out.dataset, { model: model.name, class: r.cls, name: classes[r.cls], source: inputSource, ms: r.ms.toFixed(2), logits: r.logits.join(' ') });
  $('timing').textContent = `${r.ms.toFixed(1)} ms per inference (${model.name}, one thread)`;
  r.top5.forEach(({ i, p }, k) => {
    const li = rows[k];
    li.querySelector('.name').textContent = classes[i];
    li.querySelector('.name').title = `class ${i}`;
    li.querySelector('.fill').style.width = `${100 * p}%`;
    li.querySelector('.pct').textContent = `${(100 * p).toFixed(1)} %`;
  });
  $('sizes').textContent = `${model.name}: ${(model.wasmBytes / 1000).toFixed(1)} kB of WebAssembly and ${(model.weightBytes / 1e6).toFixed(1)} MB of weights.`;
}

/** The picture as the model sees it: shorter side to 256, centre 224 × 224, normalized, CHW. */
function tensorOf(img, w, h) {
  const c = $('seen');
  const ctx = c.getContext('2d', { willReadFrequently: true });
  const scale = 256 / Math.min(w, h);
  const crop = SIDE / scale;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(img, (w - crop) / 2, (h - crop) / 2, crop, crop, 0, 0, SIDE, SIDE);
  c.hidden = false;
  const { data } = ctx.getImageData(0, 0, SIDE, SIDE);
  const t = new Float32Array(3 * SIDE * SIDE);
  for (let p = 0; p < SIDE * SIDE; p++) {
    for (let ch = 0; ch < 3; ch++) t[ch * SIDE * SIDE + p] = (data[4 * p + ch] / 255 - MEAN[ch]) / STD[ch];
  }
  return t;
}

/** Shows a normalized tensor (such as a test input) on the canvas. */
function paint(t) {
  const c = $('seen');
  const ctx = c.getContext('2d');
  const img = ctx.createImageData(SIDE, SIDE);
  for (let p = 0; p < SIDE * SIDE; p++) {
    for (let ch = 0; ch < 3; ch++) img.data[4 * p + ch] = 255 * (t[ch * SIDE * SIDE + p] * STD[ch] + MEAN[ch]);
    img.data[4 * p + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  c.hidden = false;
}

async function useImage(blob, note) {
  const bitmap = await createImageBitmap(blob);
  input = tensorOf(bitmap, bitmap.width, bitmap.height);
  inputSource = note;
  $('source').textContent = note;
  run();
}

/** A picture drawn here, so the page needs no image file. */
function sample() {
  const c = document.createElement('canvas');
  [c.width, c.height] = [320, 240];
  const g = c.getContext('2d');
  const sky = g.createLinearGradient(0, 0, 0, 240);
  sky.addColorStop(0, '#6fa8dc');
  sky.addColorStop(1, '#d9ecff');
  g.fillStyle = sky;
  g.fillRect(0, 0, 320, 240);
  g.fillStyle = '#ffd966';
  g.beginPath(); g.arc(250, 60, 28, 0, 2 * Math.PI); g.fill();
  g.fillStyle = '#6aa84f';
  g.beginPath(); g.moveTo(0, 240); g.quadraticCurveTo(90, 120, 190, 200); g.quadraticCurveTo(260, 150, 320, 190); g.lineTo(320, 240); g.fill();
  g.fillStyle = '#a61c00';
  g.fillRect(120, 150, 60, 45);
  g.beginPath(); g.moveTo(112, 152); g.lineTo(150, 118); g.lineTo(188, 152); g.fill();
  return c;
}

async function pick(name) {
  $('load').hidden = false;
  try {
    model = await load(name);
  } catch (e) {
    $('load-text').textContent = `Could not load ${name}: ${e.message}`;
    throw e;
  }
  document.querySelector(`input[value="${name}"]`).checked = true;
  run();
}

// --- input: pick, drop, sample ---
const drop = $('drop');
drop.addEventListener('click', () => $('file').click());
drop.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') $('file').click(); });
$('file').addEventListener('change', (e) => { const f = e.target.files[0]; if (f) useImage(f, f.name); });
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const f = [...e.dataTransfer.files].find((x) => x.type.startsWith('image/'));
  if (f) useImage(f, f.name);
});
$('sample').addEventListener('click', () => useImage(sample(), 'The sample picture (drawn by the page).'));
$('again').addEventListener('click', run);
document.querySelectorAll('input[name="model"]').forEach((r) => r.addEventListener('change', () => pick(r.value)));

const name = ['mobilenet_v2', 'mobilenet_v2_int8'].includes(params.get('model')) ? params.get('model') : 'mobilenet_v2';
await pick(name);
if (params.has('test')) {
  const { npy } = await import('./npy.mjs');
  const k = Number(params.get('test'));
  input = npy(await (await fetch(`models/${name}.case${k}.npy`)).arrayBuffer());
  inputSource = `test:${k}`;
  paint(input);
  $('source').textContent = `The zoo's case ${k} input, as ExecuTorch was given it.`;
  run();
} else {
  await useImage(sample(), 'The sample picture (drawn by the page).');
}
document.body.dataset.ready = 'true';
