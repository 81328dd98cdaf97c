//! A digest of the whole state (entries and causal context), equal on two replicas exactly
//! when their states are equal: every part is encoded in a canonical order.

use crate::crdt::cell::Cell;
use crate::crdt::context::CausalContext;
use crate::crdt::counter::Counter;
use crate::crdt::register::Register;
use crate::crdt::tag::Tag;
use crate::crdt::ttl::Ttl;

use super::Keyspace;
use super::entry::{Content, Entry};
use super::slot::{SlotRange, slot_of};

struct Enc(blake3::Hasher);

impl Enc {
    fn u64(&mut self, v: u64) {
        self.0.update(&v.to_le_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.u64(b.len() as u64);
        self.0.update(b);
    }
    fn tag(&mut self, t: &Tag) {
        self.u64(t.dot.actor.0);
        self.u64(t.dot.counter);
        self.u64(t.hlc);
        self.u64(u64::from(t.region));
    }
    fn register_bytes(&mut self, r: &Register<bytes::Bytes>) {
        self.u64(r.atoms().len() as u64);
        for a in r.atoms() {
            self.tag(&a.tag);
            self.bytes(&a.value);
        }
    }
    fn register_f64(&mut self, r: &Register<f64>) {
        self.u64(r.atoms().len() as u64);
        for a in r.atoms() {
            self.tag(&a.tag);
            self.u64(a.value.to_bits());
        }
    }
    fn counter(&mut self, c: &Counter) {
        self.u64(c.entries().len() as u64);
        for e in c.entries() {
            self.u64(e.epoch);
            self.tag(&e.last);
            self.0.update(&e.totals.int.to_le_bytes());
            self.u64(e.totals.float.to_bits());
            self.u64(u64::from(e.has_float));
            match e.reset {
                None => self.u64(0),
                Some(r) => {
                    self.u64(1);
                    self.u64(r.seen);
                    self.0.update(&r.totals.int.to_le_bytes());
                    self.u64(r.totals.float.to_bits());
                }
            }
        }
    }
    fn cell(&mut self, c: &Cell<bytes::Bytes>) {
        self.register_bytes(&c.reg);
        self.counter(&c.ctr);
    }
    fn ttl(&mut self, t: &Ttl) {
        self.u64(t.atoms().len() as u64);
        for a in t.atoms() {
            self.tag(&a.tag);
            self.u64(a.deadline.map_or(u64::MAX, |d| d));
            self.u64(u64::from(a.deadline.is_some()));
        }
    }
    fn entry(&mut self, e: &Entry) {
        self.u64(e.contents.len() as u64);
        for c in &e.contents {
            self.u64(c.kind() as u64);
            match c {
                Content::Str(cell) => self.cell(cell),
                Content::Hash(m) => {
                    let fields = m.sorted();
                    self.u64(fields.len() as u64);
                    for (f, cell) in fields {
                        self.bytes(f);
                        self.cell(cell);
                    }
                }
                Content::Set(s) => {
                    let members = s.sorted();
                    self.u64(members.len() as u64);
                    for (m, adds) in members {
                        self.bytes(m);
                        self.u64(adds.len() as u64);
                        for t in adds {
                            self.tag(t);
                        }
                    }
                }
                Content::ZSet(z) => {
                    let members = z.map().sorted();
                    self.u64(members.len() as u64);
                    for (m, cell) in members {
                        self.bytes(m);
                        self.register_f64(&cell.reg);
                        self.counter(&cell.ctr);
                    }
                }
                Content::List(l) => {
                    self.u64(l.len() as u64);
                    for (pos, elem) in l.iter() {
                        for p in &pos.0 {
                            self.u64(p.digit);
                            self.u64(u64::from(p.region));
                            self.u64(p.actor);
                            self.u64(p.counter);
                        }
                        self.u64(u64::MAX);
                        for t in &elem.id {
                            self.tag(t);
                        }
                        self.register_bytes(&elem.value);
                    }
                }
                Content::Hll(h) => {
                    let (sketches, dels) = h.atoms();
                    self.u64(sketches.len() as u64);
                    for a in sketches {
                        self.tag(&a.tag);
                        self.bytes(&a.value);
                    }
                    self.u64(dels.len() as u64);
                    for t in dels {
                        self.tag(t);
                    }
                }
            }
        }
        self.ttl(&e.ttl);
    }
    fn context(&mut self, ctx: &CausalContext) {
        for (actor, max) in ctx.version_vector() {
            if *max > 0 {
                self.u64(actor.0);
                self.u64(*max);
            }
        }
        self.u64(u64::MAX);
        for (actor, first, last) in ctx.cloud_ranges() {
            self.u64(actor.0);
            self.u64(first);
            self.u64(last);
        }
    }
}

/// blake3 over the entries of the keys of `range` alone, in (slot group, key) order: what
/// two shards of different layouts both hold can be compared, each digesting the same keys.
/// Anti-entropy compares these where two sides have seen the same dots (see the syncer's
/// `gap`): equal knowledge must mean equal entries, and when it does not, a dot arrived
/// without what its write observed, which only a full sync mends.
pub fn digest_of(keyspace: &Keyspace, range: SlotRange) -> [u8; 32] {
    let mut enc = Enc(blake3::Hasher::new());
    let groups = usize::from(range.start) / super::SLOTS_PER_GROUP..=usize::from(range.end) / super::SLOTS_PER_GROUP;
    for g in groups {
        let mut keys: Vec<_> = keyspace.group(g).filter(|(k, _)| range.contains(slot_of(k))).collect();
        keys.sort_by(|a, b| a.0.cmp(b.0));
        for (k, e) in keys {
            enc.bytes(k);
            enc.entry(e);
        }
    }
    *enc.0.finalize().as_bytes()
}

/// blake3 over every entry in (slot group, key) order and then the context.
pub fn digest(keyspace: &Keyspace, ctx: &CausalContext) -> [u8; 32] {
    let mut enc = Enc(blake3::Hasher::new());
    for g in 0..super::GROUPS {
        let mut keys: Vec<_> = keyspace.group(g).collect();
        keys.sort_by(|a, b| a.0.cmp(b.0));
        for (k, e) in keys {
            enc.bytes(k);
            enc.entry(e);
        }
    }
    enc.u64(u64::MAX);
    enc.context(ctx);
    *enc.0.finalize().as_bytes()
}
