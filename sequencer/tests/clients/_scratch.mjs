import WebSocket from "ws";
import { createWalletClient, http, parseUnits } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { artifact } from "./common.mjs";
const url = process.argv[2]; const token = process.argv[3];
const ws = new WebSocket(url.replace("http","ws"));
await new Promise(r => ws.on("open", r));
ws.on("message", d => console.log("WS <-", d.toString().slice(0, 400)));
const sig = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";
const to = "0x00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8";
const reqs = [
 {jsonrpc:"2.0",id:1,method:"eth_subscribe",params:["logs",{address:token,topics:[sig,null,to]}]},
 {jsonrpc:"2.0",id:2,method:"eth_subscribe",params:["logs",{address:token,topics:[sig]}]},
 {jsonrpc:"2.0",id:3,method:"eth_subscribe",params:["logs",{address:token}]},
 {jsonrpc:"2.0",id:4,method:"eth_subscribe",params:["logs",{address:[token],topics:[[sig],null,[to]]}]},
];
for (const r of reqs) { console.log("WS ->", JSON.stringify(r)); ws.send(JSON.stringify(r)); }
await new Promise(r => setTimeout(r, 500));
const TT = artifact("TestToken");
const w = createWalletClient({account: privateKeyToAccount("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"), transport: http(url), chain: {id:1612, name:"x", nativeCurrency:{name:"O",symbol:"O",decimals:18}, rpcUrls:{default:{http:[url]}}}});
const h = await w.writeContract({address: token, abi: TT.abi, functionName: "transfer", args: ["0x70997970C51812dc3A010C7d01b50e0d17dc79C8", 1n]});
console.log("tx", h);
await new Promise(r => setTimeout(r, 1500));
process.exit(0);
