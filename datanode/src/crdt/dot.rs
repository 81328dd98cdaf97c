//! Dots: the unique identity every mutation gets, `(actor, counter)`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One shard incarnation. Minted at random when a shard is created, and again whenever a
/// replica is promoted or a shard is rebuilt, so no two incarnations ever share counters.
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Default, Serialize, Deserialize)]
pub struct ActorId(pub u64);

impl fmt::Display for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// The identity of one mutation. An actor never reuses a counter.
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Default, Serialize, Deserialize)]
pub struct Dot {
    pub actor: ActorId,
    pub counter: u64,
}

impl Dot {
    pub const fn new(actor: ActorId, counter: u64) -> Self {
        Dot { actor, counter }
    }
}
