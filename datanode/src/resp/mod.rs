//! The RESP wire format: requests in (`frame`), replies out (`reply`).

pub mod frame;
pub mod reply;

pub use reply::Reply;
