// Adversarial clients: a subscription flood, a 10,000-request batch, a 100 MB body, a log
// query over the whole chain and a deep trace each get a clear error or a bounded answer, and
// the node keeps serving an honest client throughout. Subscribers that stop reading keep what
// fits in their 1,024-message buffer and lose nothing below it; one that falls further behind
// has its subscription closed, while a subscriber that reads gets every message.
import WebSocket from "ws";
import { guard, run, step, check, eq, urls, sleep } from "./common.mjs";

guard(240);
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

  step("many connections subscribing and not reading for a while");
  const lazy = [];
  for (let i = 0; i < 50; i++) {
    const s = await openSocket();
    const conn = { socket: s, seen: 0, id: undefined };
    const subscribed = new Promise((resolve) => {
      s.on("message", (data) => {
        const msg = JSON.parse(data.toString());
        if (msg.id === 1) {
          conn.id = msg.result;
          resolve();
        } else if (msg.method === "eth_subscription") conn.seen++;
      });
    });
    s.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_subscribe", params: ["newPendingTransactions", true] }));
    await subscribed;
    check(typeof s.pause === "function", "ws can pause a socket");
    s.pause();
    lazy.push(conn);
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
  // Nothing has logged yet: both ranges (the second far past the head, clamped to it) hold no log.
  const logs = await rpc("eth_getLogs", [{ fromBlock: "earliest", toBlock: "latest" }]);
  check(Array.isArray(logs.result) && logs.result.length === 0, "no logs yet", logs);
  const far = await rpc("eth_getLogs", [{ fromBlock: "0x0", toBlock: "0xffffffff" }]);
  check(Array.isArray(far.result) && far.result.length === 0, "a range past the head is clamped", far);

  step("deep debug_traceCall");
  // Runtime code: MSTORE at MSIZE, then jump back to 0: memory grows until the gas cap ends
  // it. The struct logger records memory at every step, so the trace would be terabytes
  // without the node's recording limit (256 MiB), which ends it with an error.
  const loop = "0x5b60015952600056";
  const set = await rpc("anvil_setCode", ["0x00000000000000000000000000000000000000aa", loop]);
  check(set.result === true, "dev code set", set);
  const trace = await rpc("debug_traceCall", [
    { to: "0x00000000000000000000000000000000000000aa", gas: "0x2faf080" },
    "latest",
    { enableMemory: true },
  ]);
  check(
    trace.error?.code === -32603 && /trace recorded byte limit exceeded/.test(trace.error.message),
    "the deep trace stops at the recording limit with an error",
    JSON.stringify(trace).slice(0, 300),
  );
  const overridden = await rpc("eth_call", [{ to: "0x00000000000000000000000000000000000000aa", gas: "0x2faf080" }, "latest", {
    "0x00000000000000000000000000000000000000aa": { code: loop },
  }]);
  check(overridden.error?.code === -32000 && overridden.error.message === "out of gas", "the endless loop ends at the gas cap", overridden);
  await honest("after deep work");

  step("subscribers that stop reading, and one that reads, under 1,800 large log messages");
  // Each call logs 4 × 24 KiB of zeros (about 49 KB of JSON per message), so a stalled
  // connection passes its 1,024-message buffer (about 50 MB) plus what the kernel's socket
  // buffers hold well before the 1,800th message.
  const LOGGER = "0x00000000000000000000000000000000000000bb";
  const logger = await rpc("anvil_setCode", [LOGGER, "0x" + "6160005fa0".repeat(4) + "00"]);
  check(logger.result === true, "logger code set", logger);
  async function logSubscriber(pause) {
    const s = await openSocket();
    const conn = { socket: s, seen: 0, id: undefined, replies: new Map() };
    const subscribed = new Promise((resolve) => {
      s.on("message", (data) => {
        const msg = JSON.parse(data.toString());
        if (msg.method === "eth_subscription") conn.seen++;
        else if (msg.id === 1) {
          conn.id = msg.result;
          resolve();
        } else conn.replies.set(msg.id, msg);
      });
    });
    s.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_subscribe", params: ["logs", { address: LOGGER }] }));
    await subscribed;
    check(typeof conn.id === "string", "logs subscription id", conn.id);
    if (pause) s.pause();
    return conn;
  }
  const reader = await logSubscriber(false);
  const stalled = [await logSubscriber(true), await logSubscriber(true)];
  const TXS = 450;
  for (let sent = 0; sent < TXS; sent += 25) {
    const batch = Array.from({ length: 25 }, (_, i) => ({
      jsonrpc: "2.0",
      id: sent + i,
      method: "eth_sendTransaction",
      params: [{ from: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", to: LOGGER, gas: "0xf4240" }],
    }));
    const res = await fetch(http, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(batch) });
    const answers = await res.json();
    check(Array.isArray(answers) && answers.every((a) => typeof a.result === "string"), "logging transactions sent", JSON.stringify(answers.filter((a) => a.error)).slice(0, 500));
  }
  const LOGS = TXS * 4;
  for (let i = 0; i < 600 && reader.seen < LOGS; i++) await sleep(100);
  eq(reader.seen, LOGS, "log messages a reading subscriber received");
  await honest("after the log flood");

  // The lazy pending-transaction subscribers were sent 450 messages each: under their buffer,
  // so once they read again every one arrives and their subscriptions are alive.
  for (const conn of lazy) conn.socket.resume();
  for (let i = 0; i < 300 && lazy.some((c) => c.seen < TXS); i++) await sleep(100);
  check(lazy.every((c) => c.seen === TXS), `each lazy subscriber got all ${TXS} pending transactions`, lazy.map((c) => c.seen).join(","));

  // The stalled log subscribers fell behind by more than the buffer: the node closed their
  // subscriptions (they get what was buffered, then nothing), and says so on unsubscribe.
  for (const conn of stalled) conn.socket.resume();
  for (const conn of stalled) {
    let last = -1;
    for (let i = 0; i < 100 && conn.seen !== last; i++) {
      last = conn.seen;
      await sleep(300);
    }
    console.log(`stalled subscriber received ${conn.seen} of ${LOGS} messages before it was dropped`);
    check(conn.seen >= 1024 && conn.seen < LOGS, `a stalled subscriber keeps its buffer and no more (${conn.seen} of ${LOGS})`);
    conn.socket.send(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "eth_unsubscribe", params: [conn.id] }));
    for (let i = 0; i < 50 && !conn.replies.has(2); i++) await sleep(100);
    eq(conn.replies.get(2)?.result, false, "eth_unsubscribe of a subscription the node closed");
  }
  for (const conn of lazy) {
    conn.socket.send(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "eth_unsubscribe", params: [conn.id] }));
  }
  reader.socket.terminate();
  for (const conn of stalled) conn.socket.terminate();

  for (const c of lazy) c.socket.terminate();
  socket.terminate();
});
