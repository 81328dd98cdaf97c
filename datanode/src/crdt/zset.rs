//! Sorted set (SEMANTICS.md §6): an observed-remove map of members to score cells (ZADD
//! writes the register, ZINCRBY the counter), plus an index ordered by (score, member).

use std::collections::BTreeSet;

use bytes::Bytes;

use super::cell::Cell;
use super::dot::Dot;
use super::ormap::OrMap;
use super::seen::Seen;
use super::tag::Tag;

/// A score with a total order (Redis never stores NaN scores).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Score(pub f64);

impl Eq for Score {}

impl Ord for Score {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The score a member's cell stands for: the written score plus surviving increments.
///
/// Concurrent increments of +inf and -inf would sum to NaN, which Redis never stores; like
/// Redis's own aggregation of inf and -inf, that reads as 0.
pub fn score_of(cell: &Cell<f64>) -> f64 {
    let base = cell.reg.get().copied().unwrap_or(0.0);
    let c = cell.counter();
    let score = base + c.int as f64 + c.float;
    if score.is_nan() { 0.0 } else { score }
}

#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(from = "ZSetRepr")]
pub struct ZSet {
    map: OrMap<f64>,
    #[serde(skip)]
    index: BTreeSet<(Score, Bytes)>,
}

/// The encoded form: the map alone; the index is rebuilt from it.
#[derive(serde::Deserialize)]
struct ZSetRepr {
    map: OrMap<f64>,
}

impl From<ZSetRepr> for ZSet {
    fn from(repr: ZSetRepr) -> Self {
        let mut z = ZSet { map: repr.map, index: BTreeSet::new() };
        z.rebuild_index();
        z
    }
}

impl PartialEq for ZSet {
    fn eq(&self, other: &Self) -> bool {
        self.map == other.map
    }
}

impl ZSet {
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.map.get(member).filter(|c| c.is_live()).map(score_of)
    }

    pub fn cell(&self, member: &[u8]) -> Option<&Cell<f64>> {
        self.map.get(member)
    }

    pub fn map(&self) -> &OrMap<f64> {
        &self.map
    }

    /// Members in (score, member) order.
    pub fn ordered(&self) -> impl DoubleEndedIterator<Item = &(Score, Bytes)> + ExactSizeIterator {
        self.index.iter()
    }

    pub fn index(&self) -> &BTreeSet<(Score, Bytes)> {
        &self.index
    }

    /// Puts a delta cell for `member` into this (delta) sorted set.
    pub fn put_delta(&mut self, member: Bytes, cell: Cell<f64>) {
        self.map.put_delta(member, cell);
    }

    pub fn observed(&self, out: &mut Vec<Dot>) {
        self.map.observed(out);
    }

    pub fn remove_all_delta(&self) -> Self {
        ZSet { map: self.map.remove_all_delta(), index: BTreeSet::new() }
    }

    pub fn newest(&self) -> Option<Tag> {
        self.map.newest()
    }

    pub fn join(&mut self, my_seen: &dyn Seen, other: &Self, their_seen: &dyn Seen, full: bool) {
        if full {
            self.map.join(my_seen, &other.map, their_seen, true);
            self.rebuild_index();
            return;
        }
        for (member, _) in other.map.iter() {
            if let Some(cell) = self.map.get(member) {
                if cell.is_live() {
                    self.index.remove(&(Score(score_of(cell)), member.clone()));
                }
            }
        }
        self.map.join(my_seen, &other.map, their_seen, false);
        for (member, _) in other.map.iter() {
            if let Some(cell) = self.map.get(member) {
                if cell.is_live() {
                    self.index.insert((Score(score_of(cell)), member.clone()));
                }
            }
        }
    }

    fn rebuild_index(&mut self) {
        self.index =
            self.map.iter().filter(|(_, c)| c.is_live()).map(|(m, c)| (Score(score_of(c)), m.clone())).collect();
    }

    pub fn compact(&mut self) {
        self.map.compact();
    }

    /// Compacts only the members `part` (a delta just joined) mentions, so a write to a large
    /// sorted set costs O(members written). Compaction never changes a score: the index holds.
    pub fn compact_touched(&mut self, part: &ZSet) {
        self.map.compact_touched(&part.map);
    }

    /// Every atom tag of every member, for giving each atom of a fresh delta its own dot.
    /// Scores do not depend on tags, so the index stays valid.
    pub fn for_each_tag_mut(&mut self, f: &mut dyn FnMut(&mut Tag)) {
        self.map.for_each_tag_mut(f);
    }

    pub fn unseen_by(&self, seen: &dyn Seen) -> Self {
        ZSet { map: self.map.unseen_by(seen), index: BTreeSet::new() }
    }
}
