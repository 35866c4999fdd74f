// The node's status page in headless Chromium (Debian's chromium, driven by playwright-core):
// `node status_page.mjs http://127.0.0.1:PORT SCREENSHOT.png` against a node with a block time.
//
// Checks that the page loads from the node alone, that the unsafe head advances on screen, that
// a transaction and a datanet created during the test show up in its figures, that "Add to
// MetaMask" sends the chain's wallet_addEthereumChain request (window.ethereum is a stub that
// records requests), and that the page raised no script error. Saves a screenshot.

import { Interface, JsonRpcProvider, Wallet, parseEther } from "ethers";
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { ADDR1, CHAIN_ID, KEY0, check, eq, fail, guard, run, sleep, step, urls } from "./common.mjs";

guard(90);
const { http } = urls("status_page.mjs");
const screenshot = process.argv[3];
if (!screenshot) fail("usage: node status_page.mjs <http-url> <screenshot.png>");

/** Polls `read` until `ok(value)`, failing with `what` after `ms`. */
async function until(what, read, ok, ms = 20000) {
  const start = Date.now();
  let value;
  while (Date.now() - start < ms) {
    value = await read();
    if (ok(value)) return value;
    await sleep(200);
  }
  fail(`timed out after ${ms} ms waiting for ${what}; last value ${JSON.stringify(value)}`);
}

run(async () => {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    // Root in a container has no user namespace for Chromium's sandbox.
    args: ["--no-sandbox", "--disable-gpu"],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1100 } });
    // A wallet that records what the page asks of it, as MetaMask's injected provider would see it.
    await context.addInitScript(() => {
      window.__walletRequests = [];
      window.ethereum = {
        isMetaMask: true,
        request: async (req) => {
          window.__walletRequests.push(JSON.parse(JSON.stringify(req)));
          return null;
        },
      };
    });
    const page = await context.newPage();
    const problems = [];
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("console", (m) => m.type() === "error" && problems.push(`console error: ${m.text()}`));
    const outside = [];
    page.on("request", (r) => !r.url().startsWith(http) && outside.push(r.url()));
    const text = (id) => page.locator(`#${id}`).textContent();
    const number = async (id) => Number.parseInt(await text(id), 10);

    step("the page loads and names the chain");
    const response = await page.goto(http, { waitUntil: "load" });
    eq(response.status(), 200, "GET / status");
    check((response.headers()["content-type"] || "").startsWith("text/html"), "GET / is HTML");
    await until("the chain id on the page", () => text("chain-id"), (t) => t === String(CHAIN_ID));
    eq(await text("health"), "ok", "health badge of a dev node");
    eq(await text("role"), "dev", "role");

    step("the unsafe head advances on screen");
    const first = await until("a head number", () => number("head-unsafe"), Number.isFinite);
    await until("the head to pass " + first, () => number("head-unsafe"), (n) => n >= first + 2);

    step("a transaction sent now shows up in the figures");
    const before = await number("tx-total");
    const provider = new JsonRpcProvider(http, CHAIN_ID, { staticNetwork: true });
    const wallet = new Wallet(KEY0, provider);
    const sent = await wallet.sendTransaction({ to: ADDR1, value: parseEther("1") });
    const receipt = await sent.wait(1, 20000);
    eq(receipt.status, 1, "transfer status");
    const after = await until("the transaction count to grow", () => number("tx-total"), (n) => n >= before + 1);
    check(after >= before + 1, `tx-total ${before} -> ${after}`);

    step("a datanet created now is listed");
    const influence = new Interface(["function createDatanet(uint16 dim) returns (uint64)"]);
    const created = await wallet.sendTransaction({
      to: "0x0000000000000000000000000000000000000a01",
      data: influence.encodeFunctionData("createDatanet", [96]),
    });
    eq((await created.wait(1, 20000)).status, 1, "createDatanet status");
    const rows = await until(
      "the datanet in the table",
      () => page.locator("#datanets tr").allTextContents(),
      (r) => r.some((row) => row.startsWith("1") && row.includes("96")),
    );
    check(rows.length >= 1, "datanet rows", rows);

    step("Add to MetaMask asks the wallet for this chain");
    await page.click("#add-network");
    const requests = await until(
      "a wallet request",
      () => page.evaluate(() => window.__walletRequests),
      (r) => r.length > 0,
    );
    eq(requests.length, 1, "wallet requests");
    const [req] = requests;
    eq(req.method, "wallet_addEthereumChain", "method");
    const [params] = req.params;
    eq(params.chainId, "0x" + CHAIN_ID.toString(16), "chainId");
    eq(params.rpcUrls[0], new URL(http).origin, "rpcUrls[0]");
    eq(params.nativeCurrency.symbol, "OPEN", "currency symbol");
    eq(params.nativeCurrency.decimals, 18, "currency decimals");
    check(params.chainName.startsWith("OpenLedger L2"), "chain name", params.chainName);

    step("no script errors, nothing fetched from elsewhere, screenshot");
    eq(await text("error"), "", "error line on the page");
    eq(problems.length, 0, "script problems: " + problems.join("; "));
    eq(outside.length, 0, "requests outside the node: " + outside.join(", "));
    mkdirSync(dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`screenshot: ${screenshot}`);
  } finally {
    await browser.close();
  }
});
