//! SINTER key [key ...] and SINTERSTORE destination key [key ...]

use bytes::Bytes;

use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::crdt::orset::OrSet;
use crate::resp::Reply;
use crate::shard::Shard;

pub const SINTER: CommandSpec = CommandSpec {
    name: "sinter",
    arity: -2,
    flags: &["readonly"],
    keys: (1, -1, 1),
    group: "set",
    summary: "Intersect multiple sets.",
    handler: Handler::Data(run_sinter),
};

pub const SINTERSTORE: CommandSpec = CommandSpec {
    name: "sinterstore",
    arity: -3,
    flags: &["write", "denyoom"],
    keys: (1, -1, 1),
    group: "set",
    summary: "Intersect multiple sets and store the resulting set in a key.",
    handler: Handler::Data(run_sinterstore),
};

/// Members of every set (a missing set is empty), at most `limit` of them (0 = no limit).
pub fn inter(sets: &[Option<&OrSet>], limit: usize) -> Vec<Bytes> {
    let Some(mut sets) = sets.iter().copied().collect::<Option<Vec<&OrSet>>>() else { return Vec::new() };
    sets.sort_by_key(|s| s.len());
    let Some((smallest, others)) = sets.split_first() else { return Vec::new() };
    let mut out = Vec::new();
    for m in smallest.members() {
        if others.iter().all(|s| s.contains(m)) {
            out.push(m.clone());
            if out.len() == limit {
                break;
            }
        }
    }
    out
}

fn run_sinter(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let keys = args.rest();
    Ok(super::set_reply(inter(&super::load_sets(shard, &keys)?, 0)))
}

fn run_sinterstore(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let dst = args.bytes()?;
    let keys = args.rest();
    let members = inter(&super::load_sets(shard, &keys)?, 0);
    Ok(Reply::Int(super::store(shard, &dst, members) as i64))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulk, run, shard};
    use crate::resp::Reply;

    fn setup() -> crate::shard::Shard {
        let mut s = shard();
        run(&mut s, &["SADD", "a", "1", "2", "3", "4"]);
        run(&mut s, &["SADD", "b", "2", "3", "5"]);
        run(&mut s, &["SADD", "c", "3", "2", "9"]);
        s
    }

    #[test]
    fn intersects() {
        let mut s = setup();
        assert_eq!(run(&mut s, &["SINTER", "a", "b", "c"]), Reply::Set(vec![bulk("2"), bulk("3")]));
        assert_eq!(run(&mut s, &["SINTER", "a"]), Reply::Set(vec![bulk("1"), bulk("2"), bulk("3"), bulk("4")]));
        assert_eq!(run(&mut s, &["SINTER", "a", "nokey"]), Reply::Set(vec![]));
    }

    #[test]
    fn stores() {
        let mut s = setup();
        assert_eq!(run(&mut s, &["SINTERSTORE", "d", "a", "b"]), Reply::Int(2));
        assert_eq!(run(&mut s, &["SMEMBERS", "d"]), Reply::Set(vec![bulk("2"), bulk("3")]));
        // The destination may be a source, and is replaced whatever its type.
        assert_eq!(run(&mut s, &["SINTERSTORE", "d", "d", "c"]), Reply::Int(2));
        run(&mut s, &["SET", "str", "x"]);
        assert_eq!(run(&mut s, &["SINTERSTORE", "str", "a", "c"]), Reply::Int(2));
        assert_eq!(run(&mut s, &["SMEMBERS", "str"]), Reply::Set(vec![bulk("2"), bulk("3")]));
        // An empty result deletes the destination.
        assert_eq!(run(&mut s, &["SINTERSTORE", "d", "a", "nokey"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["SCARD", "d"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["SINTERSTORE", "none", "a", "nokey"]), Reply::Int(0));
        assert_eq!(s.dbsize(), 4);
    }

    #[test]
    fn errors() {
        let mut s = setup();
        run(&mut s, &["SET", "k", "v"]);
        assert_eq!(run(&mut s, &["SINTER", "a", "k"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["SINTER", "nokey", "k"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["SINTERSTORE", "d", "nokey", "k"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["SINTER"]), Reply::error("ERR wrong number of arguments for 'sinter' command"));
        assert_eq!(
            run(&mut s, &["SINTERSTORE", "d"]),
            Reply::error("ERR wrong number of arguments for 'sinterstore' command")
        );
    }
}
