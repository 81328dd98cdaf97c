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

use meridian_datanode::crdt::CausalContext;
use meridian_datanode::keyspace::claims::RangeClaims;
use meridian_datanode::keyspace::slot::SlotRange;
use meridian_datanode::node::codec::{decode_claims, decode_context};
use meridian_datanode::repl::protocol::lacks;
use meridian_proto::NodeStatus;

use crate::route::intersect;

/// What a shard's master has seen, by its Status: its context and its range claims.
#[derive(Debug, Clone)]
pub struct LocalSeen {
    pub range: SlotRange,
    pub ctx: CausalContext,
    pub claims: RangeClaims,
}

impl LocalSeen {
    /// None when the Status does not decode.
    pub fn from_status(range: SlotRange, status: &NodeStatus) -> Option<LocalSeen> {
        LocalSeen::decode(range, &status.context, &status.claims)
    }

    /// From a context and claims in the datanode's encodings; None when one does not decode.
    pub fn decode(range: SlotRange, context: &[u8], claims: &[u8]) -> Option<LocalSeen> {
        Some(LocalSeen { range, ctx: decode_context(context).ok()?, claims: decode_claims(claims).ok()? })
    }

    /// What it has seen for the keys of `overlap`.
    fn seen_for(&self, overlap: SlotRange) -> CausalContext {
        self.claims.seen_for(&self.ctx, overlap)
    }
}

/// What the last check saw of the peer: its shards' ranges, contexts and claims.
#[derive(Default)]
pub struct GapCheck {
    previous: Vec<LocalSeen>,
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
        LocalSeen { range, ctx: c, claims: RangeClaims::default() }
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
        let mine = [local(one, ctx(1, &[1, 2])), LocalSeen { range: rest, ctx: CausalContext::new(), claims }];
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
        let peer = || vec![LocalSeen { range: all, ctx: ctx(1, &[1]), claims: bigger.clone() }];
        let mut smaller = RangeClaims::default();
        smaller.add(HIGH, &ctx(3, &[1]));
        let mine = [LocalSeen { range: all, ctx: ctx(1, &[1]), claims: smaller }];
        let mut g = GapCheck::default();
        assert!(g.check(peer(), &mine).is_empty());
        assert_eq!(g.check(peer(), &mine), vec![all]);
        // With the peer's claim (what a full sync brings), or a context that covers it: none.
        let same = [LocalSeen { range: all, ctx: ctx(1, &[1]), claims: bigger.clone() }];
        assert!(g.check(peer(), &same).is_empty());
        let mut wide = ctx(1, &[1]);
        wide.merge(&ctx(3, &[1, 2, 3]));
        let covering = [LocalSeen { range: all, ctx: wide, claims: RangeClaims::default() }];
        assert!(g.check(peer(), &covering).is_empty());
        // A shard that holds none of the claim's slots lacks nothing of it.
        let low_only = [local(LOW, ctx(1, &[1]))];
        assert!(g.check(peer(), &low_only).is_empty());
    }
}
