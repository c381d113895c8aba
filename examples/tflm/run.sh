#!/usr/bin/env bash
# TFLite Micro (CMSIS-NN kernels) running the int8 visual wake words model on
# qemu mps2-an386 (Cortex-M4F), measured as examples/firmware/run.sh measures
# etch: flash, static RAM, stack high-water and instructions per inference under
# ../shared/tools/qemu-insncount. Not run by CI: it needs TFLM's sources, which
# etch does not carry.
#
#   examples/tflm/prepare_deps.sh   # TFLM + third party from local git mirrors
#   examples/tflm/build_lib.sh      # libtensorflow-microlite.a, TFLM's Makefile
#   examples/tflm/run.sh
#
# TFLM_DEPS: the tree prepare_deps.sh made (default /work/tflm-deps).
# ET_PY: python with torch + executorch (default /opt/et/bin/python), for the
#   fixture's seeded weights; TF_PY: python with tensorflow (default
#   /opt/tf/bin/python), for the Keras model and the TFLite converter.
# ARENA_SIZE: the tensor arena in bytes (default 100,548: arena_used_bytes() + 16,
#   the smallest TFLM accepts for this model, as TFLM advises sizing it).
set -euo pipefail
cd "$(dirname "$0")"
D=${TFLM_DEPS:-/work/tflm-deps}
T=$D/tflite-micro
ET_PY=${ET_PY:-/opt/et/bin/python}
TF_PY=${TF_PY:-/opt/tf/bin/python}
PLUGIN_SRC=../../../shared/tools/qemu-insncount/insncount.c
LIB=$(ls "$T"/gen/cortex_m_generic_cortex-m4+fp_release*/lib/libtensorflow-microlite.a 2>/dev/null | head -1)
for need in arm-none-eabi-g++ arm-none-eabi-size arm-none-eabi-nm qemu-system-arm gcc "$ET_PY" "$TF_PY" "$PLUGIN_SRC" "$LIB"; do
  [[ -e $need ]] || command -v "$need" >/dev/null || { echo "error: $need is missing (see the header of $0)" >&2; exit 2; }
done
B=build
mkdir -p $B

"$ET_PY" model/dump_weights.py $B/vww_weights.npz
"$TF_PY" model/to_tflite.py $B/vww_weights.npz $B 2>&1 | grep -E '^(keras|tflite|ops)' || true

DL=$T/tensorflow/lite/micro/tools/make/downloads
ARCH=(-mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard -mthumb)
INC=(-I"$T" -I"$DL/flatbuffers/include" -I"$DL/gemmlowp" -I"$DL/ruy" -Isrc)
DEFS=(-DTF_LITE_STATIC_MEMORY -DTF_LITE_MCU_DEBUG_LOG -DNDEBUG -DTF_LITE_STRIP_ERROR_STRINGS -DARENA_SIZE="${ARENA_SIZE:-100548}")
CXX=(arm-none-eabi-g++ "${ARCH[@]}" -O2 -std=c++17 -fno-exceptions -fno-rtti -fno-threadsafe-statics
  -fno-unwind-tables -ffunction-sections -fdata-sections -funsigned-char "${DEFS[@]}" "${INC[@]}")
"${CXX[@]}" -c src/main.cc -o $B/main.o
"${CXX[@]}" -c $B/model_data.cc -o $B/model_data.o
arm-none-eabi-gcc "${ARCH[@]}" -O2 -ffunction-sections -Isrc -c src/startup.c -o $B/startup.o
arm-none-eabi-g++ "${ARCH[@]}" -nostartfiles -T src/link.ld -Wl,--gc-sections --specs=nano.specs --specs=nosys.specs \
  -o $B/vww_int8_tflm.elf $B/startup.o $B/main.o $B/model_data.o "$LIB" -lm
gcc -shared -fPIC -O2 -o $B/libinsncount.so "$PLUGIN_SRC"

elf=$B/vww_int8_tflm.elf
addr() { echo "0x$(arm-none-eabi-nm "$elf" | awk -v s="$1" '$3==s{print $1}')"; }
sizes=$(arm-none-eabi-size -A "$elf")
echo "$sizes"
sec() { awk -v s="$1" '$1==s{print $2; f=1} END{if(!f) print 0}' <<<"$sizes"; }
log=$B/insns.log
rm -f $log
out=$(timeout 600 qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -nographic \
  -semihosting-config enable=on,target=native \
  -plugin "$B/libinsncount.so,start=$(addr bench_start),end=$(addr bench_end)" \
  -d plugin -D $log -kernel "$elf" 2>&1) || { echo "$out"; echo "FAIL: qemu"; exit 1; }
echo "$out"
read -r region entries < <(sed -E 's/.*region=([0-9]+) region_entries=([0-9]+).*/\1 \2/' $log)
model_bytes=$(stat -c %s $B/vww_int8.tflite)
flash=$(( $(sec .vector_table) + $(sec .text) + $(sec .rodata) + $(sec .ARM.exidx) + $(sec .data) ))
static_ram=$(( $(sec .data) + $(sec .bss) ))
stack=$(sed -nE 's/.*stack high-water ([0-9]+) B.*/\1/p' <<<"$out")
arena_used=$(sed -nE 's/.*arena_used_bytes ([0-9]+) B.*/\1/p' <<<"$out")
input=$(( 96 * 96 * 3 ))
echo
echo "thumbv7em (cortex-m4, fpv4-sp-d16, hard float), arm-none-eabi-gcc $(arm-none-eabi-gcc -dumpversion); TFLM release build (core -Os, kernels -O2)"
printf '%-16s %8s %10s %8s %11s %10s %6s %8s %11s %13s\n' model flash "test data" .tflite "static RAM" arena_used arena stack RAM insns/infer
printf '%-16s %8d %10d %8d %11d %10d %6d %8d %11d %13d\n' vww_int8_tflm "$flash" "$input" "$model_bytes" "$static_ram" \
  "$arena_used" "${ARENA_SIZE:-100548}" "$stack" "$(( static_ram + stack ))" "$(( region / entries ))"
