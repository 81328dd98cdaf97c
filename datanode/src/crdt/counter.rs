//! Counter with observed reset (SEMANTICS.md §3).
//!
//! Each actor keeps running totals per *epoch* (an epoch starts at the dot of its first
//! increment). A reset records, per epoch it saw, how far it saw (`seen`) and the totals at
//! that point; the value is the sum of `total - reset total`. Both halves join by taking the
//! further-advanced side, so the join needs no causal context and tolerates any delivery
//! order, duplicates included: a replayed increment can never be counted twice.

use std::cmp::Ordering;

use super::dot::{ActorId, Dot};
use super::tag::Tag;

/// Totals an actor's increments reached at some point of its epoch.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Totals {
    pub int: i128,
    pub float: f64,
}

impl Totals {
    pub const ZERO: Totals = Totals { int: 0, float: 0.0 };
}

#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Reset {
    /// The highest counter of this epoch's actor that the reset had seen.
    pub seen: u64,
    pub totals: Totals,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CounterEntry {
    pub epoch: u64,
    /// The latest increment: its dot counter orders the totals; its stamp dates the write.
    pub last: Tag,
    pub totals: Totals,
    pub reset: Option<Reset>,
    /// Whether any increment of this epoch was a float (INCRBYFLOAT prints differently).
    pub has_float: bool,
}

impl CounterEntry {
    pub fn actor(&self) -> ActorId {
        self.last.dot.actor
    }

    pub fn is_live(&self) -> bool {
        self.reset.is_none_or(|r| r.seen < self.last.dot.counter)
    }

    fn key(&self) -> (ActorId, u64) {
        (self.actor(), self.epoch)
    }

    /// What survives of this epoch's increments.
    pub fn surviving(&self) -> Totals {
        let base = self.reset.map_or(Totals::ZERO, |r| r.totals);
        Totals { int: self.totals.int - base.int, float: self.totals.float - base.float }
    }

    fn join(&mut self, other: &CounterEntry) {
        if other.last.dot.counter > self.last.dot.counter {
            self.last = other.last;
            self.totals = other.totals;
        }
        self.has_float |= other.has_float;
        match (self.reset, other.reset) {
            (None, Some(r)) => self.reset = Some(r),
            (Some(mine), Some(theirs)) if theirs.seen > mine.seen => self.reset = Some(theirs),
            _ => {}
        }
    }
}

/// The sum of surviving increments: exact integers (128-bit) plus a float part.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct CounterValue {
    pub int: i128,
    pub float: f64,
    pub has_float: bool,
    pub live: bool,
}

/// Boxed and optional: most strings, fields and scores are never incremented, and this
/// keeps an untouched counter at one pointer (a bare `Vec` would take three).
#[allow(clippy::box_collection)]
#[derive(Clone, Debug, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Counter {
    entries: Option<Box<Vec<CounterEntry>>>,
}

impl Counter {
    fn from_vec(v: Vec<CounterEntry>) -> Counter {
        Counter { entries: (!v.is_empty()).then(|| Box::new(v)) }
    }

    pub fn is_empty(&self) -> bool {
        self.entries().is_empty()
    }

    pub fn entries(&self) -> &[CounterEntry] {
        self.entries.as_deref().map_or(&[], |v| v.as_slice())
    }

    pub fn is_live(&self) -> bool {
        self.entries().iter().any(CounterEntry::is_live)
    }

    pub fn value(&self) -> CounterValue {
        let mut live: Vec<&CounterEntry> = self.entries().iter().filter(|e| e.is_live()).collect();
        // Floats are summed in (region, actor) order so every region prints the same digits.
        live.sort_by_key(|e| (e.last.region, e.actor(), e.epoch));
        let mut value = CounterValue::default();
        for e in live {
            let s = e.surviving();
            value.int += s.int;
            value.float += s.float;
            value.has_float |= e.has_float;
            value.live = true;
        }
        value
    }

    /// The stamp of the newest surviving increment.
    pub fn newest(&self) -> Option<Tag> {
        self.entries().iter().filter(|e| e.is_live()).map(|e| e.last).max()
    }

    /// The delta of one increment by the actor of `tag`: it continues that actor's live
    /// epoch, or starts a new epoch at this dot.
    pub fn increment(&self, tag: Tag, int: i128, float: f64, is_float: bool) -> Counter {
        let mine = self.entries().iter().filter(|e| e.actor() == tag.dot.actor && e.is_live()).max_by_key(|e| e.epoch);
        let entry = match mine {
            Some(e) => CounterEntry {
                epoch: e.epoch,
                last: tag,
                totals: Totals { int: e.totals.int + int, float: e.totals.float + float },
                reset: e.reset,
                has_float: e.has_float || is_float,
            },
            None => CounterEntry {
                epoch: tag.dot.counter,
                last: tag,
                totals: Totals { int, float },
                reset: None,
                has_float: is_float,
            },
        };
        Counter::from_vec(vec![entry])
    }

    /// The delta of a reset: cancels every increment this replica has seen, no others.
    pub fn reset(&self) -> Counter {
        let entries = self
            .entries()
            .iter()
            .filter(|e| e.is_live())
            .map(|e| CounterEntry { reset: Some(Reset { seen: e.last.dot.counter, totals: e.totals }), ..e.clone() })
            .collect();
        Counter::from_vec(entries)
    }

    pub fn join(&mut self, other: &Counter) {
        if other.is_empty() {
            return;
        }
        let entries = self.entries.get_or_insert_with(Box::default);
        for theirs in other.entries() {
            match entries.iter_mut().find(|e| e.key() == theirs.key()) {
                Some(mine) => mine.join(theirs),
                None => entries.push(theirs.clone()),
            }
        }
        entries.sort_by_key(CounterEntry::key);
    }

    /// The tag of every entry's latest increment, for giving each atom of a fresh delta its
    /// own dot.
    pub fn for_each_tag_mut(&mut self, f: &mut dyn FnMut(&mut Tag)) {
        if let Some(entries) = self.entries.as_mut() {
            for e in entries.iter_mut() {
                f(&mut e.last);
            }
        }
    }

    /// Drops fully reset epochs. Only safe once every replica has seen the reset, so that
    /// no increment concurrent with it can still arrive.
    pub fn compact(&mut self) {
        if let Some(entries) = self.entries.as_mut() {
            entries.retain(CounterEntry::is_live);
            if entries.is_empty() {
                self.entries = None;
            }
        }
    }

    /// Entries whose latest increment or reset `seen` lacks.
    pub fn unseen_by(&self, seen: &dyn super::seen::Seen) -> Counter {
        Counter::from_vec(self.entries().iter().filter(|e| !seen.seen(&e.last.dot)).cloned().collect())
    }

    /// Every dot this counter's state refers to.
    pub fn observed(&self, out: &mut Vec<Dot>) {
        out.extend(self.entries().iter().map(|e| e.last.dot));
    }
}

/// Orders floats for digests and sorting without panicking on NaN.
pub fn total_cmp(a: f64, b: f64) -> Ordering {
    a.total_cmp(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(actor: u64, counter: u64) -> Tag {
        Tag { dot: Dot::new(ActorId(actor), counter), hlc: counter, region: actor as u8 }
    }

    fn apply(c: &mut Counter, d: Counter) {
        c.join(&d);
    }

    #[test]
    fn concurrent_increments_add_up() {
        let mut a = Counter::default();
        let mut b = Counter::default();
        let da = a.increment(tag(1, 1), 7, 0.0, false);
        let db = b.increment(tag(2, 1), 3, 0.0, false);
        apply(&mut a, da.clone());
        apply(&mut b, db.clone());
        apply(&mut a, db);
        apply(&mut b, da);
        assert_eq!(a.value().int, 10);
        assert_eq!(a, b);
    }

    #[test]
    fn reset_cancels_only_what_it_saw() {
        let mut a = Counter::default();
        let d1 = a.increment(tag(1, 1), 7, 0.0, false);
        apply(&mut a, d1.clone());
        let mut b = Counter::default();
        apply(&mut b, d1);
        // b resets having seen 7; a concurrently adds 3.
        let reset = b.reset();
        apply(&mut b, reset.clone());
        let d2 = a.increment(tag(1, 2), 3, 0.0, false);
        apply(&mut a, d2.clone());
        apply(&mut a, reset);
        apply(&mut b, d2);
        assert_eq!(a.value().int, 3);
        assert_eq!(b.value().int, 3);
        assert!(a.is_live());
    }

    #[test]
    fn a_replayed_increment_counts_once() {
        let mut a = Counter::default();
        let d = a.increment(tag(1, 1), 5, 0.0, false);
        apply(&mut a, d.clone());
        apply(&mut a, d);
        assert_eq!(a.value().int, 5);
    }
}
