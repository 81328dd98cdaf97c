//! HSET key field value [field value ...], and HMSET (the same write, replying OK).

use bytes::Bytes;

use crate::cmd::util::{check_write, write_one};
use crate::cmd::{Args, CmdResult, CommandSpec, Handler, ReplyError};
use crate::crdt::cell::Cell;
use crate::crdt::ormap::OrMap;
use crate::keyspace::entry::{Content, Kind};
use crate::resp::Reply;
use crate::shard::Shard;

pub const HSET: CommandSpec = CommandSpec {
    name: "hset",
    arity: -4,
    flags: &["write", "denyoom", "fast"],
    keys: (1, 1, 1),
    group: "hash",
    summary: "Set the string value of a hash field.",
    handler: Handler::Data(run_hset),
};

pub const HMSET: CommandSpec = CommandSpec {
    name: "hmset",
    arity: -4,
    flags: &["write", "denyoom", "fast"],
    keys: (1, 1, 1),
    group: "hash",
    summary: "Set multiple hash fields to multiple values.",
    handler: Handler::Data(run_hmset),
};

fn run_hset(args: &mut Args, shard: &mut Shard) -> CmdResult {
    Ok(Reply::Int(set_pairs(args, shard, "hset")? as i64))
}

fn run_hmset(args: &mut Args, shard: &mut Shard) -> CmdResult {
    set_pairs(args, shard, "hmset")?;
    Ok(Reply::Ok)
}

fn set_pairs(args: &mut Args, shard: &mut Shard, name: &str) -> Result<usize, ReplyError> {
    let key = args.bytes()?;
    let rest = args.rest();
    if rest.is_empty() || rest.len() % 2 != 0 {
        return Err(ReplyError::wrong_arity(name));
    }
    check_write(shard, &key, Kind::Hash)?;
    let pairs = rest.chunks_exact(2).filter_map(|pair| match pair {
        [field, value] => Some((field.clone(), value.clone())),
        _ => None,
    });
    Ok(write_fields(shard, &key, pairs))
}

/// Writes `pairs` into the hash under `key` as one commit (the caller has checked the type):
/// each field's register is replaced and the increments it had seen are reset. Returns how
/// many fields were new.
pub fn write_fields(shard: &mut Shard, key: &Bytes, pairs: impl IntoIterator<Item = (Bytes, Bytes)>) -> usize {
    write_one(shard, key, Kind::Hash, |tag, entry, part, observed| {
        let current = super::hash_in(entry);
        let empty = Cell::default();
        let mut delta = OrMap::default();
        let mut added = 0;
        for (field, value) in pairs {
            let cell = current.and_then(|m| m.get(&field));
            if !cell.is_some_and(Cell::is_live) && delta.get(&field).is_none() {
                added += 1;
            }
            let cell = cell.unwrap_or(&empty);
            cell.observed(observed);
            delta.put_delta(field, cell.write_delta(tag, value));
        }
        part.contents.push(Content::Hash(Box::new(delta)));
        added
    })
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulk, run, shard};
    use crate::resp::Reply;

    #[test]
    fn counts_new_fields_only() {
        let mut s = shard();
        assert_eq!(run(&mut s, &["HSET", "h", "a", "1", "b", "2", "a", "3"]), Reply::Int(2));
        assert_eq!(run(&mut s, &["HGET", "h", "a"]), bulk("3"));
        assert_eq!(run(&mut s, &["HSET", "h", "a", "4", "c", "5"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["HGET", "h", "a"]), bulk("4"));
        assert_eq!(run(&mut s, &["HLEN", "h"]), Reply::Int(3));
    }

    #[test]
    fn hmset_replies_ok() {
        let mut s = shard();
        assert_eq!(run(&mut s, &["HMSET", "h", "a", "1", "b", "2"]), Reply::Ok);
        assert_eq!(run(&mut s, &["HGET", "h", "b"]), bulk("2"));
    }

    #[test]
    fn odd_pairs_are_an_arity_error() {
        let mut s = shard();
        assert_eq!(
            run(&mut s, &["HSET", "h", "a", "1", "b"]),
            Reply::error("ERR wrong number of arguments for 'hset' command")
        );
        assert_eq!(run(&mut s, &["HSET", "h", "a"]), Reply::error("ERR wrong number of arguments for 'hset' command"));
        assert_eq!(
            run(&mut s, &["HMSET", "h", "a", "1", "b"]),
            Reply::error("ERR wrong number of arguments for 'hmset' command")
        );
        assert_eq!(run(&mut s, &["HLEN", "h"]), Reply::Int(0));
    }

    #[test]
    fn overwrites_an_incremented_field() {
        let mut s = shard();
        run(&mut s, &["HINCRBY", "h", "a", "5"]);
        assert_eq!(run(&mut s, &["HSET", "h", "a", "10"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["HGET", "h", "a"]), bulk("10"));
        assert_eq!(run(&mut s, &["HINCRBY", "h", "a", "1"]), Reply::Int(11));
    }

    #[test]
    fn wrongtype() {
        let mut s = shard();
        run(&mut s, &["SET", "k", "v"]);
        assert_eq!(run(&mut s, &["HSET", "k", "a", "1"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["HMSET", "k", "a", "1"]), Reply::from(ReplyError::wrongtype()));
    }
}
