//! Redis compatibility, end to end: every test starts a fresh redis-server (Debian's) and a
//! fresh meridian-datanode, sends both the same commands, and requires the exact replies
//! Redis gives, spelled out in the test.
//!
//! Needs `cargo build -p meridian-datanode` first (or `MERIDIAN_DATANODE_BIN`), and
//! `redis-server` and `redis-cli` on PATH.

mod bitmaps;
mod blocking;
mod clients;
mod functions;
mod geo;
mod hashes;
mod hyperloglog;
mod keys;
mod lists;
mod protocol;
mod pubsub;
mod resp3;
mod scripting;
mod sets;
mod strings;
mod transactions;
mod ttl;
mod zsets;

/// Test result: harness failures (a server that does not start) surface as errors.
type TestResult = Result<(), meridian_e2e::Error>;
