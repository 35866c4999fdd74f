#!/usr/bin/env bash
# Runs every test of the project on a machine with only Rust, node/npm, python and gcc:
# installs the pinned Foundry + solc-js toolchain from npm (contracts/scripts/install.sh),
# runs the forge tests, checks the committed contract artifacts are fresh, then format,
# lints and the Rust tests (unit, property and integration tests against the real binary).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Each step says how long the previous one took and the time since the start, so a slow step
# shows in CI's log.
START=$SECONDS
LAST=$SECONDS
STEP=""
step() {
  if [[ -n "$STEP" ]]; then
    printf '    (%s: %d s; %d s in total)\n' "$STEP" $((SECONDS - LAST)) $((SECONDS - START)) >&2
  fi
  STEP="$*"
  LAST=$SECONDS
  printf '\n==> %s\n' "$*" >&2
}

step "contracts: install toolchain"
bash contracts/scripts/install.sh
step "contracts: forge tests"
bash contracts/scripts/test.sh
step "contracts: artifacts are fresh"
bash contracts/scripts/check-artifacts.sh
step "contracts: precompile interfaces match the ones the node is built from"
diff -r precompiles/interfaces contracts/src/interfaces

step "python: reference-test dependencies (numpy)"
python3 -m pip install -q --disable-pip-version-check -r precompiles/tests/reference/requirements.txt

step "rust: format"
cargo fmt --all --check
step "rust: clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
step "rust: binaries (integration tests run ol-batcher beside ol-node)"
cargo build --workspace --bins --locked
step "rust: tests"
cargo test --workspace --locked

# The cargo-fuzz targets of the precompile decoders and of the batch/channel/blob decoders,
# FUZZ_SECONDS each (30), where a nightly toolchain is installed (libFuzzer needs nightly's
# sanitizer flags); a crash fails the run and leaves its input in <dir>/artifacts/.
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  step "rust: fuzz targets (nightly, ${FUZZ_SECONDS:-30} s each)"
  if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    cargo +nightly install cargo-fuzz --version 0.13.2 --locked
  fi
  for dir in precompiles/fuzz protocol/fuzz; do
    for target in $(cargo +nightly fuzz list --fuzz-dir "$dir"); do
      log="$(mktemp)"
      if ! cargo +nightly fuzz run --fuzz-dir "$dir" "$target" -- \
        -max_total_time="${FUZZ_SECONDS:-30}" >"$log" 2>&1; then
        tail -n 80 "$log" >&2
        echo "fuzz target $dir/$target failed" >&2
        exit 1
      fi
      echo "$dir/$target: $(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$log")"
      rm -f "$log"
    done
  done
else
  step "rust: fuzz targets skipped (no nightly toolchain)"
fi

step "all tests passed"
