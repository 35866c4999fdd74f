#!/usr/bin/env bash
# Installs the contracts toolchain (solc-js, forge-std, OpenZeppelin, solady, forge/cast/anvil)
# from the npm registry into contracts/node_modules, exactly as package-lock.json pins it.
# Idempotent: does nothing when node_modules already matches package.json + package-lock.json.
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$DIR"

STAMP="node_modules/.openledger-install-stamp"
BINS=(
  node_modules/@foundry-rs/forge-linux-amd64/bin/forge
  node_modules/@foundry-rs/cast-linux-amd64/bin/cast
  node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil
)

want_stamp() {
  node -e '
    const fs = require("fs");
    const h = require("crypto").createHash("sha256");
    for (const f of ["package.json", "package-lock.json"]) h.update(fs.readFileSync(f));
    process.stdout.write(h.digest("hex") + " node " + process.version + "\n");
  '
}

up_to_date() {
  [[ -f "$STAMP" ]] || return 1
  [[ "$(cat "$STAMP")" == "$(want_stamp)" ]] || return 1
  local b
  for b in "${BINS[@]}"; do
    [[ -x "$b" ]] || return 1
  done
  [[ -f node_modules/solc/soljson.js ]] || return 1
}

install() {
  if up_to_date; then
    return 0
  fi
  echo "contracts: installing npm toolchain (npm ci)" >&2
  npm ci --no-audit --no-fund --ignore-scripts --prefer-offline --loglevel=error >&2
  want_stamp > "$STAMP"
}

# Serialize concurrent installs (e.g. several integration tests starting at once).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$DIR/.install.lock"
  flock 9
fi
install
