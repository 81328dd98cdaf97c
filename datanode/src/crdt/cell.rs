//! A register plus a counter: the value of a string key, of a hash field and of a sorted-set
//! member's score. Writes replace the register and reset the counter; increments add to it.

use super::counter::{Counter, CounterValue};
use super::dot::Dot;
use super::register::{Register, Value};
use super::seen::Seen;
use super::tag::Tag;

#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Cell<T> {
    pub reg: Register<T>,
    pub ctr: Counter,
}

impl<T: Value> Clone for Cell<T> {
    fn clone(&self) -> Self {
        Cell { reg: self.reg.clone(), ctr: self.ctr.clone() }
    }
}

impl<T> Default for Cell<T> {
    fn default() -> Self {
        Cell { reg: Register::default(), ctr: Counter::default() }
    }
}

impl<T: Value> Cell<T> {
    /// The delta of a write: a new register atom, and a reset of the increments seen.
    /// The caller adds `self.observed()` and the new dot to the delta's context.
    pub fn write_delta(&self, tag: Tag, value: T) -> Self {
        Cell { reg: Register::with(tag, value), ctr: self.ctr.reset() }
    }

    /// The delta of an increment.
    pub fn increment_delta(&self, tag: Tag, int: i128, float: f64, is_float: bool) -> Self {
        Cell { reg: Register::default(), ctr: self.ctr.increment(tag, int, float, is_float) }
    }

    /// The delta of a removal: nothing new, the counter reset; the caller adds
    /// `self.observed()` to the delta's context so the register atoms go.
    pub fn remove_delta(&self) -> Self {
        Cell { reg: Register::default(), ctr: self.ctr.reset() }
    }

    pub fn is_live(&self) -> bool {
        !self.reg.is_empty() || self.ctr.is_live()
    }

    /// Nothing retained at all, not even reset bookkeeping.
    pub fn is_void(&self) -> bool {
        self.reg.is_empty() && self.ctr.is_empty()
    }

    pub fn newest(&self) -> Option<Tag> {
        self.reg.winning_tag().max(self.ctr.newest())
    }

    pub fn observed(&self, out: &mut Vec<Dot>) {
        self.reg.observed(out);
    }

    pub fn counter(&self) -> CounterValue {
        self.ctr.value()
    }

    pub fn join(&mut self, my_seen: &dyn Seen, other: &Self, their_seen: &dyn Seen) {
        self.reg.join(my_seen, &other.reg, their_seen);
        self.ctr.join(&other.ctr);
    }

    pub fn compact(&mut self) {
        self.reg.compact();
        self.ctr.compact();
    }

    pub fn for_each_tag_mut(&mut self, f: &mut dyn FnMut(&mut Tag)) {
        self.reg.for_each_tag_mut(f);
        self.ctr.for_each_tag_mut(f);
    }

    pub fn unseen_by(&self, seen: &dyn Seen) -> Self {
        Cell { reg: self.reg.unseen_by(seen), ctr: self.ctr.unseen_by(seen) }
    }
}
