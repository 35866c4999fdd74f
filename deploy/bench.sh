#!/usr/bin/env bash
# Load benchmark: the same workloads against anvil and against ol-node, on this machine, in
# one run, with the same block gas limit. Prints one JSON line per run (from ol-loadgen --json)
# into bench-results.jsonl and a summary table. Only loopback addresses are used.
#
#   bash deploy/bench.sh [TXS] [CALL_SECONDS]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TXS="${1:-100000}"
CALL_SECS="${2:-10}"
GAS_LIMIT=1000000000
PORT=8599
OUT="${BENCH_OUT:-$ROOT/target/bench-results.jsonl}"
: > "$OUT"

cargo build --release -p ol-sequencer --bins
bash contracts/scripts/install.sh
ANVIL="$ROOT/contracts/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
NODE="$ROOT/target/release/ol-node"
LOADGEN="$ROOT/target/release/ol-loadgen"

server_pid=""
stop_server() {
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
trap stop_server EXIT

wait_ready() {
  for _ in $(seq 1 200); do
    if curl -s -m 1 -H 'content-type: application/json' \
      -d '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' "http://127.0.0.1:$PORT" | grep -q result; then
      return 0
    fi
    sleep 0.1
  done
  echo "server did not come up" >&2
  return 1
}

start() {
  local target="$1" tmp
  case "$target" in
    anvil)
      "$ANVIL" --host 127.0.0.1 --port "$PORT" --block-time 1 --gas-limit "$GAS_LIMIT" >/dev/null 2>&1 &
      ;;
    node)
      tmp="$(mktemp -d)"
      RUST_LOG=warn "$NODE" --dev --datadir "$tmp" --http.port "$PORT" --gas-limit "$GAS_LIMIT" \
        --rpc.max-connections 1000 >/dev/null 2>&1 &
      ;;
    node-1s)
      tmp="$(mktemp -d)"
      RUST_LOG=warn "$NODE" --dev --datadir "$tmp" --http.port "$PORT" --gas-limit "$GAS_LIMIT" \
        --block-time 1 --rpc.max-connections 1000 >/dev/null 2>&1 &
      ;;
  esac
  server_pid=$!
  wait_ready
}

run() {
  local target="$1" label="$2" workload="$3"; shift 3
  start "$target"
  echo "== $target $label: $workload $*" >&2
  local line
  line="$("$LOADGEN" --rpc-url "http://127.0.0.1:$PORT" --workload "$workload" --json "$@" | tail -1)" || true
  [[ -n "$line" ]] || line=null
  echo "{\"target\":\"$target\",\"workload\":\"$label\",\"args\":\"$*\",\"result\":$line}" >> "$OUT"
  stop_server
}

for target in anvil node node-1s; do
  run "$target" transfer transfer --txs "$TXS"
  run "$target" transfer-b100 transfer --txs "$TXS" --senders 2000 --concurrency 16 --batch 100
  run "$target" erc20 erc20 --txs "$TXS"
  run "$target" erc20-b100 erc20 --txs "$TXS" --senders 2000 --concurrency 16 --batch 100
  run "$target" call call --duration-secs "$CALL_SECS"
done

python3 - "$OUT" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
fmt = lambda v: f"{v:,.0f}" if isinstance(v, (int, float)) else "-"
print(f"{'target':8} {'workload':13} {'accepted/s':>11} {'included/s':>11} {'calls/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'rejected':>8}")
for r in rows:
    res = r["result"] or {}
    lat = res.get("submit_latency_ms") or res.get("latency_ms") or {}
    print(f"{r['target']:8} {r['workload']:13} {fmt(res.get('accepted_per_s')):>11} {fmt(res.get('included_per_s')):>11} "
          f"{fmt(res.get('calls_per_s')):>9} {lat.get('p50','-')!s:>8} {lat.get('p99','-')!s:>8} {res.get('rejected', res.get('calls_failed','-'))!s:>8}")
PY
