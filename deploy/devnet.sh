#!/usr/bin/env bash
# The whole rollup on one machine: anvil as L1 (blobs, safe and finalized heads that advance),
# the L1 contracts deployed with the forge script, the L2 genesis and rollup.json written by
# ol-genesis, the sequencer and the batcher. Ctrl-C stops everything; a second start reuses the
# data directory (anvil's state included); --fresh wipes it.
#
#   bash deploy/devnet.sh [--fresh] [--dir DIR]
#
# Environment (defaults in brackets): OL_DEVNET_L1_PORT [8545], OL_DEVNET_L2_PORT [9545],
# OL_DEVNET_L2_WS_PORT [9546], OL_DEVNET_BATCHER_PORT [8548], OL_DEVNET_L1_BLOCK_TIME [2]
# (seconds), OL_DEVNET_DA [auto] (calldata, blobs or auto), OL_DEVNET_BIN (a directory with
# ol-node, ol-batcher and ol-genesis already built; default: build them with cargo --release).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/.devnet"
fresh=false
while [ $# -gt 0 ]; do
    case "$1" in
        --fresh) fresh=true ;;
        --dir) dir="${2:?--dir needs a directory}"; shift ;;
        --dir=*) dir="${1#--dir=}" ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "devnet: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

l1_port="${OL_DEVNET_L1_PORT:-8545}"
l2_port="${OL_DEVNET_L2_PORT:-9545}"
ws_port="${OL_DEVNET_L2_WS_PORT:-9546}"
batcher_port="${OL_DEVNET_BATCHER_PORT:-8548}"
l1_block_time="${OL_DEVNET_L1_BLOCK_TIME:-2}"
da="${OL_DEVNET_DA:-auto}"
l1="http://127.0.0.1:$l1_port"
l2="http://127.0.0.1:$l2_port"
l2_ws="ws://127.0.0.1:$ws_port"

# The standard test mnemonic's accounts: 0 deploys and proposes, 2 is the batcher.
deployer_key=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
deployer=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
batcher_key=0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a
batcher=0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# A port in use would send the deployment to whatever listens there: refuse up front.
for port in "$l1_port" "$l2_port" "$ws_port" "$batcher_port"; do
    if ! python3 -c 'import socket as k,sys; s=k.socket(); s.setsockopt(k.SOL_SOCKET, k.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1])))' \
        "$port" 2>/dev/null; then
        echo "devnet: port $port is in use (set OL_DEVNET_*_PORT, see --help)" >&2
        exit 1
    fi
done

if $fresh && [ -d "$dir" ]; then
    say "wiping $dir"
    rm -rf "$dir"
fi
mkdir -p "$dir/logs"
dir="$(cd "$dir" && pwd)"

say "installing Foundry and solc-js (pinned, from npm)"
bash "$root/contracts/scripts/install.sh" >"$dir/logs/install.log" 2>&1 || {
    tail -20 "$dir/logs/install.log" >&2
    exit 1
}
# shellcheck source=/dev/null
source "$root/contracts/scripts/env.sh"

if [ -n "${OL_DEVNET_BIN:-}" ]; then
    bin="$(cd "$OL_DEVNET_BIN" && pwd)"
else
    say "building ol-node, ol-genesis and ol-batcher (release)"
    (cd "$root" && cargo build --release --locked -p ol-sequencer -p ol-batcher \
        --bin ol-node --bin ol-genesis --bin ol-batcher)
    bin="$root/target/release"
fi
for b in ol-node ol-genesis ol-batcher; do
    [ -x "$bin/$b" ] || { echo "devnet: $bin/$b missing" >&2; exit 1; }
done

pids=()
stop() {
    trap - INT TERM EXIT
    if [ ${#pids[@]} -gt 0 ]; then
        say "stopping"
        # The batcher and the node first (they read L1), anvil last (it writes its state).
        for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
            kill -TERM "${pids[$i]}" 2>/dev/null || true
            wait "${pids[$i]}" 2>/dev/null || true
        done
    fi
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

wait_rpc() { # url what
    for _ in $(seq 1 150); do
        cast chain-id --rpc-url "$1" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    echo "devnet: $2 did not answer on $1 (logs in $dir/logs)" >&2
    return 1
}

say "starting anvil (L1) on $l1"
anvil --host 127.0.0.1 --port "$l1_port" --hardfork prague --block-time "$l1_block_time" \
    --slots-in-an-epoch 4 --state "$dir/l1-state.json" >"$dir/logs/anvil.log" 2>&1 &
pids+=($!)
wait_rpc "$l1" anvil

if [ ! -f "$dir/rollup.json" ] || [ ! -f "$dir/deploy.log" ]; then
    say "deploying the L1 contracts (contracts/script/DeployL1.s.sol)"
    (cd "$root/contracts" && FOUNDRY_SOLC="$root/contracts/scripts/solc" FOUNDRY_OFFLINE=true \
        FOUNDRY_BROADCAST="$dir/broadcast" DEVNET=true BATCHER="$batcher" PROPOSER="$deployer" \
        forge script script/DeployL1.s.sol --rpc-url "$l1" --broadcast \
        --private-key "$deployer_key") >"$dir/deploy.log.tmp" 2>&1 || {
        tail -30 "$dir/deploy.log.tmp" >&2
        exit 1
    }
    mv "$dir/deploy.log.tmp" "$dir/deploy.log"
    say "writing the L2 genesis and rollup.json (ol-genesis)"
    NO_COLOR=1 "$bin/ol-genesis" --l1.rpc "$l1" --deployment "$dir/deploy.log" \
        --batcher "$batcher" --out "$dir" --force >"$dir/logs/genesis.log" 2>&1 || {
        cat "$dir/logs/genesis.log" >&2
        exit 1
    }
else
    say "reusing $dir (deployment, genesis, chain data)"
fi

address() { awk -v name="$1" '$1 == name && $2 ~ /^0x/ { print $2; exit }' "$dir/deploy.log"; }
chain_id="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["l2_chain_id"])' "$dir/rollup.json")"

say "starting the sequencer (ol-node) on $l2"
NO_COLOR=1 "$bin/ol-node" --datadir "$dir/sequencer" --chain "$dir/genesis.json" \
    --rollup.config "$dir/rollup.json" --l1.rpc "$l1" --http.port "$l2_port" \
    --ws.port "$ws_port" --status.batcher-rpc "http://127.0.0.1:$batcher_port" \
    >"$dir/logs/sequencer.log" 2>&1 &
pids+=($!)
wait_rpc "$l2" "the sequencer"

say "starting the batcher (ol-batcher, data availability: $da)"
OL_BATCHER_PRIVATE_KEY="$batcher_key" NO_COLOR=1 "$bin/ol-batcher" --l1.rpc "$l1" \
    --l2.rpc "$l2" --rollup.config "$dir/rollup.json" --data-availability "$da" \
    --rpc.addr "127.0.0.1:$batcher_port" >"$dir/logs/batcher.log" 2>&1 &
pids+=($!)
# The prover joins the component list here once it exists.

python3 - "$dir" "$l1" "$l2" "$l2_ws" "$chain_id" "$deployer_key" "$batcher_key" \
    "http://127.0.0.1:$batcher_port" <<'EOF'
import json, re, sys
d, l1, l2, ws, chain_id, deployer_key, batcher_key, batcher_rpc = sys.argv[1:]
contracts = {}
for line in open(f"{d}/deploy.log"):
    m = re.match(r"\s*([A-Za-z][A-Za-z0-9]*) (0x[0-9a-fA-F]{40})\s*$", line)
    if m:
        contracts[m.group(1)] = m.group(2)
dev_keys = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
]
facts = {
    "l1_rpc": l1,
    "l2_rpc": l2,
    "l2_ws": ws,
    "chain_id": int(chain_id),
    "l1_chain_id": 31337,
    "rollup_config": f"{d}/rollup.json",
    "genesis": f"{d}/genesis.json",
    "batcher_rpc": batcher_rpc,
    "batcher_metrics": f"{batcher_rpc}/metrics",
    "status_page": f"{l2}/",
    "metrics": f"{l2}/metrics",
    "contracts": contracts,
    "keys": {"deployer": deployer_key, "proposer": deployer_key, "batcher": batcher_key,
             "dev": dev_keys},
    "logs": f"{d}/logs",
}
json.dump(facts, open(f"{d}/devnet.json", "w"), indent=2)
EOF

cat <<EOF

  OpenLedger L2 devnet                                   (facts for scripts: $dir/devnet.json)

  L1 (anvil)     $l1          chain id 31337
  L2 JSON-RPC    $l2          chain id $chain_id
  L2 WebSocket   $l2_ws
  Status page    $l2/          (also /health, /metrics; the batcher's at :$batcher_port/metrics)
  Batcher admin  http://127.0.0.1:$batcher_port
  Contracts      OpenPortal $(address OpenPortal)
                 SettlementInbox $(address SettlementInbox)
                 OpenToken $(address OpenToken)

  Dev accounts (10,000 OPEN each on L2; ETH on L1), the standard test mnemonic
  "test test test test test test test test test test test junk":
    0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266  0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
    0x70997970C51812dc3A010C7d01b50e0d17dc79C8  0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d
    0x90F79bf6EB2c4f870365E785982E1f101E93b906  0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6
    (account 2, 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC, is the batcher: do not use it)

  MetaMask: Settings > Networks > Add a network manually
    Network name  OpenLedger L2 (devnet)
    RPC URL       $l2
    Chain ID      $chain_id
    Currency      OPEN

  Logs in $dir/logs. Ctrl-C stops everything.

EOF

# Stop everything as soon as one component exits on its own.
set +e
wait -n "${pids[@]}"
code=$?
echo "devnet: a component exited (status $code); see $dir/logs" >&2
exit "$code"
