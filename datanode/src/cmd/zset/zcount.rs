//! ZCOUNT key min max, ZLEXCOUNT key min max

use super::ranges::{count_lex, count_score};
use super::score::{LexRange, ScoreRange};
use super::{read_zset, spec};
use crate::cmd::{Args, CmdResult, CommandSpec};
use crate::resp::Reply;
use crate::shard::Shard;

pub const ZCOUNT: CommandSpec = spec(
    "zcount",
    4,
    &["readonly", "fast"],
    (1, 1, 1),
    "Count the members in a sorted set with scores within the given values",
    run_zcount,
);

pub const ZLEXCOUNT: CommandSpec = spec(
    "zlexcount",
    4,
    &["readonly", "fast"],
    (1, 1, 1),
    "Count the number of members in a sorted set between a given lexicographical range",
    run_zlexcount,
);

fn run_zcount(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let range = ScoreRange::parse(&args.bytes()?, &args.bytes()?)?;
    Ok(Reply::Int(read_zset(shard, &key)?.map_or(0, |z| count_score(z, &range) as i64)))
}

fn run_zlexcount(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let range = LexRange::parse(&args.bytes()?, &args.bytes()?)?;
    Ok(Reply::Int(read_zset(shard, &key)?.map_or(0, |z| count_lex(z, &range) as i64)))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{run, shard};
    use crate::resp::Reply;

    #[test]
    fn zcount() {
        let mut s = shard();
        run(&mut s, &["ZADD", "z", "1", "a", "2", "b", "3", "c", "-inf", "m", "inf", "p", "0", "z0", "-0", "n0"]);
        let cases: &[(&str, &str, i64)] = &[
            ("-inf", "+inf", 7),
            ("1", "3", 3),
            ("(1", "3", 2),
            ("(1", "(3", 1),
            ("3", "1", 0),
            ("(2", "2", 0),
            ("2", "2", 1),
            ("0", "0", 2),
            ("-0", "(0.5", 2),
            ("(-inf", "(inf", 5),
            ("", "1", 3),
        ];
        for (min, max, n) in cases {
            assert_eq!(run(&mut s, &["ZCOUNT", "z", min, max]), Reply::Int(*n), "{min} {max}");
        }
        assert_eq!(run(&mut s, &["ZCOUNT", "nokey", "0", "1"]), Reply::Int(0));
    }

    #[test]
    fn zlexcount() {
        let mut s = shard();
        run(&mut s, &["ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e"]);
        let cases: &[(&str, &str, i64)] = &[
            ("-", "+", 5),
            ("[b", "[d", 3),
            ("(b", "(d", 1),
            ("[b", "(b", 0),
            ("+", "-", 0),
            ("[", "[c", 3),
            ("(cc", "+", 2),
            ("-", "(a", 0),
        ];
        for (min, max, n) in cases {
            assert_eq!(run(&mut s, &["ZLEXCOUNT", "z", min, max]), Reply::Int(*n), "{min} {max}");
        }
        assert_eq!(run(&mut s, &["ZLEXCOUNT", "nokey", "-", "+"]), Reply::Int(0));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["SET", "str", "x"]);
        let float = Reply::error("ERR min or max is not a float");
        let lex = Reply::error("ERR min or max not valid string range item");
        assert_eq!(run(&mut s, &["ZCOUNT", "str", "x", "1"]), float);
        assert_eq!(run(&mut s, &["ZCOUNT", "z", "[1", "2"]), float);
        assert_eq!(run(&mut s, &["ZCOUNT", "z", "nan", "2"]), float);
        assert_eq!(run(&mut s, &["ZCOUNT", "str", "1", "2"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["ZLEXCOUNT", "str", "a", "+"]), lex);
        assert_eq!(run(&mut s, &["ZLEXCOUNT", "z", "-", "+x"]), lex);
        assert_eq!(run(&mut s, &["ZLEXCOUNT", "str", "-", "+"]), Reply::from(ReplyError::wrongtype()));
    }
}
