//! The keyspace: entries by hash slot, the count of visible keys, and the expiry index.

pub mod delta;
pub mod digest;
pub mod entry;
pub mod slot;

use std::collections::BTreeSet;

use bytes::Bytes;
use hashbrown::HashMap;

use entry::Entry;
pub use slot::{SLOTS, SlotRange, slot_of};

/// A key as stored: up to 16 bytes inline in the table bucket (no pointer to chase when a
/// probe compares keys), longer keys on the heap.
pub type StoredKey = smallvec::SmallVec<[u8; 16]>;

/// Consecutive slots share one table: a group of slots can still be listed, moved or
/// dropped on its own, and the table headers (one per group) stay small enough to sit in
/// cache — with one table per slot, finding the header was itself a cache miss per lookup.
pub const SLOTS_PER_GROUP: usize = 16;
pub const GROUPS: usize = SLOTS / SLOTS_PER_GROUP;

fn group_of(key: &[u8]) -> usize {
    slot_of(key) as usize / SLOTS_PER_GROUP
}

/// Tables by slot group. Entries are boxed and short keys inline, so a bucket is 32 bytes:
/// tables run half empty after each power-of-two growth, and big buckets would double what
/// that costs.
pub struct Keyspace {
    slots: Vec<HashMap<StoredKey, Box<Entry>>>,
    visible: usize,
    /// (deadline ms, key) for every key with a deadline, earliest first.
    expires: BTreeSet<(u64, Bytes)>,
}

impl Default for Keyspace {
    fn default() -> Self {
        Self::new()
    }
}

impl Keyspace {
    pub fn new() -> Self {
        Keyspace { slots: (0..GROUPS).map(|_| HashMap::new()).collect(), visible: 0, expires: BTreeSet::new() }
    }

    pub fn get(&self, key: &[u8]) -> Option<&Entry> {
        self.slots[group_of(key)].get(key).map(|e| &**e)
    }

    /// Keys a reader can see (expired keys not yet removed included, as Redis's DBSIZE).
    pub fn visible_len(&self) -> usize {
        self.visible
    }

    /// Applies `f` to the entry of `key` (created empty if absent), keeping the visible
    /// count and the expiry index in step, and dropping the entry if it ends void.
    pub fn update<R>(&mut self, key: &Bytes, f: impl FnOnce(&mut Entry) -> R) -> R {
        let map = &mut self.slots[group_of(key)];
        let (was_visible, old_deadline, r, now_visible, new_deadline, void) = match map.get_mut(&key[..]) {
            Some(entry) => {
                let was = entry.is_visible();
                let old = entry.ttl.deadline().map(|(d, _)| d);
                let r = f(entry);
                (was, old, r, entry.is_visible(), entry.ttl.deadline().map(|(d, _)| d), entry.is_void())
            }
            None => {
                let mut entry = Box::<Entry>::default();
                let r = f(&mut entry);
                let (vis, dl, void) = (entry.is_visible(), entry.ttl.deadline().map(|(d, _)| d), entry.is_void());
                if !void {
                    map.insert(StoredKey::from_slice(key), entry);
                }
                (false, None, r, vis, dl, void)
            }
        };
        if void {
            map.remove(&key[..]);
        }
        match (was_visible, now_visible && !void) {
            (false, true) => self.visible += 1,
            (true, false) => self.visible -= 1,
            _ => {}
        }
        if old_deadline != new_deadline || void {
            if let Some(d) = old_deadline {
                self.expires.remove(&(d, key.clone()));
            }
            if let (Some(d), false) = (new_deadline, void) {
                self.expires.insert((d, key.clone()));
            }
        }
        r
    }

    /// Keys whose deadline is at or before `now`, earliest first, at most `limit`.
    pub fn due(&self, now: u64, limit: usize) -> Vec<Bytes> {
        self.expires.iter().take_while(|(d, _)| *d <= now).take(limit).map(|(_, k)| k.clone()).collect()
    }

    pub fn expires_len(&self) -> usize {
        self.expires.len()
    }

    /// The entries of one slot group (slots `g * SLOTS_PER_GROUP ..` onwards).
    pub fn group(&self, g: usize) -> impl Iterator<Item = (&[u8], &Entry)> {
        self.slots.get(g).into_iter().flat_map(|m| m.iter().map(|(k, e)| (&k[..], &**e)))
    }

    /// The entries of one slot.
    pub fn slot(&self, slot: u16) -> impl Iterator<Item = (&[u8], &Entry)> {
        self.group(slot as usize / SLOTS_PER_GROUP).filter(move |(k, _)| slot_of(k) == slot)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &Entry)> {
        self.slots.iter().flat_map(|m| m.iter().map(|(k, e)| (&k[..], &**e)))
    }

    /// Every stored key (visible or not).
    pub fn keys(&self) -> Vec<Bytes> {
        self.iter().map(|(k, _)| Bytes::copy_from_slice(k)).collect()
    }

    pub fn clear(&mut self) {
        for m in &mut self.slots {
            *m = HashMap::new();
        }
        self.visible = 0;
        self.expires.clear();
    }

    /// A key chosen at random among the visible ones, `pick` drawing indexes.
    pub fn random_key(&self, mut pick: impl FnMut(usize) -> usize) -> Option<Bytes> {
        if self.visible == 0 {
            return None;
        }
        // Probe random slots first (cheap); fall back to a full walk on sparse keyspaces.
        for _ in 0..64 {
            let map = &self.slots[pick(GROUPS)];
            if map.is_empty() {
                continue;
            }
            let live: Vec<&[u8]> = map.iter().filter(|(_, e)| e.is_visible()).map(|(k, _)| &k[..]).collect();
            if !live.is_empty() {
                return Some(Bytes::copy_from_slice(live[pick(live.len())]));
            }
        }
        let live: Vec<&[u8]> = self.iter().filter(|(_, e)| e.is_visible()).map(|(k, _)| k).collect();
        (!live.is_empty()).then(|| Bytes::copy_from_slice(live[pick(live.len())]))
    }
}
