//! Deltas: what one write (or one transaction) changed, as a small state plus the dots it
//! covers. Replication ships these; duplicates and reordering are harmless by the join laws.

use bytes::Bytes;

use crate::crdt::context::CausalContext;
use crate::crdt::dot::{Dot, Minted};
use crate::crdt::seen::DotList;

use super::claims::RangeClaims;
use super::entry::Entry;
use super::slot::SlotRange;

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
    /// With `ctx`: the slots `ctx` holds for, when not all of the shard's (a snapshot of
    /// another layout's shard: see `keyspace::claims`). Empty: all of them.
    pub scope: Vec<SlotRange>,
    /// With `ctx`: the snapshot's own range claims.
    pub claims: Option<Box<RangeClaims>>,
    /// A part of the delta `minted` names, split by slot (for a region of another layout, or
    /// a syncer that wants some slots): it holds that delta's effect on some keys only, so
    /// joining it is no proof the whole delta was applied. A receiver that took it for one
    /// would skip the other parts when they come (found by the simulation with uneven
    /// layouts: acknowledged writes lost).
    pub split: bool,
    /// For a delta of several keys: the dots of each key's atoms (added, or seen and
    /// removed), so a part cut out for some keys carries only their dots. A dot no key
    /// claims (a removal's own dot) goes with every part. A shard that took another key's
    /// dots would count that key's atoms as seen and drop them when they come.
    pub attributed: Vec<(Bytes, DotList)>,
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

    /// The dots of the atoms of one key's part, and of what the key held before (`held`):
    /// the dots that key's part covers.
    pub fn dots_of(part: &Entry, held: Option<&Entry>, out: &mut Vec<Dot>) {
        for entry in std::iter::once(part).chain(held) {
            entry.observed(out);
            // Counters' tags too (`observed` leaves them out: a write does not remove them).
            entry.clone().for_each_tag_mut(&mut |t| out.push(t.dot));
        }
    }

    /// Which key each dot belongs to, kept as `attributed`; `held` gives what each key held
    /// before. A delta of one key needs none.
    pub fn attribute(&mut self, held: impl Fn(&[u8]) -> Option<Entry>) {
        if self.entries.len() < 2 {
            return;
        }
        let mut owner: std::collections::HashMap<Dot, usize> = std::collections::HashMap::new();
        for (i, (key, part)) in self.entries.iter().enumerate() {
            let mut dots = Vec::new();
            Self::dots_of(part, held(key).as_ref(), &mut dots);
            for d in dots {
                owner.entry(d).or_insert(i);
            }
        }
        let mut per: Vec<Vec<Dot>> = vec![Vec::new(); self.entries.len()];
        for d in self.dots.iter() {
            if let Some(list) = owner.get(d).and_then(|i| per.get_mut(*i)) {
                list.push(*d);
            }
        }
        self.attributed = self
            .entries
            .iter()
            .zip(per)
            .filter(|(_, dots)| !dots.is_empty())
            .map(|((key, _), dots)| (key.clone(), DotList::from(dots)))
            .collect();
    }

    /// The parts of this delta for the groups `group_of` puts its keys in (local shards by
    /// slot): each with its keys, their dots and the dots no key claims; marked `split` when
    /// there are several, since none then stands for the whole delta.
    pub fn split_by(self, group_of: impl Fn(&[u8]) -> usize) -> Vec<(usize, Delta)> {
        let groups: Vec<usize> = self.entries.iter().map(|(k, _)| group_of(k)).collect();
        let mut distinct = groups.clone();
        distinct.sort_unstable();
        distinct.dedup();
        if let [only] = distinct.as_slice() {
            return vec![(*only, self)];
        }
        let owner: std::collections::HashMap<Dot, usize> = self
            .attributed
            .iter()
            .filter_map(|(key, dots)| Some((*groups.get(self.entries.iter().position(|(k, _)| k == key)?)?, dots)))
            .flat_map(|(g, dots)| dots.iter().map(move |d| (*d, g)))
            .collect();
        distinct
            .into_iter()
            .map(|g| {
                let mut part = Delta {
                    dots: self
                        .dots
                        .iter()
                        .copied()
                        .filter(|d| owner.get(d).is_none_or(|o| *o == g))
                        .collect::<Vec<_>>()
                        .into(),
                    entries: Vec::new(),
                    ctx: self.ctx.clone(),
                    minted: self.minted,
                    applied: self.applied.clone(),
                    merge_ctx: self.merge_ctx,
                    scope: self.scope.clone(),
                    claims: self.claims.clone(),
                    split: true,
                    attributed: Vec::new(),
                };
                for ((key, entry), _) in self.entries.iter().zip(&groups).filter(|(_, og)| **og == g) {
                    part.entries.push((key.clone(), entry.clone()));
                }
                part.attributed = self
                    .attributed
                    .iter()
                    .filter(|(k, _)| part.entries.iter().any(|(pk, _)| pk == k))
                    .cloned()
                    .collect();
                (g, part)
            })
            .collect()
    }

    /// Keeps only the keys `keep` accepts (a subscriber's slots), with their dots; marked
    /// `split` if any went.
    pub fn retain_keys(&mut self, keep: impl Fn(&[u8]) -> bool) {
        let before = self.entries.len();
        let parts = std::mem::take(self).split_by(|k| usize::from(!keep(k)));
        let kept = parts.into_iter().find(|(g, _)| *g == 0).map(|(_, d)| d);
        match kept {
            Some(mut d) => {
                d.split |= d.entries.len() != before;
                *self = d;
            }
            None => *self = Delta::new(),
        }
    }

    /// Appends a later command's delta (a transaction ships as one unit): the two join as
    /// deltas, each with its own dots, so a removal in the later command takes away what the
    /// earlier one added, and still names it for the replicas that hold older atoms there.
    pub fn absorb(&mut self, mut other: Delta) {
        // A one-key delta's dots are all its key's: say so before it joins others.
        for d in [&mut *self, &mut other] {
            if d.attributed.is_empty() && d.entries.len() == 1 && !d.dots.is_empty() {
                d.attributed = vec![(d.entries[0].0.clone(), d.dots.clone())];
            }
        }
        for (key, dots) in std::mem::take(&mut other.attributed) {
            match self.attributed.iter_mut().find(|(k, _)| *k == key) {
                Some((_, mine)) => mine.extend(dots.iter().copied()),
                None => self.attributed.push((key, dots)),
            }
        }
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
    /// What the sending shard has seen for some of its slots only.
    pub claims: RangeClaims,
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
