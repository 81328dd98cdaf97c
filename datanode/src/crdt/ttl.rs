//! Key expiry as a multi-value register of deadlines (SEMANTICS.md §10): causally later TTL
//! writes replace earlier ones; among concurrent ones "no expiry" beats every deadline and
//! otherwise the later deadline wins. The region whose deadline won owns the expiry.

use smallvec::SmallVec;

use super::atoms::{Atom, join_atoms};
use super::dot::Dot;
use super::seen::Seen;
use super::tag::Tag;

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TtlAtom {
    pub tag: Tag,
    /// Absolute deadline in Unix milliseconds; `None` is an explicit "no expiry".
    pub deadline: Option<u64>,
}

impl Atom for TtlAtom {
    fn tag(&self) -> &Tag {
        &self.tag
    }
}

type Atoms = SmallVec<[TtlAtom; 1]>;

/// Boxed and optional: most keys never get a TTL, and this keeps theirs at one pointer.
#[derive(Clone, Debug, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Ttl {
    atoms: Option<Box<Atoms>>,
}

impl Ttl {
    pub fn with(tag: Tag, deadline: Option<u64>) -> Self {
        let mut atoms = Atoms::new();
        atoms.push(TtlAtom { tag, deadline });
        Ttl { atoms: Some(Box::new(atoms)) }
    }

    fn from_atoms(atoms: Atoms) -> Self {
        Ttl { atoms: (!atoms.is_empty()).then(|| Box::new(atoms)) }
    }

    pub fn is_empty(&self) -> bool {
        self.atoms().is_empty()
    }

    pub fn atoms(&self) -> &[TtlAtom] {
        self.atoms.as_deref().map_or(&[], |a| a.as_slice())
    }

    /// The winning deadline and the region that owns it, if the key expires at all.
    pub fn deadline(&self) -> Option<(u64, u8)> {
        let mut best: Option<(u64, u8)> = None;
        for atom in self.atoms() {
            let deadline = atom.deadline?;
            best = match best {
                Some((d, r)) if d > deadline || (d == deadline && r <= atom.tag.region) => Some((d, r)),
                _ => Some((deadline, atom.tag.region)),
            };
        }
        best
    }

    pub fn observed(&self, out: &mut Vec<Dot>) {
        out.extend(self.atoms().iter().map(|a| a.tag.dot));
    }

    pub fn join(&mut self, my_seen: &dyn Seen, other: &Self, their_seen: &dyn Seen) {
        if self.is_empty() && other.is_empty() {
            return;
        }
        let atoms = self.atoms.get_or_insert_with(Box::default);
        join_atoms(atoms, my_seen, other.atoms(), their_seen);
        if atoms.is_empty() {
            self.atoms = None;
        }
    }

    /// Once every replica has seen all atoms, only the resolved outcome matters.
    pub fn compact(&mut self) {
        match self.deadline() {
            None => self.atoms = None,
            Some((deadline, region)) => {
                if let Some(keep) =
                    self.atoms().iter().find(|a| a.deadline == Some(deadline) && a.tag.region == region).cloned()
                {
                    *self = Ttl::with(keep.tag, keep.deadline);
                }
            }
        }
    }

    pub fn for_each_tag_mut(&mut self, f: &mut dyn FnMut(&mut Tag)) {
        if let Some(atoms) = self.atoms.as_mut() {
            for a in atoms.iter_mut() {
                f(&mut a.tag);
            }
        }
    }

    pub fn unseen_by(&self, seen: &dyn Seen) -> Self {
        Ttl::from_atoms(self.atoms().iter().filter(|a| !seen.seen(&a.tag.dot)).cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crdt::dot::ActorId;
    use crate::crdt::seen::DotList;

    fn tag(actor: u64) -> Tag {
        Tag { dot: Dot::new(ActorId(actor), 1), hlc: 1, region: actor as u8 }
    }

    fn ctx(actor: u64) -> DotList {
        let mut l = DotList::new();
        l.push(tag(actor).dot);
        l
    }

    #[test]
    fn no_expiry_beats_a_concurrent_deadline() {
        let mut a = Ttl::with(tag(1), Some(100));
        a.join(&ctx(1), &Ttl::with(tag(2), None), &ctx(2));
        assert_eq!(a.deadline(), None);
    }

    #[test]
    fn the_later_of_two_concurrent_deadlines_wins_and_owns() {
        let mut a = Ttl::with(tag(1), Some(100));
        a.join(&ctx(1), &Ttl::with(tag(2), Some(200)), &ctx(2));
        assert_eq!(a.deadline(), Some((200, 2)));
    }
}
