// A small, dependency-free (js-sha3 only, which solc already brings) Ethereum Merkle-Patricia
// trie: RLP, trie construction, root, and proofs in eth_getProof's format (only the nodes that
// are referenced by hash, root first; nodes shorter than 32 bytes sit embedded in their parent).
// Used by gen-vectors.js to produce the test vectors of the L1 contracts. MIT.
'use strict';

const { keccak256: keccakHex } = require('js-sha3');

const hex = (b) => '0x' + Buffer.from(b).toString('hex');
const fromHex = (h) => Buffer.from(h.replace(/^0x/, ''), 'hex');
const keccak = (b) => Buffer.from(keccakHex.arrayBuffer(Buffer.from(b)));

// ---- RLP ---------------------------------------------------------------------------------
// An item is a Buffer (string), an array (list), or { raw: Buffer } (already-encoded, inserted
// as is: how an embedded trie node sits in its parent).

function encodeLength(len, offset) {
  if (len < 56) return Buffer.from([offset + len]);
  const bytes = [];
  for (let l = len; l > 0; l = Math.floor(l / 256)) bytes.unshift(l % 256);
  return Buffer.from([offset + 55 + bytes.length, ...bytes]);
}

function rlp(item) {
  if (Buffer.isBuffer(item)) {
    if (item.length === 1 && item[0] < 0x80) return item;
    return Buffer.concat([encodeLength(item.length, 0x80), item]);
  }
  if (Array.isArray(item)) {
    const payload = Buffer.concat(item.map(rlp));
    return Buffer.concat([encodeLength(payload.length, 0xc0), payload]);
  }
  if (item && Buffer.isBuffer(item.raw)) return item.raw;
  throw new Error('bad rlp item');
}

// Minimal big-endian bytes of a non-negative integer (BigInt), as RLP wants for numbers.
function uintBytes(n) {
  n = BigInt(n);
  if (n === 0n) return Buffer.alloc(0);
  let h = n.toString(16);
  if (h.length % 2) h = '0' + h;
  return Buffer.from(h, 'hex');
}

// ---- Trie ----------------------------------------------------------------------------------

function toNibbles(buf) {
  const out = [];
  for (const b of buf) out.push(b >> 4, b & 15);
  return out;
}

// Hex-prefix (compact) encoding of a nibble path.
function compact(nibbles, isLeaf) {
  const odd = nibbles.length % 2;
  const flag = (isLeaf ? 2 : 0) + odd;
  const all = odd ? [flag, ...nibbles] : [flag, 0, ...nibbles];
  const out = Buffer.alloc(all.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = (all[2 * i] << 4) | all[2 * i + 1];
  return out;
}

// Builds the node for `entries` ([{ nibbles, value: Buffer }], distinct keys, all sharing the
// first `depth` nibbles). Returns { kind, enc, children... }.
function build(entries, depth) {
  if (entries.length === 0) return null;
  if (entries.length === 1 && entries[0].nibbles.length >= depth) {
    const e = entries[0];
    const node = { kind: 'leaf', path: e.nibbles.slice(depth), value: e.value };
    node.enc = rlp([compact(node.path, true), e.value]);
    return node;
  }
  // Longest common prefix beyond depth.
  let cp = 0;
  for (;;) {
    const i = depth + cp;
    if (entries.some((e) => e.nibbles.length <= i)) break;
    const n = entries[0].nibbles[i];
    if (entries.some((e) => e.nibbles[i] !== n)) break;
    cp++;
  }
  if (cp > 0) {
    const child = build(entries, depth + cp);
    const node = { kind: 'ext', path: entries[0].nibbles.slice(depth, depth + cp), child };
    node.enc = rlp([compact(node.path, false), ref(child)]);
    return node;
  }
  const node = { kind: 'branch', children: new Array(16).fill(null), value: null };
  for (let n = 0; n < 16; n++) {
    node.children[n] = build(
      entries.filter((e) => e.nibbles.length > depth && e.nibbles[depth] === n),
      depth + 1,
    );
  }
  const here = entries.filter((e) => e.nibbles.length === depth);
  if (here.length) node.value = here[0].value;
  node.enc = rlp([...node.children.map((c) => (c ? ref(c) : Buffer.alloc(0))), node.value || Buffer.alloc(0)]);
  return node;
}

// How a parent references a child: embedded if its encoding is shorter than 32 bytes.
function ref(node) {
  return node.enc.length < 32 ? { raw: node.enc } : keccak(node.enc);
}

class Trie {
  // pairs: [[keyBuffer, valueBuffer]], value = the leaf's bytes (for storage: rlp(uint)).
  constructor(pairs) {
    const seen = new Set();
    const entries = [];
    for (const [k, v] of pairs) {
      const id = hex(k);
      if (seen.has(id)) throw new Error('duplicate key ' + id);
      seen.add(id);
      entries.push({ nibbles: toNibbles(k), value: Buffer.from(v) });
    }
    this.root = build(entries, 0);
  }

  rootHash() {
    return this.root ? keccak(this.root.enc) : keccak(rlp(Buffer.alloc(0)));
  }

  // eth_getProof-style proof of `key`: nodes on the path that are referenced by hash.
  proof(key) {
    const nibbles = toNibbles(key);
    const out = [];
    let node = this.root;
    let i = 0;
    let first = true;
    while (node) {
      if (first || node.enc.length >= 32) out.push(node.enc);
      first = false;
      if (node.kind === 'leaf') break;
      if (node.kind === 'ext') {
        const p = node.path;
        if (p.some((n, j) => nibbles[i + j] !== n)) break;
        i += p.length;
        node = node.child;
      } else {
        if (i === nibbles.length) break;
        node = node.children[nibbles[i]];
        i += 1;
      }
    }
    return out;
  }

  // The same, also listing embedded nodes as elements of their own (alloy-trie / anvil form).
  proofFull(key) {
    const nibbles = toNibbles(key);
    const out = [];
    let node = this.root;
    let i = 0;
    while (node) {
      out.push(node.enc);
      if (node.kind === 'leaf') break;
      if (node.kind === 'ext') {
        if (node.path.some((n, j) => nibbles[i + j] !== n)) break;
        i += node.path.length;
        node = node.child;
      } else {
        if (i === nibbles.length) break;
        node = node.children[nibbles[i]];
        i += 1;
      }
    }
    return out;
  }

  // Depth-first list of the nodes on the key's path, each with whether it is embedded.
  path(key) {
    const nibbles = toNibbles(key);
    const out = [];
    let node = this.root;
    let i = 0;
    while (node) {
      out.push({ kind: node.kind, embedded: out.length > 0 && node.enc.length < 32, len: node.enc.length });
      if (node.kind === 'leaf') break;
      if (node.kind === 'ext') {
        i += node.path.length;
        node = node.child;
      } else {
        if (i === nibbles.length) break;
        node = node.children[nibbles[i]];
        i += 1;
      }
    }
    return out;
  }
}

// A storage trie (secure: keys are keccak256 of the 32-byte slot) from { slotHex: BigInt }.
function storageTrie(slots) {
  return new Trie(
    Object.entries(slots)
      .filter(([, v]) => BigInt(v) !== 0n)
      .map(([slot, v]) => [keccak(fromHex(slot)), rlp(uintBytes(v))]),
  );
}

// ---- ABI bits --------------------------------------------------------------------------------

const word = (n) => Buffer.from(BigInt(n).toString(16).padStart(64, '0'), 'hex');
const addrWord = (a) => Buffer.concat([Buffer.alloc(12), fromHex(a)]);

// keccak256(abi.encode(nonce, sender, target, value, gasLimit, data)).
function withdrawalHash(w) {
  const data = fromHex(w.data);
  const padded = Buffer.concat([data, Buffer.alloc((32 - (data.length % 32)) % 32)]);
  return keccak(
    Buffer.concat([
      word(w.nonce),
      addrWord(w.sender),
      addrWord(w.target),
      word(w.value),
      word(w.gasLimit),
      word(6 * 32),
      word(data.length),
      padded,
    ]),
  );
}

// Slot of sentMessages[hash]: keccak256(abi.encode(hash, uint256(0))).
const sentSlot = (hash) => keccak(Buffer.concat([hash, word(0)]));

module.exports = { hex, fromHex, keccak, rlp, uintBytes, compact, Trie, storageTrie, word, withdrawalHash, sentSlot };
