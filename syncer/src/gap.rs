//! Anti-entropy: dots a peer has seen that we lack, although the stream from it is caught up,
//! will never come by stream (their deltas are gone from every backlog and only a snapshot
//! holds them). When the same gap is still there at the next check, the syncer subscribes
//! again asking the gapped ranges in full.
//!
//! Where a peer shard's slots are exactly a local shard's, the two contexts speak for the
//! same keys and are compared directly. Where the layouts differ, each local shard is
//! compared with each peer shard it overlaps, counting as seen its context and its range
//! claims that cover the overlap (a full sync of that overlap leaves such a claim): a claim
//! for other slots proves nothing about the keys of these (it once hid a removal that only a
//! snapshot carried). Pure.
//!
//! Contexts cannot see everything: a dot can arrive without the dots its write observed (a
//! region relays the record of a snapshot it joined, which carries a SET's own dot but not
//! that of the hash field the SET dropped, which that region never held). Where both sides
//! have seen the same, their entries must be the same, so those overlaps are compared by a
//! digest of their keys' entries too; a difference that outlives a check is a gap as well
//! (the 100,000-seed simulation found regions apart with equal contexts: seed 75730).

use meridian_datanode::crdt::CausalContext;
use meridian_datanode::keyspace::claims::RangeClaims;
use meridian_datanode::keyspace::slot::SlotRange;
use meridian_datanode::node::codec::{decode_claims, decode_context};
use meridian_datanode::repl::handlers::parse_ranges;
use meridian_datanode::repl::protocol::lacks;
use meridian_proto::{NodeStatus, RangeDigest};

use crate::route::intersect;

/// What a shard's master has seen, by its Status: its context and its range claims, and the
/// digests of the entries of some slot ranges' keys, taken at the same moment.
#[derive(Debug, Clone)]
pub struct LocalSeen {
    pub range: SlotRange,
    pub ctx: CausalContext,
    pub claims: RangeClaims,
    pub digests: Vec<(SlotRange, Vec<u8>)>,
}

impl LocalSeen {
    pub fn new(range: SlotRange, ctx: CausalContext, claims: RangeClaims) -> LocalSeen {
        LocalSeen { range, ctx, claims, digests: Vec::new() }
    }

    /// None when the Status does not decode.
    pub fn from_status(range: SlotRange, status: &NodeStatus) -> Option<LocalSeen> {
        let seen = LocalSeen::decode(range, &status.context, &status.claims)?;
        Some(seen.with_digests(&status.range_digests))
    }

    /// From a context and claims in the datanode's encodings; None when one does not decode.
    pub fn decode(range: SlotRange, context: &[u8], claims: &[u8]) -> Option<LocalSeen> {
        Some(LocalSeen::new(range, decode_context(context).ok()?, decode_claims(claims).ok()?))
    }

    /// With the range digests of a Status (a malformed range is left out: it is then never
    /// compared).
    pub fn with_digests(mut self, digests: &[RangeDigest]) -> LocalSeen {
        self.digests = digests
            .iter()
            .filter_map(|d| {
                Some((parse_ranges(std::slice::from_ref(d.range.as_ref()?)).ok()?.pop()?, d.digest.to_vec()))
            })
            .collect();
        self
    }

    /// What it has seen for the keys of `overlap`.
    fn seen_for(&self, overlap: SlotRange) -> CausalContext {
        self.claims.seen_for(&self.ctx, overlap)
    }

    fn digest_of(&self, range: SlotRange) -> Option<&[u8]> {
        self.digests.iter().find(|(r, _)| *r == range).map(|(_, d)| d.as_slice())
    }
}

/// What the last check saw of the peer: its shards' ranges, contexts and claims; and the
/// overlaps whose digests differed at the last comparison.
#[derive(Default)]
pub struct GapCheck {
    previous: Vec<LocalSeen>,
    differed: Vec<SlotRange>,
}

fn same(a: &CausalContext, b: &CausalContext) -> bool {
    !lacks(a, b) && !lacks(b, a)
}

/// Everything a region's shards have seen, for any of their keys.
fn seen_by_region(shards: &[LocalSeen]) -> CausalContext {
    let mut all = CausalContext::new();
    for s in shards {
        all.merge(&s.ctx);
        all.merge(&s.claims.union());
    }
    all
}

/// The overlaps of a local and a peer shard whose keys both sides have seen alike: the two
/// shards have seen the same for the overlap (same layouts, mostly), or the two regions have
/// seen the same dots altogether (a shard's context also holds dots of keys it does not
/// hold, so across layouts only the regions' sums compare).
fn alike_overlaps<'a>(peer: &'a [LocalSeen], local: &'a [LocalSeen]) -> Vec<(SlotRange, &'a LocalSeen, &'a LocalSeen)> {
    let regions_alike = !peer.is_empty() && same(&seen_by_region(peer), &seen_by_region(local));
    let mut out = Vec::new();
    for theirs in peer {
        for mine in local {
            let Some(overlap) = intersect(mine.range, theirs.range) else { continue };
            if regions_alike || same(&mine.seen_for(overlap), &theirs.seen_for(overlap)) {
                out.push((overlap, mine, theirs));
            }
        }
    }
    out
}

impl GapCheck {
    /// Records what the peer's shards have seen now, and returns the local ranges that still
    /// lack what the peer had at the previous check: a peer shard's context for the keys both
    /// hold, and each of its claims for the keys of the claim's slots that both hold (claims
    /// travel only with full syncs, so a region that full-synced before a peer learnt more
    /// would otherwise keep the smaller claim for good).
    pub fn check(&mut self, peer: Vec<LocalSeen>, local: &[LocalSeen]) -> Vec<SlotRange> {
        let mut gaps: Vec<SlotRange> = Vec::new();
        for theirs in &self.previous {
            let claims = theirs.claims.iter().filter_map(|(r, c)| Some((intersect(*r, theirs.range)?, c)));
            for (range, seen) in std::iter::once((theirs.range, &theirs.ctx)).chain(claims) {
                for mine in local {
                    let Some(overlap) = intersect(mine.range, range) else { continue };
                    if lacks(&mine.seen_for(overlap), seen) {
                        gaps.push(mine.range);
                    }
                }
            }
        }
        gaps.sort_by_key(|r| r.start);
        gaps.dedup();
        self.previous = peer;
        gaps
    }

    /// The slot ranges whose digests to compare now (both sides have seen the same for
    /// them); none forgets the last comparison's differences, which then no longer count as
    /// outliving a check.
    pub fn alike(&mut self, peer: &[LocalSeen], local: &[LocalSeen]) -> Vec<SlotRange> {
        let ranges: Vec<SlotRange> = alike_overlaps(peer, local).into_iter().map(|(r, _, _)| r).collect();
        if ranges.is_empty() {
            self.differed.clear();
        }
        ranges
    }

    /// The digests taken of `alike`'s ranges, each side's with its context of that moment:
    /// the local ranges holding an overlap whose entries differ although both sides have seen
    /// the same, at this comparison and the one before.
    pub fn compare(&mut self, peer: &[LocalSeen], local: &[LocalSeen]) -> Vec<SlotRange> {
        let differ: Vec<(SlotRange, SlotRange)> = alike_overlaps(peer, local)
            .into_iter()
            .filter_map(|(overlap, mine, theirs)| {
                let (a, b) = (mine.digest_of(overlap)?, theirs.digest_of(overlap)?);
                (a != b).then_some((overlap, mine.range))
            })
            .collect();
        let mut gaps: Vec<SlotRange> =
            differ.iter().filter(|(overlap, _)| self.differed.contains(overlap)).map(|(_, local)| *local).collect();
        gaps.sort_by_key(|r| r.start);
        gaps.dedup();
        self.differed = differ.into_iter().map(|(overlap, _)| overlap).collect();
        gaps
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use meridian_datanode::crdt::{ActorId, Dot};

    fn ctx(actor: u64, counters: &[u64]) -> CausalContext {
        let mut c = CausalContext::new();
        for n in counters {
            c.insert(Dot::new(ActorId(actor), *n));
        }
        c
    }

    fn local(range: SlotRange, c: CausalContext) -> LocalSeen {
        LocalSeen::new(range, c, RangeClaims::default())
    }

    const LOW: SlotRange = SlotRange { start: 0, end: 8191 };
    const HIGH: SlotRange = SlotRange { start: 8192, end: 16383 };

    #[test]
    fn only_a_gap_that_outlives_a_check_counts() {
        let all = SlotRange::ALL;
        let mut g = GapCheck::default();
        // The peer is ahead (ordinary lag): nothing yet.
        assert!(g.check(vec![local(all, ctx(1, &[1, 2, 3]))], &[local(all, ctx(1, &[1]))]).is_empty());
        // The stream brought 2 and 3 since: no gap, although the peer moved on again.
        assert!(g.check(vec![local(all, ctx(1, &[1, 2, 3, 4]))], &[local(all, ctx(1, &[1, 2, 3]))]).is_empty());
        // 4 never came.
        assert_eq!(g.check(vec![local(all, ctx(1, &[1, 2, 3, 4]))], &[local(all, ctx(1, &[1, 2, 3, 5]))]), vec![all]);
    }

    fn digested(mut seen: LocalSeen, digests: &[(SlotRange, u8)]) -> LocalSeen {
        seen.digests = digests.iter().map(|(r, d)| (*r, vec![*d])).collect();
        seen
    }

    /// Equal knowledge must mean equal entries: where both have seen the same, a digest
    /// difference that outlives a comparison is a gap (seed 75730 of the long simulation).
    #[test]
    fn entries_that_differ_under_equal_contexts_are_a_gap() {
        let all = SlotRange::ALL;
        let seen = || local(all, ctx(1, &[1, 2]));
        let mut g = GapCheck::default();
        assert_eq!(g.alike(&[seen()], &[seen()]), vec![all]);
        let theirs = [digested(seen(), &[(all, 7)])];
        let mine = [digested(seen(), &[(all, 8)])];
        assert!(g.compare(&theirs, &mine).is_empty(), "once is not yet a gap");
        assert_eq!(g.compare(&theirs, &mine), vec![all]);
        // Equal digests end it.
        assert!(g.compare(&theirs, &[digested(seen(), &[(all, 7)])]).is_empty());
        assert!(g.compare(&theirs, &mine).is_empty());
        // A side that saw more may well hold more.
        let ahead = [digested(local(all, ctx(1, &[1, 2, 3])), &[(all, 8)])];
        assert!(g.compare(&theirs, &ahead).is_empty());
        assert!(g.compare(&theirs, &ahead).is_empty());
        // A check with nothing alike forgets the last difference.
        assert!(g.compare(&theirs, &mine).is_empty());
        assert!(g.alike(&[local(all, ctx(1, &[1]))], &[seen()]).is_empty());
        assert!(g.compare(&theirs, &mine).is_empty());
        // A digest missing on either side (a peer of an older version) compares nothing.
        assert!(g.compare(&[seen()], &mine).is_empty());
        assert!(g.compare(&[seen()], &mine).is_empty());
    }

    /// Across layouts a shard's context also holds dots of keys it does not hold: an overlap
    /// is alike when both shards saw the same for it, or when the regions saw the same.
    #[test]
    fn across_layouts_regions_that_saw_the_same_compare_every_overlap() {
        let mine = [local(LOW, ctx(1, &[1])), local(HIGH, ctx(2, &[1]))];
        let mut g = GapCheck::default();
        let mut peer = ctx(1, &[1]);
        assert_eq!(g.alike(&[local(SlotRange::ALL, peer.clone())], &mine), vec![LOW]);
        peer.merge(&ctx(2, &[1]));
        assert_eq!(g.alike(&[local(SlotRange::ALL, peer.clone())], &mine), vec![LOW, HIGH]);
        peer.merge(&ctx(3, &[1]));
        assert!(g.alike(&[local(SlotRange::ALL, peer)], &mine).is_empty());
    }

    /// Layouts that differ: each local shard against each peer shard it overlaps, with the
    /// claims that cover the overlap, and only those.
    #[test]
    fn different_layouts_compare_each_overlap() {
        let peer = || vec![local(LOW, ctx(1, &[1, 2])), local(HIGH, ctx(2, &[1]))];
        let mut g = GapCheck::default();
        assert!(g.check(peer(), &[]).is_empty());
        let one = SlotRange { start: 0, end: 100 };
        let rest = SlotRange { start: 101, end: 16383 };
        // The small shard saw what the low peer shard saw; the big one saw it as a claim for
        // the part of LOW it holds, but nothing covers its overlap with HIGH.
        let mut claims = RangeClaims::default();
        claims.add(SlotRange { start: 101, end: 8191 }, &ctx(1, &[1, 2]));
        claims.add(SlotRange { start: 9000, end: 9100 }, &ctx(2, &[1]));
        let mine = [local(one, ctx(1, &[1, 2])), LocalSeen::new(rest, CausalContext::new(), claims)];
        assert_eq!(g.check(peer(), &mine), vec![rest], "a claim for 9000-9100 says nothing of 8192-16383");
        let mut covered = mine.clone();
        covered[1].claims.add(SlotRange { start: 8192, end: 16383 }, &ctx(2, &[1]));
        assert!(g.check(peer(), &covered).is_empty());
    }

    /// Claims travel only with full syncs: a region that full-synced from a peer of another
    /// layout before a second region did holds a smaller claim, and the gap check brings it
    /// the larger one (the chaos run found two converged regions apart by it for good).
    #[test]
    fn a_peer_claim_we_lack_for_slots_we_hold_is_a_gap() {
        let all = SlotRange::ALL;
        let mut bigger = RangeClaims::default();
        bigger.add(HIGH, &ctx(3, &[1, 2, 3]));
        let peer = || vec![LocalSeen::new(all, ctx(1, &[1]), bigger.clone())];
        let mut smaller = RangeClaims::default();
        smaller.add(HIGH, &ctx(3, &[1]));
        let mine = [LocalSeen::new(all, ctx(1, &[1]), smaller)];
        let mut g = GapCheck::default();
        assert!(g.check(peer(), &mine).is_empty());
        assert_eq!(g.check(peer(), &mine), vec![all]);
        // With the peer's claim (what a full sync brings), or a context that covers it: none.
        let same = [LocalSeen::new(all, ctx(1, &[1]), bigger.clone())];
        assert!(g.check(peer(), &same).is_empty());
        let mut wide = ctx(1, &[1]);
        wide.merge(&ctx(3, &[1, 2, 3]));
        let covering = [LocalSeen::new(all, wide, RangeClaims::default())];
        assert!(g.check(peer(), &covering).is_empty());
        // A shard that holds none of the claim's slots lacks nothing of it.
        let low_only = [local(LOW, ctx(1, &[1]))];
        assert!(g.check(peer(), &low_only).is_empty());
    }
}
