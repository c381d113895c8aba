#!/usr/bin/env bash
# CI: the Cortex-M firmware and the wasm page, each checked against
# ExecuTorch's outputs (a mismatch fails). Installs Debian's toolchain first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/install-targets.sh
examples/firmware/run.sh
# The kernels' unit tests in wasm32 with SIMD128, under node (~4 min: build-std of std).
kernels/wasm/test.sh
examples/web/check.sh
