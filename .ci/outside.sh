#!/usr/bin/env bash
# A new user's first hour, outside this checkout: clone, install etch, compile a
# zoo model into a crate of their own, use it from a fresh `cargo new` app (in a
# debug build, through Model::new_boxed), and use include_model! in a second
# fresh crate. Once the vendored crate is written the clone is moved away, so
# the app cannot see it. Needs ETCH_ZOO (mobilenet_v2 and its case 0).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
zoo="${ETCH_ZOO:?set ETCH_ZOO to the reference zoo}"
zoo="$(cd "$zoo" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

echo "== a fresh clone, and etch installed from it"
git clone --quiet "$repo" etch
CARGO_TARGET_DIR="$work/etch-target" cargo install --quiet --locked --path etch/cli --root "$work/bin"
etch="$work/bin/bin/etch"
export ETCH_CACHE="$work/cache"

echo "== include_model! in a fresh crate (cold build, timed)"
cargo new --quiet macro_app
mkdir macro_app/models
cp etch/tests/fixtures/digits_cnn/model.pte macro_app/models/digits.pte
cat >> macro_app/Cargo.toml <<EOF
etch-kernels = { path = "$work/etch/kernels", features = ["macros"] }
EOF
cat > macro_app/src/main.rs <<'EOF'
etch_kernels::include_model!(pub mod digits = "models/digits.pte");

fn main() {
    let mut model = digits::Model::new();
    let logits = model.forward(&[0.5; 64]);
    assert!(logits.iter().all(|x| x.is_finite()));
    println!("digits logits: {logits:?}");
}
EOF
start=$(date +%s)
(cd macro_app && CARGO_TARGET_DIR="$work/macro-target" cargo build --quiet)
echo "include_model! crate, cold debug build: $(( $(date +%s) - start )) s"
(cd macro_app && CARGO_TARGET_DIR="$work/macro-target" cargo run --quiet)

echo "== etch compile --vendor, then the checkout moves away"
"$etch" inspect "$zoo/mobilenet_v2/model.pte" > inspect.txt
"$etch" compile "$zoo/mobilenet_v2/model.pte" -o models/mobilenet --vendor
mv etch etch-moved

echo "== a fresh app on the vendored crate: debug build, new_boxed, top-5"
cargo new --quiet app
(cd app && cargo add --quiet --path ../models/mobilenet --features alloc)
cat > app/src/main.rs <<'EOF'
//! Classifies the zoo's case-0 image and checks the top-5 against ExecuTorch's.

/// The f32 data of a little-endian `.npy` file (format 1.0 or 2.0).
fn npy(path: &str) -> Vec<f32> {
    let b = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let (len, at) = if b[6] == 1 { (u16::from_le_bytes([b[8], b[9]]) as usize, 10) } else { (u32::from_le_bytes([b[8], b[9], b[10], b[11]]) as usize, 12) };
    b[at + len..].chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

fn top5(x: &[f32]) -> Vec<usize> {
    let mut i: Vec<usize> = (0..x.len()).collect();
    i.sort_by(|&a, &b| x[b].total_cmp(&x[a]));
    i.truncate(5);
    i
}

fn main() {
    let case = std::env::args().nth(1).expect("case dir");
    let image: Box<[f32; 150_528]> = npy(&format!("{case}/in0.npy")).into_boxed_slice().try_into().expect("1x3x224x224");
    let mut model = mobilenet::Model::new_boxed();
    let logits = model.forward(&image);
    let (got, want) = (top5(logits), top5(&npy(&format!("{case}/out0.npy"))));
    println!("top-5 classes: {got:?} (ExecuTorch: {want:?})");
    assert_eq!(got, want);
}
EOF
(cd app && cargo run --quiet -- "$zoo/mobilenet_v2/cases/0")
if grep -rq "$work/etch" models/mobilenet app; then
  echo "the app still points at the checkout"; exit 1
fi

echo "== etch verify from anywhere, after the checkout moved"
"$etch" verify "$zoo/mlp/model.pte" "$zoo/mlp"
echo "cache: $("$etch" cache info)"
"$etch" cache clean
echo "outside: all passed"
