//! Replication over the network, on top of the node core (`node`): the gRPC service a
//! master offers its replicas and its region's syncer (`service`, `feed`), the loop by which
//! a replica follows its master (`follow`), role changes (`role`), INFO replication (`info`),
//! and the protocol's decisions without I/O (`protocol`), which the simulation drives.

pub mod backoff;
pub mod feed;
pub mod follow;
pub mod info;
pub mod protocol;
pub mod role;
pub mod service;
