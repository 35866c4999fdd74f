# Source this file (bash) to use the project's pinned Foundry and solc-js from any directory:
#
#   source contracts/scripts/env.sh
#   forge build && forge test          # inside contracts/
#
# It puts forge, cast and anvil (from node_modules/@foundry-rs) first on PATH and points forge
# at the solc-js wrapper (FOUNDRY_SOLC) in offline mode, which also covers `forge --root …` and
# `forge script` runs. Run scripts/install.sh first (build.sh and test.sh do). It sets no shell
# options, so it is safe to source from an interactive shell.

OPENLEDGER_CONTRACTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export OPENLEDGER_CONTRACTS_DIR
export PATH="$OPENLEDGER_CONTRACTS_DIR/node_modules/@foundry-rs/forge-linux-amd64/bin:$OPENLEDGER_CONTRACTS_DIR/node_modules/@foundry-rs/cast-linux-amd64/bin:$OPENLEDGER_CONTRACTS_DIR/node_modules/@foundry-rs/anvil-linux-amd64/bin:$PATH"
export FOUNDRY_SOLC="$OPENLEDGER_CONTRACTS_DIR/scripts/solc"
export FOUNDRY_OFFLINE=true
