#!/usr/bin/env bash
# etch-kernels' unit tests for wasm32 with SIMD128 (wasm32-wasip1, run by
# node's WASI): every `each_path` test checks the wasm SIMD kernels and the
# portable ones against their references, and the int8 tests check that the
# SIMD kernels give the portable bits. FLAGS= (empty) builds without simd128,
# FLAGS="-C target-feature=+simd128" without relaxed SIMD (no fused multiply-add).
# node 20 runs relaxed SIMD behind --experimental-wasm-relaxed-simd. Each test binary
# has its relaxed min/max made pmin/pmax first (run.sh), as the page's modules do.
# Needs Debian's rustc-web, rust-web-src, lld-22 and wasi-libc
# (.ci/install-targets.sh). Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=$(realpath kernels/wasm)
# The host tool, with the caller's toolchain and target dir.
env -u RUSTFLAGS cargo build --release --locked -q -p wasm-unrelax
export UNRELAX_BIN=$(realpath "${CARGO_TARGET_DIR:-target}/release/wasm-unrelax")
export RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc
export CARGO_TARGET_DIR=${WASM_TARGET_DIR:-target/wasm-kernels}
export CARGO_TARGET_WASM32_WASIP1_LINKER=/usr/lib/llvm-22/bin/wasm-ld
# link-self-contained=no: Debian ships wasi-libc's crt and libc, not rustup's copies.
export CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS="${FLAGS--C target-feature=+simd128,+relaxed-simd} -C panic=abort \
-C link-self-contained=no -L /usr/lib/wasm32-wasi -C link-arg=/usr/lib/wasm32-wasi/crt1-command.o -C link-arg=--allow-undefined"
export CARGO_TARGET_WASM32_WASIP1_RUNNER=$here/run.sh
/usr/bin/cargo test -p etch-kernels --lib --release --target wasm32-wasip1 \
  -Zbuild-std=std,panic_abort -Zpanic-abort-tests "$@"
