// Runs a wasm32-wasip1 test binary under node's WASI (cargo's runner for
// kernels/wasm/test.sh). Old wasi-libc lacks the pthread calls std links to;
// they come in as `env` imports that throw, and the tests never make them.
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
const [file, ...args] = process.argv.slice(2);
const wasi = new WASI({ version: 'preview1', args: [file, ...args], env: {}, returnOnExit: true });
const mod = await WebAssembly.compile(await readFile(file));
const env = {};
for (const i of WebAssembly.Module.imports(mod)) {
  if (i.module === 'env') env[i.name] = () => { throw new Error(`${i.name} is not available under WASI here`); };
}
const inst = await WebAssembly.instantiate(mod, { ...wasi.getImportObject(), env });
let code;
try { code = wasi.start(inst); } catch (e) { console.error(`wasm trapped: ${e.message}`); code = 101; }
process.exit(code);
