//! LoRA adapter registry: the rules, as pure functions of the current state.
//!
//! The registry precompile will keep its records in EVM storage; this module only decides.
//! Every operation reads the state through [`AdapterView`] and returns the record to write (or
//! a typed error, which the precompile turns into a revert), so the rules can be tested without
//! an EVM and the storage layer cannot drift from them.
//!
//! ```text
//! register(caller, params)            -> Adapter { id: next, owner: caller, version: 1, parent: None }
//! new_version(caller, parent, params) -> Adapter { version: parent.version + 1, parent: Some(parent) }
//!                                        caller owns parent, parent not Revoked, same base model
//! set_status(caller, id, status)      -> Adapter { status }        caller owns id
//!                                        Active <-> Deprecated, Active|Deprecated -> Revoked;
//!                                        Revoked is final; setting the current status is an error
//! ```
//!
//! Versions form a tree: two new versions of one parent both get `parent.version + 1`.
//! [`AdapterRegistry`] is the in-memory state used by tests and as the reference for the
//! storage-backed one, with the look-ups by id, owner, base model and lineage.

use alloy_primitives::{Address, B256};
use std::collections::BTreeMap;

/// Identifier of an adapter: 1, 2, 3… in registration order.
pub type AdapterId = u64;

/// Smallest LoRA rank.
pub const MIN_RANK: u16 = 1;
/// Largest LoRA rank (serving stacks cap far lower; 1024 covers full-rank-ish research use).
pub const MAX_RANK: u16 = 1024;
/// Largest LoRA alpha (the scale is alpha / rank; alpha is an integer as in PEFT configs).
pub const MAX_ALPHA: u32 = 65_536;
/// Longest URI in bytes.
pub const MAX_URI_LEN: usize = 256;
/// Most training datanets one adapter lists.
pub const MAX_TRAINING_DATANETS: usize = 64;

/// Bits of [`AdapterParams::target_modules`], one per projection a LoRA adapter can patch.
pub mod target {
    /// Attention query projection.
    pub const Q_PROJ: u32 = 1 << 0;
    /// Attention key projection.
    pub const K_PROJ: u32 = 1 << 1;
    /// Attention value projection.
    pub const V_PROJ: u32 = 1 << 2;
    /// Attention output projection.
    pub const O_PROJ: u32 = 1 << 3;
    /// MLP gate projection.
    pub const GATE_PROJ: u32 = 1 << 4;
    /// MLP up projection.
    pub const UP_PROJ: u32 = 1 << 5;
    /// MLP down projection.
    pub const DOWN_PROJ: u32 = 1 << 6;
    /// Token embeddings.
    pub const EMBED_TOKENS: u32 = 1 << 7;
    /// Output head.
    pub const LM_HEAD: u32 = 1 << 8;
    /// Every defined bit.
    pub const ALL: u32 = (1 << 9) - 1;
}

/// Lifecycle of an adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum AdapterStatus {
    /// Servable.
    Active = 0,
    /// Still servable; its owner recommends a newer version.
    Deprecated = 1,
    /// Must not be served; final.
    Revoked = 2,
}

/// What the caller supplies for a new adapter or version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdapterParams {
    /// Base model the adapter applies to (non-zero).
    pub base_model: B256,
    /// Hash of the adapter weights (non-zero).
    pub weights_hash: B256,
    /// LoRA rank, [`MIN_RANK`]..=[`MAX_RANK`].
    pub rank: u16,
    /// LoRA alpha, 1..=[`MAX_ALPHA`].
    pub alpha: u32,
    /// Bitmask of [`target`] modules: non-zero, no undefined bit.
    pub target_modules: u32,
    /// Datanets the adapter was trained on: strictly increasing, known, at most
    /// [`MAX_TRAINING_DATANETS`].
    pub training_datanets: Vec<u64>,
    /// Where the weights live: 1..=[`MAX_URI_LEN`] bytes of printable ASCII.
    pub uri: String,
}

/// A registered adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adapter {
    /// Its id.
    pub id: AdapterId,
    /// The account that registered it; the only one that may change it.
    pub owner: Address,
    /// Validated parameters.
    pub params: AdapterParams,
    /// Previous version, if any.
    pub parent: Option<AdapterId>,
    /// 1 for a root, parent's version + 1 otherwise.
    pub version: u32,
    /// Lifecycle state.
    pub status: AdapterStatus,
}

/// Why an operation is rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdapterError {
    /// Zero base model id.
    #[error("base model id is zero")]
    ZeroBaseModel,
    /// Zero weights hash.
    #[error("weights hash is zero")]
    ZeroWeightsHash,
    /// Rank out of bounds.
    #[error("rank {0} outside {MIN_RANK}..={MAX_RANK}")]
    InvalidRank(u16),
    /// Alpha out of bounds.
    #[error("alpha {0} outside 1..={MAX_ALPHA}")]
    InvalidAlpha(u32),
    /// Empty or undefined target-module bits.
    #[error("target modules {0:#x} are empty or have undefined bits")]
    InvalidTargetModules(u32),
    /// Too many training datanets.
    #[error("{0} training datanets, at most {MAX_TRAINING_DATANETS}")]
    TooManyDatanets(usize),
    /// Training datanets not strictly increasing.
    #[error("training datanets must be strictly increasing")]
    UnsortedDatanets,
    /// A training datanet that does not exist.
    #[error("unknown datanet {0}")]
    UnknownDatanet(u64),
    /// URI empty or too long.
    #[error("uri has {0} bytes, allowed 1..={MAX_URI_LEN}")]
    InvalidUriLength(usize),
    /// URI with a byte outside printable ASCII.
    #[error("uri byte {0} is not printable ASCII")]
    InvalidUriByte(usize),
    /// No adapter with this id.
    #[error("unknown adapter {0}")]
    UnknownAdapter(AdapterId),
    /// The caller is not the owner.
    #[error("caller {caller} does not own adapter {id}")]
    NotOwner {
        /// The adapter.
        id: AdapterId,
        /// The caller.
        caller: Address,
    },
    /// New version of a revoked adapter.
    #[error("adapter {0} is revoked")]
    Revoked(AdapterId),
    /// New version for another base model.
    #[error("new version must keep base model {0}")]
    BaseModelMismatch(B256),
    /// Status change that the lifecycle forbids.
    #[error("status {from:?} cannot become {to:?}")]
    InvalidTransition {
        /// Current status.
        from: AdapterStatus,
        /// Requested status.
        to: AdapterStatus,
    },
    /// Id or version counter exhausted.
    #[error("adapter id or version overflow")]
    Overflow,
}

/// Read access to the registry state.
pub trait AdapterView {
    /// The adapter with this id.
    fn adapter(&self, id: AdapterId) -> Option<Adapter>;
    /// Number of registered adapters (ids are `1..=count`).
    fn adapter_count(&self) -> u64;
    /// Whether a datanet exists.
    fn datanet_exists(&self, id: u64) -> bool;
}

/// Checks parameters against every rule that needs no adapter record.
pub fn validate_params(view: &impl AdapterView, p: &AdapterParams) -> Result<(), AdapterError> {
    if p.base_model.is_zero() {
        return Err(AdapterError::ZeroBaseModel);
    }
    if p.weights_hash.is_zero() {
        return Err(AdapterError::ZeroWeightsHash);
    }
    if !(MIN_RANK..=MAX_RANK).contains(&p.rank) {
        return Err(AdapterError::InvalidRank(p.rank));
    }
    if !(1..=MAX_ALPHA).contains(&p.alpha) {
        return Err(AdapterError::InvalidAlpha(p.alpha));
    }
    if p.target_modules == 0 || p.target_modules & !target::ALL != 0 {
        return Err(AdapterError::InvalidTargetModules(p.target_modules));
    }
    if p.training_datanets.len() > MAX_TRAINING_DATANETS {
        return Err(AdapterError::TooManyDatanets(p.training_datanets.len()));
    }
    if p.training_datanets.windows(2).any(|w| w[0] >= w[1]) {
        return Err(AdapterError::UnsortedDatanets);
    }
    if let Some(&d) = p.training_datanets.iter().find(|&&d| !view.datanet_exists(d)) {
        return Err(AdapterError::UnknownDatanet(d));
    }
    if p.uri.is_empty() || p.uri.len() > MAX_URI_LEN {
        return Err(AdapterError::InvalidUriLength(p.uri.len()));
    }
    if let Some(i) = p.uri.bytes().position(|b| !(0x20..0x7f).contains(&b)) {
        return Err(AdapterError::InvalidUriByte(i));
    }
    Ok(())
}

fn next_id(view: &impl AdapterView) -> Result<AdapterId, AdapterError> {
    view.adapter_count().checked_add(1).ok_or(AdapterError::Overflow)
}

fn owned(view: &impl AdapterView, caller: Address, id: AdapterId) -> Result<Adapter, AdapterError> {
    let a = view.adapter(id).ok_or(AdapterError::UnknownAdapter(id))?;
    if a.owner != caller {
        return Err(AdapterError::NotOwner { id, caller });
    }
    Ok(a)
}

/// A new root adapter (version 1) owned by `caller`.
pub fn register(
    view: &impl AdapterView,
    caller: Address,
    params: AdapterParams,
) -> Result<Adapter, AdapterError> {
    validate_params(view, &params)?;
    let id = next_id(view)?;
    Ok(Adapter {
        id,
        owner: caller,
        params,
        parent: None,
        version: 1,
        status: AdapterStatus::Active,
    })
}

/// A new version of `parent`, owned by `caller`, who must own `parent`.
pub fn new_version(
    view: &impl AdapterView,
    caller: Address,
    parent: AdapterId,
    params: AdapterParams,
) -> Result<Adapter, AdapterError> {
    let p = owned(view, caller, parent)?;
    if p.status == AdapterStatus::Revoked {
        return Err(AdapterError::Revoked(parent));
    }
    if p.params.base_model != params.base_model {
        return Err(AdapterError::BaseModelMismatch(p.params.base_model));
    }
    validate_params(view, &params)?;
    let version = p.version.checked_add(1).ok_or(AdapterError::Overflow)?;
    let id = next_id(view)?;
    Ok(Adapter {
        id,
        owner: caller,
        params,
        parent: Some(parent),
        version,
        status: AdapterStatus::Active,
    })
}

/// The adapter `id` with its status changed by its owner.
pub fn set_status(
    view: &impl AdapterView,
    caller: Address,
    id: AdapterId,
    status: AdapterStatus,
) -> Result<Adapter, AdapterError> {
    let mut a = owned(view, caller, id)?;
    let allowed = a.status != status && a.status != AdapterStatus::Revoked;
    if !allowed {
        return Err(AdapterError::InvalidTransition { from: a.status, to: status });
    }
    a.status = status;
    Ok(a)
}

/// In-memory registry state with the look-ups the precompile offers.
#[derive(Debug, Clone, Default)]
pub struct AdapterRegistry {
    adapters: Vec<Adapter>,
    by_owner: BTreeMap<Address, Vec<AdapterId>>,
    by_base_model: BTreeMap<B256, Vec<AdapterId>>,
    /// Datanets that exist.
    pub datanets: std::collections::BTreeSet<u64>,
}

impl AdapterView for AdapterRegistry {
    fn adapter(&self, id: AdapterId) -> Option<Adapter> {
        let i = usize::try_from(id.checked_sub(1)?).ok()?;
        self.adapters.get(i).cloned()
    }

    fn adapter_count(&self) -> u64 {
        self.adapters.len() as u64
    }

    fn datanet_exists(&self, id: u64) -> bool {
        self.datanets.contains(&id)
    }
}

impl AdapterRegistry {
    /// An empty registry that knows the given datanets.
    pub fn with_datanets(datanets: impl IntoIterator<Item = u64>) -> Self {
        Self { datanets: datanets.into_iter().collect(), ..Self::default() }
    }

    /// Writes a record returned by [`register`], [`new_version`] or [`set_status`].
    pub fn apply(&mut self, a: Adapter) {
        let Some(i) = a.id.checked_sub(1).and_then(|i| usize::try_from(i).ok()) else { return };
        if let Some(slot) = self.adapters.get_mut(i) {
            *slot = a;
        } else if i == self.adapters.len() {
            self.by_owner.entry(a.owner).or_default().push(a.id);
            self.by_base_model.entry(a.params.base_model).or_default().push(a.id);
            self.adapters.push(a);
        }
    }

    /// Ids owned by `owner`, in registration order.
    pub fn by_owner(&self, owner: &Address) -> &[AdapterId] {
        self.by_owner.get(owner).map_or(&[], Vec::as_slice)
    }

    /// Ids for `base_model`, in registration order.
    pub fn by_base_model(&self, base_model: &B256) -> &[AdapterId] {
        self.by_base_model.get(base_model).map_or(&[], Vec::as_slice)
    }

    /// The lineage of `id`: its root first, `id` last. Empty if unknown.
    pub fn lineage(&self, id: AdapterId) -> Vec<AdapterId> {
        let mut chain = Vec::new();
        let mut cur = self.adapter(id);
        while let Some(a) = cur {
            chain.push(a.id);
            cur = a.parent.and_then(|p| self.adapter(p));
        }
        chain.reverse();
        chain
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> AdapterParams {
        AdapterParams {
            base_model: B256::repeat_byte(1),
            weights_hash: B256::repeat_byte(2),
            rank: 16,
            alpha: 32,
            target_modules: target::Q_PROJ | target::V_PROJ,
            training_datanets: vec![1, 5],
            uri: "ipfs://bafy".into(),
        }
    }

    fn state() -> AdapterRegistry {
        AdapterRegistry { datanets: [1, 5].into(), ..Default::default() }
    }

    #[test]
    fn every_param_rule_has_its_error() {
        let s = state();
        type Mutation = fn(&mut AdapterParams);
        let bad: Vec<(Mutation, AdapterError)> = vec![
            (|p| p.base_model = B256::ZERO, AdapterError::ZeroBaseModel),
            (|p| p.weights_hash = B256::ZERO, AdapterError::ZeroWeightsHash),
            (|p| p.rank = 0, AdapterError::InvalidRank(0)),
            (|p| p.rank = 1025, AdapterError::InvalidRank(1025)),
            (|p| p.alpha = 0, AdapterError::InvalidAlpha(0)),
            (|p| p.target_modules = 0, AdapterError::InvalidTargetModules(0)),
            (|p| p.target_modules = 1 << 9, AdapterError::InvalidTargetModules(1 << 9)),
            (|p| p.training_datanets = (0..65).collect(), AdapterError::TooManyDatanets(65)),
            (|p| p.training_datanets = vec![5, 1], AdapterError::UnsortedDatanets),
            (|p| p.training_datanets = vec![1, 1], AdapterError::UnsortedDatanets),
            (|p| p.training_datanets = vec![2], AdapterError::UnknownDatanet(2)),
            (|p| p.uri = String::new(), AdapterError::InvalidUriLength(0)),
            (|p| p.uri = "x".repeat(257), AdapterError::InvalidUriLength(257)),
            (|p| p.uri = "a\nb".into(), AdapterError::InvalidUriByte(1)),
        ];
        for (mutate, err) in bad {
            let mut p = params();
            mutate(&mut p);
            assert_eq!(register(&s, Address::ZERO, p), Err(err));
        }
        assert!(register(&s, Address::ZERO, params()).is_ok());
    }

    #[test]
    fn versions_ownership_and_lifecycle() {
        let (alice, bob) = (Address::repeat_byte(0xa), Address::repeat_byte(0xb));
        let mut s = state();
        let root = register(&s, alice, params()).expect("register");
        assert_eq!((root.id, root.version), (1, 1));
        s.apply(root);
        assert_eq!(
            new_version(&s, bob, 1, params()),
            Err(AdapterError::NotOwner { id: 1, caller: bob })
        );
        assert_eq!(new_version(&s, alice, 9, params()), Err(AdapterError::UnknownAdapter(9)));
        let mut other = params();
        other.base_model = B256::repeat_byte(9);
        assert_eq!(
            new_version(&s, alice, 1, other),
            Err(AdapterError::BaseModelMismatch(B256::repeat_byte(1)))
        );
        let v2 = new_version(&s, alice, 1, params()).expect("v2");
        assert_eq!((v2.id, v2.version, v2.parent), (2, 2, Some(1)));
        s.apply(v2);
        assert_eq!(s.lineage(2), vec![1, 2]);
        assert_eq!(s.by_owner(&alice), &[1, 2]);
        assert_eq!(s.by_base_model(&B256::repeat_byte(1)), &[1, 2]);

        assert_eq!(
            set_status(&s, bob, 1, AdapterStatus::Revoked),
            Err(AdapterError::NotOwner { id: 1, caller: bob })
        );
        let same = set_status(&s, alice, 1, AdapterStatus::Active);
        assert!(matches!(same, Err(AdapterError::InvalidTransition { .. })));
        s.apply(set_status(&s, alice, 1, AdapterStatus::Deprecated).expect("deprecate"));
        s.apply(set_status(&s, alice, 1, AdapterStatus::Active).expect("reactivate"));
        s.apply(set_status(&s, alice, 1, AdapterStatus::Revoked).expect("revoke"));
        let back = set_status(&s, alice, 1, AdapterStatus::Active);
        assert!(matches!(back, Err(AdapterError::InvalidTransition { .. })));
        assert_eq!(new_version(&s, alice, 1, params()), Err(AdapterError::Revoked(1)));
    }
}
