// Scratch: forwards HTTP + WS to the node, rewriting numeric subscription ids to hex strings.
import http from "node:http";
import WebSocket, { WebSocketServer } from "ws";
const target = process.argv[2];
const server = http.createServer(async (req, res) => {
  const chunks = []; for await (const c of req) chunks.push(c);
  const r = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body: Buffer.concat(chunks) });
  res.writeHead(r.status, { "content-type": "application/json" }); res.end(await r.text());
});
const wss = new WebSocketServer({ server });
const toHex = (n) => "0x" + n.toString(16);
wss.on("connection", (client) => {
  const up = new WebSocket(target.replace("http", "ws"));
  const queue = []; let open = false;
  up.on("open", () => { open = true; for (const m of queue) up.send(m); });
  client.on("message", (d) => {
    let m = JSON.parse(d.toString());
    for (const b of [].concat(m)) if (b.method === "eth_unsubscribe") b.params[0] = parseInt(b.params[0], 16);
    const s = JSON.stringify(m); open ? up.send(s) : queue.push(s);
  });
  up.on("message", (d) => {
    const m = JSON.parse(d.toString());
    for (const b of [].concat(m)) {
      if (typeof b.result === "number" && b.id !== undefined && b.__sub === undefined) b.result = subIds.has(b.id) ? toHex(b.result) : b.result;
      if (b.method === "eth_subscription") b.params.subscription = toHex(b.params.subscription);
    }
    client.send(JSON.stringify(m));
  });
  const subIds = new Set();
  client.on("message", (d) => { for (const b of [].concat(JSON.parse(d.toString()))) if (b.method === "eth_subscribe") subIds.add(b.id); });
  client.on("close", () => up.close());
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
