//! SPOP key [count]: removes random members. Two regions may pop the same member
//! concurrently; it is then removed once (SEMANTICS.md §5).

use rand::seq::IteratorRandom;

use crate::cmd::format::parse_int;
use crate::cmd::util::check_write;
use crate::cmd::{Args, CmdResult, CommandSpec, Handler, ReplyError};
use crate::keyspace::entry::Kind;
use crate::resp::Reply;
use crate::shard::Shard;

use super::random::pick;

pub const SPEC: CommandSpec = CommandSpec {
    name: "spop",
    arity: -2,
    flags: &["write", "fast"],
    keys: (1, 1, 1),
    group: "set",
    summary: "Remove and return one or multiple random members from a set.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    if args.remaining() > 1 {
        return Err(ReplyError::syntax());
    }
    let Some(count) = args.next() else {
        let set = super::set_in(check_write(shard, &key, Kind::Set)?);
        let Some(member) = set.and_then(|s| s.members().choose(&mut rand::thread_rng())).cloned() else {
            return Ok(Reply::Nil);
        };
        super::remove_members(shard, &key, std::slice::from_ref(&member));
        return Ok(Reply::Bulk(member));
    };
    let count = parse_int(&count)
        .filter(|n| *n >= 0)
        .ok_or_else(|| ReplyError::new("ERR value is out of range, must be positive"))?;
    let Some(set) = super::set_in(check_write(shard, &key, Kind::Set)?) else { return Ok(Reply::Set(Vec::new())) };
    let members: Vec<_> = set.members().collect();
    let picked: Vec<_> = pick(&members, count, &mut rand::thread_rng())?.into_iter().cloned().collect();
    if !picked.is_empty() {
        super::remove_members(shard, &key, &picked);
    }
    Ok(Reply::Set(picked.into_iter().map(Reply::Bulk).collect()))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulk, run, shard};
    use crate::resp::Reply;

    #[test]
    fn pops_one() {
        let mut s = shard();
        assert_eq!(run(&mut s, &["SPOP", "s"]), Reply::Nil);
        run(&mut s, &["SADD", "s", "a"]);
        assert_eq!(run(&mut s, &["SPOP", "s"]), bulk("a"));
        assert_eq!(s.dbsize(), 0);
        assert_eq!(run(&mut s, &["SPOP", "s"]), Reply::Nil);
    }

    #[test]
    fn pops_many() {
        let mut s = shard();
        run(&mut s, &["SADD", "s", "a", "b", "c", "d"]);
        let Reply::Set(popped) = run(&mut s, &["SPOP", "s", "3"]) else { panic!("not a set") };
        assert_eq!(popped.len(), 3);
        assert_eq!(run(&mut s, &["SCARD", "s"]), Reply::Int(1));
        for m in &popped {
            let Reply::Bulk(m) = m else { panic!("not a bulk") };
            let m = std::str::from_utf8(m).expect("utf8");
            assert_eq!(run(&mut s, &["SISMEMBER", "s", m]), Reply::Int(0));
        }
        let Reply::Set(rest) = run(&mut s, &["SPOP", "s", "10"]) else { panic!("not a set") };
        assert_eq!(rest.len(), 1);
        assert_eq!(s.dbsize(), 0);
        assert_eq!(run(&mut s, &["SPOP", "s", "2"]), Reply::Set(vec![]));
        run(&mut s, &["SADD", "s", "a"]);
        assert_eq!(run(&mut s, &["SPOP", "s", "0"]), Reply::Set(vec![]));
        assert_eq!(run(&mut s, &["SCARD", "s"]), Reply::Int(1));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["SADD", "s", "a"]);
        let positive = Reply::error("ERR value is out of range, must be positive");
        assert_eq!(run(&mut s, &["SPOP", "s", "-1"]), positive);
        assert_eq!(run(&mut s, &["SPOP", "s", "x"]), positive);
        assert_eq!(run(&mut s, &["SPOP", "s", "1", "x"]), Reply::from(ReplyError::syntax()));
        run(&mut s, &["SET", "k", "v"]);
        assert_eq!(run(&mut s, &["SPOP", "k"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["SPOP", "k", "1"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["SPOP", "k", "0"]), Reply::from(ReplyError::wrongtype()));
    }
}
