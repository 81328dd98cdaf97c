//! Replication: the backlog and its encoding (pure), the shared replication state of a
//! node, the gRPC service a master offers its replicas and its region's syncer, and the
//! loop by which a replica follows its master.

pub mod backlog;
pub mod backoff;
pub mod codec;
pub mod feed;
pub mod follow;
pub mod info;
pub mod protocol;
pub mod role;
pub mod service;
pub mod state;

/// The layer that names, on every gRPC response of a node or a syncer, the highest protocol
/// version it speaks (`meridian-protocol-version`), so a caller of a newer release knows to
/// speak this one's.
pub fn version_header() -> tower_http::set_header::SetResponseHeaderLayer<tonic::codegen::http::HeaderValue> {
    tower_http::set_header::SetResponseHeaderLayer::overriding(
        tonic::codegen::http::HeaderName::from_static(meridian_proto::VERSION_HEADER),
        tonic::codegen::http::HeaderValue::from(meridian_proto::PROTOCOL_VERSION),
    )
}
