// The digits page: runs digits.wasm (no imports) on a drawn or a test digit.
// `?test=N` opens test digit N; #prediction's data-* attributes carry the
// class, probability and logits, which check.sh reads.

const $ = (id) => document.getElementById(id);
const PAD = $('pad').getContext('2d', { willReadFrequently: true });
const SIDE = 8;
const TESTS_SHOWN = 45;

/** A C-order .npy file: float32 or int64. */
async function npy(url) {
  const buf = await (await fetch(url)).arrayBuffer();
  const bytes = new Uint8Array(buf);
  if (String.fromCharCode(...bytes.slice(1, 6)) !== 'NUMPY') throw new Error(`${url} is not an .npy file`);
  const view = new DataView(buf);
  const [start, len] = bytes[6] === 1 ? [10, view.getUint16(8, true)] : [12, view.getUint32(8, true)];
  const header = new TextDecoder().decode(bytes.slice(start, start + len));
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${url} is in Fortran order`);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const data = buf.slice(start + len);
  if (descr === '<f4') return new Float32Array(data);
  if (descr === '<i8') return Array.from(new BigInt64Array(data), Number);
  throw new Error(`${url}: dtype ${descr} is not supported`);
}

const [wasmBytes, testX, testY] = await Promise.all([
  fetch('digits.wasm').then((r) => r.arrayBuffer()), npy('digits_test_x.npy'), npy('digits_test_y.npy'),
]);
const { instance } = await WebAssembly.instantiate(wasmBytes, {});
const wasm = instance.exports;
$('wasm-size').textContent = `${(wasmBytes.byteLength / 1000).toFixed(1)} kB of WebAssembly`;

const testDigit = (i) => testX.subarray(i * 64, (i + 1) * 64);

/** Runs the model; returns the class, softmax probabilities and raw logits. */
function classify(pixels) {
  new Float32Array(wasm.memory.buffer, wasm.input_ptr(), 64).set(pixels);
  const cls = wasm.infer();
  const logits = Array.from(new Float32Array(wasm.memory.buffer, wasm.logits_ptr(), 10));
  const top = Math.max(...logits);
  const exp = logits.map((l) => Math.exp(l - top));
  const sum = exp.reduce((a, b) => a + b, 0);
  return { cls, probs: exp.map((e) => e / sum), logits };
}

function paint(canvas, pixels) {
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(SIDE, SIDE);
  pixels.forEach((v, i) => {
    const g = Math.round(255 * (1 - Math.min(1, Math.max(0, v))));
    img.data.set([g, g, g, 255], 4 * i);
  });
  ctx.putImageData(img, 0, 0);
}

const bars = Array.from({ length: 10 }, (_, d) => {
  const li = document.createElement('li');
  li.innerHTML = `<span>${d}</span><span class="track"><span class="fill"></span></span><span class="pct"></span>`;
  $('bars').append(li);
  return li;
});

function show(pixels, source, label) {
  const { cls, probs, logits } = classify(pixels);
  paint($('seen'), pixels);
  const out = $('prediction');
  out.textContent = String(cls);
  Object.assign(out.dataset, {
    class: cls, probability: probs[cls], logits: logits.join(' '), source, label: label ?? '',
  });
  $('confidence').textContent = `${(100 * probs[cls]).toFixed(1)} % sure`;
  bars.forEach((li, d) => {
    li.classList.toggle('best', d === cls);
    li.querySelector('.fill').style.width = `${100 * probs[d]}%`;
    li.querySelector('.pct').textContent = `${(100 * probs[d]).toFixed(1)} %`;
  });
}

function clearResult(note) {
  PAD.clearRect(0, 0, 256, 256);
  $('prediction').textContent = '–';
  $('prediction').removeAttribute('data-class');
  $('confidence').textContent = '';
  bars.forEach((li) => { li.classList.remove('best'); li.querySelector('.fill').style.width = '0'; li.querySelector('.pct').textContent = ''; });
  $('seen').getContext('2d').clearRect(0, 0, SIDE, SIDE);
  $('source').textContent = note;
}

// --- test digits ---
let showingTest = false;
function pickTest(i) {
  const pixels = testDigit(i);
  PAD.clearRect(0, 0, 256, 256);
  pixels.forEach((v, k) => {
    PAD.fillStyle = `rgba(17, 17, 17, ${v})`;
    PAD.fillRect((k % SIDE) * 32, Math.floor(k / SIDE) * 32, 32, 32);
  });
  showingTest = true;
  document.querySelectorAll('#tests button').forEach((b) => b.classList.toggle('selected', Number(b.dataset.index) === i));
  $('source').textContent = `Test digit #${i}, labelled ${testY[i]}. Draw on the pad to try your own.`;
  show(pixels, `test:${i}`, testY[i]);
}

for (let i = 0; i < TESTS_SHOWN; i++) {
  const b = document.createElement('button');
  b.dataset.index = i;
  b.title = `test digit #${i} (label ${testY[i]})`;
  const c = document.createElement('canvas');
  c.width = c.height = SIDE;
  paint(c, testDigit(i));
  b.append(c);
  b.addEventListener('click', () => pickTest(i));
  $('tests').append(b);
}
$('random').addEventListener('click', () => pickTest(Math.floor(Math.random() * testY.length)));
$('clear').addEventListener('click', () => { showingTest = false; clearResult('Draw a digit 0–9 on the pad.'); });

// --- drawing ---
// The data set's digits were scaled to fill a 32×32 box, then counted in 4×4
// blocks: the ink's bounding box is scaled the same way here.
function padPixels() {
  const { data } = PAD.getImageData(0, 0, 256, 256);
  let [x0, y0, x1, y1] = [256, 256, -1, -1];
  for (let y = 0; y < 256; y++) {
    for (let x = 0; x < 256; x++) {
      if (data[4 * (y * 256 + x) + 3] > 0) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
    }
  }
  if (x1 < 0) return null;
  const [w, h] = [x1 - x0 + 1, y1 - y0 + 1];
  const scale = 32 / Math.max(w, h);
  const box = document.createElement('canvas');
  box.width = box.height = 32;
  const ctx = box.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(PAD.canvas, x0, y0, w, h, (32 - w * scale) / 2, (32 - h * scale) / 2, w * scale, h * scale);
  const alpha = ctx.getImageData(0, 0, 32, 32).data;
  const pixels = new Float32Array(64);
  for (let i = 0; i < 32 * 32; i++) pixels[(i >> 7) * SIDE + ((i % 32) >> 2)] += alpha[4 * i + 3] / 255 / 16;
  return pixels;
}

let last = null;
let pending = false;
function stroke(e) {
  const r = PAD.canvas.getBoundingClientRect();
  const p = [(e.clientX - r.left) * 256 / r.width, (e.clientY - r.top) * 256 / r.height];
  PAD.beginPath();
  PAD.moveTo(...(last ?? p));
  PAD.lineTo(...p);
  PAD.stroke();
  last = p;
  if (!pending) {
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      const pixels = padPixels();
      if (pixels) show(pixels, 'drawing');
    });
  }
}
Object.assign(PAD, { lineWidth: 22, lineCap: 'round', lineJoin: 'round', strokeStyle: '#111' });
PAD.canvas.addEventListener('pointerdown', (e) => {
  if (showingTest) {
    showingTest = false;
    document.querySelectorAll('#tests button').forEach((b) => b.classList.remove('selected'));
    clearResult('Your drawing.');
  }
  $('source').textContent = 'Your drawing.';
  PAD.canvas.setPointerCapture(e.pointerId);
  last = null;
  stroke(e);
});
PAD.canvas.addEventListener('pointermove', (e) => { if (last) stroke(e); });
for (const end of ['pointerup', 'pointercancel']) PAD.canvas.addEventListener(end, () => { last = null; });

const requested = Number(new URLSearchParams(location.search).get('test') ?? 0);
pickTest(Number.isInteger(requested) && requested >= 0 && requested < testY.length ? requested : 0);
