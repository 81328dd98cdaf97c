//! Deltas: what one write (or one transaction) changed, as a small state plus the dots it
//! covers. Replication ships these; duplicates and reordering are harmless by the join laws.

use bytes::Bytes;

use crate::crdt::context::CausalContext;
use crate::crdt::dot::{Dot, Minted};
use crate::crdt::seen::DotList;

use super::entry::Entry;

/// The effect of one command (or one MULTI/EXEC): for every key it touched, the new atoms
/// (removals show as dots in `dots` that the state lacks).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Delta {
    pub dots: DotList,
    pub entries: Vec<(Bytes, Entry)>,
    /// Set on the delta that records a snapshot's effect: its parts are whole entries (a
    /// member a part lacks was removed, if `dots` names it), and this is the snapshot's
    /// context, which the receiver has then seen too.
    pub ctx: Option<Box<CausalContext>>,
    /// The counters its commit minted, `(actor, first, last)`: the delta's identity. A
    /// replica that has applied it records them in its `applied` context; a dot merely seen
    /// (observed by a later delta) says nothing about whether this delta's removals are in.
    pub minted: Option<Minted>,
    /// With `ctx`: the snapshot's `applied`, for replicas of the shard that joined it.
    pub applied: Option<Box<CausalContext>>,
    /// Whether the receiver takes `ctx` (and `applied`) as its own. Only a replica of the
    /// shard that joined the snapshot may: its other keys are as that shard's. A peer joins
    /// the whole entries against `ctx` (the sender really saw and dropped what they lack) but
    /// keeps its own context, which speaks for keys whose state may differ from the sender's.
    pub merge_ctx: bool,
}

impl Delta {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.dots.is_empty() && self.entries.is_empty() && self.ctx.is_none()
    }

    /// Covers the dots a removal observed.
    pub fn observe(&mut self, dots: impl IntoIterator<Item = Dot>) {
        self.dots.extend(dots);
    }

    /// Adds the part for `key`, merging it into a part the delta already has for that key
    /// (two parts of one command are independent: their union).
    pub fn put(&mut self, key: Bytes, part: Entry) {
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some((_, existing)) => {
                let none = DotList::new();
                existing.merge_delta(&none, &part, &none);
            }
            None => self.entries.push((key, part)),
        }
    }

    /// Adds a part for a key this delta does not hold yet (FLUSHALL's thousands of keys must
    /// not each scan the parts before them).
    pub fn put_new(&mut self, key: Bytes, part: Entry) {
        debug_assert!(!self.entries.iter().any(|(k, _)| *k == key));
        self.entries.push((key, part));
    }

    /// Appends a later command's delta (a transaction ships as one unit): the two join as
    /// deltas, each with its own dots, so a removal in the later command takes away what the
    /// earlier one added, and still names it for the replicas that hold older atoms there.
    pub fn absorb(&mut self, other: Delta) {
        for (key, part) in other.entries {
            match self.entries.iter_mut().find(|(k, _)| *k == key) {
                Some((_, existing)) => existing.merge_delta(&self.dots, &part, &other.dots),
                None => self.entries.push((key, part)),
            }
        }
        self.dots.extend(other.dots.iter().copied());
        // A transaction's commits mint consecutive ranges of one actor: together, one range.
        self.minted = match (self.minted, other.minted) {
            (Some(mine), Some(theirs)) if mine.actor == theirs.actor => {
                Some(Minted { first: mine.first.min(theirs.first), last: mine.last.max(theirs.last), ..mine })
            }
            (mine, theirs) => mine.or(theirs),
        };
    }
}

/// A whole-state delta: every entry, and the full causal context. Joining it removes what
/// its side had seen and no longer holds, so it can bring any replica up to date.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Snapshot {
    pub ctx: CausalContext,
    /// The identities of every delta whose effect the snapshot holds.
    pub applied: CausalContext,
    pub entries: Vec<(Bytes, Entry)>,
}

#[cfg(test)]
mod tests {
    use super::Delta;
    use crate::cmd::testing::run_in_transaction;
    use crate::crdt::ActorId;
    use crate::shard::{Identity, Shard};

    /// A transaction ships as one delta (its commands' deltas absorbed in order); replaying
    /// it elsewhere must give the same state, even when a later command removes what an
    /// earlier one added.
    #[test]
    fn a_transaction_delta_reproduces_the_transaction() {
        let mut a = Shard::replicated(Identity { region: 1, actor: ActorId(1) });
        for words in [
            &["RPUSH", "l", "a", "b"][..],
            &["LPOP", "l"],
            &["SADD", "s", "x", "y"],
            &["SREM", "s", "x"],
            &["HSET", "h", "f", "1", "g", "2"],
            &["HDEL", "h", "g"],
            &["SET", "k", "v"],
            &["DEL", "k"],
        ] {
            run_in_transaction(&mut a, words);
        }
        let shipped: Vec<Delta> = a.take_delta().into_iter().collect();
        assert_eq!(shipped.len(), 1);
        let mut b = Shard::replicated(Identity { region: 2, actor: ActorId(2) });
        b.apply_remote(&shipped[0]);
        assert_eq!(a.digest(), b.digest());
    }
}
