//! LWW register as a multi-value dot store: concurrent writes are all kept, the greatest
//! tag is what reads see. A write removes every atom it observed.

use smallvec::SmallVec;

use super::atoms::{Atom, join_atoms, keep_winner, winner};
use super::dot::Dot;
use super::seen::Seen;
use super::tag::Tag;

/// A value a register can hold. Cloning an atom *detaches* its value: a stored `Bytes`
/// must not share its buffer with the delta it came from, or every stored value would carry
/// a shared-buffer header and keep the delta's allocation alive.
pub trait Value: Clone {
    fn detached(&self) -> Self {
        self.clone()
    }
}

impl Value for bytes::Bytes {
    fn detached(&self) -> Self {
        bytes::Bytes::copy_from_slice(self)
    }
}

impl Value for f64 {}

#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RegAtom<T> {
    pub tag: Tag,
    pub value: T,
}

impl<T: Value> Clone for RegAtom<T> {
    fn clone(&self) -> Self {
        RegAtom { tag: self.tag, value: self.value.detached() }
    }
}

impl<T: Value> Atom for RegAtom<T> {
    fn tag(&self) -> &Tag {
        &self.tag
    }
}

#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Register<T> {
    atoms: SmallVec<[RegAtom<T>; 1]>,
}

impl<T: Value> Clone for Register<T> {
    fn clone(&self) -> Self {
        Register { atoms: self.atoms.clone() }
    }
}

impl<T> Default for Register<T> {
    fn default() -> Self {
        Register { atoms: SmallVec::new() }
    }
}

impl<T: Value> Register<T> {
    /// A register holding one freshly written value (the delta of a write).
    pub fn with(tag: Tag, value: T) -> Self {
        let mut atoms = SmallVec::new();
        atoms.push(RegAtom { tag, value });
        Register { atoms }
    }

    pub fn get(&self) -> Option<&T> {
        winner(&self.atoms).map(|a| &a.value)
    }

    pub fn winning_tag(&self) -> Option<Tag> {
        winner(&self.atoms).map(|a| a.tag)
    }

    pub fn is_empty(&self) -> bool {
        self.atoms.is_empty()
    }

    pub fn atoms(&self) -> &[RegAtom<T>] {
        &self.atoms
    }

    /// Dots a write or removal of this register must cover.
    pub fn observed(&self, out: &mut Vec<Dot>) {
        out.extend(self.atoms.iter().map(|a| a.tag.dot));
    }

    pub fn join(&mut self, my_seen: &dyn Seen, other: &Self, their_seen: &dyn Seen) {
        join_atoms(&mut self.atoms, my_seen, &other.atoms, their_seen);
    }

    /// Once every replica has seen every atom, only the winner can ever be read again.
    pub fn compact(&mut self) {
        keep_winner(&mut self.atoms);
    }

    /// Every atom's tag, for giving each atom of a fresh delta its own dot.
    pub fn for_each_tag_mut(&mut self, f: &mut dyn FnMut(&mut Tag)) {
        for a in self.atoms.iter_mut() {
            f(&mut a.tag);
        }
    }

    /// Atoms whose dots `seen` lacks: what a replica with that context is missing.
    pub fn unseen_by(&self, seen: &dyn Seen) -> Self {
        Register { atoms: self.atoms.iter().filter(|a| !seen.seen(&a.tag.dot)).cloned().collect() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crdt::dot::ActorId;
    use crate::crdt::seen::DotList;

    impl Value for &'static str {}

    fn tag(actor: u64, counter: u64, hlc: u64) -> Tag {
        Tag { dot: Dot::new(ActorId(actor), counter), hlc, region: actor as u8 }
    }

    #[test]
    fn concurrent_writes_keep_both_and_read_the_later() {
        let a = Register::with(tag(1, 1, 10), "a");
        let b = Register::with(tag(2, 1, 20), "b");
        let mut ctx_a = DotList::new();
        ctx_a.push(tag(1, 1, 10).dot);
        let mut ctx_b = DotList::new();
        ctx_b.push(tag(2, 1, 20).dot);
        let mut merged = a.clone();
        merged.join(&ctx_a, &b, &ctx_b);
        assert_eq!(merged.get(), Some(&"b"));
        assert_eq!(merged.atoms().len(), 2);
    }

    #[test]
    fn a_write_that_saw_the_old_value_replaces_it() {
        let old = Register::with(tag(1, 1, 10), "old");
        let mut seen_old = DotList::new();
        seen_old.push(tag(1, 1, 10).dot);
        let new = Register::with(tag(2, 1, 5), "new");
        let mut delta_ctx = DotList::new();
        delta_ctx.extend([tag(1, 1, 10).dot, tag(2, 1, 5).dot]);
        let mut merged = old.clone();
        merged.join(&seen_old, &new, &delta_ctx);
        assert_eq!(merged.get(), Some(&"new"));
        assert_eq!(merged.atoms().len(), 1);
    }
}
