#!/usr/bin/env bash
# Builds the firmware for thumbv7em-none-eabihf, runs digits_cnn and mlp under
# qemu's mps2-an386 (Cortex-M4) against ExecuTorch's outputs, and prints flash,
# RAM, stack, instructions per inference and panic call sites. Exits non-zero
# on any mismatch, fault or budget overrun. Installs nothing: the toolchain
# comes from .ci/install-targets.sh (../shared/TARGETS.md).
# CARGO_PROFILE_RELEASE_OPT_LEVEL=s measures the size-optimised build.
set -euo pipefail
cd "$(dirname "$0")"
PLUGIN_SRC=../../../shared/tools/qemu-insncount/insncount.c
for need in /usr/bin/rustc /usr/bin/cargo /usr/lib/llvm-22/bin/ld.lld qemu-system-arm \
  arm-none-eabi-size arm-none-eabi-nm arm-none-eabi-objdump arm-none-eabi-c++filt gcc "$PLUGIN_SRC"; do
  [[ -e $need ]] || command -v "$need" >/dev/null || { echo "error: $need is missing (run .ci/install-targets.sh)" >&2; exit 2; }
done

RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc /usr/bin/cargo build --release --locked
TARGET_DIR=${CARGO_TARGET_DIR:-target}
gcc -shared -fPIC -O2 -o "$TARGET_DIR/libinsncount.so" "$PLUGIN_SRC"

# Call sites of panic entry points, from functions that are not themselves part
# of the panic machinery: "count fn fn ..." (mangled names keep the awk simple).
panic_sites() {
  arm-none-eabi-objdump -d "$1" | awk -v P='panic|_fail|failed|begin_unwind' '
    /^[0-9a-f]+ <[^>]*>:$/ { fn = substr($2, 2, length($2) - 3); inside = fn ~ P; next }
    !inside && match($0, /<[^>+ ]*>$/) && substr($0, RSTART) ~ P { n++; at[fn]++ }
    END { printf "%d", n; for (f in at) printf " %s", f; print "" }'
}

status=0
rows=()
for model in digits_cnn mlp; do
  elf=$TARGET_DIR/thumbv7em-none-eabihf/release/$model
  addr() { echo "0x$(arm-none-eabi-nm "$elf" | awk -v s="$1" '$3==s{print $1}')"; }
  log=$TARGET_DIR/$model.insns.log
  rm -f "$log"
  echo "== $model"
  if ! out=$(timeout 120 qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -nographic \
      -semihosting-config enable=on,target=native \
      -plugin "$TARGET_DIR/libinsncount.so,start=$(addr bench_start),end=$(addr bench_end)" \
      -d plugin -D "$log" -kernel "$elf"); then
    echo "$out"; echo "FAIL: $model on qemu"; status=1; continue
  fi
  echo "$out"
  summary=$(grep -E "^$model: [0-9]+/[0-9]+ cases pass" <<<"$out")
  field() { sed -E "s/.*$1 ([0-9]+) B.*/\\1/" <<<"$summary"; }
  weights=$(field weights); arena=$(field arena); stack=$(field "stack high-water")
  read -r region entries < <(sed -E 's/.*region=([0-9]+) region_entries=([0-9]+).*/\1 \2/' "$log")
  sizes=$(arm-none-eabi-size -A "$elf")
  sec() { awk -v s="$1" '$1==s{print $2; f=1} END{if(!f) print 0}' <<<"$sizes"; }
  flash=$(( $(sec .vector_table) + $(sec .text) + $(sec .rodata) + $(sec .data) ))
  static_ram=$(( $(sec .data) + $(sec .bss) + $(sec .uninit) ))
  read -r panics where < <(panic_sites "$elf")
  rows+=("$(printf '%-11s %7d %8d %11d %6d %7d %7d %12d %7d' "$model" "$flash" "$weights" \
    "$static_ram" "$stack" "$(( static_ram + stack ))" "$arena" "$(( region / entries ))" "$panics")")
  [[ $panics == 0 ]] || echo "panic call sites in: $(arm-none-eabi-c++filt $where | tr '\n' ' ')"
  # Budgets from issue 7: code + tables within 24 KiB, everything but the arena within 8 KiB.
  if (( flash > weights + 24576 )); then echo "FAIL: $model flash $flash B > weights + 24 KiB"; status=1; fi
  if (( static_ram + stack > arena + 8192 )); then echo "FAIL: $model RAM $(( static_ram + stack )) B > arena + 8 KiB"; status=1; fi
done

echo
echo "thumbv7em-none-eabihf, opt-level ${CARGO_PROFILE_RELEASE_OPT_LEVEL:-3} (bytes; flash = vector table + text + rodata + data, RAM = data + bss + uninit + stack)"
printf '%-11s %7s %8s %11s %6s %7s %7s %12s %7s\n' model flash weights "static RAM" stack RAM arena insns/infer panics
printf '%s\n' "${rows[@]}"
exit $status
