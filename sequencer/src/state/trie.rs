//! In-memory Ethereum Merkle-Patricia trie with incrementally maintained node hashes.
//!
//! The state root has to be recomputed after every block, while a block touches a few thousand
//! keys out of millions. Every node therefore caches its [`RlpNode`] (its inline encoding when
//! that is shorter than 32 bytes, else `rlp(keccak(rlp(node)))`), and every mutation clears the
//! cache only along the path it walks: [`Trie::root`] after `k` changes costs `O(k · depth)`
//! hashes instead of rehashing the whole trie. Nodes are encoded by alloy-trie's own encoders, so
//! roots and proofs are byte-for-byte those of `HashBuilder` and of `eth_getProof`.
//!
//! Keys are already-hashed 32-byte keys (keccak of an address or of a storage slot), so every key
//! has 64 nibbles, none is a prefix of another and branches never carry values. Values are stored
//! as given (for Ethereum: the RLP of the account or of the storage value); an empty value means
//! "absent", as in Ethereum, so inserting one removes the key.

use alloy_primitives::{B256, Bytes, keccak256};
use alloy_rlp::Encodable;
use alloy_trie::{
    EMPTY_ROOT_HASH, Nibbles, TrieMask,
    nodes::{BranchNodeRef, ExtensionNodeRef, LeafNodeRef, RlpNode},
};
use rayon::prelude::*;

/// Below this many keys hashing stays on the calling thread: small tries (most storage tries)
/// are cheaper to hash than to hand to the rayon pool.
const PARALLEL_MIN_LEN: usize = 4096;

/// An Ethereum Merkle-Patricia trie kept fully in memory, so that the state root and
/// `eth_getProof` proofs come from the same structure that tracks the changed keys.
#[derive(Debug, Clone, Default)]
pub struct Trie {
    /// `None` is the empty trie.
    root: Option<Box<Node>>,
    /// Number of keys, so callers can size and report state without a walk.
    len: usize,
}

/// One trie node plus its cached reference.
#[derive(Debug, Clone)]
struct Node {
    kind: Kind,
    /// Cached `RlpNode` of this node; empty (its `Default`) means stale. A valid reference is
    /// never empty, so this costs no extra flag.
    rlp: RlpNode,
}

/// The three non-empty node shapes of a trie without branch values.
#[derive(Debug, Clone)]
enum Kind {
    /// The rest of a key and its value.
    Leaf { key: Nibbles, value: Box<[u8]> },
    /// A shared key segment; the child is always a branch in a well-formed trie.
    Extension { key: Nibbles, child: Box<Node> },
    /// Children by next nibble, boxed so that leaves (the vast majority) stay small.
    Branch { children: Box<[Option<Box<Node>>; 16]> },
}

/// What an insert did, so that caches are only cleared when something changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Unchanged,
    Replaced,
    Added,
}

/// What a removal did to the node it was applied to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Removal {
    Absent,
    Removed,
    /// The node itself is gone; the parent must drop it.
    Emptied,
}

/// Scratch buffers reused across a whole hashing pass.
#[derive(Debug, Default)]
struct Encoder {
    /// Full RLP of the node being encoded.
    buf: Vec<u8>,
    /// References of the children of the branches being encoded, innermost last.
    stack: Vec<RlpNode>,
}

impl Trie {
    /// Creates an empty trie, whose root is `EMPTY_ROOT_HASH`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of keys present, for metrics and sanity checks without walking the trie.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the trie holds no key, i.e. its root is `EMPTY_ROOT_HASH`.
    pub fn is_empty(&self) -> bool {
        self.root.is_none()
    }

    /// Sets `key` (already hashed) to `value`, clearing cached hashes along its path only.
    /// An empty `value` removes the key, as an Ethereum trie never stores empty values.
    pub fn insert(&mut self, key: &B256, value: Vec<u8>) {
        if value.is_empty() {
            self.remove(key);
            return;
        }
        let path = Nibbles::unpack_array(&key.0);
        let value = value.into_boxed_slice();
        let outcome = match &mut self.root {
            Some(node) => insert(node, path, value),
            None => {
                self.root = Some(Node::new(Kind::Leaf { key: path, value }));
                Outcome::Added
            }
        };
        if outcome == Outcome::Added {
            self.len += 1;
        }
    }

    /// Removes `key` (already hashed), collapsing the nodes it leaves with a single child.
    /// Returns whether the key was present.
    pub fn remove(&mut self, key: &B256) -> bool {
        let Some(node) = &mut self.root else { return false };
        let removal = remove(node, Nibbles::unpack_array(&key.0));
        if removal == Removal::Emptied {
            self.root = None;
        }
        let removed = removal != Removal::Absent;
        if removed {
            self.len -= 1;
        }
        removed
    }

    /// Returns the value stored under `key` (already hashed), for reads that must agree with
    /// the committed root.
    pub fn get(&self, key: &B256) -> Option<&[u8]> {
        let mut path = Nibbles::unpack_array(&key.0);
        let mut node = self.root.as_deref()?;
        loop {
            match &node.kind {
                Kind::Leaf { key, value } => return (*key == path).then_some(&**value),
                Kind::Extension { key, child } => {
                    if !path.starts_with(key) {
                        return None;
                    }
                    path = path.slice(key.len()..);
                    node = child;
                }
                Kind::Branch { children } => {
                    let nibble = path.first()?;
                    path = path.slice(1..);
                    node = children[usize::from(nibble)].as_deref()?;
                }
            }
        }
    }

    /// Returns the root hash, rehashing only the nodes changed since the previous call.
    /// The root is keccak of the root node's RLP even when that is shorter than 32 bytes.
    pub fn root(&mut self) -> B256 {
        let Some(root) = self.root.as_deref_mut() else { return EMPTY_ROOT_HASH };
        // The root's subtrees are independent: in a large trie, hash them on the rayon pool
        // (each returns at once when its cache is fresh), then assemble the root from the caches.
        if self.len >= PARALLEL_MIN_LEN
            && root.rlp.is_empty()
            && let Kind::Branch { children } = &mut root.kind
        {
            children.par_iter_mut().flatten().for_each(|child| {
                child.rlp(&mut Encoder::default());
            });
        }
        let rlp = root.rlp(&mut Encoder::default());
        rlp.as_hash().unwrap_or_else(|| keccak256(&rlp[..]))
    }

    /// Returns the Merkle proof of `key` (already hashed) in the format of `eth_getProof`:
    /// the RLP of the nodes from the root towards the key, root first, leaving out nodes shorter
    /// than 32 bytes (they are inlined in their parent). For an absent key this is the
    /// exclusion proof: the path up to where the key diverges. Empty for the empty trie.
    pub fn proof(&mut self, key: &B256) -> Vec<Bytes> {
        self.root();
        let mut path = Nibbles::unpack_array(&key.0);
        let mut enc = Encoder::default();
        let mut proof = Vec::new();
        let mut next = self.root.as_deref_mut();
        while let Some(node) = next {
            // All caches are fresh after `root()`, so this only encodes this one node.
            node.encode(&mut enc);
            if proof.is_empty() || enc.buf.len() >= 32 {
                proof.push(Bytes::copy_from_slice(&enc.buf));
            }
            next = match &mut node.kind {
                Kind::Leaf { .. } => None,
                Kind::Extension { key, child } if path.starts_with(key) => {
                    path = path.slice(key.len()..);
                    Some(&mut **child)
                }
                Kind::Extension { .. } => None,
                Kind::Branch { children } => path.first().and_then(|nibble| {
                    path = path.slice(1..);
                    children[usize::from(nibble)].as_deref_mut()
                }),
            };
        }
        proof
    }
}

impl Extend<(B256, Vec<u8>)> for Trie {
    /// Bulk insertion, in any order; equivalent to calling [`Trie::insert`] for each pair.
    fn extend<I: IntoIterator<Item = (B256, Vec<u8>)>>(&mut self, iter: I) {
        for (key, value) in iter {
            self.insert(&key, value);
        }
    }
}

impl FromIterator<(B256, Vec<u8>)> for Trie {
    /// Builds a trie from key/value pairs in any order (later duplicates win).
    fn from_iter<I: IntoIterator<Item = (B256, Vec<u8>)>>(iter: I) -> Self {
        let mut trie = Self::new();
        trie.extend(iter);
        trie
    }
}

impl Node {
    fn new(kind: Kind) -> Box<Self> {
        Box::new(Self { kind, rlp: RlpNode::default() })
    }

    /// Returns this node's reference, encoding (and hashing) it only if the cache is stale.
    fn rlp(&mut self, enc: &mut Encoder) -> RlpNode {
        if self.rlp.is_empty() {
            self.encode(enc);
            self.rlp = RlpNode::from_rlp(&enc.buf);
        }
        self.rlp.clone()
    }

    /// Writes this node's full RLP into `enc.buf`, refreshing stale children first.
    fn encode(&mut self, enc: &mut Encoder) {
        match &mut self.kind {
            Kind::Leaf { key, value } => {
                enc.buf.clear();
                LeafNodeRef::new(key, value).encode(&mut enc.buf);
            }
            Kind::Extension { key, child } => {
                let child = child.rlp(enc);
                enc.buf.clear();
                ExtensionNodeRef::new(key, &child).encode(&mut enc.buf);
            }
            Kind::Branch { children } => {
                let start = enc.stack.len();
                let mut mask = TrieMask::default();
                for (nibble, child) in (0u8..).zip(children.iter_mut()) {
                    if let Some(child) = child {
                        let rlp = child.rlp(enc);
                        enc.stack.push(rlp);
                        mask.set_bit(nibble);
                    }
                }
                enc.buf.clear();
                BranchNodeRef::new(&enc.stack[start..], mask).encode(&mut enc.buf);
                enc.stack.truncate(start);
            }
        }
    }

    /// Moves the node's content out, leaving an allocation-free placeholder.
    fn take_kind(&mut self) -> Kind {
        let placeholder = Kind::Leaf { key: Nibbles::new(), value: Box::default() };
        std::mem::replace(&mut self.kind, placeholder)
    }
}

/// Puts `node` below the key segment `prefix`, merging it into a leaf's or extension's key and
/// wrapping a branch into an extension: the normal form after a split or a collapse.
fn prepend(prefix: &Nibbles, mut node: Box<Node>) -> Box<Node> {
    if prefix.is_empty() {
        return node;
    }
    match &mut node.kind {
        Kind::Leaf { key, .. } | Kind::Extension { key, .. } => {
            *key = prefix.join(key);
            node.rlp = RlpNode::default();
            node
        }
        Kind::Branch { .. } => Node::new(Kind::Extension { key: *prefix, child: node }),
    }
}

/// Inserts `value` at `path` (relative to `node`), clearing the caches it walks through.
fn insert(node: &mut Box<Node>, path: Nibbles, value: Box<[u8]>) -> Outcome {
    let outcome = match &mut node.kind {
        Kind::Leaf { key, value: old } if *key == path => {
            if *old == value {
                return Outcome::Unchanged;
            }
            *old = value;
            Outcome::Replaced
        }
        Kind::Extension { key, child } if path.starts_with(key) => {
            insert(child, path.slice(key.len()..), value)
        }
        Kind::Branch { children } => {
            let Some(nibble) = path.first() else {
                debug_assert!(false, "key shorter than the trie depth");
                return Outcome::Unchanged;
            };
            let rest = path.slice(1..);
            match &mut children[usize::from(nibble)] {
                Some(child) => insert(child, rest, value),
                slot @ None => {
                    *slot = Some(Node::new(Kind::Leaf { key: rest, value }));
                    Outcome::Added
                }
            }
        }
        Kind::Leaf { key, .. } | Kind::Extension { key, .. } => {
            let key = *key;
            split(node, key, path, value)
        }
    };
    if outcome != Outcome::Unchanged {
        node.rlp = RlpNode::default();
    }
    outcome
}

/// Replaces the leaf or extension `node` (with key segment `key`) by a branch at the first
/// nibble where `key` and `path` differ, holding the old content and a new leaf, below an
/// extension for the shared part if there is one.
fn split(node: &mut Box<Node>, key: Nibbles, path: Nibbles, value: Box<[u8]>) -> Outcome {
    let common = key.common_prefix_length(&path);
    let (Some(old_nibble), Some(new_nibble)) = (key.get(common), path.get(common)) else {
        debug_assert!(false, "keys of different lengths");
        return Outcome::Unchanged;
    };
    let old_rest = key.slice(common + 1..);
    let old = match node.take_kind() {
        Kind::Leaf { value, .. } => Node::new(Kind::Leaf { key: old_rest, value }),
        Kind::Extension { child, .. } => prepend(&old_rest, child),
        branch @ Kind::Branch { .. } => {
            debug_assert!(false, "split of a branch");
            node.kind = branch;
            return Outcome::Unchanged;
        }
    };
    let mut children: Box<[Option<Box<Node>>; 16]> = Box::default();
    children[usize::from(old_nibble)] = Some(old);
    let leaf = Node::new(Kind::Leaf { key: path.slice(common + 1..), value });
    children[usize::from(new_nibble)] = Some(leaf);
    node.kind = if common == 0 {
        Kind::Branch { children }
    } else {
        Kind::Extension { key: key.slice(..common), child: Node::new(Kind::Branch { children }) }
    };
    Outcome::Added
}

/// Removes `path` (relative to `node`), restoring the normal form on the way back up: a
/// branch left with one child becomes that child below its nibble, and an extension whose
/// child stopped being a branch absorbs it.
fn remove(node: &mut Box<Node>, path: Nibbles) -> Removal {
    let removal = match &mut node.kind {
        Kind::Leaf { key, .. } => {
            return if *key == path { Removal::Emptied } else { Removal::Absent };
        }
        Kind::Extension { key, child } => {
            if !path.starts_with(key) {
                return Removal::Absent;
            }
            let removal = remove(child, path.slice(key.len()..));
            if removal == Removal::Removed && !matches!(child.kind, Kind::Branch { .. }) {
                match node.take_kind() {
                    Kind::Extension { key, child } => *node = prepend(&key, child),
                    other => node.kind = other,
                }
            }
            removal
        }
        Kind::Branch { children } => {
            let Some(nibble) = path.first() else { return Removal::Absent };
            let slot = &mut children[usize::from(nibble)];
            let Some(child) = slot else { return Removal::Absent };
            match remove(child, path.slice(1..)) {
                Removal::Absent => return Removal::Absent,
                Removal::Removed => Removal::Removed,
                Removal::Emptied => {
                    *slot = None;
                    let mut left = (0u8..).zip(children.iter_mut()).filter(|(_, c)| c.is_some());
                    match (left.next(), left.next()) {
                        (None, _) => Removal::Emptied,
                        (Some((nibble, last)), None) => {
                            if let Some(last) = last.take() {
                                let mut prefix = Nibbles::new();
                                prefix.push(nibble);
                                *node = prepend(&prefix, last);
                            }
                            Removal::Removed
                        }
                        (Some(_), Some(_)) => Removal::Removed,
                    }
                }
            }
        }
    };
    node.rlp = RlpNode::default();
    removal
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_trie::{HashBuilder, proof::verify_proof};
    use proptest::{prelude::*, test_runner::TestRunner};
    use std::collections::BTreeMap;

    /// Root computed from scratch by alloy-trie's `HashBuilder`: the independent reference.
    fn reference_root(model: &BTreeMap<B256, Vec<u8>>) -> B256 {
        let mut builder = HashBuilder::default();
        for (key, value) in model {
            builder.add_leaf(Nibbles::unpack(key), value);
        }
        builder.root()
    }

    /// Checks the proof of `key` against `root` for its expected value, and that it is rejected
    /// for a different value (or for "present" when absent).
    fn check_proof(trie: &mut Trie, root: B256, key: &B256, expected: Option<&Vec<u8>>) {
        let proof = trie.proof(key);
        let path = Nibbles::unpack(key);
        let verified = verify_proof(root, path, expected.cloned(), &proof);
        assert!(verified.is_ok(), "proof of {key} for {expected:?} failed: {verified:?}");
        let mut wrong = expected.cloned().unwrap_or_default();
        wrong.push(0x42);
        assert!(verify_proof(root, path, Some(wrong), &proof).is_err(), "wrong value accepted");
        if expected.is_some() {
            assert!(verify_proof(root, path, None, &proof).is_err(), "exclusion of present key");
        }
    }

    /// Full consistency check of `trie` against `model`, over the keys of `pool`.
    fn check(trie: &mut Trie, model: &BTreeMap<B256, Vec<u8>>, pool: &[B256]) {
        let root = trie.root();
        assert_eq!(root, reference_root(model));
        assert_eq!(trie.len(), model.len());
        assert_eq!(trie.is_empty(), model.is_empty());
        for key in pool {
            assert_eq!(trie.get(key), model.get(key).map(Vec::as_slice));
            check_proof(trie, root, key, model.get(key));
        }
    }

    fn keccak_key(i: u64) -> B256 {
        keccak256(i.to_be_bytes())
    }

    #[test]
    fn empty_trie_root_and_proof() {
        let mut trie = Trie::new();
        assert_eq!(trie.root(), EMPTY_ROOT_HASH);
        assert!(trie.is_empty());
        assert_eq!(trie.len(), 0);
        let key = keccak_key(1);
        assert_eq!(trie.get(&key), None);
        assert!(!trie.remove(&key));
        assert!(trie.proof(&key).is_empty());
        check_proof(&mut trie, EMPTY_ROOT_HASH, &key, None);
    }

    #[test]
    fn single_entry_matches_hash_builder() {
        let mut trie = Trie::new();
        let (key, value) = (keccak_key(7), vec![0x01]);
        trie.insert(&key, value.clone());
        let model = BTreeMap::from([(key, value)]);
        let root = trie.root();
        assert_ne!(root, EMPTY_ROOT_HASH);
        // A single leaf is the whole trie: root = keccak(rlp([hex-prefix(key), value])).
        let mut rlp = Vec::new();
        LeafNodeRef::new(&Nibbles::unpack(key), &[0x01]).encode(&mut rlp);
        assert_eq!(root, keccak256(&rlp));
        check(&mut trie, &model, &[key, keccak_key(8)]);
        assert_eq!(trie.proof(&key).len(), 1);
    }

    #[test]
    fn empty_value_removes() {
        let mut trie = Trie::new();
        let key = keccak_key(1);
        trie.insert(&key, vec![1, 2, 3]);
        trie.insert(&keccak_key(2), vec![4]);
        trie.insert(&key, Vec::new());
        assert_eq!(trie.get(&key), None);
        assert_eq!(trie.len(), 1);
        assert_eq!(trie.root(), reference_root(&BTreeMap::from([(keccak_key(2), vec![4])])));
    }

    #[test]
    fn removing_every_key_returns_to_empty_root() {
        let mut trie = Trie::new();
        let keys: Vec<B256> = (0..2000).map(keccak_key).collect();
        for (i, key) in keys.iter().enumerate() {
            trie.insert(key, vec![u8::try_from(i % 251).unwrap_or(0) + 1; 1 + i % 40]);
        }
        assert_eq!(trie.len(), keys.len());
        trie.root();
        // Remove in an order unrelated to insertion or key order, checking some roots midway.
        for (i, key) in keys.iter().rev().step_by(2).chain(keys.iter().step_by(2)).enumerate() {
            assert!(trie.remove(key));
            assert!(!trie.remove(key));
            if i % 500 == 0 {
                trie.root();
            }
        }
        assert!(trie.is_empty());
        assert_eq!(trie.len(), 0);
        assert_eq!(trie.root(), EMPTY_ROOT_HASH);
    }

    #[test]
    fn random_keys_match_hash_builder() {
        let mut trie = Trie::new();
        let mut model = BTreeMap::new();
        let keys: Vec<B256> = (0..3000).map(keccak_key).collect();
        for (i, key) in keys.iter().enumerate() {
            let value = keccak_key(i as u64 + 1_000_000)[..1 + i % 32].to_vec();
            trie.insert(key, value.clone());
            model.insert(*key, value);
        }
        check(&mut trie, &model, &keys[..200]);
        for key in keys.iter().step_by(3) {
            trie.remove(key);
            model.remove(key);
        }
        for key in keys.iter().step_by(7) {
            trie.insert(key, vec![0xaa; 70]);
            model.insert(*key, vec![0xaa; 70]);
        }
        check(&mut trie, &model, &keys[..300]);
        let collected: Trie = model.iter().rev().map(|(k, v)| (*k, v.clone())).collect();
        assert_eq!(collected.clone().root(), trie.root());
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(usize, Vec<u8>),
        Remove(usize),
        Root,
    }

    /// Keys made of a few base patterns with a few nibbles changed at arbitrary depths, so that
    /// keys share long prefixes and diverge anywhere down to the last nibble.
    fn key_strategy() -> impl Strategy<Value = B256> {
        let bases = [B256::ZERO, B256::repeat_byte(0xff), keccak_key(0), keccak_key(1)];
        (0..bases.len(), prop::collection::vec((0..64usize, 0..16u8), 0..4)).prop_map(
            move |(base, edits)| {
                let mut nibbles = Nibbles::unpack(bases[base]);
                for (at, nibble) in edits {
                    nibbles.set_at(at, nibble);
                }
                B256::from_slice(&nibbles.pack())
            },
        )
    }

    fn ops_strategy() -> impl Strategy<Value = (Vec<B256>, Vec<Op>)> {
        prop::collection::vec(key_strategy(), 1..24).prop_flat_map(|pool| {
            let n = pool.len();
            let op = prop_oneof![
                6 => (0..n, prop::collection::vec(any::<u8>(), 1..100))
                    .prop_map(|(i, v)| Op::Insert(i, v)),
                3 => (0..n).prop_map(Op::Remove),
                1 => Just(Op::Root),
            ];
            (Just(pool), prop::collection::vec(op, 1..80))
        })
    }

    #[test]
    fn matches_hash_builder_and_proofs_verify() {
        let mut runner = TestRunner::new(ProptestConfig::with_cases(512));
        let result = runner.run(&ops_strategy(), |(pool, ops)| {
            let mut trie = Trie::new();
            let mut model = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Insert(i, value) => {
                        trie.insert(&pool[i], value.clone());
                        model.insert(pool[i], value);
                    }
                    Op::Remove(i) => {
                        prop_assert_eq!(trie.remove(&pool[i]), model.remove(&pool[i]).is_some());
                    }
                    Op::Root => prop_assert_eq!(trie.root(), reference_root(&model)),
                }
            }
            check(&mut trie, &model, &pool);
            // The same set built in another order has the same shape: same root and proofs.
            let mut fresh: Trie = model.iter().map(|(k, v)| (*k, v.clone())).collect();
            prop_assert_eq!(fresh.root(), trie.root());
            for key in &pool {
                prop_assert_eq!(fresh.proof(key), trie.proof(key));
            }
            Ok(())
        });
        assert!(result.is_ok(), "{result:?}");
    }
}
