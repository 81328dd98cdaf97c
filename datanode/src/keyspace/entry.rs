//! A key's state: its typed content(s) and its TTL register.
//!
//! Locally a key holds one type. Concurrent writes of different types in different regions
//! can leave content of two types under one key; the visible one is the type whose newest
//! surviving write has the greatest tag (SEMANTICS.md §10, type conflicts). The others stay
//! hidden until the next write or delete of the key removes them, never inside a join.

use bytes::Bytes;
use smallvec::SmallVec;

use crate::crdt::cell::Cell;
use crate::crdt::dot::Dot;
use crate::crdt::hll::Hll;
use crate::crdt::list::List;
use crate::crdt::ormap::OrMap;
use crate::crdt::orset::OrSet;
use crate::crdt::seen::Seen;
use crate::crdt::tag::Tag;
use crate::crdt::ttl::Ttl;
use crate::crdt::zset::ZSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Str,
    Hash,
    Set,
    ZSet,
    List,
    /// A HyperLogLog: a string to clients (TYPE says so), its own CRDT inside (§7).
    Hll,
}

impl Kind {
    /// The name `TYPE` replies with.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Str => "string",
            Kind::Hash => "hash",
            Kind::Set => "set",
            Kind::ZSet => "zset",
            Kind::List => "list",
            Kind::Hll => "string",
        }
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Content {
    Str(Cell<Bytes>),
    Hash(Box<OrMap<Bytes>>),
    Set(Box<OrSet>),
    ZSet(Box<ZSet>),
    List(Box<List>),
    Hll(Box<Hll>),
}

/// A member, field or element a delta part names.
pub enum Mention {
    Member(Bytes),
    Pos(crate::crdt::list::Pos),
}

impl Content {
    /// What this (delta) content names.
    fn mentions(&self, out: &mut Vec<Mention>) {
        match self {
            Content::Str(_) | Content::Hll(_) => {}
            Content::Hash(m) => out.extend(m.iter().map(|(f, _)| Mention::Member(f.clone()))),
            Content::Set(s) => out.extend(s.iter().map(|(m, _)| Mention::Member(m.clone()))),
            Content::ZSet(z) => out.extend(z.map().iter().map(|(m, _)| Mention::Member(m.clone()))),
            Content::List(l) => out.extend(l.iter().map(|(p, _)| Mention::Pos(p.clone()))),
        }
    }

    /// Puts back an empty marker for every mention that a join dropped.
    fn restore_mentions(&mut self, mentions: Vec<Mention>) {
        for m in mentions {
            match (&mut *self, m) {
                (Content::Hash(map), Mention::Member(f)) if map.get(&f).is_none() => {
                    map.put_delta(f, Cell::default());
                }
                (Content::Set(set), Mention::Member(m)) if set.adds(&m).is_none() => set.remove_delta(m),
                (Content::ZSet(z), Mention::Member(m)) if z.cell(&m).is_none() => z.put_delta(m, Cell::default()),
                (Content::List(l), Mention::Pos(p)) if l.get(&p).is_none() => l.remove_delta(p),
                _ => {}
            }
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            Content::Str(_) => Kind::Str,
            Content::Hash(_) => Kind::Hash,
            Content::Set(_) => Kind::Set,
            Content::ZSet(_) => Kind::ZSet,
            Content::List(_) => Kind::List,
            Content::Hll(_) => Kind::Hll,
        }
    }

    pub fn empty(kind: Kind) -> Content {
        match kind {
            Kind::Str => Content::Str(Cell::default()),
            Kind::Hash => Content::Hash(Box::default()),
            Kind::Set => Content::Set(Box::default()),
            Kind::ZSet => Content::ZSet(Box::default()),
            Kind::List => Content::List(Box::default()),
            Kind::Hll => Content::Hll(Box::default()),
        }
    }

    /// Has something a reader can see.
    pub fn is_live(&self) -> bool {
        match self {
            Content::Str(c) => c.is_live(),
            Content::Hash(m) => m.iter().any(|(_, c)| c.is_live()),
            Content::Set(s) => !s.is_empty(),
            Content::ZSet(z) => !z.is_empty(),
            Content::List(l) => !l.is_empty(),
            Content::Hll(h) => h.is_live(),
        }
    }

    /// Holds nothing at all, not even reset bookkeeping: safe to drop.
    pub fn is_void(&self) -> bool {
        match self {
            Content::Str(c) => c.is_void(),
            Content::Hash(m) => m.is_empty(),
            Content::Set(s) => s.is_empty(),
            Content::ZSet(z) => z.map().is_empty(),
            Content::List(l) => l.is_empty(),
            Content::Hll(h) => h.is_void(),
        }
    }

    pub fn newest(&self) -> Option<Tag> {
        match self {
            Content::Str(c) => c.newest(),
            Content::Hash(m) => m.newest(),
            Content::Set(s) => s.newest(),
            Content::ZSet(z) => z.newest(),
            Content::List(l) => l.newest(),
            Content::Hll(h) => h.newest(),
        }
    }

    pub fn observed(&self, out: &mut Vec<Dot>) {
        match self {
            Content::Str(c) => c.observed(out),
            Content::Hash(m) => m.observed(out),
            Content::Set(s) => s.observed(out),
            Content::ZSet(z) => z.observed(out),
            Content::List(l) => l.observed(out),
            Content::Hll(h) => h.observed(out),
        }
    }

    /// The delta that removes everything of this content that was observed (with
    /// `observed()` in the delta's context).
    pub fn remove_delta(&self) -> Content {
        match self {
            Content::Str(c) => Content::Str(c.remove_delta()),
            Content::Hash(m) => Content::Hash(Box::new(m.remove_all_delta())),
            Content::Set(s) => {
                let mut d = OrSet::default();
                for m in s.members() {
                    d.remove_delta(m.clone());
                }
                Content::Set(Box::new(d))
            }
            Content::ZSet(z) => Content::ZSet(Box::new(z.remove_all_delta())),
            Content::List(l) => Content::List(Box::new(l.remove_all_delta())),
            Content::Hll(h) => Content::Hll(Box::new(h.remove_delta())),
        }
    }

    fn join(&mut self, my_seen: &dyn Seen, other: &Content, their_seen: &dyn Seen, full: bool) {
        match (self, other) {
            (Content::Str(a), Content::Str(b)) => a.join(my_seen, b, their_seen),
            (Content::Hash(a), Content::Hash(b)) => a.join(my_seen, b, their_seen, full),
            (Content::Set(a), Content::Set(b)) => a.join(my_seen, b, their_seen, full),
            (Content::ZSet(a), Content::ZSet(b)) => a.join(my_seen, b, their_seen, full),
            (Content::List(a), Content::List(b)) => a.join(my_seen, b, their_seen, full),
            (Content::Hll(a), Content::Hll(b)) => a.join(my_seen, b, their_seen),
            _ => {}
        }
    }

    /// A join against nothing from a side whose context is `their_seen`: what that side
    /// saw and does not hold is removed (used for whole-state joins).
    fn join_absent(&mut self, my_seen: &dyn Seen, their_seen: &dyn Seen) {
        let empty = Content::empty(self.kind());
        self.join(my_seen, &empty, their_seen, true);
    }

    pub fn compact(&mut self) {
        match self {
            Content::Str(c) => c.compact(),
            Content::Hash(m) => m.compact(),
            Content::Set(s) => s.compact(),
            Content::ZSet(z) => z.compact(),
            Content::List(l) => l.compact(),
            Content::Hll(h) => h.compact(),
        }
    }

    /// Every atom tag in this content (list and sorted-set atoms included).
    pub fn for_each_tag_mut(&mut self, f: &mut dyn FnMut(&mut Tag)) {
        match self {
            Content::Str(c) => c.for_each_tag_mut(f),
            Content::Hash(m) => m.for_each_tag_mut(f),
            Content::Set(s) => s.for_each_tag_mut(f),
            Content::List(l) => l.for_each_tag_mut(f),
            Content::ZSet(z) => z.for_each_tag_mut(f),
            Content::Hll(h) => h.for_each_tag_mut(f),
        }
    }

    /// Compacts only what `part` (a delta just joined) mentions.
    pub fn compact_touched(&mut self, part: &Content) {
        match (self, part) {
            (Content::Str(c), Content::Str(_)) => c.compact(),
            (Content::Hash(m), Content::Hash(p)) => m.compact_touched(p),
            (Content::Set(s), Content::Set(p)) => s.compact_touched(p),
            (Content::List(l), Content::List(p)) => l.compact_touched(p),
            (Content::ZSet(z), Content::ZSet(p)) => z.compact_touched(p),
            (Content::Hll(h), Content::Hll(_)) => h.compact(),
            _ => {}
        }
    }

    pub fn unseen_by(&self, seen: &dyn Seen) -> Content {
        match self {
            Content::Str(c) => Content::Str(c.unseen_by(seen)),
            Content::Hash(m) => Content::Hash(Box::new(m.unseen_by(seen))),
            Content::Set(s) => Content::Set(Box::new(s.unseen_by(seen))),
            Content::ZSet(z) => Content::ZSet(Box::new(z.unseen_by(seen))),
            Content::List(l) => Content::List(Box::new(l.unseen_by(seen))),
            Content::Hll(h) => Content::Hll(Box::new(h.unseen_by(seen))),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    pub contents: SmallVec<[Content; 1]>,
    pub ttl: Ttl,
}

impl Entry {
    pub fn with(content: Content) -> Entry {
        let mut contents = SmallVec::new();
        contents.push(content);
        Entry { contents, ttl: Ttl::default() }
    }

    /// The content a reader sees, if any.
    pub fn visible(&self) -> Option<&Content> {
        if self.contents.len() == 1 {
            return self.contents.first().filter(|c| c.is_live());
        }
        self.contents.iter().filter(|c| c.is_live()).max_by_key(|c| (c.newest(), std::cmp::Reverse(c.kind())))
    }

    pub fn visible_mut(&mut self) -> Option<&mut Content> {
        let kind = self.visible()?.kind();
        self.contents.iter_mut().find(|c| c.kind() == kind)
    }

    pub fn content(&self, kind: Kind) -> Option<&Content> {
        self.contents.iter().find(|c| c.kind() == kind)
    }

    pub fn is_visible(&self) -> bool {
        self.visible().is_some()
    }

    /// Nothing retained: the key can leave the keyspace.
    pub fn is_void(&self) -> bool {
        self.contents.iter().all(Content::is_void) && self.ttl.is_empty()
    }

    /// Every dot of every atom under this key: what a DEL or overwrite must cover.
    pub fn observed(&self, out: &mut Vec<Dot>) {
        for c in &self.contents {
            c.observed(out);
        }
        self.ttl.observed(out);
    }

    /// The delta part that removes everything observed under this key (with `observed()`
    /// in the delta's context).
    pub fn remove_delta(&self) -> Entry {
        Entry { contents: self.contents.iter().map(Content::remove_delta).collect(), ttl: Ttl::default() }
    }

    pub fn join(&mut self, my_seen: &dyn Seen, other: &Entry, their_seen: &dyn Seen, full: bool) {
        for theirs in &other.contents {
            match self.contents.iter_mut().find(|c| c.kind() == theirs.kind()) {
                Some(mine) => mine.join(my_seen, theirs, their_seen, full),
                None => {
                    let mut mine = Content::empty(theirs.kind());
                    mine.join(my_seen, theirs, their_seen, full);
                    self.contents.push(mine);
                }
            }
        }
        if full {
            for mine in self.contents.iter_mut() {
                if !other.contents.iter().any(|c| c.kind() == mine.kind()) {
                    mine.join_absent(my_seen, their_seen);
                }
            }
        }
        self.ttl.join(my_seen, &other.ttl, their_seen);
        self.contents.retain(|c| !c.is_void());
        self.contents.sort_by_key(Content::kind);
    }

    /// Joins two delta parts into one. Unlike a state join, everything either part names is
    /// kept, even with no atoms left: that empty marker is what makes a replica visit the
    /// member, field or element whose atoms the delta's dots remove.
    pub fn merge_delta(&mut self, my_seen: &dyn Seen, other: &Entry, their_seen: &dyn Seen) {
        let mut named: Vec<(Kind, Vec<Mention>)> = Vec::new();
        for c in self.contents.iter().chain(other.contents.iter()) {
            let list = match named.iter_mut().find(|(k, _)| *k == c.kind()) {
                Some((_, l)) => l,
                None => {
                    named.push((c.kind(), Vec::new()));
                    match named.last_mut() {
                        Some((_, l)) => l,
                        None => continue,
                    }
                }
            };
            c.mentions(list);
        }
        self.join(my_seen, other, their_seen, false);
        for (kind, mentions) in named {
            if !self.contents.iter().any(|c| c.kind() == kind) {
                self.contents.push(Content::empty(kind));
            }
            if let Some(c) = self.contents.iter_mut().find(|c| c.kind() == kind) {
                c.restore_mentions(mentions);
            }
        }
        self.contents.sort_by_key(Content::kind);
    }

    /// A whole-state join against a side that does not hold this key at all.
    pub fn join_absent(&mut self, my_seen: &dyn Seen, their_seen: &dyn Seen) {
        self.join(my_seen, &Entry::default(), their_seen, true);
    }

    pub fn compact(&mut self) {
        for c in self.contents.iter_mut() {
            c.compact();
        }
        self.contents.retain(|c| !c.is_void());
        self.ttl.compact();
    }

    /// Compacts what a just-joined delta part touched, not the whole entry: a write to a big
    /// collection stays proportional to the write.
    pub fn compact_touched(&mut self, part: &Entry) {
        for p in &part.contents {
            if let Some(c) = self.contents.iter_mut().find(|c| c.kind() == p.kind()) {
                c.compact_touched(p);
            }
        }
        self.contents.retain(|c| !c.is_void());
        self.ttl.compact();
    }

    pub fn for_each_tag_mut(&mut self, f: &mut dyn FnMut(&mut Tag)) {
        for c in self.contents.iter_mut() {
            c.for_each_tag_mut(f);
        }
        self.ttl.for_each_tag_mut(f);
    }

    pub fn unseen_by(&self, seen: &dyn Seen) -> Entry {
        let contents = self.contents.iter().map(|c| c.unseen_by(seen)).filter(|c| !c.is_void()).collect();
        Entry { contents, ttl: self.ttl.unseen_by(seen) }
    }
}
