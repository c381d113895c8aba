#!/usr/bin/env bash
# etch inspect + verify on every program of a sweep folder (tests/export/sweep_text.py):
#   bash tests/export/sweep_text.sh /work/sweep/text [NAME ...]
# One line per program: name, form, compiles?, verifies?, max error; logs in NAME/*.log.
set -u
root=$1; shift
etch=${ETCH:-$(dirname "$0")/../../target/release/etch}
export ETCH_CACHE=${ETCH_CACHE:-$root/.cache}
names=("$@"); [ ${#names[@]} -eq 0 ] && names=($(ls "$root"))
for n in "${names[@]}"; do
  for form in model model.xnnpack; do
    pte=$root/$n/$form.pte
    [ -f "$pte" ] || continue
    log=$root/$n/$form.verify.log
    if ! "$etch" inspect "$pte" > "$root/$n/$form.inspect.log" 2>&1; then
      echo "$n $form inspect-fails $(grep -m1 -i 'unsupported\|error' "$root/$n/$form.inspect.log")"; continue
    fi
    if "$etch" verify "$pte" "$root/$n" > "$log" 2>&1; then v=ok; else v=FAIL; fi
    err=$(awk '$NF=="ok"||$NF=="FAIL"{if($4+0>m)m=$4+0}END{printf "%.2e", m}' "$log")
    echo "$n $form $v max_abs=$err $(grep -E '^(verify|error)' "$log" | tail -1 | cut -c1-200)"
  done
done
