//! The RESP wire format: requests in (`frame`), replies out (`reply`).

pub mod error;
pub mod frame;
pub mod number;
pub mod reply;

pub use error::ReplyError;
pub use reply::Reply;
