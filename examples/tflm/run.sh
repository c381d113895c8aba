#!/usr/bin/env bash
# TFLite Micro (CMSIS-NN kernels) running the int8 MLPerf Tiny models on qemu
# mps2-an386 (Cortex-M4F), measured as examples/firmware/run.sh measures etch:
# flash, static RAM, stack high-water and instructions per inference under
# ../shared/tools/qemu-insncount. Not run by CI: it needs TFLM's sources, which
# etch does not carry.
#
#   examples/tflm/prepare_deps.sh   # TFLM + third party from local git mirrors
#   examples/tflm/build_lib.sh      # libtensorflow-microlite.a, TFLM's Makefile
#   examples/tflm/run.sh            # MODELS="vww ds_cnn resnet8 autoencoder" by default
#
# TFLM_DEPS: the tree prepare_deps.sh made (default target/tflm-deps in this checkout).
# ET_PY: python with torch + executorch (default /opt/et/bin/python), for the
#   fixtures' seeded weights; TF_PY: python with tensorflow (default
#   /opt/tf/bin/python), for the Keras twins and the TFLite converter
#   (measured with: python3 -m venv /opt/tf && /opt/tf/bin/pip install
#   tensorflow-cpu pillow, which gave TensorFlow 2.21.0; build_lib.sh uses its
#   numpy and Pillow too, for scripts TFLM's Makefile runs while it parses).
# TORCH_PAD=1: strided layers padded as PyTorch pads them (explicit PAD ops),
#   the same function as the etch fixture, instead of Keras 'same' padding.
# Each model is built first with a 512 KiB arena to read arena_used_bytes(),
# then with the smallest arena it runs with (bisected), the build measured.
set -euo pipefail
cd "$(dirname "$0")"
D=${TFLM_DEPS:-$(cd ../.. && pwd)/target/tflm-deps}
T=$D/tflite-micro
ET_PY=${ET_PY:-/opt/et/bin/python}
TF_PY=${TF_PY:-/opt/tf/bin/python}
PLUGIN_SRC=../../../shared/tools/qemu-insncount/insncount.c
LIB=$(ls "$T"/gen/cortex_m_generic_cortex-m4+fp_release*/lib/libtensorflow-microlite.a 2>/dev/null | head -1)
for need in arm-none-eabi-g++ arm-none-eabi-size arm-none-eabi-nm qemu-system-arm gcc "$ET_PY" "$TF_PY" "$PLUGIN_SRC" "$LIB"; do
  [[ -e $need ]] || command -v "$need" >/dev/null || { echo "error: $need is missing (see the header of $0)" >&2; exit 2; }
done
mkdir -p build
gcc -shared -fPIC -O2 -o build/libinsncount.so "$PLUGIN_SRC"
DL=$T/tensorflow/lite/micro/tools/make/downloads
ARCH=(-mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard -mthumb)
suffix=$([[ ${TORCH_PAD:-0} == 1 ]] && echo _torchpad || true)

status=0
rows=()
for name in ${MODELS:-vww ds_cnn resnet8 autoencoder}; do
  B=build/$name$suffix
  mkdir -p "$B"
  "$ET_PY" model/dump_weights.py "$name" "$B/weights.npz"
  "$TF_PY" model/to_tflite.py "$name" "$B/weights.npz" "$B" 2>&1 | grep -E '^(keras|tflite|ops)' || true
  INC=(-I"$T" -I"$DL/flatbuffers/include" -I"$DL/gemmlowp" -I"$DL/ruy" -Isrc -I"$B")
  CXX=(arm-none-eabi-g++ "${ARCH[@]}" -O2 -std=c++17 -fno-exceptions -fno-rtti -fno-threadsafe-statics
    -fno-unwind-tables -ffunction-sections -fdata-sections -funsigned-char
    -DTF_LITE_STATIC_MEMORY -DTF_LITE_MCU_DEBUG_LOG -DNDEBUG -DTF_LITE_STRIP_ERROR_STRINGS "${INC[@]}")
  "${CXX[@]}" -c "$B/model_data.cc" -o "$B/model_data.o"
  arm-none-eabi-gcc "${ARCH[@]}" -O2 -ffunction-sections -Isrc -c src/startup.c -o "$B/startup.o"
  elf=$B/${name}_int8_tflm.elf
  log=$B/insns.log
  run() { # arena bytes -> qemu output in $out
    "${CXX[@]}" -DARENA_SIZE="$1" -c src/main.cc -o "$B/main.o"
    arm-none-eabi-g++ "${ARCH[@]}" -nostartfiles -T src/link.ld -Wl,--gc-sections --specs=nano.specs --specs=nosys.specs \
      -o "$elf" "$B/startup.o" "$B/main.o" "$B/model_data.o" "$LIB" -lm
    addr() { echo "0x$(arm-none-eabi-nm "$elf" | awk -v s="$1" '$3==s{print $1}')"; }
    rm -f "$log"
    out=$(timeout 600 qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -nographic \
      -semihosting-config enable=on,target=native \
      -plugin "build/libinsncount.so,start=$(addr bench_start),end=$(addr bench_end)" \
      -d plugin -D "$log" -kernel "$elf" 2>&1)
  }
  echo "== $name$suffix"
  if ! run $((512 * 1024)); then echo "$out"; echo "FAIL: $name (512 KiB arena)"; status=1; continue; fi
  used=$(sed -nE 's/.*arena_used_bytes ([0-9]+) B.*/\1/p' <<<"$out")
  # AllocateTensors needs more than arena_used_bytes() while it plans (its
  # temporary allocations), so bisect, in 16-byte steps, for the smallest arena
  # with which the model runs, starting from arena_used_bytes() + 16.
  ok() { run "$1" && grep -q '^match' <<<"$out"; }
  lo=$(( used + 16 )); hi=$((512 * 1024))
  if ok "$lo"; then hi=$lo; else
    while (( hi - lo > 16 )); do
      mid=$(( (lo + hi) / 32 * 16 ))
      if ok "$mid"; then hi=$mid; else lo=$mid; fi
    done
  fi
  arena=$hi
  run "$arena" || true
  if ! grep -q '^match' <<<"$out"; then echo "$out"; echo "FAIL: $name (arena $arena B)"; status=1; continue; fi
  echo "$out"
  sizes=$(arm-none-eabi-size -A "$elf")
  sec() { awk -v s="$1" '$1==s{print $2; f=1} END{if(!f) print 0}' <<<"$sizes"; }
  read -r region entries < <(sed -E 's/.*region=([0-9]+) region_entries=([0-9]+).*/\1 \2/' "$log")
  flash=$(( $(sec .vector_table) + $(sec .text) + $(sec .rodata) + $(sec .ARM.exidx) + $(sec .data) ))
  static_ram=$(( $(sec .data) + $(sec .bss) ))
  stack=$(sed -nE 's/.*stack high-water ([0-9]+) B.*/\1/p' <<<"$out")
  used=$(sed -nE 's/.*arena_used_bytes ([0-9]+) B.*/\1/p' <<<"$out")
  data=$(( $(grep -o 'g_input_len = [0-9]*' "$B/model_data.cc" | grep -o '[0-9]*$') + $(grep -o 'g_expected_len = [0-9]*' "$B/model_data.cc" | grep -o '[0-9]*$') ))
  rows+=("$(printf '%-22s %8d %10d %8d %8d %11d %10d %7d %6d %8d %12d' "${name}_int8$suffix" "$flash" "$data" \
    "$(stat -c %s "$B/${name}_int8.tflite")" "$(sec .text)" "$static_ram" "$used" "$arena" "$stack" \
    "$(( static_ram + stack ))" "$(( region / entries ))")")
done
echo
echo "TFLM + CMSIS-NN, cortex-m4 fpv4-sp-d16 hard float, arm-none-eabi-gcc $(arm-none-eabi-gcc -dumpversion), TFLM release build (core -Os, kernels -O2), qemu mps2-an386"
echo "(bytes; flash = vector table + text + rodata + exidx + data, of which test data = int8 input + expected output; RAM = data + bss + stack)"
printf '%-22s %8s %10s %8s %8s %11s %10s %7s %6s %8s %12s\n' model flash "test data" .tflite .text "static RAM" arena_used arena stack RAM insns/infer
printf '%s\n' "${rows[@]}"
exit $status
