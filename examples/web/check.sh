#!/usr/bin/env bash
# Builds digits_cnn for wasm32, serves the page on 127.0.0.1, loads it in
# headless Chromium for test digits 0-7 and asserts from the DOM that each is
# classified as its label with ExecuTorch's logits; then draws a 0, a 1 and a 7
# on the pad with pointer events and asserts those too (check_dom.py). Then
# builds the image classifier from the zoo (build-mobilenet.sh) and asserts that
# mobilenet.html, fed the zoo's case-0 input, gives ExecuTorch's top-1 class and
# logits for mobilenet_v2 and mobilenet_v2_int8 (check_mobilenet.py). Exits
# non-zero otherwise. Installs nothing: the toolchain comes from
# .ci/install-targets.sh. SCREENSHOT=path.png (digits) and
# SCREENSHOT_MOBILENET=path.png also save screenshots.
set -euo pipefail
SCREENSHOT=${SCREENSHOT:+$(realpath "$SCREENSHOT")}
SCREENSHOT_MOBILENET=${SCREENSHOT_MOBILENET:+$(realpath "$SCREENSHOT_MOBILENET")}
export ETCH_ZOO=$(realpath "${ETCH_ZOO:-../../../shared/models}")
cd "$(dirname "$0")"
FIXTURES=../../tests/fixtures/digits_cnn
for need in /usr/bin/rustc /usr/bin/cargo /usr/lib/llvm-22/bin/wasm-ld chromium python3; do
  [[ -e $need ]] || command -v "$need" >/dev/null || { echo "error: $need is missing (run .ci/install-targets.sh)" >&2; exit 2; }
done

RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc /usr/bin/cargo build --release --locked
TARGET_DIR=${CARGO_TARGET_DIR:-target}
site=$TARGET_DIR/site
rm -rf "$site" && mkdir -p "$site/dom"
cp www/index.html www/app.js test/draw.html "$FIXTURES"/digits_test_{x,y}.npy "$site/"
cp "$TARGET_DIR/wasm32-unknown-unknown/release/digits_web.wasm" "$site/digits.wasm"
echo "digits.wasm: $(stat -c %s "$site/digits.wasm") bytes ($(gzip -9c "$site/digits.wasm" | wc -c) gzipped), weights inside"
# Only for the size without weights: the digits page keeps them inside.
python3 split_weights.py "$site/digits.wasm" "$TARGET_DIR/digits-split" "$TARGET_DIR"/etch/*.weights.bin >/dev/null
echo "digits.wasm without its weights: $(stat -c %s "$TARGET_DIR/digits-split.wasm") bytes ($(gzip -9c "$TARGET_DIR/digits-split.wasm" | wc -c) gzipped)"

# The image classifier: modules and weights from the zoo, the case-0 inputs.
./build-mobilenet.sh "$site/models"
cp www/mobilenet.html www/mobilenet.js www/npy.mjs www/imagenet_classes.json "$site/"
mobilenets=(mobilenet_v2 mobilenet_v2_int8)
for name in "${mobilenets[@]}"; do
  cp "$ETCH_ZOO/$name/cases/0/in0.npy" "$site/models/$name.case0.npy"
  m=$site/models/$name
  echo "$name.wasm: $(stat -c %s "$m.wasm") bytes ($(gzip -9c "$m.wasm" | wc -c) gzipped) without weights;" \
    "$(stat -c %s "$m.full.wasm") ($(gzip -9c "$m.full.wasm" | wc -c) gzipped) with them;" \
    "$name.bin: $(stat -c %s "$m.bin") ($(gzip -9c "$m.bin" | wc -c) gzipped); $name.relaxed.wasm: $(stat -c %s "$m.relaxed.wasm") bytes"
  rm "$m.full.wasm"
done

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$site" "$port" >"$TARGET_DIR/http.log" 2>&1 &
server=$!
profile=$(mktemp -d)
trap 'kill $server; rm -rf "$profile"' EXIT
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

browse() {
  timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --no-first-run --disable-sync --disable-quic \
    --user-data-dir="$profile" --virtual-time-budget=5000 "$@" 2>>"$TARGET_DIR/chromium.log"
}
for k in 0 1 2 3 4 5 6 7; do
  browse --dump-dom "http://127.0.0.1:$port/index.html?test=$k" >"$site/dom/$k.html"
done
for d in 0 1 7; do
  browse --window-size=900,780 --dump-dom "http://127.0.0.1:$port/draw.html?d=$d" >"$site/dom/draw-$d.html"
done
if [[ -n ${SCREENSHOT:-} ]]; then
  browse --hide-scrollbars --window-size=900,720 --screenshot="$SCREENSHOT" \
    "http://127.0.0.1:$port/draw.html?d=7"
fi
# These pages stream megabytes of weights, which virtual time does not wait
# for: browse.py drives Chromium over its DevTools pipe until the page is ready.
# Each loads twice: the second visit runs on the weights from the cache.
for name in "${mobilenets[@]}"; do
  timeout 180 python3 browse.py --twice "http://127.0.0.1:$port/mobilenet.html?test=0&model=$name" "$site/dom/$name.html"
done
if [[ -n ${SCREENSHOT_MOBILENET:-} ]]; then
  timeout 180 python3 browse.py --size 940,640 --screenshot "$SCREENSHOT_MOBILENET" \
    "http://127.0.0.1:$port/mobilenet.html" "$site/dom/screenshot.html"
fi
status=0
python3 check_dom.py "$FIXTURES" "$site/dom" 0 1 2 3 4 5 6 7 || status=1
python3 check_mobilenet.py "$ETCH_ZOO" "$site/dom" "${mobilenets[@]}" || status=1
exit $status
