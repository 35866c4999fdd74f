#!/usr/bin/env bash
# Rebuilds from scratch and fails, showing the diff, if the committed artifacts/ differ from
# what the sources compile to. Fix with `bash scripts/build.sh` and commit artifacts/.
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$DIR/scripts/install.sh"
# shellcheck source=env.sh
source "$DIR/scripts/env.sh"
cd "$DIR"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# A separate out/ and cache/ so that nothing stale from earlier builds can leak in.
forge build --offline --force --out "$TMP/out" --cache-path "$TMP/cache" >&2
node scripts/export-artifacts.js "$TMP/out" "$TMP/artifacts" >/dev/null

if ! diff -ru artifacts "$TMP/artifacts"; then
  echo "check-artifacts: contracts/artifacts/ is out of date; run contracts/scripts/build.sh and commit it" >&2
  exit 1
fi
echo "check-artifacts: contracts/artifacts/ is up to date"
