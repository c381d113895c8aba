#!/bin/sh
# Regenerates the checked-in Rust reader from the schema.
# Needs flatc 25.12.19, the same version as the `flatbuffers` crate pin.
set -eu
cd "$(dirname "$0")"
want=25.12.19
have=$(flatc --version | awk '{print $3}')
if [ "$have" != "$want" ]; then
  echo "regen.sh: need flatc $want, found $have" >&2
  exit 1
fi
# --gen-all puts scalar_type.fbs's types into the same file, so no
# cross-file module paths are needed.
flatc --rust --gen-all -o ../src/pte/generated program.fbs

# To check the layout against ExecuTorch's own schema/program.fbs and
# scalar_type.fbs: run the same flatc command on those and diff the output.
# It must be identical (plain `//` comments are not emitted).

# The XNNPACK delegate's graph (our own schema, same layout as ExecuTorch's
# backends/xnnpack/serialization/schema.fbs).
flatc --rust -o ../src/pte/xnnpack/generated xnnpack.fbs
