//! Anti-entropy: dots a peer's shard has seen that ours lacks, although the stream from it is
//! caught up, will never come by stream (their deltas are gone from every backlog and only a
//! snapshot holds them). When the same gap is still there at the next check, the syncer
//! subscribes again asking that range in full.

use meridian_datanode::crdt::CausalContext;
use meridian_datanode::keyspace::slot::SlotRange;
use meridian_datanode::repl::protocol::lacks;

/// What the last check saw of the peer: its shards' ranges and contexts.
#[derive(Default)]
pub struct GapCheck {
    previous: Vec<(SlotRange, CausalContext)>,
}

impl GapCheck {
    /// Records the peer's contexts now, and returns the local ranges (of `local`, by exact
    /// match of the peer's ranges) that still lack what the peer had at the previous check.
    pub fn check(
        &mut self,
        peer: Vec<(SlotRange, CausalContext)>,
        local: &[(SlotRange, CausalContext)],
    ) -> Vec<SlotRange> {
        let gaps = self
            .previous
            .iter()
            .filter_map(|(range, theirs)| {
                let (_, mine) = local.iter().find(|(r, _)| r == range)?;
                lacks(mine, theirs).then_some(*range)
            })
            .collect();
        self.previous = peer;
        gaps
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use meridian_datanode::crdt::{ActorId, Dot};

    fn ctx(counters: &[u64]) -> CausalContext {
        let mut c = CausalContext::new();
        for n in counters {
            c.insert(Dot::new(ActorId(1), *n));
        }
        c
    }

    #[test]
    fn only_a_gap_that_outlives_a_check_counts() {
        let all = SlotRange::ALL;
        let mut g = GapCheck::default();
        // The peer is ahead (ordinary lag): nothing yet.
        assert!(g.check(vec![(all, ctx(&[1, 2, 3]))], &[(all, ctx(&[1]))]).is_empty());
        // The stream brought 2 and 3 since: no gap, although the peer moved on again.
        assert!(g.check(vec![(all, ctx(&[1, 2, 3, 4]))], &[(all, ctx(&[1, 2, 3]))]).is_empty());
        // 4 never came.
        assert_eq!(g.check(vec![(all, ctx(&[1, 2, 3, 4]))], &[(all, ctx(&[1, 2, 3, 5]))]), vec![all]);
    }
}
