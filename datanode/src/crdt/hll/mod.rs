//! HyperLogLog values (SEMANTICS.md §7): registers that merge by max across regions, and a
//! delete that wins over everything concurrent with it.
//!
//! Each write (PFADD, PFMERGE, a SET of an HLL value, PFCOUNT refreshing the cache) stores
//! a whole sketch in Redis's byte format as one atom and removes the atoms it observed, so
//! concurrent writes leave one atom per writer and a reader takes their register-wise max.
//! A write computes its sketch from that max, so removing what it observed loses nothing.
//!
//! A DEL leaves a tombstone atom. While a tombstone is present the value reads as absent,
//! whatever atoms arrive with it: an add concurrent with the DEL never saw the tombstone and
//! so cannot remove it. An add made after seeing the DEL observes the tombstone and removes
//! it, so the key lives again with only what came after the DEL.

pub mod murmur;
pub mod sketch;

use bytes::Bytes;
use smallvec::SmallVec;

use super::atoms::join_atoms;
use super::dot::Dot;
use super::register::Register;
use super::seen::Seen;
use super::tag::Tag;

#[derive(Clone, Debug, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Hll {
    /// One sketch per concurrent writer; the value is their register-wise max.
    adds: Register<Bytes>,
    /// Deletions not yet superseded by a later write: while any is here, nothing reads.
    dels: SmallVec<[Tag; 1]>,
}

/// The tag a removal delta's tombstone carries until the shard commits it and gives it the
/// removal's own dot (no real dot has counter 0).
pub const UNSTAMPED: Tag = Tag { dot: Dot { actor: super::dot::ActorId(0), counter: 0 }, hlc: 0, region: 0 };

impl Hll {
    /// The delta of a write of `sketch` (the caller observes `self.observed()`).
    pub fn write_delta(tag: Tag, sketch: Bytes) -> Self {
        Hll { adds: Register::with(tag, sketch), dels: SmallVec::new() }
    }

    /// The delta of a removal (the caller observes `self.observed()`). It carries a
    /// tombstone, stamped when committed, if there was a sketch here for a concurrent add
    /// to join: an empty key needs none, and never keeps one forever.
    pub fn remove_delta(&self) -> Self {
        let mut dels = SmallVec::new();
        if !self.adds.is_empty() {
            dels.push(UNSTAMPED);
        }
        Hll { adds: Register::default(), dels }
    }

    pub fn is_live(&self) -> bool {
        self.dels.is_empty() && !self.adds.is_empty()
    }

    pub fn is_void(&self) -> bool {
        self.dels.is_empty() && self.adds.is_empty()
    }

    /// The sketch a reader sees: the only atom's bytes, or, with concurrent atoms, the
    /// newest one's with the others merged in as PFMERGE would (every replica holds the same
    /// atoms in the same order, so every replica reads the same bytes).
    pub fn value(&self) -> Option<Bytes> {
        if !self.dels.is_empty() {
            return None;
        }
        match self.adds.atoms() {
            [] => None,
            [only] => Some(only.value.clone()),
            atoms => {
                let newest = self.adds.get()?;
                let mut max = sketch::zeroed_registers();
                let mut dense = false;
                for a in atoms {
                    // A corrupt sketch (a SET of a damaged value) adds nothing.
                    if sketch::merge_registers(&a.value, &mut max).is_ok() {
                        dense |= sketch::is_dense(&a.value);
                    }
                }
                let mut out = newest.to_vec();
                match sketch::write_registers(&mut out, &max, dense) {
                    Ok(()) => Some(Bytes::from(out)),
                    Err(sketch::Corrupt) => Some(newest.clone()),
                }
            }
        }
    }

    pub fn newest(&self) -> Option<Tag> {
        self.adds.winning_tag().max(self.dels.iter().max().copied())
    }

    /// Dots a write or removal of this value must cover: every sketch and tombstone.
    pub fn observed(&self, out: &mut Vec<Dot>) {
        self.adds.observed(out);
        out.extend(self.dels.iter().map(|t| t.dot));
    }

    pub fn join(&mut self, my_seen: &dyn Seen, other: &Self, their_seen: &dyn Seen) {
        self.adds.join(my_seen, &other.adds, their_seen);
        join_atoms(&mut self.dels, my_seen, &other.dels, their_seen);
    }

    /// With no other replica (nothing concurrent can arrive), a tombstone has done its work
    /// and takes everything with it.
    pub fn compact(&mut self) {
        if !self.dels.is_empty() {
            *self = Hll::default();
        }
    }

    pub fn for_each_tag_mut(&mut self, f: &mut dyn FnMut(&mut Tag)) {
        self.adds.for_each_tag_mut(f);
        for t in self.dels.iter_mut() {
            f(t);
        }
    }

    pub fn unseen_by(&self, seen: &dyn Seen) -> Self {
        Hll {
            adds: self.adds.unseen_by(seen),
            dels: self.dels.iter().filter(|t| !seen.seen(&t.dot)).copied().collect(),
        }
    }

    /// The atoms, for the digest: sketches in canonical order, then tombstones.
    pub fn atoms(&self) -> (&[super::register::RegAtom<Bytes>], &[Tag]) {
        (self.adds.atoms(), &self.dels)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::crdt::dot::ActorId;
    use crate::crdt::seen::DotList;

    /// One replica of a single HLL value: its state and everything it has seen.
    #[derive(Clone, Debug)]
    struct Replica {
        state: Hll,
        seen: DotList,
        actor: u64,
        counter: u64,
        hlc: u64,
    }

    #[derive(Clone, Debug)]
    enum Op {
        Add(usize, Vec<u8>),
        Del(usize),
        /// Replica a receives replica b's whole state.
        Sync(usize, usize),
    }

    impl Replica {
        fn new(actor: u64) -> Self {
            Replica { state: Hll::default(), seen: DotList::new(), actor, counter: 0, hlc: actor }
        }
        fn tag(&mut self) -> Tag {
            self.counter += 1;
            self.hlc += 10;
            Tag { dot: Dot::new(ActorId(self.actor), self.counter), hlc: self.hlc, region: self.actor as u8 }
        }
        fn apply(&mut self, delta: &Hll, dots: &DotList) {
            let mine = self.seen.clone();
            self.state.join(&mine, delta, dots);
            self.seen.extend(dots.iter().copied());
        }
        fn add(&mut self, element: &[u8]) {
            let mut sketch = self.state.value().map(|b| b.to_vec()).unwrap_or_else(sketch::empty);
            sketch::add(&mut sketch, element).expect("valid");
            let tag = self.tag();
            let mut dots = Vec::new();
            self.state.observed(&mut dots);
            dots.push(tag.dot);
            self.apply(&Hll::write_delta(tag, Bytes::from(sketch)), &DotList::from(dots));
        }
        fn del(&mut self) {
            let mut d = self.state.remove_delta();
            let tag = self.tag();
            d.for_each_tag_mut(&mut |t| *t = tag);
            let mut dots = Vec::new();
            self.state.observed(&mut dots);
            dots.push(tag.dot);
            self.apply(&d, &DotList::from(dots));
        }
        fn sync_from(&mut self, other: &Replica) {
            let mine = self.seen.clone();
            self.state.join(&mine, &other.state, &other.seen);
            self.seen.extend(other.seen.iter().copied());
        }
    }

    fn run(ops: &[Op]) -> Vec<Replica> {
        let mut rs: Vec<Replica> = (1..=3).map(Replica::new).collect();
        for op in ops {
            match op {
                Op::Add(r, e) => rs[*r].add(e),
                Op::Del(r) => rs[*r].del(),
                Op::Sync(a, b) if a != b => {
                    let from = rs[*b].clone();
                    rs[*a].sync_from(&from);
                }
                Op::Sync(..) => {}
            }
        }
        rs
    }

    fn joined(a: &Replica, b: &Replica) -> Hll {
        let mut s = a.state.clone();
        s.join(&a.seen, &b.state, &b.seen);
        s
    }

    fn ops() -> impl Strategy<Value = Vec<Op>> {
        let op = prop_oneof![
            4 => (0usize..3, proptest::collection::vec(any::<u8>(), 0..3)).prop_map(|(r, e)| Op::Add(r, e)),
            1 => (0usize..3).prop_map(Op::Del),
            2 => (0usize..3, 0usize..3).prop_map(|(a, b)| Op::Sync(a, b)),
        ];
        proptest::collection::vec(op, 0..30)
    }

    fn union_seen(a: &Replica, b: &Replica) -> DotList {
        let mut s = a.seen.clone();
        s.extend(b.seen.iter().copied());
        s
    }

    proptest! {
        #[test]
        fn join_is_commutative(ops in ops()) {
            let rs = run(&ops);
            prop_assert_eq!(joined(&rs[0], &rs[1]), joined(&rs[1], &rs[0]));
        }

        #[test]
        fn join_is_associative(ops in ops()) {
            let rs = run(&ops);
            let ab = Replica { state: joined(&rs[0], &rs[1]), seen: union_seen(&rs[0], &rs[1]), ..rs[0].clone() };
            let bc = Replica { state: joined(&rs[1], &rs[2]), seen: union_seen(&rs[1], &rs[2]), ..rs[1].clone() };
            prop_assert_eq!(joined(&ab, &rs[2]), joined(&rs[0], &bc));
        }

        #[test]
        fn join_is_idempotent(ops in ops()) {
            let rs = run(&ops);
            prop_assert_eq!(joined(&rs[0], &rs[0]), rs[0].state.clone());
        }

        /// Without deletes, the value is the union: every element added anywhere counts.
        #[test]
        fn the_join_of_adds_is_their_union(items in proptest::collection::vec((0usize..3, any::<u16>()), 1..40)) {
            let ops: Vec<Op> = items.iter().map(|(r, e)| Op::Add(*r, e.to_le_bytes().to_vec())).collect();
            let rs = run(&ops);
            let mut all = rs[0].clone();
            all.sync_from(&rs[1]);
            all.sync_from(&rs[2]);
            let mut want = sketch::empty();
            for (_, e) in &items {
                sketch::add(&mut want, &e.to_le_bytes()).expect("valid");
            }
            let got = all.state.value().expect("live");
            prop_assert_eq!(sketch::count(&got), sketch::count(&want));
            let (mut a, mut b) = (sketch::zeroed_registers(), sketch::zeroed_registers());
            sketch::merge_registers(&got, &mut a).expect("valid");
            sketch::merge_registers(&want, &mut b).expect("valid");
            prop_assert_eq!(a, b);
        }
    }

    #[test]
    fn delete_wins_over_a_concurrent_add() {
        let mut rs = run(&[Op::Add(0, b"x".to_vec()), Op::Sync(1, 0)]);
        rs[0].del();
        rs[1].add(b"y");
        let (a, b) = (rs[0].clone(), rs[1].clone());
        rs[0].sync_from(&b);
        rs[1].sync_from(&a);
        assert_eq!(rs[0].state, rs[1].state);
        assert_eq!(rs[0].state.value(), None);
        assert!(!rs[0].state.is_live());
        // An add made after seeing the delete brings the key back with only itself.
        rs[1].add(b"z");
        let b = rs[1].clone();
        rs[0].sync_from(&b);
        let v = rs[0].state.value().expect("live again");
        assert_eq!(sketch::count(&v), Ok(1));
    }
}
