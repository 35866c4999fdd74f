//! Dense contributor ids of a datanet: 0, 1, 2… in order of first appearance.
//!
//! Scoring all points sums the scores per contributor. With ids dense per datanet, each work
//! unit's partial sums are added into one array indexed by id (array adds, at most one per
//! point), and only the datanet's distinct contributors are ever looked up by address. Summing
//! by address per chunk instead (a map update per chunk and contributor) made a few thousand
//! contributors repeated in every chunk cost 4x their gas (issue 15).
//!
//! Ids depend only on the order in which points were pushed, never on how the datanet is
//! chunked or which version it was cloned from, so results cannot depend on them either.

use alloy_primitives::{Address, map::HashMap};
use std::sync::Arc;

/// Addresses by id and ids by address.
#[derive(Clone, Default)]
struct Table {
    addresses: Vec<Address>,
    ids: HashMap<Address, u32>,
}

/// The distinct contributors of a datanet. The part known at the datanet's last seal is shared
/// by all its versions ([`Arc`]); what came after is small (at most one tail's worth) and
/// copied with a clone, so cloning a datanet stays cheap.
#[derive(Clone, Default)]
pub(super) struct Contributors {
    /// Contributors first seen before the last seal.
    sealed: Arc<Table>,
    /// Contributors first seen since; their ids continue after `sealed`'s.
    fresh: Table,
}

impl Contributors {
    /// Number of distinct contributors.
    pub(super) fn len(&self) -> usize {
        self.sealed.addresses.len() + self.fresh.addresses.len()
    }

    /// The id of `who`, given the next free one if it is new. The caller keeps the total under
    /// `u32::MAX` (a datanet has at most that many points).
    pub(super) fn id(&mut self, who: Address) -> u32 {
        if let Some(&id) = self.sealed.ids.get(&who).or_else(|| self.fresh.ids.get(&who)) {
            return id;
        }
        let id = self.len() as u32;
        self.fresh.addresses.push(who);
        self.fresh.ids.insert(who, id);
        id
    }

    /// The address of contributor `id`.
    pub(super) fn address(&self, id: u32) -> Option<Address> {
        let id = id as usize;
        let sealed = &self.sealed.addresses;
        sealed.get(id).or_else(|| self.fresh.addresses.get(id.checked_sub(sealed.len())?)).copied()
    }

    /// Every contributor's address, in id order.
    pub(super) fn addresses(&self) -> impl Iterator<Item = Address> + '_ {
        self.sealed.addresses.iter().chain(&self.fresh.addresses).copied()
    }

    /// Moves the fresh contributors into the shared part (called when the datanet seals a
    /// chunk). Copies the shared table if another version holds it: at most once per seal,
    /// i.e. per 256 KiB of sketches registered.
    pub(super) fn seal(&mut self) {
        if self.fresh.addresses.is_empty() {
            return;
        }
        let fresh = std::mem::take(&mut self.fresh);
        let table = Arc::make_mut(&mut self.sealed);
        table.addresses.extend(fresh.addresses);
        table.ids.extend(fresh.ids);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_dense_stable_and_shared() {
        let a = |b: u8| Address::repeat_byte(b);
        let mut c = Contributors::default();
        assert_eq!((c.id(a(5)), c.id(a(3)), c.id(a(5))), (0, 1, 0));
        c.seal();
        let mut version = c.clone();
        assert!(Arc::ptr_eq(&c.sealed, &version.sealed));
        assert_eq!((version.id(a(9)), version.id(a(3))), (2, 1));
        assert_eq!((c.id(a(7)), c.len(), version.len()), (2, 3, 3));
        version.seal();
        assert_eq!(c.address(2), Some(a(7)));
        assert_eq!(version.address(2), Some(a(9)));
        assert_eq!(version.address(1), Some(a(3)));
        assert_eq!(version.address(3), None);
    }
}
