"""Reads the DOMs that headless Chromium dumped: for `index.html?test=K`
(DOM_DIR/K.html), asserts that test digit K was classified as its label, with
the logits that ExecuTorch gave for it (fixture case K) within meta.json's
tolerance; for `draw.html?d=N` (DOM_DIR/draw-N.html), that the digit drawn on
the pad was classified as N. Standard library only.
Usage: check_dom.py FIXTURE_DIR DOM_DIR K..."""

import json
import re
import struct
import sys
from html.parser import HTMLParser
from pathlib import Path


def npy(path):
    """A C-order little-endian float32 or int64 .npy file as a flat list."""
    raw = Path(path).read_bytes()
    if raw[1:6] != b"NUMPY":
        raise ValueError(f"{path} is not an .npy file")
    start, size = (10, struct.unpack_from("<H", raw, 8)[0]) if raw[6] == 1 else (12, struct.unpack_from("<I", raw, 8)[0])
    header = raw[start:start + size].decode("latin1")
    descr = re.search(r"'descr':\s*'([^']+)'", header).group(1)
    if "True" in re.search(r"'fortran_order':\s*(\w+)", header).group(1):
        raise ValueError(f"{path} is in Fortran order")
    code = {"<f4": "f", "<i8": "q"}[descr]
    data = raw[start + size:]
    return list(struct.unpack(f"<{len(data) // struct.calcsize(code)}{code}", data))


class Attributes(HTMLParser):
    """The attributes of the first element that `wanted(tag, attrs)` accepts."""

    def __init__(self, wanted):
        super().__init__()
        self.wanted, self.attrs = wanted, None

    def handle_starttag(self, tag, attrs):
        if self.attrs is None and self.wanted(tag, dict(attrs)):
            self.attrs = dict(attrs)


def attributes(path, wanted):
    parser = Attributes(wanted)
    parser.feed(Path(path).read_text())
    return parser.attrs or {}


def main(fixtures, doms, indices):
    fixtures = Path(fixtures)
    meta = json.loads((fixtures / "meta.json").read_text())
    atol, rtol = meta["atol"], meta["rtol"]
    xs, ys = npy(fixtures / "digits_test_x.npy"), npy(fixtures / "digits_test_y.npy")
    failures = 0
    for k in map(int, indices):
        case = fixtures / "cases" / str(k)
        assert npy(case / "in0.npy") == xs[64 * k:64 * (k + 1)], f"case {k} is not test digit {k}"
        expected, label = npy(case / "out0.npy"), ys[k]
        got = attributes(Path(doms) / f"{k}.html", lambda tag, a: tag == "output" and a.get("id") == "prediction")
        logits = [float(v) for v in got.get("data-logits", "").split()]
        problems = []
        if got.get("data-source") != f"test:{k}":
            problems.append(f"the page shows {got.get('data-source')!r}")
        if got.get("data-class") != str(label):
            problems.append(f"class {got.get('data-class')!r}, label {label}")
        if len(logits) != len(expected):
            problems.append(f"{len(logits)} logits, expected {len(expected)}")
        bad = [i for i, (g, e) in enumerate(zip(logits, expected)) if not abs(g - e) <= atol + rtol * abs(e)]
        if bad:
            problems.append(f"logit {bad[0]} is {logits[bad[0]]}, ExecuTorch gave {expected[bad[0]]}")
        prob = got.get("data-probability", "?")
        print(f"test digit {k}: label {label}, page says {got.get('data-class')} (p={prob}): "
              + ("ok" if not problems else "FAIL: " + "; ".join(problems)))
        failures += bool(problems)
    drawings = sorted(Path(doms).glob("draw-*.html"))
    for path in drawings:
        body = attributes(path, lambda tag, a: tag == "body")
        ok = body.get("data-got") is not None and body.get("data-got") == body.get("data-drawn")
        print(f"drawn {body.get('data-drawn')}: page says {body.get('data-got')} (p={body.get('data-probability')}): "
              + ("ok" if ok else "FAIL"))
        failures += not ok
    print(f"{len(indices) + len(drawings) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
