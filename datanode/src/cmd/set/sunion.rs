//! SUNION key [key ...] and SUNIONSTORE destination key [key ...]

use bytes::Bytes;
use hashbrown::HashSet;

use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::crdt::orset::OrSet;
use crate::resp::Reply;
use crate::shard::Shard;

pub const SUNION: CommandSpec = CommandSpec {
    name: "sunion",
    arity: -2,
    flags: &["readonly"],
    keys: (1, -1, 1),
    group: "set",
    summary: "Add multiple sets.",
    handler: Handler::Data(run_sunion),
};

pub const SUNIONSTORE: CommandSpec = CommandSpec {
    name: "sunionstore",
    arity: -3,
    flags: &["write", "denyoom"],
    keys: (1, -1, 1),
    group: "set",
    summary: "Add multiple sets and store the resulting set in a key.",
    handler: Handler::Data(run_sunionstore),
};

/// Members of any of the sets.
pub fn union(sets: &[Option<&OrSet>]) -> Vec<Bytes> {
    let mut seen: HashSet<&Bytes> = HashSet::new();
    sets.iter().flatten().flat_map(|s| s.members()).filter(|m| seen.insert(*m)).cloned().collect()
}

fn run_sunion(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let keys = args.rest();
    Ok(super::set_reply(union(&super::load_sets(shard, &keys)?)))
}

fn run_sunionstore(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let dst = args.bytes()?;
    let keys = args.rest();
    let members = union(&super::load_sets(shard, &keys)?);
    Ok(Reply::Int(super::store(shard, &dst, members) as i64))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulk, run, shard};
    use crate::resp::Reply;

    #[test]
    fn unites() {
        let mut s = shard();
        run(&mut s, &["SADD", "a", "1", "2"]);
        run(&mut s, &["SADD", "b", "2", "3"]);
        assert_eq!(run(&mut s, &["SUNION", "a", "nokey", "b"]), Reply::Set(vec![bulk("1"), bulk("2"), bulk("3")]));
        assert_eq!(run(&mut s, &["SUNION", "nokey"]), Reply::Set(vec![]));
    }

    #[test]
    fn stores() {
        let mut s = shard();
        run(&mut s, &["SADD", "a", "1", "2"]);
        run(&mut s, &["SADD", "b", "2", "3"]);
        run(&mut s, &["SADD", "d", "old"]);
        assert_eq!(run(&mut s, &["SUNIONSTORE", "d", "a", "b"]), Reply::Int(3));
        assert_eq!(run(&mut s, &["SMEMBERS", "d"]), Reply::Set(vec![bulk("1"), bulk("2"), bulk("3")]));
        assert_eq!(run(&mut s, &["SUNIONSTORE", "d", "d", "nokey"]), Reply::Int(3));
        assert_eq!(run(&mut s, &["SUNIONSTORE", "d", "nokey"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["SCARD", "d"]), Reply::Int(0));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["SADD", "a", "1"]);
        run(&mut s, &["SET", "k", "v"]);
        assert_eq!(run(&mut s, &["SUNION", "a", "k"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["SUNIONSTORE", "d", "a", "k"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["SCARD", "d"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["SUNION"]), Reply::error("ERR wrong number of arguments for 'sunion' command"));
    }
}
