#!/usr/bin/env bash
# Lays out TFLite Micro and the third-party sources its Makefile would
# download (tools/make/third_party_downloads.inc, ext_libs/cmsis*_download.sh)
# from local bare git mirrors, so the build below runs offline.
#
#   TFLM_MIRRORS  directory of bare git mirrors named owner+name/repo
#                 (default /work/.mirror, as the `fetch` tool lays them out)
#   TFLM_DEPS     where the source trees go (default target/tflm-deps in this checkout);
#                 nothing here is committed to etch.
#
# Each library is taken at the commit TFLM pins; if a mirror lacks that commit
# the script stops (set TFLM_ALLOW_HEAD=1 to take the mirror's HEAD instead).
set -euo pipefail
M=${TFLM_MIRRORS:-/work/.mirror}
D=${TFLM_DEPS:-$(cd "$(dirname "$0")/../.." && pwd)/target/tflm-deps}
TFLM_REV=${TFLM_REV:-HEAD}
mkdir -p "$D"

extract() { # mirror rev dest
  local repo="$M/$1/repo" rev="$2" dest="$3"
  [ -d "$dest" ] && { echo "have $dest"; return; }
  if ! git -C "$repo" rev-parse -q --verify "$rev^{commit}" >/dev/null; then
    if [ "${TFLM_ALLOW_HEAD:-0}" = 1 ]; then
      echo "warning: $1 lacks $rev, using HEAD" >&2; rev=HEAD
    else
      echo "error: $1 lacks $rev" >&2; exit 1
    fi
  fi
  mkdir -p "$dest"
  git -C "$repo" archive "$rev" | tar x -C "$dest"
  echo "$1 $(git -C "$repo" rev-parse "$rev^{commit}") -> $dest"
}

T="$D/tflite-micro"
extract tensorflow+tflite-micro "$TFLM_REV" "$T"
DL="$T/tensorflow/lite/micro/tools/make/downloads"
mkdir -p "$DL"
pin() { grep -o "$1[^ \"]*" "$T/tensorflow/lite/micro/tools/make/$2" | head -1 | sed -E "s#.*/##; s#\.zip##"; }

extract google+gemmlowp "$(pin 'gemmlowp/archive/' third_party_downloads.inc)" "$DL/gemmlowp"
extract google+ruy "$(pin 'ruy/archive/' third_party_downloads.inc)" "$DL/ruy"
if [ ! -d "$DL/flatbuffers" ]; then
  extract google+flatbuffers "$(pin 'flatbuffers/archive/refs/tags/' third_party_downloads.inc)" "$DL/flatbuffers"
  find "$DL/flatbuffers" \( -name BUILD -o -name BUILD.bazel \) -delete
  patch -p1 -d "$DL/flatbuffers" < "$T/tensorflow/lite/micro/tools/make/flatbuffers.patch"
fi
if [ ! -d "$DL/kissfft" ]; then
  extract mborgerding+kissfft "$(pin 'kissfft/archive/refs/tags/' third_party_downloads.inc)" "$DL/kissfft"
  patch -p1 -d "$DL/kissfft" < "$T/third_party/kissfft/kissfft.patch"
fi
ext="$T/tensorflow/lite/micro/tools/make/ext_libs"
cmsis_rev=$(grep -m1 'ZIP_PREFIX=' "$ext/cmsis_download.sh" | sed -E 's/.*"(.*)"/\1/')
dfp_rev=$(grep 'ZIP_PREFIX=' "$ext/cmsis_download.sh" | sed -n 2p | sed -E 's/.*"(.*)"/\1/')
nn_rev=$(grep -m1 'ZIP_PREFIX_NN=' "$ext/cmsis_nn_download.sh" | sed -E 's/.*"(.*)"/\1/')
extract ARM-software+CMSIS_6 "$cmsis_rev" "$DL/cmsis"
extract ARM-software+Cortex_DFP "$dfp_rev" "$DL/cmsis/Cortex_DFP"
extract ARM-software+CMSIS-NN "$nn_rev" "$DL/cmsis_nn"
# Pigweed is used only by TFLM's own tests; an empty directory stops the
# Makefile from cloning it.
mkdir -p "$DL/pigweed"
echo "TFLM tree ready: $T"
