//! Observed-remove set, add wins (SEMANTICS.md §5). Each member keeps the tags of the adds
//! that made it; a removal takes away the tags it saw.

use bytes::Bytes;
use hashbrown::HashMap;
use smallvec::SmallVec;

use super::atoms::join_atoms;
use super::dot::Dot;
use super::seen::Seen;
use super::tag::Tag;

pub type Adds = SmallVec<[Tag; 1]>;

#[derive(Clone, Debug, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct OrSet {
    members: HashMap<Bytes, Adds>,
}

impl OrSet {
    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        self.members.contains_key(member)
    }

    pub fn members(&self) -> impl Iterator<Item = &Bytes> {
        self.members.keys()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Bytes, &Adds)> {
        self.members.iter()
    }

    pub fn adds(&self, member: &[u8]) -> Option<&Adds> {
        self.members.get(member)
    }

    /// Delta part: `member` added with `tag`. The caller adds the member's observed tags to
    /// the context, so an add also compacts earlier adds of the same member.
    pub fn insert_delta(&mut self, member: Bytes, tag: Tag) {
        let mut adds = Adds::new();
        adds.push(tag);
        self.members.insert(member, adds);
    }

    /// Delta part: `member` touched with no surviving add (a removal).
    pub fn remove_delta(&mut self, member: Bytes) {
        self.members.insert(member, Adds::new());
    }

    pub fn observed_member(&self, member: &[u8], out: &mut Vec<Dot>) {
        if let Some(adds) = self.members.get(member) {
            out.extend(adds.iter().map(|t| t.dot));
        }
    }

    pub fn observed(&self, out: &mut Vec<Dot>) {
        for adds in self.members.values() {
            out.extend(adds.iter().map(|t| t.dot));
        }
    }

    pub fn newest(&self) -> Option<Tag> {
        self.members.values().flat_map(|a| a.iter()).max().copied()
    }

    /// Joins `other`; with `full`, members absent from `other` are checked against its
    /// context too (a whole-state join), otherwise only the members `other` mentions.
    pub fn join(&mut self, my_seen: &dyn Seen, other: &Self, their_seen: &dyn Seen, full: bool) {
        if full {
            self.members.retain(|m, adds| {
                if !other.members.contains_key(m) {
                    adds.retain(|t| !their_seen.seen(&t.dot));
                }
                !adds.is_empty()
            });
        }
        for (member, theirs) in &other.members {
            match self.members.get_mut(member) {
                Some(mine) => {
                    join_atoms(mine, my_seen, theirs, their_seen);
                    if mine.is_empty() {
                        self.members.remove(member);
                    }
                }
                None => {
                    let mut mine = Adds::new();
                    join_atoms(&mut mine, my_seen, theirs, their_seen);
                    if !mine.is_empty() {
                        self.members.insert(member.clone(), mine);
                    }
                }
            }
        }
    }

    /// Compacts only the members `part` mentions.
    pub fn compact_touched(&mut self, part: &OrSet) {
        for m in part.members.keys() {
            if let Some(adds) = self.members.get_mut(m) {
                if adds.len() > 1 {
                    if let Some(best) = adds.iter().max().copied() {
                        adds.clear();
                        adds.push(best);
                    }
                }
            }
        }
    }

    pub fn compact(&mut self) {
        for adds in self.members.values_mut() {
            if adds.len() > 1 {
                if let Some(best) = adds.iter().max().copied() {
                    adds.clear();
                    adds.push(best);
                }
            }
        }
    }

    pub fn for_each_tag_mut(&mut self, f: &mut dyn FnMut(&mut Tag)) {
        for adds in self.members.values_mut() {
            for t in adds.iter_mut() {
                f(t);
            }
        }
    }

    pub fn unseen_by(&self, seen: &dyn Seen) -> Self {
        let members = self
            .members
            .iter()
            .filter_map(|(m, adds)| {
                let fresh: Adds = adds.iter().filter(|t| !seen.seen(&t.dot)).copied().collect();
                (!fresh.is_empty()).then(|| (m.clone(), fresh))
            })
            .collect();
        OrSet { members }
    }

    pub fn sorted(&self) -> Vec<(&Bytes, &Adds)> {
        let mut v: Vec<_> = self.members.iter().collect();
        v.sort_by(|a, b| a.0.cmp(b.0));
        v
    }
}
