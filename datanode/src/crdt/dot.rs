//! Dots: the unique identity every mutation gets, `(actor, counter)`, and the ranges of
//! counters a commit mints.

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

/// The largest counter a dot may carry. An actor counts one per mutation, so no real one
/// gets near it; a peer's counter beyond it is refused when decoded, and arithmetic on
/// counters (`+ 1` past a range) never overflows.
pub const MAX_COUNTER: u64 = 1 << 62;

/// A counter from the wire that no actor can have minted (beyond `MAX_COUNTER`, zero, or a
/// range that ends before it starts): the payload carrying it is refused.
#[derive(Copy, Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum OutOfRange {
    #[error("dot counter {counter} of actor {actor} is out of range")]
    Dot { actor: ActorId, counter: u64 },
    #[error("counter range {first}..={last} of actor {actor} is out of range")]
    Minted { actor: ActorId, first: u64, last: u64 },
    #[error("context counter {max} of actor {actor} is out of range")]
    Context { actor: ActorId, max: u64 },
}

/// The identity of one mutation. An actor never reuses a counter.
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Default, Serialize, Deserialize)]
#[serde(try_from = "DotParts")]
pub struct Dot {
    pub actor: ActorId,
    pub counter: u64,
}

impl Dot {
    pub const fn new(actor: ActorId, counter: u64) -> Self {
        Dot { actor, counter }
    }
}

/// A dot as decoded, before its counter is checked.
#[derive(Deserialize)]
struct DotParts {
    actor: ActorId,
    counter: u64,
}

impl TryFrom<DotParts> for Dot {
    type Error = OutOfRange;

    fn try_from(d: DotParts) -> Result<Dot, OutOfRange> {
        if d.counter > MAX_COUNTER {
            return Err(OutOfRange::Dot { actor: d.actor, counter: d.counter });
        }
        Ok(Dot::new(d.actor, d.counter))
    }
}

/// The counters one commit minted, `first..=last` of `actor`: a delta's identity. A replica
/// that joined the delta records the range in its `applied` context.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(try_from = "MintedParts")]
pub struct Minted {
    pub actor: ActorId,
    pub first: u64,
    pub last: u64,
}

impl Minted {
    /// A range from the wire: counters from 1 to `MAX_COUNTER`, first no later than last.
    pub fn checked(actor: ActorId, first: u64, last: u64) -> Result<Minted, OutOfRange> {
        if first == 0 || first > last || last > MAX_COUNTER {
            return Err(OutOfRange::Minted { actor, first, last });
        }
        Ok(Minted { actor, first, last })
    }
}

#[derive(Deserialize)]
struct MintedParts {
    actor: ActorId,
    first: u64,
    last: u64,
}

impl TryFrom<MintedParts> for Minted {
    type Error = OutOfRange;

    fn try_from(m: MintedParts) -> Result<Minted, OutOfRange> {
        Minted::checked(m.actor, m.first, m.last)
    }
}
