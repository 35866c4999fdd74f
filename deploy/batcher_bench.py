"""Helpers of deploy/batcher-bench.sh (standard library only).

sample L2 FILE            append {"t": unix seconds, "safe": n, "head": n} every 100 ms
report L1 L2 DIR DA WL S  wait until safe covers the head, then print one JSON summary line
follow L2 FOLLOWER        time a fresh follower deriving up to the sequencer's safe head
"""

import json
import sys
import time
import urllib.request


def rpc(url, method, *params):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
    req = urllib.request.Request(url, body.encode(), {"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        out = json.load(r)
    if "error" in out:
        raise RuntimeError(f"{method}: {out['error']}")
    return out["result"]


def get(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.load(r)


def num(h):
    return int(h, 16)


def sample(l2, path):
    with open(path, "a") as f:
        while True:
            try:
                safe = num(rpc(l2, "eth_getBlockByNumber", "safe", False)["number"])
                head = num(rpc(l2, "eth_blockNumber"))
                f.write(json.dumps({"t": time.time(), "safe": safe, "head": head}) + "\n")
                f.flush()
            except Exception:
                pass
            time.sleep(0.1)


def pct(values, p):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def report(l1, l2, d, da, workload, l1_block):
    head = num(rpc(l2, "eth_blockNumber"))
    deadline = time.time() + 600
    while num(rpc(l2, "eth_getBlockByNumber", "safe", False)["number"]) < head:
        if time.time() > deadline:
            raise SystemExit("safe never reached the head")
        time.sleep(0.5)
    time.sleep(0.5)
    rollup = json.load(open(f"{d}/rollup.json"))
    inbox = rollup["batch_inbox_address"]
    # keccak256 is not in Python's standard library: the node's web3_sha3 computes the topics.
    sig_calldata = rpc(l2, "web3_sha3", "0x" + b"BatchSubmitted(uint256,uint256,bytes32,uint256)".hex())
    sig_blobs = rpc(l2, "web3_sha3", "0x" + b"BlobBatchSubmitted(uint256,uint256,bytes32[])".hex())
    logs = rpc(l1, "eth_getLogs", {"fromBlock": "0x0", "toBlock": "latest", "address": inbox,
                                   "topics": [[sig_calldata, sig_blobs]]})
    l1_txs = {}
    payload_bytes = 0
    for log in logs:
        h = log["transactionHash"]
        if log["topics"][0] == sig_calldata:
            payload_bytes += int(log["data"][2 + 64:2 + 128], 16)
        else:
            # Blob payload lengths: bytes 2..5 of each blob (OP's packing).
            tx = rpc(l1, "eth_getTransactionByHash", h)
            for vh in tx.get("blobVersionedHashes") or []:
                url = f"{l1}/eth/v1/beacon/blobs/{log['blockHash']}?versioned_hashes={vh}"
                raw = bytes.fromhex(get(url)["data"][0][2:2 + 16])
                payload_bytes += int.from_bytes(raw[2:5], "big")
        l1_txs[h] = log["blockNumber"]
    gas = blob_gas = fee = calldata_bytes = 0
    for h in l1_txs:
        r = rpc(l1, "eth_getTransactionReceipt", h)
        tx = rpc(l1, "eth_getTransactionByHash", h)
        gas += num(r["gasUsed"])
        blob_gas += num(r.get("blobGasUsed") or "0x0")
        fee += num(r["gasUsed"]) * num(r["effectiveGasPrice"])
        fee += num(r.get("blobGasUsed") or "0x0") * num(r.get("blobGasPrice") or "0x0")
        calldata_bytes += (len(tx["input"]) - 2) // 2
    # L2 side: transactions per block, block timestamps.
    l2_txs = 0
    stamps = {}
    for n in range(1, head + 1):
        b = rpc(l2, "eth_getBlockByNumber", hex(n), True)
        user = [t for t in b["transactions"] if t["type"] != "0x7e"]
        l2_txs += len(user)
        if user:
            stamps[n] = (num(b["timestamp"]), len(user))
    samples = [json.loads(line) for line in open(f"{d}/safe.jsonl")]
    latencies = []
    for n, (ts, count) in stamps.items():
        when = next((s["t"] for s in samples if s["safe"] >= n), None)
        if when is not None:
            # L2 timestamps are whole seconds, the block's middle is half a second later.
            latencies += [when - (ts + 0.5)] * count
    out = {
        "da": da, "workload": workload, "l1_block_s": float(l1_block), "l2_txs": l2_txs,
        "l2_blocks": head, "l1_batch_txs": len(l1_txs),
        "payload_bytes_per_tx": round(payload_bytes / l2_txs, 2),
        "l1_calldata_bytes_per_tx": round(calldata_bytes / l2_txs, 2),
        "l1_gas_per_tx": round(gas / l2_txs, 1),
        "blob_gas_per_tx": round(blob_gas / l2_txs, 1),
        "l1_fee_wei_per_tx": fee // l2_txs,
        "safe_latency_s": {"p50": round(pct(latencies, 50), 2), "p90": round(pct(latencies, 90), 2),
                           "max": round(max(latencies), 2)},
    }
    print(json.dumps(out))


def follow(l2, follower):
    """Times a fresh follower from its first answer to the sequencer's safe head."""
    target = num(rpc(l2, "eth_getBlockByNumber", "safe", False)["number"])
    gas = sum(num(rpc(l2, "eth_getBlockByNumber", hex(n), False)["gasUsed"]) for n in range(1, target + 1))
    deadline = time.time() + 600
    while True:
        try:
            rpc(follower, "eth_blockNumber")
            break
        except Exception:
            if time.time() > deadline:
                raise SystemExit("the follower never answered")
            time.sleep(0.05)
    start = time.time()
    while num(rpc(follower, "eth_blockNumber")) < target:
        if time.time() > deadline:
            raise SystemExit("the follower never caught up")
        time.sleep(0.05)
    secs = time.time() - start
    same = all(rpc(follower, "eth_getBlockByNumber", hex(n), False)["hash"]
               == rpc(l2, "eth_getBlockByNumber", hex(n), False)["hash"] for n in range(1, target + 1))
    print(json.dumps({"follow_blocks": target, "follow_s": round(secs, 2),
                      "follow_blocks_per_s": round(target / secs, 1),
                      "follow_mgas_per_s": round(gas / secs / 1e6, 2), "same_hashes": same}))


if __name__ == "__main__":
    if sys.argv[1] == "sample":
        sample(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "follow":
        follow(sys.argv[2], sys.argv[3])
    else:
        report(*sys.argv[2:8])
