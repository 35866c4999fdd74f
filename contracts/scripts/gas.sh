#!/usr/bin/env bash
# Records the gas of the contracts' main entry points (the test_gas_* tests) in snapshots/*.json.
# scripts/test.sh fails when they differ from the committed ones, so after a deliberate change of
# gas run this, then update the tables in README.md and ../docs/PERFORMANCE.md from the diff.
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$DIR/scripts/install.sh"
# shellcheck source=env.sh
source "$DIR/scripts/env.sh"
cd "$DIR"

forge test --offline --match-test 'test_gas_' -vv "$@"
git --no-pager diff --stat -- snapshots || true
