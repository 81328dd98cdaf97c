//! The RESP wire format: requests in (`frame`), replies out (`reply`).

pub mod error;
pub mod frame;
pub mod number;
pub mod reply;

pub use error::ReplyError;
pub use reply::Reply;

/// The Redis version Meridian answers as (INFO, HELLO, `redis.REDIS_VERSION` in scripts).
pub const REDIS_VERSION: &str = "7.0.15";
