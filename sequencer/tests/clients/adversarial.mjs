// Adversarial clients: a subscription flood, a 10,000-request batch, a 100 MB body, a log
// query over the whole chain and a deep trace each get a clear error or a bounded answer, and
// the node keeps serving an honest client throughout.
import WebSocket from "ws";
import { guard, run, step, check, urls, sleep } from "./common.mjs";

guard(90);
const { http, ws } = urls("adversarial.mjs");

async function rpc(method, params = [], url = http) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  return res.json();
}

/** An honest client keeps getting answers quickly. */
async function honest(label) {
  const t0 = Date.now();
  const v = await rpc("eth_blockNumber");
  check(typeof v.result === "string", `${label}: eth_blockNumber failed`, v);
  return Date.now() - t0;
}

function openSocket() {
  return new Promise((resolve, reject) => {
    const s = new WebSocket(ws);
    s.on("open", () => resolve(s));
    s.on("error", reject);
  });
}

run(async () => {
  step("subscription flood on one connection");
  const socket = await openSocket();
  const replies = new Map();
  socket.on("message", (data) => {
    const msg = JSON.parse(data.toString());
    if (msg.id !== undefined) replies.set(msg.id, msg);
  });
  for (let i = 0; i < 500; i++) {
    socket.send(JSON.stringify({ jsonrpc: "2.0", id: i, method: "eth_subscribe", params: ["newHeads"] }));
  }
  for (let i = 0; i < 100 && replies.size < 500; i++) await sleep(50);
  const ok = [...replies.values()].filter((r) => typeof r.result === "string").length;
  const refused = [...replies.values()].filter((r) => r.error).length;
  check(ok <= 128, `at most 128 subscriptions per connection, got ${ok}`);
  check(ok + refused === 500 && refused > 0, `every extra subscription is refused (${ok} ok, ${refused} refused)`);
  await honest("after the flood");

  step("many connections subscribing and never reading");
  const lazy = [];
  for (let i = 0; i < 50; i++) {
    const s = await openSocket();
    s.pause?.();
    s.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_subscribe", params: ["newPendingTransactions", true] }));
    lazy.push(s);
  }
  await honest("with lazy subscribers");

  step("batch of 10,000 requests");
  const batch = Array.from({ length: 10000 }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "eth_chainId", params: [] }));
  const res = await fetch(http, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(batch) });
  const body = await res.json();
  const refusedWhole = !Array.isArray(body) && body.error;
  const refusedEach = Array.isArray(body) && body.every((r) => r.error);
  check(refusedWhole || refusedEach, "a batch over the limit is refused", JSON.stringify(body).slice(0, 300));
  await honest("after the big batch");

  step("100 MB body");
  const huge = "x".repeat(100 * 1024 * 1024);
  let status = 0;
  try {
    const r = await fetch(http, { method: "POST", headers: { "content-type": "application/json" }, body: huge });
    status = r.status;
  } catch (e) {
    status = -1; // connection closed before the whole body was read: refused
  }
  check(status === 413 || status === -1, `100 MB body refused (status ${status})`);
  await honest("after the huge body");

  step("eth_getLogs over the whole chain");
  const logs = await rpc("eth_getLogs", [{ fromBlock: "earliest", toBlock: "latest" }]);
  check(Array.isArray(logs.result) || (logs.error && logs.error.code === -32005), "bounded answer or limit error", logs);
  const far = await rpc("eth_getLogs", [{ fromBlock: "0x0", toBlock: "0xffffffff" }]);
  check(Array.isArray(far.result) || far.error, "far range answered", far);

  step("deep debug_traceCall");
  // Runtime code: an endless loop of MSTORE growing memory, cut by the gas cap; the struct
  // logger records memory, so the trace would be huge without the node's recording limit.
  const loop = "0x5b3460005260205a10600057";
  const set = await rpc("anvil_setCode", ["0x00000000000000000000000000000000000000aa", loop]);
  check(set.result === true, "dev code set", set);
  const trace = await rpc("debug_traceCall", [
    { to: "0x00000000000000000000000000000000000000aa", gas: "0x2faf080" },
    "latest",
    { enableMemory: true },
  ]);
  const size = JSON.stringify(trace).length;
  check(trace.error !== undefined || size < 200 * 1024 * 1024, `deep trace bounded (${size} bytes)`, JSON.stringify(trace).slice(0, 300));
  const overridden = await rpc("eth_call", [{ to: "0x00000000000000000000000000000000000000aa", gas: "0x2faf080" }, "latest", {
    "0x00000000000000000000000000000000000000aa": { code: loop },
  }]);
  check(overridden.error !== undefined || overridden.result !== undefined, "endless loop call ends at the gas cap", overridden);
  await honest("after deep work");

  for (const s of lazy) s.terminate();
  socket.terminate();
});
