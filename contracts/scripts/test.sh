#!/usr/bin/env bash
# Runs the forge tests offline. Extra arguments go to `forge test` (e.g. -vvv, --match-test X).
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$DIR/scripts/install.sh"
# shellcheck source=env.sh
source "$DIR/scripts/env.sh"
cd "$DIR"

# The test_gas_* tests record their figures in snapshots/*.json (vm.snapshotValue), rewriting
# the files; forge 1.7's gas_snapshot_check does not compare snapshotValue entries, so compare
# here against the committed figures and put them back: a change of gas fails until it is
# re-recorded on purpose with scripts/gas.sh (and the tables in the docs follow it). A filtered
# run (arguments given) writes only the figures it measured, so only those are compared.
committed=$(mktemp -d)
trap 'rm -rf "$committed"' EXIT
cp -r snapshots/. "$committed/"
status=0
forge test --offline "$@" || status=$?
if ! python3 scripts/gas-compare.py "$committed" snapshots $#; then
  cp -r "$committed/." snapshots/
  echo "contracts: if the change of gas is intended, run scripts/gas.sh and update the gas tables in README.md and ../docs/PERFORMANCE.md" >&2
  status=1
fi
cp -r "$committed/." snapshots/
exit $status
