//! ZRANK key member, ZREVRANK key member (Redis 7.0: no WITHSCORE option).

use super::ranges::{rank_of, rev_rank_of};
use super::{read_zset, spec};
use crate::cmd::{Args, CmdResult, CommandSpec};
use crate::resp::Reply;
use crate::shard::Shard;

pub const ZRANK: CommandSpec =
    spec("zrank", 3, &["readonly", "fast"], (1, 1, 1), "Determine the index of a member in a sorted set", run_zrank);

pub const ZREVRANK: CommandSpec = spec(
    "zrevrank",
    3,
    &["readonly", "fast"],
    (1, 1, 1),
    "Determine the index of a member in a sorted set, with scores ordered from high to low",
    run_zrevrank,
);

fn run_zrank(args: &mut Args, shard: &mut Shard) -> CmdResult {
    rank(args, shard, false)
}

fn run_zrevrank(args: &mut Args, shard: &mut Shard) -> CmdResult {
    rank(args, shard, true)
}

fn rank(args: &mut Args, shard: &mut Shard, rev: bool) -> CmdResult {
    let key = args.bytes()?;
    let member = args.bytes()?;
    let Some(z) = read_zset(shard, &key)? else { return Ok(Reply::Nil) };
    let rank = if rev { rev_rank_of(z, &member) } else { rank_of(z, &member) };
    Ok(rank.map_or(Reply::Nil, |r| Reply::Int(r as i64)))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{run, shard};
    use crate::resp::Reply;

    #[test]
    fn ranks() {
        let mut s = shard();
        run(&mut s, &["ZADD", "z", "1", "a", "2", "b", "2", "c", "3", "d"]);
        for (m, r, rr) in [("a", 0, 3), ("b", 1, 2), ("c", 2, 1), ("d", 3, 0)] {
            assert_eq!(run(&mut s, &["ZRANK", "z", m]), Reply::Int(r));
            assert_eq!(run(&mut s, &["ZREVRANK", "z", m]), Reply::Int(rr));
        }
        assert_eq!(run(&mut s, &["ZRANK", "z", "x"]), Reply::Nil);
        assert_eq!(run(&mut s, &["ZREVRANK", "nokey", "x"]), Reply::Nil);
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["SET", "str", "x"]);
        assert_eq!(run(&mut s, &["ZRANK", "str", "a"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["ZREVRANK", "str", "a"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(
            run(&mut s, &["ZRANK", "z", "a", "WITHSCORE"]),
            Reply::error("ERR wrong number of arguments for 'zrank' command")
        );
    }
}
