//! Causal context: a version vector plus a cloud of counter ranges, everything a shard has
//! seen. Ranges stay ranges: inserting or testing `(actor, first..=last)` costs a few map
//! operations whatever the length of the range, so a peer's number cannot make it walk.

use std::collections::BTreeMap;

use super::dot::{ActorId, Dot, MAX_COUNTER, Minted, OutOfRange};

/// What a replica has seen: for each actor every counter up to `vv[actor]`, plus the
/// out-of-order counters in `cloud`. Removals are expressed against it: an atom whose dot the
/// context contains but the state lacks has been removed.
///
/// Kept normal, so that equal sets of dots are equal values: `vv` holds no zero; `cloud`
/// maps the first dot of each range to its last counter, ranges of one actor are disjoint and
/// never adjacent, and each starts beyond its actor's `vv + 1` (a range that reaches the
/// vector is absorbed into it).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "ContextParts")]
pub struct CausalContext {
    vv: BTreeMap<ActorId, u64>,
    cloud: BTreeMap<Dot, u64>,
}

/// The encoded form. A peer may send anything: decoding checks every counter against
/// `MAX_COUNTER` and every range for order, then normalises.
#[derive(serde::Deserialize)]
struct ContextParts {
    vv: BTreeMap<ActorId, u64>,
    cloud: BTreeMap<Dot, u64>,
}

impl TryFrom<ContextParts> for CausalContext {
    type Error = OutOfRange;

    fn try_from(parts: ContextParts) -> Result<Self, OutOfRange> {
        let mut ctx = CausalContext::new();
        for (actor, max) in parts.vv {
            if max > MAX_COUNTER {
                return Err(OutOfRange::Context { actor, max });
            }
            ctx.insert_range(actor, 1, max);
        }
        for (start, last) in parts.cloud {
            let range = Minted::checked(start.actor, start.counter, last)?;
            ctx.insert_range(range.actor, range.first, range.last);
        }
        Ok(ctx)
    }
}

impl CausalContext {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn contains(&self, dot: &Dot) -> bool {
        self.contains_range(dot.actor, dot.counter, dot.counter)
    }

    /// Whether every counter of `first..=last` of `actor` is in the context (an empty range,
    /// `first > last`, is).
    pub fn contains_range(&self, actor: ActorId, first: u64, last: u64) -> bool {
        if first > last || last <= self.max_contiguous(actor) {
            return true;
        }
        // Counters past the vector lie in one cloud range or are missing: ranges are never
        // adjacent to each other or to the vector.
        let first = first.max(self.max_contiguous(actor).saturating_add(1));
        self.cloud
            .range(..=Dot::new(actor, first))
            .next_back()
            .is_some_and(|(start, &end)| start.actor == actor && end >= last)
    }

    /// Whether this context has joined the delta whose commit minted `minted`.
    pub fn contains_minted(&self, minted: Minted) -> bool {
        self.contains_range(minted.actor, minted.first, minted.last)
    }

    pub fn insert(&mut self, dot: Dot) {
        self.insert_range(dot.actor, dot.counter, dot.counter);
    }

    pub fn insert_minted(&mut self, minted: Minted) {
        self.insert_range(minted.actor, minted.first, minted.last);
    }

    /// Adds `first..=last` of `actor` (counter 0 names no dot and is skipped).
    pub fn insert_range(&mut self, actor: ActorId, first: u64, last: u64) {
        let max = self.max_contiguous(actor);
        let first = first.max(1);
        if first > last || last <= max {
            return;
        }
        let (mut first, mut last) = (first.max(max.saturating_add(1)), last);
        // Absorb every range of this actor that overlaps or touches first..=last.
        let touching: Vec<(Dot, u64)> = self
            .cloud
            .range(Dot::new(actor, 0)..=Dot::new(actor, last.saturating_add(1)))
            .filter(|(_, end)| end.saturating_add(1) >= first)
            .map(|(s, e)| (*s, *e))
            .collect();
        for (start, end) in touching {
            self.cloud.remove(&start);
            first = first.min(start.counter);
            last = last.max(end);
        }
        if first == max.saturating_add(1) {
            self.vv.insert(actor, last);
        } else {
            self.cloud.insert(Dot::new(actor, first), last);
        }
    }

    pub fn merge(&mut self, other: &CausalContext) {
        for (&actor, &max) in &other.vv {
            self.insert_range(actor, 1, max);
        }
        for (start, &last) in &other.cloud {
            self.insert_range(start.actor, start.counter, last);
        }
    }

    /// The highest contiguous counter seen from `actor`.
    pub fn max_contiguous(&self, actor: ActorId) -> u64 {
        self.vv.get(&actor).copied().unwrap_or(0)
    }

    pub fn version_vector(&self) -> &BTreeMap<ActorId, u64> {
        &self.vv
    }

    /// The out-of-order counters, as `(actor, first, last)` ranges in order.
    pub fn cloud_ranges(&self) -> impl Iterator<Item = (ActorId, u64, u64)> + '_ {
        self.cloud.iter().map(|(start, &last)| (start.actor, start.counter, last))
    }

    pub fn is_empty(&self) -> bool {
        self.vv.is_empty() && self.cloud.is_empty()
    }

    /// Whether every dot of `other` is in this context too.
    pub fn includes(&self, other: &CausalContext) -> bool {
        other.vv.iter().all(|(&actor, &max)| self.contains_range(actor, 1, max))
            && other.cloud.iter().all(|(start, &last)| self.contains_range(start.actor, start.counter, last))
    }

    /// The dots of this context that `other` lacks. Walks `other`'s ranges of each actor
    /// once per range of this one, so it costs ranges, never counters.
    pub fn minus(&self, other: &CausalContext) -> CausalContext {
        let mut out = CausalContext::new();
        let mine = self.vv.iter().map(|(&actor, &max)| (actor, 1, max)).chain(self.cloud_ranges());
        for (actor, first, last) in mine {
            // The first counter not yet known to be covered by `other`.
            let mut next = first.max(other.max_contiguous(actor).saturating_add(1));
            for (start, &end) in other.cloud.range(Dot::new(actor, 0)..=Dot::new(actor, last)) {
                if next > last {
                    break;
                }
                if end < next {
                    continue;
                }
                if start.counter > next {
                    out.insert_range(actor, next, start.counter - 1);
                }
                next = end.saturating_add(1);
            }
            if next <= last {
                out.insert_range(actor, next, last);
            }
        }
        out
    }

    /// Builds a context from a version vector and cloud, normalising it.
    pub fn from_parts(vv: BTreeMap<ActorId, u64>, cloud: impl IntoIterator<Item = Dot>) -> Self {
        let mut ctx = CausalContext::new();
        for (actor, max) in vv {
            ctx.insert_range(actor, 1, max);
        }
        for dot in cloud {
            ctx.insert(dot);
        }
        ctx
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(a: u64, c: u64) -> Dot {
        Dot::new(ActorId(a), c)
    }

    #[test]
    fn out_of_order_dots_wait_in_the_cloud_until_contiguous() {
        let mut ctx = CausalContext::new();
        ctx.insert(d(1, 2));
        assert!(ctx.contains(&d(1, 2)) && !ctx.contains(&d(1, 1)));
        assert_eq!(ctx.max_contiguous(ActorId(1)), 0);
        ctx.insert(d(1, 1));
        assert_eq!(ctx.max_contiguous(ActorId(1)), 2);
        assert_eq!(ctx.cloud_ranges().count(), 0);
    }

    /// Issue 12, defect 3: a range is one insertion, however long, and merging ranges that
    /// touch keeps one range.
    #[test]
    fn ranges_are_taken_as_ranges() {
        let mut ctx = CausalContext::new();
        ctx.insert_range(ActorId(7), 10, MAX_COUNTER);
        assert!(ctx.contains(&d(7, 10)) && ctx.contains(&d(7, MAX_COUNTER)) && !ctx.contains(&d(7, 9)));
        assert!(ctx.contains_range(ActorId(7), 11, 1 << 40));
        assert!(!ctx.contains_range(ActorId(7), 9, 20));
        ctx.insert_range(ActorId(7), 3, 5);
        ctx.insert_range(ActorId(7), 6, 9);
        assert_eq!(ctx.cloud_ranges().collect::<Vec<_>>(), vec![(ActorId(7), 3, MAX_COUNTER)]);
        ctx.insert_range(ActorId(7), 1, 2);
        assert_eq!(ctx.max_contiguous(ActorId(7)), MAX_COUNTER);
        assert_eq!(ctx.cloud_ranges().count(), 0);
    }

    #[test]
    fn a_decoded_context_is_bounded_and_normal() {
        let parts = |vv: Vec<(u64, u64)>, cloud: Vec<(u64, u64, u64)>| ContextParts {
            vv: vv.into_iter().map(|(a, m)| (ActorId(a), m)).collect(),
            cloud: cloud.into_iter().map(|(a, f, l)| (d(a, f), l)).collect(),
        };
        assert!(CausalContext::try_from(parts(vec![(1, u64::MAX)], vec![])).is_err());
        assert!(CausalContext::try_from(parts(vec![], vec![(1, 5, 4)])).is_err(), "a backwards range");
        assert!(CausalContext::try_from(parts(vec![], vec![(1, 5, MAX_COUNTER + 1)])).is_err());
        // Zeros and ranges that touch the vector come out normal.
        let ctx = CausalContext::try_from(parts(vec![(1, 3), (2, 0)], vec![(1, 4, 9), (1, 11, 12)])).unwrap();
        assert_eq!(ctx.version_vector().iter().collect::<Vec<_>>(), vec![(&ActorId(1), &9)]);
        assert_eq!(ctx.cloud_ranges().collect::<Vec<_>>(), vec![(ActorId(1), 11, 12)]);
    }

    fn ctx_strategy() -> impl Strategy<Value = CausalContext> {
        proptest::collection::vec((1u64..4, 1u64..12, 0u64..3), 0..20).prop_map(|ranges| {
            let mut ctx = CausalContext::new();
            for (a, c, len) in ranges {
                ctx.insert_range(ActorId(a), c, c + len);
            }
            ctx
        })
    }

    /// Every counter of the small universe the strategies draw from.
    fn universe() -> impl Iterator<Item = Dot> {
        (1u64..4).flat_map(|a| (1u64..16).map(move |c| d(a, c)))
    }

    proptest! {
        #[test]
        fn merge_is_a_join(a in ctx_strategy(), b in ctx_strategy(), c in ctx_strategy()) {
            let mut ab = a.clone(); ab.merge(&b);
            let mut ba = b.clone(); ba.merge(&a);
            prop_assert_eq!(&ab, &ba);
            let mut ab_c = ab.clone(); ab_c.merge(&c);
            let mut bc = b.clone(); bc.merge(&c);
            let mut a_bc = a.clone(); a_bc.merge(&bc);
            prop_assert_eq!(&ab_c, &a_bc);
            let mut aa = a.clone(); aa.merge(&a);
            prop_assert_eq!(&aa, &a);
        }

        #[test]
        fn includes_is_subset(a in ctx_strategy(), b in ctx_strategy()) {
            let subset = universe().all(|dot| !b.contains(&dot) || a.contains(&dot));
            prop_assert_eq!(a.includes(&b), subset);
            let mut ab = a.clone(); ab.merge(&b);
            prop_assert!(ab.includes(&a) && ab.includes(&b));
        }

        #[test]
        fn merge_contains_exactly_the_union(a in ctx_strategy(), b in ctx_strategy()) {
            let mut ab = a.clone(); ab.merge(&b);
            for dot in universe() {
                prop_assert_eq!(ab.contains(&dot), a.contains(&dot) || b.contains(&dot));
            }
        }

        /// A range holds exactly its counters, and equal sets of dots are equal values
        /// whichever way they were inserted (dot by dot, or as ranges).
        #[test]
        fn ranges_equal_their_dots(a in ctx_strategy(), actor in 1u64..4, first in 1u64..14, len in 0u64..4) {
            let mut by_range = a.clone();
            by_range.insert_range(ActorId(actor), first, first + len);
            let mut by_dot = a.clone();
            for c in first..=first + len {
                by_dot.insert(d(actor, c));
            }
            prop_assert_eq!(&by_range, &by_dot);
            let in_range = |dot: &Dot| dot.actor == ActorId(actor) && (first..=first + len).contains(&dot.counter);
            for dot in universe() {
                prop_assert_eq!(by_range.contains(&dot), a.contains(&dot) || in_range(&dot));
            }
            prop_assert_eq!(
                a.contains_range(ActorId(actor), first, first + len),
                (first..=first + len).all(|c| a.contains(&d(actor, c)))
            );
        }

        #[test]
        fn minus_holds_exactly_the_dots_the_other_lacks(a in ctx_strategy(), b in ctx_strategy()) {
            let rest = a.minus(&b);
            for dot in universe() {
                prop_assert_eq!(rest.contains(&dot), a.contains(&dot) && !b.contains(&dot));
            }
        }

        /// The wire form round-trips exactly.
        #[test]
        fn round_trips(a in ctx_strategy()) {
            let bytes = postcard::to_allocvec(&a).unwrap();
            prop_assert_eq!(postcard::from_bytes::<CausalContext>(&bytes).unwrap(), a);
        }
    }
}
