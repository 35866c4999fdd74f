#!/usr/bin/env bash
# Installs the real-client test dependencies exactly as pinned:
#   - ethers and viem from npm into ./node_modules (npm ci, from package-lock.json);
#   - web3.py and eth-account from PyPI (requirements.txt) into the current python3;
#   - Debian's chromium (apt-get), which playwright-core drives for the status-page test.
# Idempotent: does nothing when both are already installed at the pinned versions.
# Safe to run concurrently (test processes): installs are serialised with flock.
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$DIR"

for tool in node npm python3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "clients/install.sh: '$tool' is not installed; the real-client tests need node, npm and python3" >&2
    exit 1
  fi
done

STAMP="node_modules/.ol-clients-install-stamp"

want_stamp() {
  node -e '
    const fs = require("fs");
    const h = require("crypto").createHash("sha256");
    for (const f of ["package.json", "package-lock.json"]) h.update(fs.readFileSync(f));
    process.stdout.write(h.digest("hex") + " node " + process.version + "\n");
  '
}

npm_up_to_date() {
  [[ -f "$STAMP" ]] || return 1
  [[ "$(cat "$STAMP")" == "$(want_stamp)" ]] || return 1
  [[ -f node_modules/ethers/package.json && -f node_modules/viem/package.json ]] &&
    [[ -f node_modules/playwright-core/package.json ]]
}

# The browser of the status-page test: Debian's package (playwright's own download needs the
# internet). apt-get needs root; sudo is used when present and needed.
install_chromium() {
  [[ -x /usr/bin/chromium ]] && return 0
  local sudo=""
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null 2>&1 || {
      echo "clients/install.sh: chromium is missing and installing it needs root (apt-get install chromium)" >&2
      exit 1
    }
    sudo="sudo -n"
  fi
  echo "clients/install.sh: apt-get install chromium" >&2
  $sudo apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends chromium >&2
}

# Exit status 0 when every `name==version` line of requirements.txt is installed.
python_up_to_date() {
  python3 - requirements.txt <<'EOF'
import sys
from importlib.metadata import PackageNotFoundError, version

for line in open(sys.argv[1]):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    name, _, pinned = line.partition("==")
    try:
        if version(name.strip()) != pinned.strip():
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
EOF
}

install() {
  if ! npm_up_to_date; then
    echo "clients/install.sh: npm ci (ethers, viem, ws, playwright-core)" >&2
    npm ci --no-audit --no-fund --loglevel=error >&2
    want_stamp >"$STAMP"
  fi
  if ! python_up_to_date; then
    echo "clients/install.sh: pip install -r requirements.txt (web3.py)" >&2
    python3 -m pip install -q --disable-pip-version-check -r requirements.txt >&2
    python_up_to_date || {
      echo "clients/install.sh: requirements.txt still not satisfied after pip install" >&2
      exit 1
    }
  fi
  install_chromium
  # Fail here, with the import error, rather than in the middle of a test.
  python3 -c 'import web3, eth_account, eth_abi' >&2
  node -e 'require.resolve("ethers"); require.resolve("viem"); require.resolve("ws"); require.resolve("playwright-core")' >&2
  /usr/bin/chromium --version >&2
}

if command -v flock >/dev/null 2>&1; then
  exec 9>"$DIR/.install.lock"
  flock 9
fi
install
