//! SET key value [NX|XX] [GET] [EX|PX|EXAT|PXAT t|KEEPTTL], and SETNX, SETEX, PSETEX.

use bytes::Bytes;

use crate::cmd::util::{ExpireUnit, deadline, set_ttl, write_one};
use crate::cmd::{Args, CmdResult, CommandSpec, Handler, ReplyError};
use crate::crdt::cell::Cell;
use crate::keyspace::entry::{Content, Kind};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SET: CommandSpec = CommandSpec {
    name: "set",
    arity: -3,
    flags: &["write", "denyoom"],
    keys: (1, 1, 1),
    group: "string",
    summary: "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
    handler: Handler::Data(run_set),
};

pub const SETNX: CommandSpec = CommandSpec {
    name: "setnx",
    arity: 3,
    flags: &["write", "denyoom", "fast"],
    keys: (1, 1, 1),
    group: "string",
    summary: "Set the string value of a key only when the key doesn't exist.",
    handler: Handler::Data(run_setnx),
};

pub const SETEX: CommandSpec = CommandSpec {
    name: "setex",
    arity: 4,
    flags: &["write", "denyoom"],
    keys: (1, 1, 1),
    group: "string",
    summary: "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.",
    handler: Handler::Data(run_setex),
};

pub const PSETEX: CommandSpec = CommandSpec {
    name: "psetex",
    arity: 4,
    flags: &["write", "denyoom"],
    keys: (1, 1, 1),
    group: "string",
    summary: "Sets both string value and expiration time in milliseconds of a key.",
    handler: Handler::Data(run_psetex),
};

/// What a SET does to the key's TTL.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TtlChange {
    /// Clear it (plain SET): an explicit "no expiry".
    Clear,
    Keep,
    At(u64),
}

/// Writes `value` as the whole string under `key` (any type is replaced). A value in
/// HyperLogLog format keeps (or makes) the key an HLL (SEMANTICS.md §7).
pub fn store(shard: &mut Shard, key: &Bytes, value: Bytes, ttl: TtlChange) {
    let kind = if crate::crdt::hll::sketch::is_hll(&value) { Kind::Hll } else { Kind::Str };
    store_as(shard, key, value, ttl, kind);
}

/// `store` as a plain string, whatever the bytes: for commands that rewrite a string's
/// bytes (APPEND, SETRANGE, SETBIT, BITFIELD, BITOP), which never make an HLL.
pub fn store_string(shard: &mut Shard, key: &Bytes, value: Bytes, ttl: TtlChange) {
    store_as(shard, key, value, ttl, Kind::Str);
}

fn store_as(shard: &mut Shard, key: &Bytes, value: Bytes, ttl: TtlChange, kind: Kind) {
    if let TtlChange::At(at) = ttl {
        if at <= shard.now() {
            // A deadline already past is a DEL (SEMANTICS.md §10).
            shard.delete(key);
            return;
        }
    }
    let standalone = shard.standalone();
    write_one(shard, key, kind, |tag, entry, part, observed| {
        // Alone (no replica, no peer) an explicit "no expiry" can never meet a concurrent
        // deadline, so a key without TTL needs none written.
        let ttl = match ttl {
            TtlChange::Clear if standalone && entry.is_none_or(|e| e.ttl.is_empty()) => TtlChange::Keep,
            other => other,
        };
        if kind == Kind::Hll {
            if let Some(c) = entry.and_then(|e| e.content(Kind::Hll)) {
                c.observed(observed);
            }
            part.contents.push(Content::Hll(Box::new(crate::crdt::hll::Hll::write_delta(tag, value))));
        } else {
            let cell = match entry.and_then(|e| e.content(Kind::Str)) {
                Some(Content::Str(c)) => c.clone(),
                _ => Cell::default(),
            };
            cell.observed(observed);
            // No copy here: the join detaches the stored value from the request buffer.
            part.contents.push(Content::Str(cell.write_delta(tag, value)));
        }
        match ttl {
            TtlChange::Keep => {}
            TtlChange::Clear => set_ttl(entry, tag, None, part, observed),
            TtlChange::At(at) => set_ttl(entry, tag, Some(at), part, observed),
        }
    });
}

fn run_set(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let value = args.bytes()?;
    let (mut nx, mut xx, mut get) = (false, false, false);
    let mut ttl = TtlChange::Clear;
    let mut ttl_given = false;
    while let Some(opt) = args.next() {
        let opt = opt.to_ascii_uppercase();
        let unit = match &opt[..] {
            b"NX" if !xx => {
                nx = true;
                continue;
            }
            b"XX" if !nx => {
                xx = true;
                continue;
            }
            b"GET" => {
                get = true;
                continue;
            }
            b"KEEPTTL" if !ttl_given => {
                ttl_given = true;
                ttl = TtlChange::Keep;
                continue;
            }
            b"EX" if !ttl_given => ExpireUnit::Secs,
            b"PX" if !ttl_given => ExpireUnit::Millis,
            b"EXAT" if !ttl_given => ExpireUnit::AtSecs,
            b"PXAT" if !ttl_given => ExpireUnit::AtMillis,
            _ => return Err(ReplyError::syntax()),
        };
        let n = args.bytes()?;
        let n = crate::cmd::format::parse_int(&n).ok_or_else(ReplyError::not_integer)?;
        ttl = TtlChange::At(deadline(unit, n, shard.now(), "set", false)?);
        ttl_given = true;
    }
    let old = if get { super::get_string(shard, &key)? } else { None };
    let skip = (nx || xx) && {
        let exists = shard.lookup(&key, crate::shard::Access::Read).is_some();
        (nx && exists) || (xx && !exists)
    };
    if !skip {
        store(shard, &key, value, ttl);
    }
    Ok(match (get, skip) {
        (true, _) => old.map_or(Reply::Nil, Reply::Bulk),
        (false, true) => Reply::Nil,
        (false, false) => Reply::Ok,
    })
}

fn run_setnx(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let value = args.bytes()?;
    if shard.lookup(&key, crate::shard::Access::Read).is_some() {
        return Ok(Reply::Int(0));
    }
    store(shard, &key, value, TtlChange::Clear);
    Ok(Reply::Int(1))
}

fn setex(args: &mut Args, shard: &mut Shard, unit: ExpireUnit, name: &str) -> CmdResult {
    let key = args.bytes()?;
    let n = args.int()?;
    let value = args.bytes()?;
    let at = deadline(unit, n, shard.now(), name, false)?;
    store(shard, &key, value, TtlChange::At(at));
    Ok(Reply::Ok)
}

fn run_setex(args: &mut Args, shard: &mut Shard) -> CmdResult {
    setex(args, shard, ExpireUnit::Secs, "setex")
}

fn run_psetex(args: &mut Args, shard: &mut Shard) -> CmdResult {
    setex(args, shard, ExpireUnit::Millis, "psetex")
}
