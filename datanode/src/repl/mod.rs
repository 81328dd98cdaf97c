//! Replication over the network, on top of the node core (`node`): the gRPC service a
//! master offers its replicas and its region's syncer (`service`, `feed`), the loop by which
//! a replica follows its master (`follow`), role changes (`role`), INFO replication (`info`).
//! Everything they decide is sans-I/O, and the simulation drives it: the protocol's choices
//! (`protocol`), the requests' answers (`handlers`), what a follower's stream carries
//! (`stream`), full syncs put together (`fullsync`), a replica's handling of each event.

pub mod backoff;
mod error;
pub mod feed;
pub mod follow;
pub mod fullsync;
pub mod handlers;
pub mod info;
pub mod protocol;
pub mod role;
pub mod service;
pub mod stream;

pub use error::Error;

/// The largest replication message either side decodes. A full sync's chunk is bounded by
/// entries, not bytes, so one chunk of a few large keys (sets of thousands of members with
/// their dots) outgrows gRPC's default 4 MiB: the master, the follower and the syncers all
/// take this much.
pub const MAX_MESSAGE: usize = 64 << 20;

/// The layer that names, on every gRPC response of a node or a syncer, the highest protocol
/// version it speaks (`meridian-protocol-version`), so a caller of a newer release knows to
/// speak this one's.
pub fn version_header() -> tower_http::set_header::SetResponseHeaderLayer<tonic::codegen::http::HeaderValue> {
    tower_http::set_header::SetResponseHeaderLayer::overriding(
        tonic::codegen::http::HeaderName::from_static(meridian_proto::VERSION_HEADER),
        tonic::codegen::http::HeaderValue::from(meridian_proto::PROTOCOL_VERSION),
    )
}
