#!/usr/bin/env bash
# Toolchain for the thumbv7em and wasm32 checks (../shared/TARGETS.md):
# Debian's rustc-web builds `core` for any target through build-std.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  rustc-web cargo-web rust-web-src lld-22 qemu-system-arm binutils-arm-none-eabi gcc wasi-libc \
  chromium >/dev/null
/usr/bin/rustc --version
