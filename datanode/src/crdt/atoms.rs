//! The dot-store join shared by every type: a set of atoms, each identified by the dot of
//! the write that made it. An atom present on one side survives unless the other side has
//! seen its dot without keeping it (it was removed there).

use smallvec::SmallVec;

use super::dot::Dot;
use super::seen::Seen;
use super::tag::Tag;

pub trait Atom: Clone {
    fn tag(&self) -> &Tag;
    fn dot(&self) -> &Dot {
        &self.tag().dot
    }
}

impl Atom for Tag {
    fn tag(&self) -> &Tag {
        self
    }
}

/// Joins `theirs` (with its context) into `mine` (with its context), in place.
pub fn join_atoms<V: smallvec::Array>(
    mine: &mut SmallVec<V>,
    my_seen: &dyn Seen,
    theirs: &[V::Item],
    their_seen: &dyn Seen,
) where
    V::Item: Atom,
{
    mine.retain(|a| {
        let dot = a.dot();
        theirs.iter().any(|b| b.dot() == dot) || !their_seen.seen(dot)
    });
    for b in theirs {
        let dot = b.dot();
        if !my_seen.seen(dot) && !mine.iter().any(|a| a.dot() == dot) {
            mine.push(b.clone());
        }
    }
    // A canonical order makes equal states compare and digest equal.
    mine.sort_unstable_by(|a, b| a.tag().cmp(b.tag()));
}

/// The winning atom under LWW (the greatest tag).
pub fn winner<A: Atom>(atoms: &[A]) -> Option<&A> {
    atoms.iter().max_by(|a, b| a.tag().cmp(b.tag()))
}

/// Keeps only the LWW winner: once every replica has seen all atoms, the losers can never
/// matter again.
pub fn keep_winner<V: smallvec::Array>(atoms: &mut SmallVec<V>)
where
    V::Item: Atom,
{
    if atoms.len() > 1 {
        if let Some(best) = winner(atoms).cloned() {
            atoms.clear();
            atoms.push(best);
        }
    }
}
