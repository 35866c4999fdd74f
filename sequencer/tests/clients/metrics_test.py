"""GET /metrics on a --dev node: every line parses as Prometheus text (prometheus_client's
parser), the heads and pool gauges are there, and the counters move when blocks are made.

Usage: python3 metrics_test.py <rpc-url>"""

import json
import sys
import urllib.request

from prom_check import scrape as scrape_url

URL = sys.argv[1]
DEV0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
DEV1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def scrape():
    return scrape_url(URL + "/metrics")


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def rpc(method, params):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    req = urllib.request.Request(URL, body, {"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        reply = json.load(resp)
    assert "result" in reply, reply
    return reply["result"]


before = scrape()
unsafe = ("op_node_default_refs_number", {"layer": "l2", "type": "l2_unsafe"})
for name in ["ol_txpool_pending", "ol_txpool_queued"]:
    assert (name, ()) in before, f"{name} missing"
assert (unsafe[0], tuple(sorted(unsafe[1].items()))) in before, "unsafe head missing"

hashes = [
    rpc("eth_sendTransaction", [{"from": DEV0, "to": DEV1, "value": hex(1000 + i)}])
    for i in range(3)
]
for h in hashes:
    for _ in range(200):
        if rpc("eth_getTransactionReceipt", [h]) is not None:
            break
    else:
        raise AssertionError(f"no receipt for {h}")
head = int(rpc("eth_blockNumber", []), 16)

after = scrape()
moved = {
    "ol_blocks_total": value(after, "ol_blocks_total") - value(before, "ol_blocks_total"),
    "ol_transactions_total": value(after, "ol_transactions_total")
    - value(before, "ol_transactions_total"),
    "ol_gas_used_total": value(after, "ol_gas_used_total") - value(before, "ol_gas_used_total"),
    "ol_block_commit_seconds_count": value(after, "ol_block_commit_seconds_count")
    - value(before, "ol_block_commit_seconds_count"),
    "eth_sendTransaction calls": value(
        after, "ol_rpc_request_duration_seconds_count", method="eth_sendTransaction"
    )
    - value(before, "ol_rpc_request_duration_seconds_count", method="eth_sendTransaction"),
}
print(json.dumps(moved))
assert moved["ol_blocks_total"] >= 1, moved
# Each block also carries its L1-attributes deposit.
assert moved["ol_transactions_total"] >= 3, moved
assert moved["ol_gas_used_total"] >= 3 * 21000, moved
assert moved["ol_block_commit_seconds_count"] == moved["ol_blocks_total"], moved
assert moved["eth_sendTransaction calls"] == 3, moved
assert value(after, unsafe[0], **unsafe[1]) >= head, (value(after, unsafe[0], **unsafe[1]), head)
# An unknown method is counted under one label, not its own name.
body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "made_up_method", "params": []}).encode()
urllib.request.urlopen(urllib.request.Request(URL, body, {"content-type": "application/json"}))
last = scrape()
assert not any(k[0].startswith("ol_rpc") and ("method", "made_up_method") in k[1] for k in last)
assert value(last, "ol_rpc_request_duration_seconds_count", method="unknown") >= 1
# The calls of a batch are timed one by one, under their own methods.
batch = [
    {"jsonrpc": "2.0", "id": i, "method": m, "params": []}
    for i, m in enumerate(["eth_chainId"] * 3 + ["net_version"] * 2)
]
req = urllib.request.Request(URL, json.dumps(batch).encode(), {"content-type": "application/json"})
answers = json.load(urllib.request.urlopen(req))
assert len(answers) == 5 and all("result" in a for a in answers), answers
batched = scrape()
for method, n in [("eth_chainId", 3), ("net_version", 2)]:
    got = value(batched, "ol_rpc_request_duration_seconds_count", method=method) - value(
        last, "ol_rpc_request_duration_seconds_count", method=method
    )
    assert got == n, (method, got)
print("metrics ok")
