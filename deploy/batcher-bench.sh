#!/usr/bin/env bash
# What posting costs on L1, measured end to end with the real processes: anvil as L1 (Prague,
# blobs), the L1 contracts, ol-node sequencing on it, ol-batcher posting, and ol-loadgen sending
# one workload. Reports L1 bytes, L1 gas and blob gas per L2 transaction, and the seconds from a
# transaction's L2 block to the moment the node reports that block `safe` (its batch on L1
# blocks `confirmation_depth` deep); then how fast a fresh `ol-node --follow-l1` derives the same
# chain from L1 alone. One line of JSON per run goes to target/batcher-bench.jsonl.
# BENCH_KEEP=1 keeps the logs (anvil, node, batcher, loadgen) of the run.
#
#   bash deploy/batcher-bench.sh [TXS] [calldata|blobs] [transfer|erc20] [L1_BLOCK_SECONDS]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TXS="${1:-20000}"
DA="${2:-blobs}"
WORKLOAD="${3:-transfer}"
L1_BLOCK="${4:-1}"
OUT="${BENCH_OUT:-$ROOT/target/batcher-bench.jsonl}"
KEY0=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
BATCHER=0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC
BATCHER_KEY=0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a
L1_PORT=9645
L2_PORT=9646

bash contracts/scripts/install.sh >/dev/null
cargo build --release -p ol-sequencer -p ol-batcher --bins
BIN="$ROOT/target/release"
FOUNDRY="$ROOT/contracts/node_modules/@foundry-rs"
DIR="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ -n "${BENCH_KEEP:-}" ]]; then echo "logs kept in $DIR" >&2; else rm -rf "$DIR"; fi
}
trap cleanup EXIT

"$FOUNDRY/anvil-linux-amd64/bin/anvil" --host 127.0.0.1 --port "$L1_PORT" --hardfork prague \
  --block-time "$L1_BLOCK" --slots-in-an-epoch 2 >"$DIR/anvil.log" 2>&1 &
pids+=($!)
L1="http://127.0.0.1:$L1_PORT"
for _ in $(seq 1 100); do grep -q "Listening on" "$DIR/anvil.log" && break; sleep 0.1; done

(cd contracts && FOUNDRY_SOLC="$ROOT/contracts/scripts/solc" FOUNDRY_OFFLINE=true \
  FOUNDRY_BROADCAST="$DIR/broadcast" DEVNET=true BATCHER="$BATCHER" \
  "$FOUNDRY/forge-linux-amd64/bin/forge" script script/DeployL1.s.sol --rpc-url "$L1" \
  --broadcast --private-key "$KEY0") >"$DIR/deploy.txt"
"$BIN/ol-genesis" --l1.rpc "$L1" --deployment "$DIR/deploy.txt" --batcher "$BATCHER" \
  --out "$DIR" >/dev/null

RUST_LOG=warn "$BIN/ol-node" --chain "$DIR/genesis.json" --rollup.config "$DIR/rollup.json" \
  --l1.rpc "$L1" --datadir "$DIR/node" --http.port "$L2_PORT" --l1.poll-interval 250ms \
  >"$DIR/node.log" 2>&1 &
pids+=($!)
L2="http://127.0.0.1:$L2_PORT"
for _ in $(seq 1 200); do
  curl -s -m 1 -H 'content-type: application/json' \
    -d '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' "$L2" | grep -q result && break
  sleep 0.1
done
OL_BATCHER_PRIVATE_KEY="$BATCHER_KEY" RUST_LOG=info "$BIN/ol-batcher" --l1.rpc "$L1" \
  --l2.rpc "$L2" --rollup.config "$DIR/rollup.json" --data-availability "$DA" \
  --max-channel-duration 1 --poll-interval 250ms --rpc.addr 127.0.0.1:0 >"$DIR/batcher.log" 2>&1 &
pids+=($!)

# Sample the node's safe head while the load runs and until it covers the last block.
python3 "$ROOT/deploy/batcher_bench.py" sample "$L2" "$DIR/safe.jsonl" &
sampler=$!
pids+=($sampler)
"$BIN/ol-loadgen" --rpc-url "$L2" --workload "$WORKLOAD" --txs "$TXS" --senders 200 >"$DIR/loadgen.txt"
python3 "$ROOT/deploy/batcher_bench.py" report "$L1" "$L2" "$DIR" "$DA" "$WORKLOAD" "$L1_BLOCK" \
  | tee -a "$OUT"

# Then a fresh follower derives the same chain from L1 alone: how fast it catches up.
FOLLOW_PORT=9647
RUST_LOG=info "$BIN/ol-node" --follow-l1 --chain "$DIR/genesis.json" \
  --rollup.config "$DIR/rollup.json" --l1.rpc "$L1" --datadir "$DIR/follower" \
  --http.port "$FOLLOW_PORT" --l1.poll-interval 100ms >"$DIR/follower.log" 2>&1 &
pids+=($!)
python3 "$ROOT/deploy/batcher_bench.py" follow "$L2" "http://127.0.0.1:$FOLLOW_PORT" | tee -a "$OUT"
