//! Hybrid logical clock and the `Tag` every stored atom carries: its dot plus the stamp that
//! orders it in last-writer-wins decisions.

use std::cmp::Ordering;

use super::dot::Dot;

/// Bits of the HLC kept for the logical counter; the rest is wall-clock milliseconds.
const LOGICAL_BITS: u32 = 16;

/// A hybrid logical clock: 48-bit milliseconds and a 16-bit logical part in one `u64`.
/// It never goes backwards and never falls behind a stamp it has observed.
#[derive(Clone, Debug, Default)]
pub struct Hlc {
    last: u64,
}

impl Hlc {
    /// The next stamp, given the wall clock in milliseconds.
    pub fn tick(&mut self, wall_ms: u64) -> u64 {
        let physical = wall_ms << LOGICAL_BITS;
        self.last = physical.max(self.last.saturating_add(1));
        self.last
    }

    /// Moves the clock past a stamp seen in a peer's write, so a later local write is
    /// never stamped behind a write it causally follows.
    pub fn observe(&mut self, stamp: u64) {
        self.last = self.last.max(stamp);
    }

    pub fn last(&self) -> u64 {
        self.last
    }
}

/// Milliseconds encoded in an HLC value.
pub fn hlc_millis(hlc: u64) -> u64 {
    hlc >> LOGICAL_BITS
}

/// Identity and LWW stamp of one atom of state.
///
/// The order is the LWW order of SEMANTICS.md: the greater HLC wins; equal stamps favour the
/// smaller region id, then the smaller actor id. `Ord` puts the winner last (`max` wins).
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Tag {
    pub dot: Dot,
    pub hlc: u64,
    pub region: u8,
}

impl Ord for Tag {
    fn cmp(&self, other: &Self) -> Ordering {
        self.hlc
            .cmp(&other.hlc)
            .then_with(|| other.region.cmp(&self.region))
            .then_with(|| other.dot.actor.cmp(&self.dot.actor))
            .then_with(|| self.dot.counter.cmp(&other.dot.counter))
    }
}

impl PartialOrd for Tag {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crdt::dot::ActorId;

    fn tag(hlc: u64, region: u8, actor: u64) -> Tag {
        Tag { dot: Dot::new(ActorId(actor), 1), hlc, region }
    }

    #[test]
    fn later_stamp_wins_then_smaller_region_then_smaller_actor() {
        assert!(tag(2, 5, 9) > tag(1, 1, 1));
        assert!(tag(1, 1, 9) > tag(1, 2, 1));
        assert!(tag(1, 1, 1) > tag(1, 1, 2));
    }

    #[test]
    fn hlc_is_monotonic_even_when_the_wall_clock_steps_back() {
        let mut clock = Hlc::default();
        let a = clock.tick(1_000);
        let b = clock.tick(999);
        assert!(b > a);
        clock.observe(b + 100);
        assert!(clock.tick(1_000) > b + 100);
        assert_eq!(hlc_millis(clock.tick(5_000)), 5_000);
    }
}
