#!/usr/bin/env bash
# Builds libtensorflow-microlite.a for the Cortex-M4 with FPU (hard float)
# with the CMSIS-NN kernels, with TFLM's own Makefile, release build type,
# using the system arm-none-eabi-gcc. Needs prepare_deps.sh first.
set -euo pipefail
D=${TFLM_DEPS:-$(cd "$(dirname "$0")/../.." && pwd)/target/tflm-deps}
cd "$D/tflite-micro"
# The Makefile runs python scripts (numpy, Pillow) while it parses.
export PATH="${TFLM_PY_BIN:-/opt/tf/bin}:$PATH"
make -f tensorflow/lite/micro/tools/make/Makefile -j"${JOBS:-2}" \
  TARGET=cortex_m_generic TARGET_ARCH=cortex-m4+fp \
  OPTIMIZED_KERNEL_DIR=cmsis_nn BUILD_TYPE=release \
  TARGET_TOOLCHAIN_ROOT=/usr/bin/ microlite
ls -l gen/cortex_m_generic_cortex-m4+fp_release*/lib/libtensorflow-microlite.a
