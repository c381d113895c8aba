// A C-order little-endian float32 .npy file as a Float32Array (node or browser bytes).
export function npy(buf) {
  const bytes = new Uint8Array(buf);
  if (String.fromCharCode(...bytes.slice(1, 6)) !== 'NUMPY') throw new Error('not an .npy file');
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const [start, len] = bytes[6] === 1 ? [10, view.getUint16(8, true)] : [12, view.getUint32(8, true)];
  const header = new TextDecoder().decode(bytes.slice(start, start + len));
  if (!/'descr':\s*'<f4'/.test(header) || /'fortran_order':\s*True/.test(header)) throw new Error(`unsupported .npy: ${header}`);
  return new Float32Array(bytes.slice(start + len).buffer);
}
