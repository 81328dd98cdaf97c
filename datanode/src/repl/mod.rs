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
