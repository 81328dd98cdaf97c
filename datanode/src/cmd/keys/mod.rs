//! Key-level commands (SEMANTICS.md §10): deletion, expiry, renames, iteration, flush.

mod copy;
mod dbsize;
mod del;
mod digest;
mod exists;
mod expire;
mod flush;
mod keys_glob;
mod object;
mod persist;
mod randomkey;
mod rename;
mod scan;
mod touch;
mod ttl;
mod type_;

use super::CommandSpec;

pub use rename::fresh_copy;

pub const COMMANDS: &[CommandSpec] = &[
    copy::SPEC,
    dbsize::SPEC,
    del::DEL,
    del::UNLINK,
    digest::SPEC,
    exists::SPEC,
    expire::EXPIRE,
    expire::PEXPIRE,
    expire::EXPIREAT,
    expire::PEXPIREAT,
    flush::FLUSHALL,
    flush::FLUSHDB,
    keys_glob::SPEC,
    object::SPEC,
    persist::SPEC,
    randomkey::SPEC,
    rename::RENAME,
    rename::RENAMENX,
    scan::SPEC,
    touch::SPEC,
    ttl::TTL,
    ttl::PTTL,
    ttl::EXPIRETIME,
    ttl::PEXPIRETIME,
    type_::SPEC,
];
