//! ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES], its older
//! forms ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX, and
//! ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]: one parser, as
//! Redis's `zrangeGenericCommand`.

use bytes::Bytes;

use super::ranges::{by_lex, by_rank, by_score};
use super::score::{LexRange, ScoreRange};
use super::{read_zset, scored_reply, spec, store};
use crate::cmd::args::is;
use crate::cmd::format::parse_int;
use crate::cmd::{Args, CmdResult, CommandSpec, ReplyError};
use crate::resp::Reply;
use crate::shard::Shard;

const READ: &[&str] = &["readonly"];

pub const ZRANGE: CommandSpec =
    spec("zrange", -4, READ, (1, 1, 1), "Return a range of members in a sorted set", run_zrange);
pub const ZREVRANGE: CommandSpec = spec(
    "zrevrange",
    -4,
    READ,
    (1, 1, 1),
    "Return a range of members in a sorted set, by index, with scores ordered from high to low",
    run_zrevrange,
);
pub const ZRANGEBYSCORE: CommandSpec = spec(
    "zrangebyscore",
    -4,
    READ,
    (1, 1, 1),
    "Return a range of members in a sorted set, by score",
    run_zrangebyscore,
);
pub const ZREVRANGEBYSCORE: CommandSpec = spec(
    "zrevrangebyscore",
    -4,
    READ,
    (1, 1, 1),
    "Return a range of members in a sorted set, by score, with scores ordered from high to low",
    run_zrevrangebyscore,
);
pub const ZRANGEBYLEX: CommandSpec = spec(
    "zrangebylex",
    -4,
    READ,
    (1, 1, 1),
    "Return a range of members in a sorted set, by lexicographical range",
    run_zrangebylex,
);
pub const ZREVRANGEBYLEX: CommandSpec = spec(
    "zrevrangebylex",
    -4,
    READ,
    (1, 1, 1),
    "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.",
    run_zrevrangebylex,
);
pub const ZRANGESTORE: CommandSpec = spec(
    "zrangestore",
    -5,
    &["write", "denyoom"],
    (1, 2, 1),
    "Store a range of members from sorted set into another key",
    run_zrangestore,
);

#[derive(Clone, Copy, PartialEq, Eq)]
enum By {
    Auto,
    Rank,
    Score,
    Lex,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dir {
    Auto,
    Forward,
    Reverse,
}

fn run_zrange(args: &mut Args, shard: &mut Shard) -> CmdResult {
    range(args, shard, None, By::Auto, Dir::Auto)
}

fn run_zrevrange(args: &mut Args, shard: &mut Shard) -> CmdResult {
    range(args, shard, None, By::Rank, Dir::Reverse)
}

fn run_zrangebyscore(args: &mut Args, shard: &mut Shard) -> CmdResult {
    range(args, shard, None, By::Score, Dir::Forward)
}

fn run_zrevrangebyscore(args: &mut Args, shard: &mut Shard) -> CmdResult {
    range(args, shard, None, By::Score, Dir::Reverse)
}

fn run_zrangebylex(args: &mut Args, shard: &mut Shard) -> CmdResult {
    range(args, shard, None, By::Lex, Dir::Forward)
}

fn run_zrevrangebylex(args: &mut Args, shard: &mut Shard) -> CmdResult {
    range(args, shard, None, By::Lex, Dir::Reverse)
}

fn run_zrangestore(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let dst = args.bytes()?;
    range(args, shard, Some(dst), By::Auto, Dir::Auto)
}

fn long(b: &[u8]) -> Result<i64, ReplyError> {
    parse_int(b).ok_or_else(ReplyError::not_integer)
}

/// The parsed range of one request.
enum Range {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

fn range(args: &mut Args, shard: &mut Shard, dst: Option<Bytes>, mut by: By, mut dir: Dir) -> CmdResult {
    let key = args.bytes()?;
    let first = args.bytes()?;
    let second = args.bytes()?;
    let mut withscores = false;
    let (mut offset, mut limit) = (0i64, -1i64);
    while let Some(opt) = args.next() {
        if dst.is_none() && is(&opt, "withscores") {
            withscores = true;
        } else if is(&opt, "limit") && args.remaining() >= 2 {
            offset = long(&args.bytes()?)?;
            limit = long(&args.bytes()?)?;
        } else if dir == Dir::Auto && is(&opt, "rev") {
            dir = Dir::Reverse;
        } else if by == By::Auto && is(&opt, "bylex") {
            by = By::Lex;
        } else if by == By::Auto && is(&opt, "byscore") {
            by = By::Score;
        } else {
            return Err(ReplyError::syntax());
        }
    }
    let rev = dir == Dir::Reverse;
    if by == By::Auto {
        by = By::Rank;
    }
    // As Redis: an explicit "LIMIT 0 -1" counts as no LIMIT.
    if limit != -1 && by == By::Rank {
        return Err(ReplyError::new(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && by == By::Lex {
        return Err(ReplyError::new("ERR syntax error, WITHSCORES not supported in combination with BYLEX"));
    }
    // Reversed score and lex ranges are given as max, min.
    let (min, max) = if rev && by != By::Rank { (second, first) } else { (first, second) };
    let range = match by {
        By::Score => Range::Score(ScoreRange::parse(&min, &max)?),
        By::Lex => Range::Lex(LexRange::parse(&min, &max)?),
        _ => Range::Rank(long(&min)?, long(&max)?),
    };
    let items = match read_zset(shard, &key)? {
        None => Vec::new(),
        Some(z) => match &range {
            Range::Rank(start, end) => by_rank(z, *start, *end, rev),
            Range::Score(r) => by_score(z, r, rev, offset, limit),
            Range::Lex(r) => by_lex(z, r, rev, offset, limit),
        },
    };
    Ok(match dst {
        Some(dst) => Reply::Int(store(shard, &dst, items) as i64),
        None => scored_reply(items, withscores),
    })
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulks, run, shard};
    use crate::resp::Reply;
    use crate::shard::Shard;

    fn with_scores(items: &[(&str, f64)]) -> Reply {
        Reply::Pairs(items.iter().map(|(m, s)| (Reply::text(m), Reply::Double(*s))).collect())
    }

    fn sample() -> Shard {
        let mut s = shard();
        run(&mut s, &["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"]);
        s
    }

    #[test]
    fn by_rank() {
        let mut s = sample();
        let cases: &[(&[&str], &[&str])] = &[
            (&["ZRANGE", "z", "0", "-1"], &["a", "b", "c", "d", "e"]),
            (&["ZRANGE", "z", "1", "2"], &["b", "c"]),
            (&["ZRANGE", "z", "-2", "100"], &["d", "e"]),
            (&["ZRANGE", "z", "-100", "0"], &["a"]),
            (&["ZRANGE", "z", "3", "1"], &[]),
            (&["ZRANGE", "z", "5", "10"], &[]),
            (&["ZRANGE", "z", "0", "1", "REV"], &["e", "d"]),
            (&["ZREVRANGE", "z", "0", "1"], &["e", "d"]),
            (&["ZREVRANGE", "z", "-1", "-1"], &["a"]),
            (&["ZRANGE", "z", "0", "0", "limit", "0", "-1"], &["a"]),
            (&["ZRANGE", "nokey", "0", "-1"], &[]),
        ];
        for (words, want) in cases {
            assert_eq!(run(&mut s, words), bulks(want), "{words:?}");
        }
        assert_eq!(run(&mut s, &["ZRANGE", "z", "0", "1", "WITHSCORES"]), with_scores(&[("a", 1.0), ("b", 2.0)]));
        assert_eq!(run(&mut s, &["ZREVRANGE", "z", "0", "0", "withscores"]), with_scores(&[("e", 5.0)]));
    }

    #[test]
    fn by_score() {
        let mut s = sample();
        let cases: &[(&[&str], &[&str])] = &[
            (&["ZRANGEBYSCORE", "z", "-inf", "+inf"], &["a", "b", "c", "d", "e"]),
            (&["ZRANGEBYSCORE", "z", "(1", "3"], &["b", "c"]),
            (&["ZRANGEBYSCORE", "z", "2", "(4"], &["b", "c"]),
            (&["ZRANGEBYSCORE", "z", "2", "1"], &[]),
            (&["ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", "1", "2"], &["b", "c"]),
            (&["ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", "1", "-1"], &["b", "c", "d", "e"]),
            (&["ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", "-1", "2"], &[]),
            (&["ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", "5", "2"], &[]),
            (&["ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", "0", "0"], &[]),
            (&["ZRANGEBYSCORE", "z", "(", "3"], &["a", "b", "c"]),
            (&["ZREVRANGEBYSCORE", "z", "4", "2"], &["d", "c", "b"]),
            (&["ZREVRANGEBYSCORE", "z", "(4", "(2"], &["c"]),
            (&["ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "1", "2"], &["d", "c"]),
            (&["ZRANGE", "z", "2", "4", "BYSCORE"], &["b", "c", "d"]),
            (&["ZRANGE", "z", "4", "2", "BYSCORE", "REV"], &["d", "c", "b"]),
            (&["ZRANGE", "z", "(1", "+inf", "BYSCORE", "LIMIT", "1", "1"], &["c"]),
        ];
        for (words, want) in cases {
            assert_eq!(run(&mut s, words), bulks(want), "{words:?}");
        }
        assert_eq!(
            run(&mut s, &["ZRANGEBYSCORE", "z", "4", "+inf", "WITHSCORES"]),
            with_scores(&[("d", 4.0), ("e", 5.0)])
        );
        assert_eq!(
            run(&mut s, &["ZRANGE", "z", "+inf", "4", "byscore", "rev", "withscores"]),
            with_scores(&[("e", 5.0), ("d", 4.0)])
        );
    }

    #[test]
    fn by_score_with_zeros_and_infinities() {
        let mut s = shard();
        run(&mut s, &["ZADD", "z", "-0", "m", "0", "p", "-inf", "lo", "inf", "hi"]);
        assert_eq!(run(&mut s, &["ZRANGEBYSCORE", "z", "0", "0"]), bulks(&["m", "p"]));
        assert_eq!(run(&mut s, &["ZREVRANGEBYSCORE", "z", "-0", "-0"]), bulks(&["p", "m"]));
        assert_eq!(run(&mut s, &["ZRANGEBYSCORE", "z", "-inf", "-inf"]), bulks(&["lo"]));
        assert_eq!(run(&mut s, &["ZREVRANGEBYSCORE", "z", "inf", "(0"]), bulks(&["hi"]));
        assert_eq!(run(&mut s, &["ZRANGEBYSCORE", "z", "(-inf", "(inf"]), bulks(&["m", "p"]));
    }

    #[test]
    fn by_lex() {
        let mut s = shard();
        run(&mut s, &["ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e"]);
        let cases: &[(&[&str], &[&str])] = &[
            (&["ZRANGEBYLEX", "z", "-", "+"], &["a", "b", "c", "d", "e"]),
            (&["ZRANGEBYLEX", "z", "[b", "(d"], &["b", "c"]),
            (&["ZRANGEBYLEX", "z", "(b", "+", "LIMIT", "1", "2"], &["d", "e"]),
            (&["ZRANGEBYLEX", "z", "+", "-"], &[]),
            (&["ZRANGEBYLEX", "z", "[bb", "[cc"], &["c"]),
            (&["ZREVRANGEBYLEX", "z", "+", "-"], &["e", "d", "c", "b", "a"]),
            (&["ZREVRANGEBYLEX", "z", "(d", "[b"], &["c", "b"]),
            (&["ZREVRANGEBYLEX", "z", "+", "-", "LIMIT", "1", "2"], &["d", "c"]),
            (&["ZRANGE", "z", "[c", "+", "BYLEX"], &["c", "d", "e"]),
            (&["ZRANGE", "z", "[c", "-", "BYLEX", "REV", "LIMIT", "0", "2"], &["c", "b"]),
        ];
        for (words, want) in cases {
            assert_eq!(run(&mut s, words), bulks(want), "{words:?}");
        }
    }

    #[test]
    fn by_lex_with_mixed_scores_walks_like_redis() {
        let mut s = shard();
        // Index order: c(1) a(2) b(3). Redis walks from the first member >= min.
        run(&mut s, &["ZADD", "z", "1", "c", "2", "a", "3", "b"]);
        assert_eq!(run(&mut s, &["ZRANGEBYLEX", "z", "-", "+"]), bulks(&["c", "a", "b"]));
        assert_eq!(run(&mut s, &["ZRANGEBYLEX", "z", "[b", "+"]), bulks(&["c", "a", "b"]));
        assert_eq!(run(&mut s, &["ZRANGEBYLEX", "z", "-", "[b"]), bulks(&[]));
        assert_eq!(run(&mut s, &["ZLEXCOUNT", "z", "-", "[c"]), Reply::Int(3));
    }

    #[test]
    fn rangestore() {
        let mut s = sample();
        assert_eq!(run(&mut s, &["ZRANGESTORE", "d", "z", "1", "2"]), Reply::Int(2));
        assert_eq!(run(&mut s, &["ZRANGE", "d", "0", "-1", "WITHSCORES"]), with_scores(&[("b", 2.0), ("c", 3.0)]));
        assert_eq!(run(&mut s, &["ZRANGESTORE", "d", "z", "5", "+inf", "BYSCORE"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["ZRANGE", "d", "0", "-1"]), bulks(&["e"]));
        assert_eq!(
            run(&mut s, &["ZRANGESTORE", "d", "z", "+inf", "4", "BYSCORE", "REV", "LIMIT", "0", "1"]),
            Reply::Int(1)
        );
        assert_eq!(run(&mut s, &["ZRANGE", "d", "0", "-1"]), bulks(&["e"]));
        // An empty result deletes the destination, whatever its type.
        assert_eq!(run(&mut s, &["ZRANGESTORE", "d", "z", "10", "20"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["ZCARD", "d"]), Reply::Int(0));
        run(&mut s, &["SET", "str", "x"]);
        assert_eq!(run(&mut s, &["ZRANGESTORE", "str", "nokey", "0", "-1"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["GET", "str"]), Reply::Nil);
        run(&mut s, &["SET", "str", "x"]);
        assert_eq!(run(&mut s, &["ZRANGESTORE", "str", "z", "0", "0"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["ZRANGE", "str", "0", "-1"]), bulks(&["a"]));
        assert_eq!(run(&mut s, &["ZRANGESTORE", "z", "z", "0", "1"]), Reply::Int(2));
        assert_eq!(run(&mut s, &["ZRANGE", "z", "0", "-1"]), bulks(&["a", "b"]));
    }

    #[test]
    fn errors() {
        let mut s = sample();
        run(&mut s, &["SET", "str", "x"]);
        let syntax = Reply::from(ReplyError::syntax());
        let cases: &[(&[&str], Reply)] = &[
            (
                &["ZRANGE", "z", "0", "1", "LIMIT", "0", "1"],
                Reply::error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"),
            ),
            (
                &["ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"],
                Reply::error("ERR syntax error, WITHSCORES not supported in combination with BYLEX"),
            ),
            (
                &["ZRANGEBYLEX", "z", "-", "+", "WITHSCORES"],
                Reply::error("ERR syntax error, WITHSCORES not supported in combination with BYLEX"),
            ),
            (&["ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX"], syntax.clone()),
            (&["ZRANGE", "z", "0", "1", "REV", "REV"], syntax.clone()),
            (&["ZRANGE", "z", "0", "1", "LIMIT", "1"], syntax.clone()),
            (&["ZRANGEBYSCORE", "z", "0", "1", "REV"], syntax.clone()),
            (&["ZREVRANGE", "z", "0", "1", "BYSCORE"], syntax.clone()),
            (&["ZRANGESTORE", "d", "z", "0", "1", "WITHSCORES"], syntax.clone()),
            (&["ZRANGE", "z", "a", "1"], Reply::from(ReplyError::not_integer())),
            (&["ZRANGE", "z", "0", "1", "BYSCORE", "LIMIT", "x", "1"], Reply::from(ReplyError::not_integer())),
            (&["ZRANGE", "z", "x", "1", "BYSCORE"], Reply::error("ERR min or max is not a float")),
            (&["ZRANGE", "z", "a", "b", "BYLEX"], Reply::error("ERR min or max not valid string range item")),
            (&["ZRANGE", "str", "0", "1"], Reply::from(ReplyError::wrongtype())),
            (&["ZRANGE", "str", "x", "1"], Reply::from(ReplyError::not_integer())),
            (&["ZRANGESTORE", "d", "str", "0", "1"], Reply::from(ReplyError::wrongtype())),
            (&["ZRANGE", "z", "0"], Reply::error("ERR wrong number of arguments for 'zrange' command")),
        ];
        for (words, want) in cases {
            assert_eq!(&run(&mut s, words), want, "{words:?}");
        }
    }
}
