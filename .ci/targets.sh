#!/usr/bin/env bash
# CI: the Cortex-M firmware and the wasm page, each checked against
# ExecuTorch's outputs (a mismatch fails). Installs Debian's toolchain first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/install-targets.sh
examples/firmware/run.sh
# The kernels' unit tests in wasm32 under node (~4 min: build-std of std), with relaxed
# SIMD (the default) and with SIMD128 alone, as engines without relaxed SIMD run them.
kernels/wasm/test.sh
FLAGS="-C target-feature=+simd128" WASM_TARGET_DIR=target/wasm-kernels-simd128 kernels/wasm/test.sh
examples/web/check.sh
