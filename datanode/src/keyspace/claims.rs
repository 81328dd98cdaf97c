//! Range claims: what a shard has seen for some of its slots only.
//!
//! A shard's causal context holds for every key it owns. A snapshot of some slots from a
//! peer shard of another layout comes with that shard's whole context, which also speaks for
//! keys the peer shard does not own (a delta split by slot keeps all its dots in every part):
//! merged into this shard's context it would claim dots of keys of other slots that this
//! shard owns, and drop their atoms when they arrive ("seen and absent" means removed). The
//! simulation with uneven layouts lost acknowledged writes exactly so. Such a context is
//! kept here instead, as a claim that holds for the snapshot's slots only.

use crate::crdt::context::CausalContext;
use crate::crdt::dot::Dot;
use crate::crdt::seen::Seen;

use super::slot::{SlotRange, intersect};

/// Contexts that hold for a slot range each. Ranges are those of snapshots between two
/// layouts, so there are few; one range may overlap another.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RangeClaims {
    claims: Vec<(SlotRange, CausalContext)>,
}

impl RangeClaims {
    pub fn is_empty(&self) -> bool {
        self.claims.is_empty()
    }

    /// `ctx` holds for the keys of `range`.
    pub fn add(&mut self, range: SlotRange, ctx: &CausalContext) {
        if ctx.is_empty() {
            return;
        }
        match self.claims.iter_mut().find(|(r, _)| *r == range) {
            Some((_, mine)) => mine.merge(ctx),
            None => {
                self.claims.push((range, ctx.clone()));
                self.claims.sort_by_key(|(r, _)| *r);
            }
        }
    }

    /// Every claim of `other`, for the part of its range within `ranges` (all of it when
    /// `ranges` is None).
    pub fn merge(&mut self, other: &RangeClaims, ranges: Option<&[SlotRange]>) {
        for (range, ctx) in &other.claims {
            match ranges {
                None => self.add(*range, ctx),
                Some(within) => {
                    for r in within.iter().filter_map(|w| intersect(*w, *range)) {
                        self.add(r, ctx);
                    }
                }
            }
        }
    }

    /// The claims for the part of their ranges within `ranges`.
    pub fn within(&self, ranges: &[SlotRange]) -> RangeClaims {
        let mut out = RangeClaims::default();
        out.merge(self, Some(ranges));
        out
    }

    /// Whether some claim covering `slot` has seen `dot`.
    pub fn seen_at(&self, slot: u16, dot: &Dot) -> bool {
        self.claims.iter().any(|(r, ctx)| r.contains(slot) && ctx.contains(dot))
    }

    /// Whether a shard that has seen `ctx` for all its keys and `claims` for some has seen
    /// everything these claims hold, each for its range (a claim of `claims` counts where its
    /// range covers the whole of ours; a partial overlap is not counted, so a `false` may
    /// be too cautious, never too bold).
    pub fn covered_by(&self, ctx: &CausalContext, claims: &RangeClaims) -> bool {
        self.claims.iter().all(|(range, mine)| ctx.includes(mine) || claims.seen_for(ctx, *range).includes(mine))
    }

    /// What a shard that has seen `ctx` for all its keys and these claims for some has seen
    /// for every key of `range`: the context, and each claim whose range covers all of it.
    pub fn seen_for(&self, ctx: &CausalContext, range: SlotRange) -> CausalContext {
        let mut seen = ctx.clone();
        for (r, claimed) in &self.claims {
            if r.start <= range.start && range.end <= r.end {
                seen.merge(claimed);
            }
        }
        seen
    }

    /// Everything claimed anywhere (what the shard has seen for some of its keys).
    pub fn union(&self) -> CausalContext {
        let mut all = CausalContext::new();
        for (_, ctx) in &self.claims {
            all.merge(ctx);
        }
        all
    }

    pub fn iter(&self) -> impl Iterator<Item = &(SlotRange, CausalContext)> {
        self.claims.iter()
    }
}

/// What one key of a shard has seen: the shard's context, and the claims for its slot.
pub struct SeenAt<'a> {
    pub ctx: &'a CausalContext,
    pub claims: &'a RangeClaims,
    pub slot: u16,
}

impl Seen for SeenAt<'_> {
    fn seen(&self, dot: &Dot) -> bool {
        self.ctx.contains(dot) || self.claims.seen_at(self.slot, dot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crdt::dot::ActorId;

    fn ctx(counters: &[u64]) -> CausalContext {
        let mut c = CausalContext::new();
        for n in counters {
            c.insert(Dot::new(ActorId(1), *n));
        }
        c
    }

    const LOW: SlotRange = SlotRange { start: 0, end: 99 };
    const HIGH: SlotRange = SlotRange { start: 100, end: 199 };

    #[test]
    fn a_claim_holds_for_its_slots_only() {
        let mut c = RangeClaims::default();
        c.add(LOW, &ctx(&[1, 2]));
        c.add(LOW, &ctx(&[3]));
        let d = |n| Dot::new(ActorId(1), n);
        assert!(c.seen_at(50, &d(3)) && !c.seen_at(150, &d(3)));
        let main = ctx(&[9]);
        assert!(SeenAt { ctx: &main, claims: &c, slot: 150 }.seen(&d(9)));
        assert!(!SeenAt { ctx: &main, claims: &c, slot: 150 }.seen(&d(1)));
        assert_eq!(c.union(), ctx(&[1, 2, 3]));
    }

    #[test]
    fn claims_are_cut_to_the_slots_that_travel() {
        let mut c = RangeClaims::default();
        c.add(SlotRange { start: 50, end: 150 }, &ctx(&[1]));
        let cut = c.within(&[HIGH]);
        assert_eq!(cut.iter().map(|(r, _)| *r).collect::<Vec<_>>(), vec![SlotRange { start: 100, end: 150 }]);
        assert!(c.within(&[SlotRange { start: 160, end: 199 }]).is_empty());
    }

    /// What an old master checks before following its successor: each of its claims must be
    /// seen there, by the context or by a claim whose range covers the claim's.
    #[test]
    fn claims_are_covered_by_a_context_or_a_wider_claim() {
        let mut mine = RangeClaims::default();
        mine.add(LOW, &ctx(&[1, 2]));
        assert!(RangeClaims::default().covered_by(&CausalContext::new(), &RangeClaims::default()));
        assert!(mine.covered_by(&ctx(&[1, 2, 3]), &RangeClaims::default()), "the context saw it all");
        assert!(!mine.covered_by(&ctx(&[1]), &RangeClaims::default()), "2 was seen nowhere");
        let mut wider = RangeClaims::default();
        wider.add(SlotRange { start: 0, end: 199 }, &ctx(&[2]));
        assert!(mine.covered_by(&ctx(&[1]), &wider), "1 by the context, 2 by a claim over LOW");
        let mut elsewhere = RangeClaims::default();
        elsewhere.add(HIGH, &ctx(&[2]));
        assert!(!mine.covered_by(&ctx(&[1]), &elsewhere), "a claim for other slots proves nothing here");
    }
}
