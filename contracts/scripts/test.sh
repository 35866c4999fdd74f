#!/usr/bin/env bash
# Runs the forge tests offline. Extra arguments go to `forge test` (e.g. -vvv, --match-test X).
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$DIR/scripts/install.sh"
# shellcheck source=env.sh
source "$DIR/scripts/env.sh"
cd "$DIR"

forge test --offline "$@"
