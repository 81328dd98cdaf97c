//! ZREMRANGEBYRANK key start stop, ZREMRANGEBYSCORE key min max, ZREMRANGEBYLEX key min max:
//! one write removing every member of the range as this region sees it.

use super::ranges::{by_rank, by_score, lex_members};
use super::score::{LexRange, ScoreRange};
use super::{Change, commit_changes, spec, zset_for_write};
use crate::cmd::format::parse_int;
use crate::cmd::{Args, CmdResult, CommandSpec, ReplyError};
use crate::resp::Reply;
use crate::shard::Shard;

pub const ZREMRANGEBYRANK: CommandSpec = spec(
    "zremrangebyrank",
    4,
    &["write"],
    (1, 1, 1),
    "Remove all members in a sorted set within the given indexes",
    run_by_rank,
);

pub const ZREMRANGEBYSCORE: CommandSpec = spec(
    "zremrangebyscore",
    4,
    &["write"],
    (1, 1, 1),
    "Remove all members in a sorted set within the given scores",
    run_by_score,
);

pub const ZREMRANGEBYLEX: CommandSpec = spec(
    "zremrangebylex",
    4,
    &["write"],
    (1, 1, 1),
    "Remove all members in a sorted set between the given lexicographical range",
    run_by_lex,
);

enum Range {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

fn run_by_rank(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let start = parse_int(&args.bytes()?).ok_or_else(ReplyError::not_integer)?;
    let end = parse_int(&args.bytes()?).ok_or_else(ReplyError::not_integer)?;
    remove(shard, &key, Range::Rank(start, end))
}

fn run_by_score(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let range = ScoreRange::parse(&args.bytes()?, &args.bytes()?)?;
    remove(shard, &key, Range::Score(range))
}

fn run_by_lex(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let range = LexRange::parse(&args.bytes()?, &args.bytes()?)?;
    remove(shard, &key, Range::Lex(range))
}

fn remove(shard: &mut Shard, key: &bytes::Bytes, range: Range) -> CmdResult {
    let Some(z) = zset_for_write(shard, key)? else { return Ok(Reply::Int(0)) };
    let members: Vec<_> = match &range {
        Range::Rank(start, end) => by_rank(z, *start, *end, false).into_iter().map(|(m, _)| m).collect(),
        Range::Score(r) => by_score(z, r, false, 0, -1).into_iter().map(|(m, _)| m).collect(),
        Range::Lex(r) => lex_members(z, r).take_while(|(_, m)| r.lte_max(m)).map(|(_, m)| m.clone()).collect(),
    };
    let removed = members.len() as i64;
    commit_changes(shard, key, members.into_iter().map(|m| (m, Change::Remove)).collect());
    Ok(Reply::Int(removed))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulks, run, shard};
    use crate::resp::Reply;
    use crate::shard::Shard;

    fn sample() -> Shard {
        let mut s = shard();
        run(&mut s, &["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"]);
        s
    }

    #[test]
    fn by_rank() {
        let mut s = sample();
        assert_eq!(run(&mut s, &["ZREMRANGEBYRANK", "z", "1", "2"]), Reply::Int(2));
        assert_eq!(run(&mut s, &["ZRANGE", "z", "0", "-1"]), bulks(&["a", "d", "e"]));
        assert_eq!(run(&mut s, &["ZREMRANGEBYRANK", "z", "-1", "-1"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["ZREMRANGEBYRANK", "z", "5", "10"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["ZREMRANGEBYRANK", "z", "1", "0"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["ZREMRANGEBYRANK", "z", "0", "-1"]), Reply::Int(2));
        assert_eq!(s.dbsize(), 0);
        assert_eq!(run(&mut s, &["ZREMRANGEBYRANK", "z", "0", "-1"]), Reply::Int(0));
    }

    #[test]
    fn by_score() {
        let mut s = sample();
        assert_eq!(run(&mut s, &["ZREMRANGEBYSCORE", "z", "(1", "3"]), Reply::Int(2));
        assert_eq!(run(&mut s, &["ZRANGE", "z", "0", "-1"]), bulks(&["a", "d", "e"]));
        assert_eq!(run(&mut s, &["ZREMRANGEBYSCORE", "z", "5", "1"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["ZREMRANGEBYSCORE", "z", "-inf", "+inf"]), Reply::Int(3));
        assert_eq!(s.dbsize(), 0);
    }

    #[test]
    fn by_lex() {
        let mut s = shard();
        run(&mut s, &["ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d"]);
        assert_eq!(run(&mut s, &["ZREMRANGEBYLEX", "z", "(a", "[c"]), Reply::Int(2));
        assert_eq!(run(&mut s, &["ZRANGE", "z", "0", "-1"]), bulks(&["a", "d"]));
        assert_eq!(run(&mut s, &["ZREMRANGEBYLEX", "z", "+", "-"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["ZREMRANGEBYLEX", "z", "-", "+"]), Reply::Int(2));
        assert_eq!(s.dbsize(), 0);
    }

    #[test]
    fn errors() {
        let mut s = sample();
        run(&mut s, &["SET", "str", "x"]);
        assert_eq!(run(&mut s, &["ZREMRANGEBYRANK", "z", "x", "1"]), Reply::from(ReplyError::not_integer()));
        assert_eq!(run(&mut s, &["ZREMRANGEBYSCORE", "z", "x", "1"]), Reply::error("ERR min or max is not a float"));
        assert_eq!(
            run(&mut s, &["ZREMRANGEBYLEX", "z", "x", "+"]),
            Reply::error("ERR min or max not valid string range item")
        );
        for cmd in [
            ["ZREMRANGEBYRANK", "str", "0", "1"],
            ["ZREMRANGEBYSCORE", "str", "0", "1"],
            ["ZREMRANGEBYLEX", "str", "-", "+"],
        ] {
            assert_eq!(run(&mut s, &cmd), Reply::from(ReplyError::wrongtype()));
        }
        assert_eq!(run(&mut s, &["ZCARD", "z"]), Reply::Int(5));
    }
}
