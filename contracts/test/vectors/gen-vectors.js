#!/usr/bin/env node
// Generates test/vectors/MptVectors.sol, the Merkle-Patricia test vectors of the L1 contracts.
//
//   node test/vectors/gen-vectors.js            (from contracts/, after scripts/install.sh)
//
// 1. Plain tries built by mpt.js, checked against the roots published in ethereum/tests
//    (TrieTests/trietest.json "puppy" and "dogs"): branch values, extension nodes and nodes
//    embedded in their parent (shorter than 32 bytes), proofs for every key.
// 2. A real L2ToL1MessagePasser storage trie from anvil (npm @foundry-rs/anvil, Prague): the
//    passer's runtime code from artifacts/ is put at 0x4200…0016, ten withdrawals are started
//    in one block, and eth_getProof gives the storage root and the proofs. The first two
//    withdrawals' calldata was searched (birthday search over 2 x 120,000 candidates) so that
//    the secure keys of their sentMessages slots share their first 8 nibbles: their leaves sit
//    at depth 9 and are shorter than 32 bytes, so they are embedded in a branch node. anvil's
//    eth_getProof lists such embedded nodes as proof elements of their own; geth and the L2
//    node (sequencer/src/state/trie.rs) leave them out. Both forms are recorded (`proof`,
//    `proofCompact`). mpt.js must reproduce anvil's storage root and (compact) proofs byte for
//    byte, or the script fails.
//
// Output is deterministic (fixed anvil flags, accounts and block timestamp) and `forge fmt`ed.
'use strict';

const fs = require('fs');
const path = require('path');
const { spawn, spawnSync } = require('child_process');
const { hex, fromHex, keccak, Trie, storageTrie, word, withdrawalHash, sentSlot } = require('./mpt');

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.join(__dirname, 'MptVectors.sol');
const ANVIL = path.join(ROOT, 'node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil');
const FORGE = path.join(ROOT, 'node_modules/@foundry-rs/forge-linux-amd64/bin/forge');
const PASSER = '0x4200000000000000000000000000000000000016';
const SENDER = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'; // anvil account 0
const TARGET = '0x000000000000000000000000000000000000cafe';
const NONCE_BASE = 1n << 240n;

function assert(cond, msg) {
  if (!cond) throw new Error('assertion failed: ' + msg);
}

// ---- Part 1: ethereum/tests tries -----------------------------------------------------------

const KNOWN = {
  puppy: {
    root: '0x5991bb8c6514148a29db676a14ac506cd2cd5775ace63c30a4fe457715e9ac84',
    pairs: [
      ['do', 'verb'],
      ['horse', 'stallion'],
      ['doge', 'coin'],
      ['dog', 'puppy'],
    ],
  },
  dogs: {
    root: '0x8aad789dff2f538bca5d8ea56e8abe10f4c7ba3a5dea95fea4cd6e7c3a1168d3',
    pairs: [
      ['doe', 'reindeer'],
      ['dog', 'puppy'],
      ['dogglesworth', 'cat'],
    ],
  },
};

function plainVectors() {
  const out = [];
  for (const [name, t] of Object.entries(KNOWN)) {
    const trie = new Trie(t.pairs.map(([k, v]) => [Buffer.from(k), Buffer.from(v)]));
    assert(hex(trie.rootHash()) === t.root, `${name} root ${hex(trie.rootHash())} != ${t.root}`);
    for (const [k, v] of t.pairs) {
      const key = Buffer.from(k);
      out.push({
        name: `${name}/${k}`,
        key: hex(key),
        value: hex(Buffer.from(v)),
        root: t.root,
        proof: trie.proof(key).map(hex),
        proofFull: trie.proofFull(key).map(hex),
        shape: trie.path(key),
      });
    }
  }
  return out;
}

// ---- Part 2: anvil ---------------------------------------------------------------------------

function secureKey(w) {
  return keccak(sentSlot(withdrawalHash(w)));
}

// Finds data for withdrawals 0 and 1 whose secure keys share the first 8 nibbles.
function searchEmbeddedPair() {
  const N = 120000;
  const base = { sender: SENDER, target: TARGET, value: 10n ** 18n, gasLimit: 100000n };
  const prefixes = new Map();
  for (let i = 0; i < N; i++) {
    const w = { ...base, nonce: NONCE_BASE, data: hex(word(i)) };
    prefixes.set(secureKey(w).subarray(0, 4).toString('hex'), i);
  }
  for (let j = 0; j < N; j++) {
    const w = { ...base, nonce: NONCE_BASE + 1n, data: hex(word(j)) };
    const i = prefixes.get(secureKey(w).subarray(0, 4).toString('hex'));
    if (i !== undefined) return [i, j];
  }
  throw new Error('no pair found; raise N');
}

async function rpc(url, method, params) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = await res.json();
  if (body.error) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
  return body.result;
}

async function startAnvil(port) {
  const proc = spawn(
    ANVIL,
    ['--port', String(port), '--hardfork', 'prague', '--timestamp', '1700000000', '--no-mining', '--silent'],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      await rpc(url, 'eth_chainId', []);
      return { proc, url };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  proc.kill();
  throw new Error('anvil did not start');
}

// initiateWithdrawal(address,uint256,bytes) calldata.
function initiateCalldata(w) {
  const sel = keccak(Buffer.from('initiateWithdrawal(address,uint256,bytes)')).subarray(0, 4);
  const data = fromHex(w.data);
  const padded = Buffer.concat([data, Buffer.alloc((32 - (data.length % 32)) % 32)]);
  return hex(
    Buffer.concat([
      sel,
      Buffer.concat([Buffer.alloc(12), fromHex(w.target)]),
      word(w.gasLimit),
      word(96),
      word(data.length),
      padded,
    ]),
  );
}

async function anvilVectors() {
  const [i, j] = searchEmbeddedPair();
  const base = { sender: SENDER, target: TARGET, gasLimit: 100000n };
  const withdrawals = [
    { ...base, value: 10n ** 18n, data: hex(word(i)) },
    { ...base, value: 10n ** 18n, data: hex(word(j)) },
  ];
  for (let k = 2; k < 10; k++) {
    // A mix: plain value transfers, calls with data, a zero-value message.
    withdrawals.push({
      ...base,
      value: k === 7 ? 0n : BigInt(k) * 10n ** 17n,
      gasLimit: 100000n + BigInt(k),
      data: k % 3 === 0 ? '0x' : hex(Buffer.from(`withdrawal ${k}`)),
    });
  }
  withdrawals.forEach((w, n) => (w.nonce = NONCE_BASE + BigInt(n)));

  const passer = JSON.parse(fs.readFileSync(path.join(ROOT, 'artifacts/L2ToL1MessagePasser.json'), 'utf8'));
  const { proc, url } = await startAnvil(18545 + Math.floor(Math.random() * 1000));
  try {
    await rpc(url, 'anvil_setCode', [PASSER, passer.deployedBytecode.object]);
    for (const w of withdrawals) {
      await rpc(url, 'eth_sendTransaction', [
        {
          from: SENDER,
          to: PASSER,
          value: '0x' + w.value.toString(16),
          data: initiateCalldata(w),
          gas: '0x' + (300000).toString(16),
        },
      ]);
    }
    await rpc(url, 'evm_mine', [1700000012]);
    const block = await rpc(url, 'eth_getBlockByNumber', ['latest', false]);
    assert(block.transactions.length === withdrawals.length, 'all withdrawals in one block');
    for (const tx of block.transactions) {
      const r = await rpc(url, 'eth_getTransactionReceipt', [tx]);
      assert(r.status === '0x1', 'withdrawal succeeded');
    }

    const slots = withdrawals.map((w) => hex(sentSlot(withdrawalHash(w))));
    const proof = await rpc(url, 'eth_getProof', [PASSER, slots, 'latest']);

    // mpt.js must agree with anvil on the root and every proof.
    const model = {};
    slots.forEach((s) => (model[s] = 1n));
    model[hex(word(1))] = BigInt(withdrawals.length); // msgNonce
    const trie = storageTrie(model);
    assert(hex(trie.rootHash()) === proof.storageHash, `storage root ${hex(trie.rootHash())} != ${proof.storageHash}`);
    // anvil (alloy-trie's proof retainer) also lists nodes embedded in their parent; geth and
    // the L2 node (sequencer/src/state/trie.rs) leave them out, as mpt.js does. Both verify.
    const hashed = (p) => p.filter((node, n) => n === 0 || fromHex(node).length >= 32);
    proof.storageProof.forEach((sp, n) => {
      assert(sp.value === '0x1', 'sentMessages is true');
      const mine = trie.proof(keccak(fromHex(slots[n]))).map(hex);
      assert(JSON.stringify(mine) === JSON.stringify(hashed(sp.proof)), `proof ${n} differs from anvil's`);
      const full = trie.proofFull(keccak(fromHex(slots[n]))).map(hex);
      assert(JSON.stringify(full) === JSON.stringify(sp.proof), `full proof ${n} differs from anvil's`);
    });
    const shape0 = trie.path(keccak(fromHex(slots[0])));
    const last0 = shape0[shape0.length - 1];
    assert(last0.kind === 'leaf' && last0.embedded, 'withdrawal 0 leaf is embedded');

    return {
      storageRoot: proof.storageHash,
      stateRoot: block.stateRoot,
      blockHash: block.hash,
      blockNumber: BigInt(block.number),
      withdrawals: withdrawals.map((w, n) => ({
        ...w,
        hash: hex(withdrawalHash(w)),
        proof: proof.storageProof[n].proof,
        proofCompact: hashed(proof.storageProof[n].proof),
        shape: trie.path(keccak(fromHex(slots[n]))),
      })),
    };
  } finally {
    proc.kill();
  }
}

// ---- Solidity output -------------------------------------------------------------------------

function bytesArray(name, items, indent) {
  const lines = [`${indent}${name} = new bytes[](${items.length});`];
  items.forEach((p, n) => lines.push(`${indent}${name}[${n}] = hex"${p.replace(/^0x/, '')}";`));
  return lines.join('\n');
}

function shapeComment(shape) {
  return shape.map((s) => `${s.kind}${s.embedded ? '(embedded)' : ''}`).join(' > ');
}

function render(plain, anvil) {
  const out = [];
  out.push(`// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

// GENERATED by test/vectors/gen-vectors.js; do not edit. See that script for how.

import {Types} from "../../src/L1/libraries/Types.sol";

/// @notice Merkle-Patricia test vectors: plain tries from ethereum/tests, and a real
///         L2ToL1MessagePasser storage trie with eth_getProof proofs from anvil.
library MptVectors {
    struct TrieVector {
        string name;
        bytes key;
        bytes value;
        bytes32 root;
        /// Nodes referenced by hash only (geth / L2 node form).
        bytes[] proof;
        /// Every node on the path, embedded ones too (alloy-trie / anvil form).
        bytes[] proofFull;
    }

    struct WithdrawalVector {
        Types.WithdrawalTransaction withdrawal;
        bytes32 withdrawalHash;
        /// eth_getProof's storageProof[0].proof from anvil (embedded nodes listed too).
        bytes[] proof;
        /// The same without embedded nodes (geth's and the L2 node's form).
        bytes[] proofCompact;
    }

    /// @notice Number of plain trie vectors.
    uint256 internal constant TRIE_VECTORS = ${plain.length};

    /// @notice Plain trie vector \`_i\` (keys and values are the raw strings).
    function trieVector(uint256 _i) internal pure returns (TrieVector memory v_) {`);
  plain.forEach((v, n) => {
    out.push(`        ${n === 0 ? '' : '} else '}if (_i == ${n}) {
            // path: ${shapeComment(v.shape)}
            v_.name = "${v.name}";
            v_.key = hex"${v.key.slice(2)}";
            v_.value = hex"${v.value.slice(2)}";
            v_.root = ${v.root};
${bytesArray('v_.proof', v.proof, '            ')}
${bytesArray('v_.proofFull', v.proofFull, '            ')}`);
  });
  out.push(`        } else {
            revert("no such vector");
        }
    }

    /// @notice The message passer's storage root after the ten withdrawals (anvil, Prague).
    bytes32 internal constant STORAGE_ROOT = ${anvil.storageRoot};

    /// @notice State root and hash of the anvil block holding them (block ${anvil.blockNumber}).
    bytes32 internal constant STATE_ROOT = ${anvil.stateRoot};
    bytes32 internal constant BLOCK_HASH = ${anvil.blockHash};

    /// @notice Number of withdrawals.
    uint256 internal constant WITHDRAWALS = ${anvil.withdrawals.length};

    /// @notice Withdrawal \`_i\` with its hash and eth_getProof storage proof.
    function withdrawal(uint256 _i) internal pure returns (WithdrawalVector memory v_) {`);
  anvil.withdrawals.forEach((w, n) => {
    out.push(`        ${n === 0 ? '' : '} else '}if (_i == ${n}) {
            // path: ${shapeComment(w.shape)}
            v_.withdrawal = Types.WithdrawalTransaction({
                nonce: ${'0x' + w.nonce.toString(16)},
                sender: ${w.sender},
                target: address(0xcafe),
                value: ${w.value.toString()},
                gasLimit: ${w.gasLimit.toString()},
                data: hex"${w.data.slice(2)}"
            });
            v_.withdrawalHash = ${w.hash};
${bytesArray('v_.proof', w.proof, '            ')}
${bytesArray('v_.proofCompact', w.proofCompact, '            ')}`);
  });
  out.push(`        } else {
            revert("no such withdrawal");
        }
    }
}
`);
  return out.join('\n');
}

async function main() {
  const plain = plainVectors();
  const anvil = await anvilVectors();
  fs.writeFileSync(OUT, render(plain, anvil));
  const fmt = spawnSync(FORGE, ['fmt', OUT], { cwd: ROOT, stdio: 'inherit' });
  if (fmt.status !== 0) throw new Error('forge fmt failed');
  process.stdout.write(`wrote ${path.relative(process.cwd(), OUT)}: ${plain.length} trie vectors, `);
  process.stdout.write(`${anvil.withdrawals.length} withdrawals, storage root ${anvil.storageRoot}\n`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
