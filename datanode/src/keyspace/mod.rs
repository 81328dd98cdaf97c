//! The keyspace: entries by hash slot, the count of visible keys, and the expiry index.

pub mod claims;
pub mod delta;
pub mod digest;
pub mod entry;
pub mod slot;

use std::collections::BTreeSet;
use std::hash::BuildHasher;

use bytes::Bytes;
use hashbrown::{DefaultHashBuilder, HashTable};

use entry::Entry;
pub use slot::{SLOTS, SlotRange, slot_of};

/// A key as stored: up to 16 bytes inline, longer keys on the heap.
pub type StoredKey = smallvec::SmallVec<[u8; 16]>;

/// Consecutive slots share one table: a group of slots can still be listed, moved or
/// dropped on its own, and the table headers (one per group) stay small enough to sit in
/// cache — with one table per slot, finding the header was itself a cache miss per lookup.
pub const SLOTS_PER_GROUP: usize = 16;
pub const GROUPS: usize = SLOTS / SLOTS_PER_GROUP;

fn group_of(key: &[u8]) -> usize {
    slot_of(key) as usize / SLOTS_PER_GROUP
}

/// A key and its entry in one allocation: a probe that compares keys has then already
/// fetched the entry, and a table bucket is a single pointer. Tables run half empty after
/// each power-of-two growth, so small buckets are what keeps that cheap.
struct Item {
    key: StoredKey,
    entry: Entry,
}

/// Tables by slot group.
pub struct Keyspace {
    groups: Vec<HashTable<Box<Item>>>,
    hasher: DefaultHashBuilder,
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
        Keyspace {
            groups: (0..GROUPS).map(|_| HashTable::new()).collect(),
            hasher: DefaultHashBuilder::default(),
            visible: 0,
            expires: BTreeSet::new(),
        }
    }

    fn hash(hasher: &DefaultHashBuilder, key: &[u8]) -> u64 {
        hasher.hash_one(key)
    }

    pub fn get(&self, key: &[u8]) -> Option<&Entry> {
        let hash = Self::hash(&self.hasher, key);
        self.groups[group_of(key)].find(hash, |it| it.key[..] == *key).map(|it| &it.entry)
    }

    /// Keys a reader can see (expired keys not yet removed included, as Redis's DBSIZE).
    pub fn visible_len(&self) -> usize {
        self.visible
    }

    /// Applies `f` to the entry of `key` (created empty if absent), keeping the visible
    /// count and the expiry index in step, and dropping the entry if it ends void.
    pub fn update<R>(&mut self, key: &Bytes, f: impl FnOnce(&mut Entry) -> R) -> R {
        let hasher = &self.hasher;
        let hash = Self::hash(hasher, key);
        let table = &mut self.groups[group_of(key)];
        let (was_visible, old_deadline, r, now_visible, new_deadline, void) =
            match table.find_mut(hash, |it| it.key[..] == key[..]) {
                Some(item) => {
                    let entry = &mut item.entry;
                    let was = entry.is_visible();
                    let old = entry.ttl.deadline().map(|(d, _)| d);
                    let r = f(entry);
                    (was, old, r, entry.is_visible(), entry.ttl.deadline().map(|(d, _)| d), entry.is_void())
                }
                None => {
                    let mut item = Box::new(Item { key: StoredKey::from_slice(key), entry: Entry::default() });
                    let r = f(&mut item.entry);
                    let entry = &item.entry;
                    let (vis, dl, void) = (entry.is_visible(), entry.ttl.deadline().map(|(d, _)| d), entry.is_void());
                    if !void {
                        table.insert_unique(hash, item, |it| Self::hash(hasher, &it.key));
                    }
                    (false, None, r, vis, dl, void)
                }
            };
        if void {
            if let Ok(found) = table.find_entry(hash, |it| it.key[..] == key[..]) {
                found.remove();
            }
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

    /// Keys whose deadline is before `now` (Redis expires a key once the clock is past its
    /// deadline), earliest first, at most `limit`.
    pub fn due(&self, now: u64, limit: usize) -> Vec<Bytes> {
        self.expires.iter().take_while(|(d, _)| *d < now).take(limit).map(|(_, k)| k.clone()).collect()
    }

    pub fn expires_len(&self) -> usize {
        self.expires.len()
    }

    /// The entries of one slot group (slots `g * SLOTS_PER_GROUP ..` onwards).
    pub fn group(&self, g: usize) -> impl Iterator<Item = (&[u8], &Entry)> {
        self.groups.get(g).into_iter().flat_map(|t| t.iter().map(|it| (&it.key[..], &it.entry)))
    }

    /// The entries of one slot.
    pub fn slot(&self, slot: u16) -> impl Iterator<Item = (&[u8], &Entry)> {
        self.group(slot as usize / SLOTS_PER_GROUP).filter(move |(k, _)| slot_of(k) == slot)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &Entry)> {
        (0..GROUPS).flat_map(|g| self.group(g))
    }

    /// Every stored key (visible or not).
    pub fn keys(&self) -> Vec<Bytes> {
        self.iter().map(|(k, _)| Bytes::copy_from_slice(k)).collect()
    }

    pub fn clear(&mut self) {
        for t in &mut self.groups {
            *t = HashTable::new();
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
            let table = &self.groups[pick(GROUPS)];
            if table.is_empty() {
                continue;
            }
            let live: Vec<&[u8]> = table.iter().filter(|it| it.entry.is_visible()).map(|it| &it.key[..]).collect();
            if !live.is_empty() {
                return Some(Bytes::copy_from_slice(live[pick(live.len())]));
            }
        }
        let live: Vec<&[u8]> = self.iter().filter(|(_, e)| e.is_visible()).map(|(k, _)| k).collect();
        (!live.is_empty()).then(|| Bytes::copy_from_slice(live[pick(live.len())]))
    }
}
