//! Meridian's datanode: one shard replica of an Active-Active database. A CRDT keyspace
//! (`crdt`, `keyspace`, `shard`) behind a Redis-compatible RESP server (`resp`, `cmd`,
//! `server`).

pub mod cmd;
pub mod crdt;
pub mod keyspace;
pub mod node;
pub mod process;
pub mod repl;
pub mod resp;
pub mod script;
pub mod server;
pub mod shard;
