#!/usr/bin/env bash
# Builds the contracts offline (forge + solc-js) and exports artifacts/<Contract>.json.
# Extra arguments go to `forge build` (e.g. --force).
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$DIR/scripts/install.sh"
# shellcheck source=env.sh
source "$DIR/scripts/env.sh"
cd "$DIR"

forge build --offline "$@"
node scripts/export-artifacts.js out artifacts
