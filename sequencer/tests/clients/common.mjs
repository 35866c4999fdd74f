// Helpers shared by the JavaScript client scripts (ethers.mjs, viem.mjs).
// No client library is imported here, so each script exercises only its own client.

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const CHAIN_ID = 1612;
/** Foundry's default dev key 0 and its address; dev key 1's address. */
export const KEY0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
export const ADDR0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
export const ADDR1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

const HERE = dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = join(HERE, "..", "..", "..", "contracts", "artifacts");

/** Reads a Foundry artifact: `{ abi, bytecode }` (bytecode as 0x-hex creation code). */
export function artifact(name) {
  const json = JSON.parse(readFileSync(join(ARTIFACTS, `${name}.json`), "utf8"));
  return { abi: json.abi, bytecode: json.bytecode.object };
}

/** The script's RPC URL from argv, and the matching ws:// URL (same port). */
export function urls(script) {
  const http = process.argv[2];
  if (!http || !/^https?:\/\//.test(http)) {
    console.error(`usage: node ${script} <http-url>   e.g. http://127.0.0.1:8545`);
    process.exit(2);
  }
  return { http, ws: http.replace(/^http/, "ws") };
}

let currentStep = "start";

/** Names the step in progress, so a failure or timeout says where it happened. */
export function step(name) {
  currentStep = name;
  console.log(`-- ${name}`);
}

/** Fails the script: prints the message (and the step) and exits non-zero. */
export function fail(message, extra) {
  console.error(`FAIL [${currentStep}]: ${message}`);
  if (extra !== undefined) console.error(extra);
  process.exit(1);
}

/** Asserts `cond`, failing with `message` otherwise. */
export function check(cond, message, extra) {
  if (!cond) fail(message, extra);
}

/** Asserts strict equality (bigint, string, number...). */
export function eq(actual, expected, what) {
  if (actual !== expected) {
    fail(`${what}: expected ${fmt(expected)}, got ${fmt(actual)}`);
  }
}

export function fmt(v) {
  return JSON.stringify(v, (_, x) => (typeof x === "bigint" ? `${x}n` : x));
}

/** Installs a global timeout and handlers that turn any stray error into a failure. */
export function guard(seconds = 60) {
  setTimeout(() => fail(`global timeout of ${seconds} s reached`), seconds * 1000);
  process.on("unhandledRejection", (e) => fail(`unhandled rejection: ${e?.stack ?? e}`));
  process.on("uncaughtException", (e) => fail(`uncaught exception: ${e?.stack ?? e}`));
}

/** Runs `main`, exiting 0 on success and 1 on any thrown error. */
export function run(main) {
  main().then(
    () => {
      console.log("OK");
      process.exit(0);
    },
    (e) => fail(`${e?.stack ?? e}`, e?.info ? fmt(e.info) : undefined),
  );
}

/** Resolves with the first value passed to the returned `fire`, or rejects after `ms`. */
export function deferred(what, ms = 15000) {
  let fire;
  const promise = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    fire = (v) => {
      clearTimeout(timer);
      resolve(v);
    };
  });
  return { promise, fire };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// JSON-RPC shape checks (execution-apis): quantities are 0x-hex without leading zeros,
// data is 0x-hex with an even number of digits.
export const QUANTITY = /^0x(0|[1-9a-f][0-9a-f]*)$/;
export const HASH = /^0x[0-9a-f]{64}$/;
export const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
export const DATA = /^0x([0-9a-f]{2})*$/;
export const BLOOM = /^0x[0-9a-f]{512}$/;

export function isQuantity(v) {
  return typeof v === "string" && QUANTITY.test(v);
}

/** Checks that `obj[field]` matches `re`, naming `what` in the failure. */
export function shape(obj, fields, what) {
  check(obj !== null && typeof obj === "object", `${what}: expected an object, got ${fmt(obj)}`);
  for (const [field, re] of Object.entries(fields)) {
    const v = obj[field];
    check(typeof v === "string" && re.test(v), `${what}.${field}: ${fmt(v)} does not match ${re}`, fmt(obj));
  }
}

/** A minimal raw JSON-RPC client over fetch, to check the exact wire format. */
export function rawRpc(url) {
  let id = 0;
  return async function rpc(method, params = []) {
    const body = { jsonrpc: "2.0", id: ++id, method, params };
    const resp = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await resp.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      fail(`${method}: HTTP ${resp.status}, body is not JSON: ${text.slice(0, 500)}`);
    }
    check(json.jsonrpc === "2.0" && json.id === body.id, `${method}: bad envelope ${text.slice(0, 500)}`);
    if (json.error) fail(`${method}(${fmt(params)}) returned an error: ${fmt(json.error)}`);
    check("result" in json, `${method}: response has neither result nor error: ${text.slice(0, 500)}`);
    return json.result;
  };
}
