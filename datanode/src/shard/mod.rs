//! One shard replica's state: keyspace, causal context, clock and identity. Every write goes
//! through `commit`, which joins the command's delta exactly as a peer's delta would be
//! joined, so local and replicated writes cannot disagree, and keeps it for the caller to
//! take (`take_delta`) and hand to replication. No I/O happens here.

use std::collections::HashMap;

use bytes::Bytes;

use crate::crdt::context::CausalContext;
use crate::crdt::dot::{ActorId, Dot, Minted};
use crate::crdt::seen::Either;
use crate::crdt::tag::{Hlc, Tag};
use crate::keyspace::claims::{RangeClaims, SeenAt};
use crate::keyspace::delta::Delta;
use crate::keyspace::digest::digest;
use crate::keyspace::entry::{Content, Entry, Kind};
use crate::keyspace::{Keyspace, slot_of};

mod snapshot;

#[derive(Clone, Copy, Debug)]
pub struct Identity {
    pub region: u8,
    pub actor: ActorId,
}

#[derive(Default, Debug, Clone)]
pub struct Stats {
    pub expired_keys: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub deltas_committed: u64,
    pub deltas_applied: u64,
}

pub struct Shard {
    keyspace: Keyspace,
    /// What this shard has seen, for all of its keys.
    ctx: CausalContext,
    /// What it has seen for some of its slots only (`keyspace::claims`).
    claims: RangeClaims,
    hlc: Hlc,
    id: Identity,
    counter: u64,
    /// The last counter a committed delta covers: the next commit's range starts after it.
    committed: u64,
    /// The identities (minted ranges) of every delta joined here, local or remote.
    applied: CausalContext,
    now_ms: u64,
    /// With no replicas and no peers every removal is at once seen by all: reset
    /// bookkeeping and losing concurrent atoms can be dropped as soon as they appear.
    compact_eagerly: bool,
    /// A replica: its master decides every change, expiry included, so reads never delete.
    read_only: bool,
    /// Everything committed since the caller last took it, joined into one delta: a
    /// command's (an expired key deleted on the way and the write itself ship as one), or a
    /// whole transaction's when the caller takes it only after EXEC.
    outbox: Option<Delta>,
    /// Write sequence number of the last change to each WATCHed key, with its watcher count.
    watched: HashMap<Bytes, (usize, u64)>,
    write_seq: u64,
    /// Clients blocked on each key, longest-waiting first (Redis serves them in that order),
    /// and the keys written since the server last looked.
    blocked: HashMap<Bytes, std::collections::VecDeque<u64>>,
    woken: Vec<Bytes>,
    pub stats: Stats,
}

/// How an access treats a key past its deadline (SEMANTICS.md §10).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

impl Shard {
    pub fn new(id: Identity) -> Self {
        Shard {
            keyspace: Keyspace::new(),
            ctx: CausalContext::new(),
            claims: RangeClaims::default(),
            hlc: Hlc::default(),
            id,
            counter: 0,
            committed: 0,
            applied: CausalContext::new(),
            now_ms: 0,
            compact_eagerly: true,
            read_only: false,
            outbox: None,
            watched: HashMap::new(),
            write_seq: 0,
            blocked: HashMap::new(),
            woken: Vec::new(),
            stats: Stats::default(),
        }
    }

    /// A shard that keeps every atom and reset until told otherwise: for replicas of a
    /// multi-region database, where removals must wait until every region has seen them.
    pub fn replicated(id: Identity) -> Self {
        Shard { compact_eagerly: false, ..Shard::new(id) }
    }

    /// A replica's shard: expired keys read as missing but are left for the master to delete.
    pub fn set_read_only(&mut self, read_only: bool) {
        self.read_only = read_only;
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// True when no other replica exists: no concurrent write can ever arrive.
    pub fn standalone(&self) -> bool {
        self.compact_eagerly
    }

    /// Becomes a new incarnation (a promoted replica): later writes get dots of a fresh
    /// actor, so they can never collide with what the old master minted after the split.
    pub fn set_actor(&mut self, actor: ActorId) {
        self.id.actor = actor;
        self.counter = 0;
        self.committed = 0;
    }

    pub fn identity(&self) -> Identity {
        self.id
    }

    pub fn region(&self) -> u8 {
        self.id.region
    }

    /// Sets the wall clock (Unix ms) for the commands about to run.
    pub fn set_now(&mut self, now_ms: u64) {
        self.now_ms = now_ms;
    }

    pub fn now(&self) -> u64 {
        self.now_ms
    }

    pub fn context(&self) -> &CausalContext {
        &self.ctx
    }

    pub fn keyspace(&self) -> &Keyspace {
        &self.keyspace
    }

    /// What it has seen for some of its slots only.
    pub fn claims(&self) -> &RangeClaims {
        &self.claims
    }

    /// Every dot it has seen for any of its keys: its context and its range claims. What it
    /// reports for anti-entropy, where a peer's dot it lacks everywhere is a gap.
    pub fn seen_anywhere(&self) -> CausalContext {
        let mut all = self.claims.union();
        all.merge(&self.ctx);
        all
    }

    /// A hash of what this replica knows: its entries, its context, and for each range claim
    /// what it says beyond the context. Two regions that converged know the same, but hold
    /// claims as their full syncs left them (from a peer of another layout or not, earlier or
    /// later): only what a claim adds to the context changes an answer, so only that counts.
    pub fn digest(&self) -> [u8; 32] {
        let state = digest(&self.keyspace, &self.ctx);
        let beyond: Vec<(crate::keyspace::SlotRange, CausalContext)> = self
            .claims
            .iter()
            .map(|(range, c)| (*range, c.minus(&self.ctx)))
            .filter(|(_, rest)| !rest.is_empty())
            .collect();
        if beyond.is_empty() {
            return state;
        }
        let mut h = blake3::Hasher::new();
        h.update(&state);
        for (range, rest) in &beyond {
            h.update(&range.start.to_le_bytes());
            h.update(&range.end.to_le_bytes());
            h.update(&digest(&Keyspace::new(), rest));
        }
        *h.finalize().as_bytes()
    }

    /// A hash of the entries of the keys of `range` only (its context not included).
    pub fn digest_of(&self, range: crate::keyspace::SlotRange) -> [u8; 32] {
        crate::keyspace::digest::digest_of(&self.keyspace, range)
    }

    /// A fresh dot and stamp for one mutation.
    pub fn mint(&mut self) -> Tag {
        self.counter += 1;
        Tag { dot: Dot::new(self.id.actor, self.counter), hlc: self.hlc.tick(self.now_ms), region: self.id.region }
    }

    /// Whether the entry's deadline has passed, as Redis's `keyIsExpired` decides it: only
    /// once the clock is past the deadline (a key set with PX 300 still answers at 300 ms).
    fn expired(&self, entry: &Entry) -> Option<bool> {
        let (deadline, owner) = entry.ttl.deadline()?;
        (deadline < self.now_ms).then_some(owner == self.id.region)
    }

    /// The entry under `key` as a command sees it. A key past its deadline is missing; the
    /// owning region (or any region about to write it) deletes it first, and ships that.
    pub fn lookup(&mut self, key: &[u8], access: Access) -> Option<&Entry> {
        let entry = self.keyspace.get(key)?;
        if let Some(owner) = self.expired(entry) {
            if !self.read_only && (owner || access == Access::Write) {
                let key = Bytes::copy_from_slice(key);
                self.delete(&key);
                self.stats.expired_keys += 1;
            }
            return None;
        }
        self.keyspace.get(key).filter(|e| e.is_visible())
    }

    /// Reads the visible content of `key`, counting a hit or a miss.
    pub fn read(&mut self, key: &[u8]) -> Option<&Content> {
        let found = self.lookup(key, Access::Read).is_some();
        if found {
            self.stats.keyspace_hits += 1;
        } else {
            self.stats.keyspace_misses += 1;
        }
        self.keyspace.get(key).and_then(Entry::visible).filter(|_| found)
    }

    /// The visible kind of `key`, if it exists.
    pub fn kind_of(&mut self, key: &[u8]) -> Option<Kind> {
        self.lookup(key, Access::Read).and_then(Entry::visible).map(Content::kind)
    }

    /// Starts the delta of a write to `key` that will hold content of `kind`: content of
    /// any other kind (a type overwrite, or hidden content of a concurrent write) is removed.
    pub fn prepare_write(&mut self, key: &[u8], kind: Kind, delta: &mut Delta) {
        let Some(entry) = self.lookup(key, Access::Write) else { return };
        let mut observed = Vec::new();
        let mut part = Entry::default();
        for c in entry.contents.iter().filter(|c| c.kind() != kind) {
            c.observed(&mut observed);
            part.contents.push(c.remove_delta());
        }
        if !part.contents.is_empty() {
            delta.observe(observed);
            delta.put(Bytes::copy_from_slice(key), part);
        }
    }

    /// The delta part that deletes `key` entirely (everything observed, TTL included).
    pub fn delete_delta(&self, key: &[u8], delta: &mut Delta) -> bool {
        let Some(entry) = self.keyspace.get(key) else { return false };
        let mut observed = Vec::new();
        entry.observed(&mut observed);
        delta.observe(observed);
        delta.put(Bytes::copy_from_slice(key), entry.remove_delta());
        entry.is_visible()
    }

    /// Commits a removal built with `delete_delta` (or several) under one fresh dot.
    fn commit_removal(&mut self, mut delta: Delta) {
        if !delta.is_empty() {
            let tag = self.mint();
            delta.observe([tag.dot]);
            self.commit(delta);
        }
    }

    /// Deletes `key` as its own committed write. Returns whether it was visible.
    pub fn delete(&mut self, key: &Bytes) -> bool {
        let mut delta = Delta::new();
        let existed = self.delete_delta(key, &mut delta);
        self.commit_removal(delta);
        existed
    }

    /// Applies a locally made delta and keeps it for `take_delta`.
    pub fn commit(&mut self, mut delta: Delta) {
        if delta.is_empty() {
            return;
        }
        self.stamp_tombstones(&mut delta);
        self.give_atoms_own_dots(&mut delta);
        let keyspace = &self.keyspace;
        delta.attribute(|key| keyspace.get(key).cloned());
        let orphans = self.join_delta(&delta);
        if !orphans.is_empty() {
            self.drop_orphan_ttls(orphans, &mut delta);
        }
        // Every counter minted since the last commit belongs to this one (a command that
        // minted and then failed leaves its counter here too, so ranges never have gaps).
        // A delta always has an identity, so one that minted nothing gets a counter of its own.
        if self.counter == self.committed {
            self.counter += 1;
        }
        let minted = Minted { actor: self.id.actor, first: self.committed + 1, last: self.counter };
        self.committed = self.counter;
        self.applied.insert_minted(minted);
        delta.minted = Some(minted);
        self.stats.deltas_committed += 1;
        match &mut self.outbox {
            Some(out) => out.absorb(delta),
            None => self.outbox = Some(delta),
        }
    }

    /// The delta of everything committed since the last call (None if nothing was): the
    /// caller hands it to replication (`node::Node::ship`).
    pub fn take_delta(&mut self) -> Option<Delta> {
        self.outbox.take()
    }

    /// A removal builds its HyperLogLog tombstones before it has a dot (`hll::UNSTAMPED`):
    /// they get a fresh one here, which the delta covers.
    fn stamp_tombstones(&mut self, delta: &mut Delta) {
        let mut unstamped = false;
        for (_, part) in delta.entries.iter_mut() {
            part.for_each_tag_mut(&mut |t: &mut Tag| unstamped |= *t == crate::crdt::hll::UNSTAMPED);
        }
        if !unstamped {
            return;
        }
        let tag = self.mint();
        for (_, part) in delta.entries.iter_mut() {
            part.for_each_tag_mut(&mut |t: &mut Tag| {
                if *t == crate::crdt::hll::UNSTAMPED {
                    *t = tag;
                }
            });
        }
        delta.observe([tag.dot]);
    }

    /// Commands stamp every atom they write with the one tag they minted; before the delta
    /// leaves, each atom gets a dot of its own. A removal names the dots it saw, so two atoms
    /// sharing a dot could not be removed apart once deltas arrive out of order (an HDEL of
    /// one field would also drop a sibling field written by the same HSET).
    fn give_atoms_own_dots(&mut self, delta: &mut Delta) {
        /// Up to this many atoms are checked by a linear scan; bigger deltas use a set.
        const LINEAR: usize = 8;
        let actor = self.id.actor;
        let mut few: smallvec::SmallVec<[Dot; LINEAR]> = smallvec::SmallVec::new();
        let mut many = std::collections::HashSet::new();
        let mut fresh = Vec::new();
        let counter = &mut self.counter;
        for (_, part) in delta.entries.iter_mut() {
            part.for_each_tag_mut(&mut |tag: &mut Tag| {
                if tag.dot.actor != actor {
                    return;
                }
                let dup = if many.is_empty() && few.len() < LINEAR {
                    let dup = few.contains(&tag.dot);
                    if !dup {
                        few.push(tag.dot);
                    }
                    dup
                } else {
                    if many.is_empty() {
                        many.extend(few.iter().copied());
                    }
                    !many.insert(tag.dot)
                };
                if dup {
                    *counter += 1;
                    tag.dot = Dot::new(actor, *counter);
                    fresh.push(tag.dot);
                    if many.is_empty() && few.len() < LINEAR {
                        few.push(tag.dot);
                    } else {
                        many.insert(tag.dot);
                    }
                }
            });
        }
        if !fresh.is_empty() {
            delta.observe(fresh);
        }
    }

    /// A key whose last element a local write removed is gone, TTL included, as in Redis:
    /// the TTL atoms it still holds are removed in the same delta, so the removal ships too.
    fn drop_orphan_ttls(&mut self, orphans: Vec<Bytes>, delta: &mut Delta) {
        let mut extra = Delta::new();
        for key in orphans {
            if let Some(entry) = self.keyspace.get(&key) {
                let mut observed = Vec::new();
                entry.ttl.observed(&mut observed);
                extra.observe(observed);
                extra.put(key, Entry::default());
            }
        }
        if !extra.is_empty() {
            let keyspace = &self.keyspace;
            extra.attribute(|key| keyspace.get(key).cloned());
            let _ = self.join_delta(&extra);
            delta.absorb(extra);
        }
    }

    /// Applies a delta that came from another replica or region.
    pub fn apply_remote(&mut self, delta: &Delta) {
        for (_, part) in &delta.entries {
            for c in &part.contents {
                if let Some(t) = c.newest() {
                    self.hlc.observe(t.hlc);
                }
            }
        }
        // A peer's delta already carries its own TTL removals.
        let _orphans = self.join_delta(delta);
        // Taken as a range, in one step: a peer's range may be as long as it likes (decoding
        // bounded its numbers), it costs the same.
        if let Some(minted) = delta.minted.filter(|_| !delta.split) {
            self.applied.insert_minted(minted);
        }
        if let Some(applied) = delta.applied.as_ref().filter(|_| delta.merge_ctx) {
            self.applied.merge(applied);
        }
        self.stats.deltas_applied += 1;
    }

    /// The identities of every delta joined here.
    pub fn applied(&self) -> &CausalContext {
        &self.applied
    }

    /// Whether this shard has joined the delta `minted` names, whole (not merely seen its
    /// dots).
    pub fn has_applied(&self, minted: Option<Minted>) -> bool {
        minted.is_some_and(|m| self.applied.contains_minted(m))
    }

    /// Joins a delta into the state. Returns the keys it left with a TTL but no content.
    fn join_delta(&mut self, delta: &Delta) -> Vec<Bytes> {
        let Shard { keyspace, ctx, claims, compact_eagerly, .. } = self;
        let no_claims = RangeClaims::default();
        let their_claims = delta.claims.as_deref().unwrap_or(&no_claims);
        let by_slot = !claims.is_empty() || !their_claims.is_empty();
        let mut orphans = Vec::new();
        for (key, part) in &delta.entries {
            // Range claims hold for some slots: only then is the key's slot needed.
            let slot = if by_slot { slot_of(key) } else { 0 };
            let mine = SeenAt { ctx, claims, slot };
            keyspace.update(key, |entry| {
                match &delta.ctx {
                    // A snapshot's record: whole entries, and everything its sender had seen.
                    Some(seen) => {
                        let theirs = SeenAt { ctx: seen, claims: their_claims, slot };
                        entry.join(&mine, part, &Either(&delta.dots, &theirs), true)
                    }
                    None => entry.join(&mine, part, &delta.dots, false),
                }
                if *compact_eagerly {
                    entry.compact_touched(part);
                }
                if !entry.ttl.is_empty() && !entry.is_visible() {
                    orphans.push(key.clone());
                }
            });
        }
        // A replica joining the record of a whole snapshot its master joined takes the
        // snapshot's context as the master did, and no more: the record's dots also name
        // atoms that only a range claim saw, which the master's context does not hold (the
        // 100,000-seed simulation found a replica ahead of its master by such a dot).
        let whole_record = delta.ctx.is_some() && delta.merge_ctx && delta.scope.is_empty();
        if !whole_record {
            for dot in delta.dots.iter() {
                self.ctx.insert(*dot);
            }
        }
        if let Some(extra) = delta.ctx.as_ref().filter(|_| delta.merge_ctx) {
            self.take_context(extra, &delta.scope, delta.claims.as_deref());
        }
        self.write_seq += 1;
        for (key, _) in &delta.entries {
            self.touched(key);
        }
        orphans
    }

    /// Takes a snapshot's context as this shard's: for all of its keys, or as a claim for
    /// `scope` when the snapshot held only some of its slots; and the snapshot's claims.
    pub(super) fn take_context(
        &mut self,
        ctx: &CausalContext,
        scope: &[crate::keyspace::SlotRange],
        claims: Option<&RangeClaims>,
    ) {
        if scope.is_empty() {
            self.ctx.merge(ctx);
        } else {
            for range in scope {
                self.claims.add(*range, ctx);
            }
        }
        if let Some(c) = claims {
            self.claims.merge(c, (!scope.is_empty()).then_some(scope));
        }
    }

    fn touched(&mut self, key: &Bytes) {
        if self.watched.is_empty() && self.blocked.is_empty() {
            return;
        }
        if let Some((_, seq)) = self.watched.get_mut(key) {
            *seq = self.write_seq;
        }
        if self.blocked.contains_key(key) {
            self.woken.push(key.clone());
        }
    }

    /// Deletes up to `limit` keys whose deadline passed and whose expiry this region owns.
    /// Returns how many were deleted.
    pub fn expire_due(&mut self, limit: usize) -> usize {
        let mut deleted = 0;
        if self.read_only {
            return 0;
        }
        for key in self.keyspace.due(self.now_ms, limit) {
            let owned = self.keyspace.get(&key).and_then(|e| self.expired(e)).unwrap_or(false);
            if owned {
                self.delete(&key);
                self.stats.expired_keys += 1;
                deleted += 1;
            }
        }
        deleted
    }

    /// Flushes everything this region has seen: a DEL of every key, shipped as one delta.
    pub fn flush(&mut self) {
        let mut delta = Delta::new();
        let mut observed = Vec::new();
        for (key, entry) in self.keyspace.iter() {
            entry.observed(&mut observed);
            delta.put_new(Bytes::copy_from_slice(key), entry.remove_delta());
        }
        delta.observe(observed);
        self.commit_removal(delta);
    }

    pub fn watch(&mut self, key: &Bytes) -> u64 {
        let e = self.watched.entry(key.clone()).or_insert((0, 0));
        e.0 += 1;
        self.write_seq
    }

    pub fn unwatch(&mut self, key: &Bytes) {
        if let Some(e) = self.watched.get_mut(key) {
            e.0 -= 1;
            if e.0 == 0 {
                self.watched.remove(key);
            }
        }
    }

    /// Whether `key` changed after write sequence `since`.
    pub fn changed_since(&self, key: &Bytes, since: u64) -> bool {
        self.watched.get(key).is_some_and(|(_, seq)| *seq > since)
    }

    /// Marks a key changed for its watchers without a write (FLUSHALL of an absent key,
    /// expiry): Redis aborts EXEC in those cases too.
    pub fn touch_watched(&mut self, key: &Bytes) {
        self.write_seq += 1;
        self.touched(key);
    }

    /// Queues `client` behind the clients already blocked on `key`.
    pub fn block_on(&mut self, key: &Bytes, client: u64) {
        self.blocked.entry(key.clone()).or_default().push_back(client);
    }

    /// Takes `client` out of the queue of `key`. Returns whether others still wait there
    /// (they must look again: data meant for the one leaving may be theirs now).
    pub fn unblock(&mut self, key: &Bytes, client: u64) -> bool {
        let Some(queue) = self.blocked.get_mut(key) else { return false };
        queue.retain(|c| *c != client);
        if queue.is_empty() {
            self.blocked.remove(key);
            false
        } else {
            true
        }
    }

    /// Whether `client` is the longest-waiting client on any of `keys`: only such a client
    /// may take what a write to that key brought.
    pub fn first_in_line(&self, keys: &[Bytes], client: u64) -> bool {
        keys.iter().any(|k| self.blocked.get(k).is_some_and(|q| q.front() == Some(&client)))
    }

    /// Keys written since the last call that blocked clients wait on.
    pub fn take_woken(&mut self) -> Vec<Bytes> {
        std::mem::take(&mut self.woken)
    }

    /// How many keys have watchers (WATCH), and how many clients wait in blocking queues:
    /// what a session still holds here.
    pub fn waiters(&self) -> (usize, usize) {
        (self.watched.len(), self.blocked.values().map(std::collections::VecDeque::len).sum())
    }

    pub fn write_seq(&self) -> u64 {
        self.write_seq
    }

    pub fn dbsize(&self) -> usize {
        self.keyspace.visible_len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{Identity, Shard};
    use crate::cmd::testing::execute;
    use crate::crdt::{ActorId, MAX_COUNTER, Minted};
    use crate::keyspace::delta::Delta;
    use crate::node::codec::{decode_delta, encode_delta};

    /// Issue 12, defect 3: a delta claiming the range `1..=u64::MAX` was noted dot by dot
    /// under the shard lock and never finished. Decoding now refuses counters past
    /// `MAX_COUNTER`, and the longest range it lets through is noted in one step.
    #[test]
    fn a_peer_range_of_any_length_is_noted_at_once() {
        let mut delta = Delta::new();
        delta.minted = Some(Minted { actor: ActorId(9), first: 1, last: u64::MAX });
        assert!(decode_delta(&encode_delta(&delta)).is_err(), "a counter past MAX_COUNTER is refused");
        delta.minted = Some(Minted { actor: ActorId(9), first: 1, last: MAX_COUNTER });
        let decoded = decode_delta(&encode_delta(&delta)).expect("the longest valid range decodes");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut shard = Shard::replicated(Identity { region: 1, actor: ActorId(1) });
            shard.apply_remote(&decoded);
            let _ = tx.send(shard.has_applied(decoded.minted));
        });
        assert_eq!(rx.recv_timeout(Duration::from_secs(2)), Ok(true), "applied within 2 s");
    }

    /// Each commit's identity is the range of counters it minted, and the shard has applied it.
    #[test]
    fn commits_mint_consecutive_ranges() {
        let mut shard = Shard::replicated(Identity { region: 1, actor: ActorId(3) });
        let minted: Vec<Minted> = [&["HSET", "h", "a", "1", "b", "2"][..], &["SET", "k", "v"]]
            .into_iter()
            .filter_map(|words| execute(&mut shard, words).delta?.minted)
            .collect();
        let range = |first, last| Minted { actor: ActorId(3), first, last };
        // Two fields, two atoms, two dots; the next commit starts right after.
        assert_eq!(minted[0], range(1, 2));
        assert_eq!((minted.len(), minted[1].first), (2, 3));
        assert!(minted[1].last >= 3);
        assert!(minted.iter().all(|m| shard.has_applied(Some(*m))));
        assert!(!shard.has_applied(Some(range(3, minted[1].last + 1))));
    }
}
