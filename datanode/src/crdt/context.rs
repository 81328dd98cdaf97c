//! Causal context: a version vector plus a dot cloud of everything a shard has seen.

use std::collections::{BTreeMap, BTreeSet};

use super::dot::{ActorId, Dot};

/// What a replica has seen: for each actor every counter up to `vv[actor]`, plus the
/// out-of-order dots in `cloud`. Removals are expressed against it: an atom whose dot the
/// context contains but the state lacks has been removed.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(from = "ContextParts")]
pub struct CausalContext {
    vv: BTreeMap<ActorId, u64>,
    cloud: BTreeSet<Dot>,
}

/// The encoded form; decoding normalises it (dots the vector covers leave the cloud).
#[derive(serde::Deserialize)]
struct ContextParts {
    vv: BTreeMap<ActorId, u64>,
    cloud: BTreeSet<Dot>,
}

impl From<ContextParts> for CausalContext {
    fn from(parts: ContextParts) -> Self {
        CausalContext::from_parts(parts.vv, parts.cloud)
    }
}

impl CausalContext {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn contains(&self, dot: &Dot) -> bool {
        self.vv.get(&dot.actor).is_some_and(|&max| dot.counter <= max) || self.cloud.contains(dot)
    }

    pub fn insert(&mut self, dot: Dot) {
        // The common case: the next dot of a known actor.
        if let Some(max) = self.vv.get_mut(&dot.actor) {
            if dot.counter == *max + 1 && self.cloud.is_empty() {
                *max = dot.counter;
                return;
            }
        }
        let max = self.vv.entry(dot.actor).or_insert(0);
        if dot.counter == *max + 1 {
            *max = dot.counter;
            self.absorb_cloud(dot.actor);
        } else if dot.counter > *max {
            self.cloud.insert(dot);
        }
    }

    /// Pulls dots that became contiguous out of the cloud into the vector.
    fn absorb_cloud(&mut self, actor: ActorId) {
        let Some(max) = self.vv.get_mut(&actor) else { return };
        while self.cloud.remove(&Dot::new(actor, *max + 1)) {
            *max += 1;
        }
    }

    pub fn merge(&mut self, other: &CausalContext) {
        for (&actor, &max) in &other.vv {
            let mine = self.vv.entry(actor).or_insert(0);
            *mine = (*mine).max(max);
        }
        for dot in &other.cloud {
            self.insert(*dot);
        }
        let actors: Vec<ActorId> = other.vv.keys().copied().collect();
        for actor in actors {
            self.cloud.retain(|d| d.actor != actor || d.counter > self.vv[&actor]);
            self.absorb_cloud(actor);
        }
    }

    /// The highest contiguous counter seen from `actor`.
    pub fn max_contiguous(&self, actor: ActorId) -> u64 {
        self.vv.get(&actor).copied().unwrap_or(0)
    }

    pub fn version_vector(&self) -> &BTreeMap<ActorId, u64> {
        &self.vv
    }

    pub fn cloud(&self) -> &BTreeSet<Dot> {
        &self.cloud
    }

    pub fn is_empty(&self) -> bool {
        self.vv.values().all(|&m| m == 0) && self.cloud.is_empty()
    }

    /// Whether every dot of `other` is in this context too.
    pub fn includes(&self, other: &CausalContext) -> bool {
        other.vv.iter().all(|(actor, &max)| {
            max == 0 || self.vv.get(actor).is_some_and(|&mine| mine >= max) || {
                // A gap in our vector may still be filled by our cloud, dot by dot; only small
                // gaps are worth walking.
                let mine = self.max_contiguous(*actor);
                max - mine <= 4096 && (mine + 1..=max).all(|c| self.cloud.contains(&Dot::new(*actor, c)))
            }
        }) && other.cloud.iter().all(|d| self.contains(d))
    }

    /// Builds a context from a version vector and cloud, normalising it.
    pub fn from_parts(vv: BTreeMap<ActorId, u64>, cloud: impl IntoIterator<Item = Dot>) -> Self {
        let mut ctx = CausalContext { vv, cloud: BTreeSet::new() };
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
        assert!(ctx.cloud().is_empty());
    }

    fn ctx_strategy() -> impl Strategy<Value = CausalContext> {
        proptest::collection::vec((1u64..4, 1u64..12), 0..20).prop_map(|dots| {
            let mut ctx = CausalContext::new();
            for (a, c) in dots {
                ctx.insert(d(a, c));
            }
            ctx
        })
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
            let subset = (1u64..4).all(|actor| (1u64..14).all(|counter| {
                let dot = d(actor, counter);
                !b.contains(&dot) || a.contains(&dot)
            }));
            prop_assert_eq!(a.includes(&b), subset);
            let mut ab = a.clone(); ab.merge(&b);
            prop_assert!(ab.includes(&a) && ab.includes(&b));
        }

        #[test]
        fn merge_contains_exactly_the_union(a in ctx_strategy(), b in ctx_strategy()) {
            let mut ab = a.clone(); ab.merge(&b);
            for actor in 1u64..4 {
                for counter in 1u64..14 {
                    let dot = d(actor, counter);
                    prop_assert_eq!(ab.contains(&dot), a.contains(&dot) || b.contains(&dot));
                }
            }
        }
    }
}
