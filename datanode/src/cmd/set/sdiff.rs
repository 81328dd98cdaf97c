//! SDIFF key [key ...] and SDIFFSTORE destination key [key ...]

use bytes::Bytes;

use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::crdt::orset::OrSet;
use crate::resp::Reply;
use crate::shard::Shard;

pub const SDIFF: CommandSpec = CommandSpec {
    name: "sdiff",
    arity: -2,
    flags: &["readonly"],
    keys: (1, -1, 1),
    group: "set",
    summary: "Subtract multiple sets.",
    handler: Handler::Data(run_sdiff),
};

pub const SDIFFSTORE: CommandSpec = CommandSpec {
    name: "sdiffstore",
    arity: -3,
    flags: &["write", "denyoom"],
    keys: (1, -1, 1),
    group: "set",
    summary: "Subtract multiple sets and store the resulting set in a key.",
    handler: Handler::Data(run_sdiffstore),
};

/// Members of the first set that are in none of the others.
pub fn diff(sets: &[Option<&OrSet>]) -> Vec<Bytes> {
    let Some((Some(first), others)) = sets.split_first() else { return Vec::new() };
    first.members().filter(|m| !others.iter().flatten().any(|s| s.contains(m))).cloned().collect()
}

fn run_sdiff(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let keys = args.rest();
    Ok(super::set_reply(diff(&super::load_sets(shard, &keys)?)))
}

fn run_sdiffstore(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let dst = args.bytes()?;
    let keys = args.rest();
    let members = diff(&super::load_sets(shard, &keys)?);
    Ok(Reply::Int(super::store(shard, &dst, members) as i64))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulk, run, shard};
    use crate::resp::Reply;

    #[test]
    fn subtracts() {
        let mut s = shard();
        run(&mut s, &["SADD", "a", "1", "2", "3", "4"]);
        run(&mut s, &["SADD", "b", "2"]);
        run(&mut s, &["SADD", "c", "4", "5"]);
        assert_eq!(run(&mut s, &["SDIFF", "a", "b", "nokey", "c"]), Reply::Set(vec![bulk("1"), bulk("3")]));
        assert_eq!(run(&mut s, &["SDIFF", "nokey", "a"]), Reply::Set(vec![]));
        assert_eq!(run(&mut s, &["SDIFF", "b", "a"]), Reply::Set(vec![]));
    }

    #[test]
    fn stores() {
        let mut s = shard();
        run(&mut s, &["SADD", "a", "1", "2", "3"]);
        run(&mut s, &["SADD", "b", "2"]);
        assert_eq!(run(&mut s, &["SDIFFSTORE", "d", "a", "b"]), Reply::Int(2));
        assert_eq!(run(&mut s, &["SMEMBERS", "d"]), Reply::Set(vec![bulk("1"), bulk("3")]));
        assert_eq!(run(&mut s, &["SDIFFSTORE", "d", "b", "a"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["SCARD", "d"]), Reply::Int(0));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["SADD", "a", "1"]);
        run(&mut s, &["SET", "k", "v"]);
        assert_eq!(run(&mut s, &["SDIFF", "a", "k"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["SDIFF", "nokey", "k"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["SDIFFSTORE", "d", "k"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["SDIFF"]), Reply::error("ERR wrong number of arguments for 'sdiff' command"));
    }
}
