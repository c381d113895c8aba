"""Moves a model's weight blob out of a wasm module into a file of its own.

The module was compiled with its weights as a read-only static (etch's
`include_model!`), so they are one run of bytes inside an active data segment.
This finds that run (the largest of the given blobs that the module holds),
cuts the segment around it, and writes the module without it, the blob, and
a JSON manifest with the blob's address in linear memory. A page that writes
the blob at that address after instantiating, before its first call, starts
the program from the very memory the whole module would have given it.
Standard library only.
Usage: split_weights.py MODULE.wasm OUT_STEM BLOB.bin...   (writes OUT_STEM.wasm, .bin, .json)"""

import hashlib
import json
import sys
from pathlib import Path


def leb(data, at, signed=False):
    """An LEB128 integer at `at`: (value, next offset)."""
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            if signed and byte & 0x40:
                value -= 1 << shift
            return value, at


def uleb(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def sleb(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        done = (n == 0 and not byte & 0x40) or (n == -1 and byte & 0x40)
        out.append(byte | (0 if done else 0x80))
        if done:
            return bytes(out)


def sections(wasm):
    if wasm[:8] != b"\0asm\1\0\0\0":
        raise SystemExit("error: not a wasm module (version 1)")
    at = 8
    while at < len(wasm):
        sid = wasm[at]
        size, body = leb(wasm, at + 1)
        yield sid, wasm[body:body + size]
        at = body + size


def segments(body):
    """Active segments of memory 0 as (address, bytes); anything else is refused."""
    count, at = leb(body, 0)
    out = []
    for _ in range(count):
        flags, at = leb(body, at)
        if flags == 2:
            mem, at = leb(body, at)
            if mem != 0:
                raise SystemExit("error: a data segment of another memory")
        elif flags != 0:
            raise SystemExit("error: a passive data segment")
        if body[at] != 0x41:
            raise SystemExit("error: a data segment whose offset is not an i32.const")
        addr, at = leb(body, at + 1, signed=True)
        if body[at] != 0x0B:
            raise SystemExit("error: a data segment offset longer than one i32.const")
        size, at = leb(body, at + 1)
        out.append((addr, body[at:at + size]))
        at += size
    return out


def encode(segs):
    body = uleb(len(segs))
    for addr, data in segs:
        body += b"\0\x41" + sleb(addr) + b"\x0b" + uleb(len(data)) + data
    return body


def main(module, stem, blobs):
    wasm = Path(module).read_bytes()
    secs = list(sections(wasm))
    data = [body for sid, body in secs if sid == 11]
    if len(data) != 1:
        raise SystemExit("error: the module has no data section")
    segs = segments(data[0])
    found = None
    for blob in sorted((Path(b).read_bytes() for b in blobs), key=len, reverse=True):
        for i, (addr, seg) in enumerate(segs):
            at = seg.find(blob)
            if len(blob) and at >= 0:
                found = (blob, i, addr, at)
                break
        if found:
            break
    if not found:
        raise SystemExit(f"error: none of the {len(blobs)} weight blobs is inside {module}")
    blob, i, addr, at = found
    seg = segs[i]
    pieces = [(addr, seg[1][:at]), (addr + at + len(blob), seg[1][at + len(blob):])]
    segs[i:i + 1] = [p for p in pieces if p[1]]
    out = bytearray(wasm[:8])
    for sid, body in secs:
        if sid == 11:
            body = encode(segs)
        elif sid == 12:
            body = uleb(len(segs))
        out += bytes([sid]) + uleb(len(body)) + body
    # Suffixes are appended, not swapped: a stem may hold dots (NAME.relaxed).
    stem = Path(stem)
    file = lambda ext: stem.with_name(stem.name + ext)
    file(".wasm").write_bytes(out)
    file(".bin").write_bytes(blob)
    manifest = {"offset": addr + at, "bytes": len(blob), "sha256": hashlib.sha256(blob).hexdigest()}
    file(".json").write_text(json.dumps(manifest) + "\n")
    print(f"{stem.name}: {len(wasm)} bytes of wasm, {len(out)} without its {len(blob)} bytes of weights (at {addr + at})")


if __name__ == "__main__":
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
