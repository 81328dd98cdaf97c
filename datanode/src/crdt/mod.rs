//! The CRDT core: pure data types with join, no I/O. See ARCHITECTURE.md "Data model".

pub mod atoms;
pub mod cell;
pub mod context;
pub mod counter;
pub mod dot;
pub mod hll;
pub mod list;
pub mod ormap;
pub mod orset;
pub mod register;
pub mod seen;
pub mod tag;
pub mod ttl;
pub mod zset;

pub use context::CausalContext;
pub use dot::{ActorId, Dot, MAX_COUNTER, Minted, OutOfRange};
pub use seen::{DotList, Either, Seen};
pub use tag::{Hlc, Tag};
