//! Deltas: what one write (or one transaction) changed, as a small state plus the dots it
//! covers. Replication ships these; duplicates and reordering are harmless by the join laws.

use bytes::Bytes;

use crate::crdt::context::CausalContext;
use crate::crdt::dot::Dot;
use crate::crdt::seen::DotList;

use super::entry::Entry;

/// The effect of one command (or one MULTI/EXEC): for every key it touched, the new atoms
/// (removals show as dots in `dots` that the state lacks).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Delta {
    pub dots: DotList,
    pub entries: Vec<(Bytes, Entry)>,
}

impl Delta {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.dots.is_empty() && self.entries.is_empty()
    }

    /// Covers the dots a removal observed.
    pub fn observe(&mut self, dots: impl IntoIterator<Item = Dot>) {
        self.dots.extend(dots);
    }

    /// Adds (or joins into) the delta part for `key`.
    pub fn put(&mut self, key: Bytes, part: Entry) {
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some((_, existing)) => {
                // Two parts for one key inside one delta (a transaction): join them as two
                // deltas whose dots are all new to each other.
                let none = DotList::new();
                existing.join(&none, &part, &none, false);
            }
            None => self.entries.push((key, part)),
        }
    }

    /// Appends another command's delta (used to ship a transaction as one unit).
    pub fn absorb(&mut self, other: Delta) {
        self.dots.extend(other.dots.iter().copied());
        for (key, part) in other.entries {
            self.put(key, part);
        }
    }
}

/// A whole-state delta: every entry, and the full causal context. Joining it removes what
/// its side had seen and no longer holds, so it can bring any replica up to date.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub ctx: CausalContext,
    pub entries: Vec<(Bytes, Entry)>,
}
