//! Observed-remove map of fields to cells (hashes, SEMANTICS.md §4): HSET writes a field's
//! register, HINCRBY its counter, HDEL removes what it saw, and an update wins over a
//! concurrent removal.

use bytes::Bytes;
use hashbrown::HashMap;

use super::cell::Cell;
use super::dot::Dot;
use super::register::Value;
use super::seen::Seen;
use super::tag::Tag;

#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OrMap<T> {
    fields: HashMap<Bytes, Cell<T>>,
}

impl<T: Value> Clone for OrMap<T> {
    fn clone(&self) -> Self {
        OrMap { fields: self.fields.clone() }
    }
}

impl<T> Default for OrMap<T> {
    fn default() -> Self {
        OrMap { fields: HashMap::new() }
    }
}

impl<T: Value> OrMap<T> {
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    pub fn get(&self, field: &[u8]) -> Option<&Cell<T>> {
        self.fields.get(field)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Bytes, &Cell<T>)> {
        self.fields.iter()
    }

    /// Puts a delta cell for `field` into this (delta) map.
    pub fn put_delta(&mut self, field: Bytes, cell: Cell<T>) {
        self.fields.insert(field, cell);
    }

    pub fn observed(&self, out: &mut Vec<Dot>) {
        for cell in self.fields.values() {
            cell.observed(out);
        }
    }

    /// The delta of removing every field.
    pub fn remove_all_delta(&self) -> Self {
        OrMap { fields: self.fields.iter().map(|(f, c)| (f.clone(), c.remove_delta())).collect() }
    }

    pub fn newest(&self) -> Option<Tag> {
        self.fields.values().filter_map(Cell::newest).max()
    }

    pub fn join(&mut self, my_seen: &dyn Seen, other: &Self, their_seen: &dyn Seen, full: bool) {
        if full {
            let empty = Cell::default();
            self.fields.retain(|f, cell| {
                if !other.fields.contains_key(f) {
                    cell.join(my_seen, &empty, their_seen);
                }
                !cell.is_void()
            });
        }
        for (field, theirs) in &other.fields {
            match self.fields.get_mut(field) {
                Some(mine) => {
                    mine.join(my_seen, theirs, their_seen);
                    if mine.is_void() {
                        self.fields.remove(field);
                    }
                }
                None => {
                    let mut mine = Cell::default();
                    mine.join(my_seen, theirs, their_seen);
                    if !mine.is_void() {
                        self.fields.insert(field.clone(), mine);
                    }
                }
            }
        }
    }

    /// Number of fields a reader sees (a field kept only for reset bookkeeping is hidden).
    pub fn live_len(&self) -> usize {
        self.fields.values().filter(|c| c.is_live()).count()
    }

    /// Compacts only the fields `part` mentions.
    pub fn compact_touched(&mut self, part: &OrMap<T>) {
        for f in part.fields.keys() {
            if let Some(cell) = self.fields.get_mut(f) {
                cell.compact();
                if cell.is_void() {
                    self.fields.remove(f);
                }
            }
        }
    }

    pub fn compact(&mut self) {
        self.fields.retain(|_, cell| {
            cell.compact();
            !cell.is_void()
        });
    }

    pub fn for_each_tag_mut(&mut self, f: &mut dyn FnMut(&mut Tag)) {
        for cell in self.fields.values_mut() {
            cell.for_each_tag_mut(f);
        }
    }

    pub fn unseen_by(&self, seen: &dyn Seen) -> Self {
        let fields = self
            .fields
            .iter()
            .filter_map(|(f, c)| {
                let fresh = c.unseen_by(seen);
                (!fresh.is_void()).then(|| (f.clone(), fresh))
            })
            .collect();
        OrMap { fields }
    }

    pub fn sorted(&self) -> Vec<(&Bytes, &Cell<T>)> {
        let mut v: Vec<_> = self.fields.iter().collect();
        v.sort_by(|a, b| a.0.cmp(b.0));
        v
    }
}
