#!/usr/bin/env bash
# An independent sweep of the etch binary over mutated zoo files: every run of
# `etch inspect` and `etch compile` must exit 0, 1 or 2. A panic (101), a
# signal (crash, OOM kill) or a timeout (hang) is counted and fails the sweep.
#   fuzz/sweep.sh [ZOO_DIR] [MUTANTS_PER_FILE] [SEED]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
zoo=${1:-$here/../../shared/models}
per_file=${2:-40}
seed=${3:-8}
limit=${SWEEP_TIMEOUT:-60}

cargo build --release -q -p etch-cli --manifest-path "$here/../Cargo.toml"
etch=$here/../target/release/etch
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Mutants: a quarter truncations, the rest 1-4 spots of 1-4 bytes each,
# XORed or set to edge values, mostly in the headers and flatbuffer tables.
# The repo's .pt2 fixtures (tests/fixtures/pt2/<name>/model*.pt2) get the same, plus mutants of
# their model.json re-zipped (so the zip's checksums hold and the JSON is read).
python3 - "$zoo" "$work" "$per_file" "$seed" "$here/../tests/fixtures/pt2" <<'PY'
import glob, os, random, struct, sys
zoo, work, per_file, seed, pt2 = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
rng = random.Random(seed)
edges = [0, 1, 0x7f, 0x80, 0xff, 0x7fffffff, 0x80000000, 0xffffffff]
for path in sorted(glob.glob(f"{zoo}/*/model*.pte")):
    data = open(path, "rb").read()
    end = struct.unpack_from("<Q", data, 16)[0] if data[8:12] == b"eh00" else len(data)
    end = min(end, len(data))
    tag = os.path.basename(os.path.dirname(path)) + "." + os.path.basename(path)[:-4]
    for i in range(per_file):
        b = bytearray(data)
        if i % 4 == 0:
            b = b[: rng.randrange(len(b))]
        else:
            for _ in range(rng.randint(1, 4)):
                r = rng.randrange(20)
                at = rng.randrange(40) if r < 5 else rng.randrange(40, end) if r < 17 else rng.randrange(len(b))
                w = min(rng.randint(1, 4), len(b) - at)
                if rng.random() < 0.5:
                    for k in range(at, at + w):
                        b[k] ^= rng.randint(1, 255)
                else:
                    b[at : at + w] = struct.pack("<I", rng.choice(edges))[:w]
        open(f"{work}/{tag}.{i:03}.pte", "wb").write(b)

import io, re, zipfile
edges = ["0", "-1", "1", "7", "12", "99", "2147483648", "9223372036854775807", "-9223372036854775808"]
for path in sorted(glob.glob(f"{pt2}/*/model*.pt2")):
    data = open(path, "rb").read()
    tag = "pt2." + os.path.basename(os.path.dirname(path)) + "." + os.path.basename(path)[:-4]
    z = zipfile.ZipFile(io.BytesIO(data))
    items = [(n, z.read(n)) for n in z.namelist()]
    for i in range(per_file):
        if i % 4 == 0:
            b = data[: rng.randrange(len(data))]
        elif i % 4 == 1:
            b = bytearray(data)
            for _ in range(rng.randint(1, 4)):
                at = rng.randrange(len(b))
                b[at] ^= rng.randint(1, 255)
        else:
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as w:
                for n, d in items:
                    if n.endswith(".json"):
                        t = d.decode()
                        nums = [m.span() for m in re.finditer(r"-?\d+", t)]
                        for _ in range(rng.randint(1, 3)):
                            if nums and rng.random() < 0.8:
                                s, e = nums[rng.randrange(len(nums))]
                                t = t[:s] + rng.choice(edges) + t[e:]
                                nums = [m.span() for m in re.finditer(r"-?\d+", t)]
                            elif t:
                                at = rng.randrange(len(t))
                                t = t[:at] + t[at + rng.randint(1, 30):]
                        d = t.encode()
                    w.writestr(n, d)
            b = out.getvalue()
        open(f"{work}/{tag}.{i:03}.pte", "wb").write(b)
PY

runs=0; ok=0; errors=0; panics=0; crashes=0; hangs=0
for f in "$work"/*.pte; do
  for cmd in inspect compile; do
    args=("$cmd" "$f"); [ "$cmd" = compile ] && args+=(-o "$work/out")
    set +e
    timeout "$limit" "$etch" "${args[@]}" >/dev/null 2>"$work/stderr"
    code=$?
    set -e
    runs=$((runs + 1))
    case $code in
      0) ok=$((ok + 1)) ;;
      1|2) errors=$((errors + 1)) ;;
      101) panics=$((panics + 1)); echo "PANIC: etch ${args[*]}"; head -3 "$work/stderr"; cp "$f" "$here/" ;;
      124) hangs=$((hangs + 1)); echo "HANG: etch ${args[*]}"; cp "$f" "$here/" ;;
      *) crashes=$((crashes + 1)); echo "CRASH ($code): etch ${args[*]}"; cp "$f" "$here/" ;;
    esac
  done
done
echo "sweep: $(ls "$work"/*.pte | wc -l) mutants, $runs runs: $ok ok, $errors errors, $panics panics, $crashes crashes, $hangs hangs"
[ $((panics + crashes + hangs)) -eq 0 ]
