#!/usr/bin/env bash
# Drift check: the committed generated/ crates must be what etch writes today.
set -euo pipefail
cd "$(dirname "$0")/.."

generated/regen.sh
drift="$(git status --porcelain -- generated/)"
if [ -n "$drift" ]; then
  echo "generated/ is stale; run generated/regen.sh and commit the result:" >&2
  echo "$drift" >&2
  git --no-pager diff --stat -- generated/ >&2
  exit 1
fi
echo "generated/: no drift"
