//! List CRDT (SEMANTICS.md §8): every element has its own identity (the tag of the push that
//! made it) and a position in a dense total order. Concurrent inserts into one gap land in
//! region-id order, each command's elements together and in that command's order; removals
//! take away only the elements they saw; LSET is an LWW write of one element's value.

use std::collections::BTreeMap;

use bytes::Bytes;
use smallvec::SmallVec;

use super::atoms::join_atoms;
use super::dot::Dot;
use super::register::Register;
use super::seen::Seen;
use super::tag::Tag;

/// One level of a position. Equal digits order by region first, which is what puts the
/// smaller region's elements first in a contested gap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct PosPart {
    pub digit: u64,
    pub region: u8,
    pub actor: u64,
    pub counter: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct Pos(pub SmallVec<[PosPart; 1]>);

/// Distance between consecutive pushes at one end: 2^32 pushes fit before a level is added.
const STEP: u64 = 1 << 32;
const MID: u64 = 1 << 63;

impl Pos {
    /// A position strictly between `left` and `right` (either open), chosen only from the gap,
    /// so two regions inserting into the same gap pick the same digits and region decides.
    pub fn between(left: Option<&Pos>, right: Option<&Pos>, me: Tag) -> Pos {
        let mut out = SmallVec::new();
        let empty: &[PosPart] = &[];
        let mut l: &[PosPart] = left.map_or(empty, |p| &p.0);
        let mut r: &[PosPart] = right.map_or(empty, |p| &p.0);
        // Whether `r` still bounds us at this depth (once we descend under a part of `l`
        // that is smaller than `r`'s, nothing on the right constrains us any more).
        let mut bounded = right.is_some();
        loop {
            let lo = l.first().map(|p| p.digit);
            let hi = if bounded { r.first().map(|p| p.digit) } else { None };
            let digit = match (lo, hi) {
                (None, None) => Some(MID),
                (Some(lo), None) => lo.checked_add(STEP).or(Some(lo + (u64::MAX - lo) / 2)).filter(|d| *d > lo),
                (None, Some(hi)) => Some(hi.saturating_sub(STEP)).filter(|d| *d < hi).or_else(|| {
                    let d = hi / 2;
                    (d < hi && hi > 0).then_some(d)
                }),
                (Some(lo), Some(hi)) if hi > lo + 1 => Some(lo + ((hi - lo) / 2).min(STEP)),
                _ => None,
            };
            match digit {
                Some(d) if lo.is_none_or(|lo| d > lo) => {
                    out.push(PosPart { digit: d, region: me.region, actor: me.dot.actor.0, counter: me.dot.counter });
                    return Pos(out);
                }
                _ => {}
            }
            // No room at this depth: descend under the left part (or under a zero digit when
            // there is no left part at this depth).
            let part = match l.first() {
                Some(p) => *p,
                None => PosPart { digit: 0, region: 0, actor: 0, counter: 0 },
            };
            if bounded {
                match r.first() {
                    Some(rp) if *rp == part => r = &r[1..],
                    _ => bounded = false,
                }
            }
            out.push(part);
            l = if l.is_empty() { l } else { &l[1..] };
        }
    }

    /// Positions for `n` elements of one command inserted into the gap between `left` and
    /// `right`, in list order: the first from the gap, the rest under the first, so a
    /// concurrent insert into the same gap never lands inside the run.
    pub fn run(left: Option<&Pos>, right: Option<&Pos>, n: usize, me: Tag) -> Vec<Pos> {
        let mut out = Vec::with_capacity(n);
        if n == 0 {
            return out;
        }
        let first = Pos::between(left, right, me);
        out.extend((1..n as u64).map(|k| first.child(k, me)));
        out.insert(0, first);
        out
    }

    /// The `k`-th extra element of one command, placed under that command's first position.
    pub fn child(&self, k: u64, me: Tag) -> Pos {
        let mut parts = self.0.clone();
        parts.push(PosPart {
            digit: k.saturating_mul(STEP),
            region: me.region,
            actor: me.dot.actor.0,
            counter: me.dot.counter,
        });
        Pos(parts)
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Elem {
    /// The push that made this element. An element whose push was removed is gone, even if
    /// a concurrent LSET wrote its value (removal beats update).
    pub id: SmallVec<[Tag; 1]>,
    pub value: Register<Bytes>,
}

impl Elem {
    pub fn new(id: Tag, value: Bytes) -> Self {
        let mut ids = SmallVec::new();
        ids.push(id);
        Elem { id: ids, value: Register::with(id, value) }
    }

    pub fn get(&self) -> &[u8] {
        self.value.get().map_or(&[], |b| &b[..])
    }

    /// The value as shared bytes (a cheap clone).
    pub fn bytes(&self) -> Bytes {
        self.value.get().cloned().unwrap_or_default()
    }

    /// The delta of an LSET: the same identity with one new value atom. The write must
    /// observe `value_observed` (not the identity: the element itself stays).
    pub fn set_delta(&self, tag: Tag, value: Bytes) -> Elem {
        Elem { id: self.id.clone(), value: Register::with(tag, value) }
    }

    /// Dots of the value atoms, which an LSET overwrites.
    pub fn value_observed(&self, out: &mut Vec<Dot>) {
        self.value.observed(out);
    }

    pub fn observed(&self, out: &mut Vec<Dot>) {
        out.extend(self.id.iter().map(|t| t.dot));
        self.value.observed(out);
    }

    fn is_live(&self) -> bool {
        !self.id.is_empty() && !self.value.is_empty()
    }
}

#[derive(Clone, Debug, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct List {
    elems: BTreeMap<Pos, Elem>,
}

impl List {
    pub fn len(&self) -> usize {
        self.elems.len()
    }

    pub fn is_empty(&self) -> bool {
        self.elems.is_empty()
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&Pos, &Elem)> {
        self.elems.iter()
    }

    pub fn first(&self) -> Option<(&Pos, &Elem)> {
        self.elems.iter().next()
    }

    pub fn last(&self) -> Option<(&Pos, &Elem)> {
        self.elems.iter().next_back()
    }

    pub fn get(&self, pos: &Pos) -> Option<&Elem> {
        self.elems.get(pos)
    }

    /// The element at `index` from the head, walking from the nearer end.
    pub fn nth(&self, index: usize) -> Option<(&Pos, &Elem)> {
        let len = self.elems.len();
        if index >= len {
            None
        } else if index <= len / 2 {
            self.elems.iter().nth(index)
        } else {
            self.elems.iter().nth_back(len - 1 - index)
        }
    }

    /// The position just before `pos` (its left neighbour), if any.
    pub fn before(&self, pos: &Pos) -> Option<&Pos> {
        self.elems.range(..pos).next_back().map(|(p, _)| p)
    }

    /// The position just after `pos` (its right neighbour), if any.
    pub fn after(&self, pos: &Pos) -> Option<&Pos> {
        use std::ops::Bound::{Excluded, Unbounded};
        self.elems.range((Excluded(pos), Unbounded)).next().map(|(p, _)| p)
    }

    /// Puts the elements of one command into this (delta) list, in list order, into the gap
    /// between `left` and `right` of the list they are inserted into. Each element comes with
    /// its own tag (its identity); the run's positions come from the first.
    pub fn insert_delta(&mut self, left: Option<&Pos>, right: Option<&Pos>, elems: Vec<(Tag, Bytes)>) {
        let Some(&(first, _)) = elems.first() else { return };
        let positions = Pos::run(left, right, elems.len(), first);
        for (pos, (tag, value)) in positions.into_iter().zip(elems) {
            self.elems.insert(pos, Elem::new(tag, value));
        }
    }

    /// Puts an element into this (delta) list.
    pub fn put_delta(&mut self, pos: Pos, elem: Elem) {
        self.elems.insert(pos, elem);
    }

    /// Marks an element removed in this (delta) list: present with no atoms.
    pub fn remove_delta(&mut self, pos: Pos) {
        self.elems.insert(pos, Elem { id: SmallVec::new(), value: Register::default() });
    }

    pub fn observed(&self, out: &mut Vec<Dot>) {
        for e in self.elems.values() {
            e.observed(out);
        }
    }

    pub fn remove_all_delta(&self) -> Self {
        let mut d = List::default();
        for pos in self.elems.keys() {
            d.remove_delta(pos.clone());
        }
        d
    }

    pub fn newest(&self) -> Option<Tag> {
        self.elems.values().filter_map(|e| e.value.winning_tag().max(e.id.iter().max().copied())).max()
    }

    pub fn join(&mut self, my_seen: &dyn Seen, other: &Self, their_seen: &dyn Seen, full: bool) {
        if full {
            let empty = Elem { id: SmallVec::new(), value: Register::default() };
            self.elems.retain(|pos, e| {
                if !other.elems.contains_key(pos) {
                    join_elem(e, my_seen, &empty, their_seen);
                }
                e.is_live()
            });
        }
        for (pos, theirs) in &other.elems {
            match self.elems.get_mut(pos) {
                Some(mine) => {
                    join_elem(mine, my_seen, theirs, their_seen);
                    if !mine.is_live() {
                        self.elems.remove(pos);
                    }
                }
                None => {
                    let mut mine = Elem { id: SmallVec::new(), value: Register::default() };
                    join_elem(&mut mine, my_seen, theirs, their_seen);
                    if mine.is_live() {
                        self.elems.insert(pos.clone(), mine);
                    }
                }
            }
        }
    }

    pub fn for_each_tag_mut(&mut self, f: &mut dyn FnMut(&mut Tag)) {
        for e in self.elems.values_mut() {
            for t in e.id.iter_mut() {
                f(t);
            }
            e.value.for_each_tag_mut(f);
        }
    }

    /// Compacts only the elements `part` mentions: a write must not cost the whole list.
    pub fn compact_touched(&mut self, part: &List) {
        for pos in part.elems.keys() {
            if let Some(e) = self.elems.get_mut(pos) {
                e.value.compact();
            }
        }
    }

    pub fn compact(&mut self) {
        for e in self.elems.values_mut() {
            e.value.compact();
        }
    }

    pub fn unseen_by(&self, seen: &dyn Seen) -> Self {
        let elems = self
            .elems
            .iter()
            .filter_map(|(p, e)| {
                let fresh_value = e.value.unseen_by(seen);
                let fresh_id = e.id.iter().any(|t| !seen.seen(&t.dot));
                // An element travels with its identity, so a value can never arrive alone.
                (fresh_id || !fresh_value.is_empty()).then(|| (p.clone(), e.clone()))
            })
            .collect();
        List { elems }
    }
}

fn join_elem(mine: &mut Elem, my_seen: &dyn Seen, theirs: &Elem, their_seen: &dyn Seen) {
    join_atoms(&mut mine.id, my_seen, &theirs.id, their_seen);
    mine.value.join(my_seen, &theirs.value, their_seen);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crdt::dot::ActorId;

    fn me(region: u8, counter: u64) -> Tag {
        Tag { dot: Dot::new(ActorId(region as u64), counter), hlc: counter, region }
    }

    #[test]
    fn positions_fall_strictly_inside_their_gap() {
        let a = Pos::between(None, None, me(1, 1));
        let b = Pos::between(Some(&a), None, me(1, 2));
        let c = Pos::between(None, Some(&a), me(1, 3));
        let d = Pos::between(Some(&a), Some(&b), me(1, 4));
        assert!(c < a && a < d && d < b);
        // Squeeze the same gap until it must descend.
        let mut right = b.clone();
        for i in 0..200 {
            let p = Pos::between(Some(&a), Some(&right), me(1, 10 + i));
            assert!(a < p && p < right, "step {i}");
            right = p;
        }
    }

    #[test]
    fn the_smaller_region_goes_first_in_a_contested_gap() {
        let a = Pos::between(None, None, me(1, 1));
        let from_2 = Pos::between(Some(&a), None, me(2, 1));
        let from_1 = Pos::between(Some(&a), None, me(1, 2));
        let from_1_next = from_1.child(1, me(1, 2));
        assert!(from_1 < from_1_next && from_1_next < from_2);
    }

    /// Small deterministic generator (xorshift) so the randomised tests need no extra crate.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    fn check_run(all: &[Pos], at: usize, run: &[Pos]) {
        let left = at.checked_sub(1).map(|i| &all[i]);
        let right = all.get(at);
        for w in run.windows(2) {
            assert!(w[0] < w[1], "run out of order");
        }
        if let (Some(l), Some(first)) = (left, run.first()) {
            assert!(l < first, "run starts before its left neighbour: {l:?} {first:?}");
        }
        if let (Some(r), Some(last)) = (right, run.last()) {
            assert!(last < r, "run ends after its right neighbour: {last:?} {r:?}");
        }
    }

    #[test]
    fn runs_stay_inside_their_gap_under_random_inserts() {
        for seed in [1u64, 7, 42, 0x9e37_79b9_7f4a_7c15] {
            let mut rng = Rng(seed);
            let mut all: Vec<Pos> = Vec::new();
            for counter in 1..3000u64 {
                // Favour the ends (pushes) and the head's gap, which forces descents.
                let at = match rng.below(4) {
                    0 => 0,
                    1 => all.len(),
                    _ => rng.below(all.len() + 1),
                };
                let region = 1 + rng.below(3) as u8;
                let n = 1 + rng.below(4);
                let left = at.checked_sub(1).map(|i| &all[i]);
                let run = Pos::run(left, all.get(at), n, me(region, counter));
                check_run(&all, at, &run);
                all.splice(at..at, run);
            }
        }
    }

    #[test]
    fn many_pushes_at_one_end_keep_positions_short() {
        let mut head: Option<Pos> = None;
        let mut tail: Option<Pos> = None;
        for counter in 1..10_000u64 {
            let h = Pos::between(None, head.as_ref(), me(1, counter));
            assert!(head.as_ref().is_none_or(|old| h < *old));
            head = Some(h);
            let t = Pos::between(tail.as_ref(), None, me(2, counter));
            assert!(tail.as_ref().is_none_or(|old| *old < t));
            tail = Some(t);
        }
        assert!(head.is_some_and(|p| p.0.len() == 1) && tail.is_some_and(|p| p.0.len() == 1));
    }

    #[test]
    fn digits_at_the_edges_descend_instead_of_colliding() {
        let part = |digit, region| PosPart { digit, region, actor: region as u64, counter: 1 };
        let low = Pos(SmallVec::from_slice(&[part(0, 1)]));
        let high = Pos(SmallVec::from_slice(&[part(u64::MAX, 1)]));
        let tied_l = Pos(SmallVec::from_slice(&[part(5, 1)]));
        let tied_r = Pos(SmallVec::from_slice(&[part(5, 2)]));
        let adjacent = Pos(SmallVec::from_slice(&[part(6, 1)]));
        let before_low = Pos::between(None, Some(&low), me(3, 9));
        assert!(before_low < low);
        let after_high = Pos::between(Some(&high), None, me(3, 9));
        assert!(high < after_high);
        let tied = Pos::between(Some(&tied_l), Some(&tied_r), me(3, 9));
        assert!(tied_l < tied && tied < tied_r);
        let adj = Pos::between(Some(&tied_l), Some(&adjacent), me(3, 9));
        assert!(tied_l < adj && adj < adjacent);
        // Below a position that already sits under a zero digit.
        let deeper = Pos::between(None, Some(&before_low), me(3, 10));
        assert!(deeper < before_low);
        let between_zero = Pos::between(Some(&deeper), Some(&before_low), me(3, 11));
        assert!(deeper < between_zero && between_zero < before_low);
    }

    #[test]
    fn concurrent_runs_into_one_gap_keep_region_order_and_command_order() {
        let a = Pos::between(None, None, me(1, 1));
        let b = Pos::between(Some(&a), None, me(1, 2));
        let from_2 = Pos::run(Some(&a), Some(&b), 3, me(2, 5));
        let from_1 = Pos::run(Some(&a), Some(&b), 3, me(1, 9));
        let mut all = vec![a.clone(), b.clone()];
        all.extend(from_2.iter().cloned());
        all.extend(from_1.iter().cloned());
        all.sort();
        let expected: Vec<Pos> = [vec![a], from_1, from_2, vec![b]].concat();
        assert_eq!(all, expected);
    }

    #[test]
    fn neighbours_and_nth_walk_the_order() {
        let mut list = List::default();
        let elems = ["a", "b", "c"].iter().zip(1..).map(|(v, c)| (me(1, c), Bytes::from(v.as_bytes()))).collect();
        list.insert_delta(None, None, elems);
        let values: Vec<&[u8]> = list.iter().map(|(_, e)| e.get()).collect();
        assert_eq!(values, [&b"a"[..], b"b", b"c"]);
        let (pb, eb) = list.nth(1).expect("three elements");
        assert_eq!(eb.get(), b"b");
        assert_eq!(list.before(pb).and_then(|p| list.get(p)).map(Elem::get), Some(&b"a"[..]));
        assert_eq!(list.after(pb).and_then(|p| list.get(p)).map(Elem::get), Some(&b"c"[..]));
        assert_eq!(list.nth(2).map(|(_, e)| e.get()), Some(&b"c"[..]));
        assert!(list.nth(3).is_none());
        let (first, _) = list.first().expect("non-empty");
        assert!(list.before(first).is_none());
    }
}
