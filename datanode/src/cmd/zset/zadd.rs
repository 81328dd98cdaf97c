//! ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...], and ZINCRBY.
//! Conditions are checked on the local state; the effect merges as a score write (or an
//! increment for INCR and ZINCRBY), SEMANTICS.md §6.

use std::collections::HashMap;

use bytes::Bytes;

use super::score::score_arg;
use super::{Change, commit_changes, score_now, spec, zset_for_write};
use crate::cmd::{Args, CmdResult, CommandSpec, ReplyError};
use crate::resp::Reply;
use crate::shard::Shard;

pub const ZADD: CommandSpec = spec(
    "zadd",
    -4,
    &["write", "denyoom", "fast"],
    (1, 1, 1),
    "Add one or more members to a sorted set, or update its score if it already exists",
    run_zadd,
);

pub const ZINCRBY: CommandSpec = spec(
    "zincrby",
    4,
    &["write", "denyoom", "fast"],
    (1, 1, 1),
    "Increment the score of a member in a sorted set",
    run_zincrby,
);

#[derive(Default, Clone, Copy)]
struct Flags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

fn run_zadd(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let mut f = Flags::default();
    while let Some(word) = args.peek() {
        let flag = match &word.to_ascii_uppercase()[..] {
            b"NX" => &mut f.nx,
            b"XX" => &mut f.xx,
            b"GT" => &mut f.gt,
            b"LT" => &mut f.lt,
            b"CH" => &mut f.ch,
            b"INCR" => &mut f.incr,
            _ => break,
        };
        *flag = true;
        args.next();
    }
    let rest = args.rest();
    if rest.is_empty() || rest.len() % 2 != 0 {
        return Err(ReplyError::syntax());
    }
    if f.nx && f.xx {
        return Err(ReplyError::new("ERR XX and NX options at the same time are not compatible"));
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return Err(ReplyError::new("ERR GT, LT, and/or NX options at the same time are not compatible"));
    }
    if f.incr && rest.len() > 2 {
        return Err(ReplyError::new("ERR INCR option supports a single increment-element pair"));
    }
    let pairs = rest
        .chunks_exact(2)
        .map(|p| Ok((score_arg(&p[0])?, p[1].clone())))
        .collect::<Result<Vec<(f64, Bytes)>, ReplyError>>()?;
    add(shard, &key, pairs, f)
}

fn run_zincrby(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let by = score_arg(&args.bytes()?)?;
    let member = args.bytes()?;
    add(shard, &key, vec![(by, member)], Flags { incr: true, ..Flags::default() })
}

/// Runs the pairs in order against the local state (a member named twice sees its first
/// update), then commits every change at once.
fn add(shard: &mut Shard, key: &Bytes, pairs: Vec<(f64, Bytes)>, f: Flags) -> CmdResult {
    let z = zset_for_write(shard, key)?;
    if z.is_none() && f.xx {
        return Ok(if f.incr { Reply::Nil } else { Reply::Int(0) });
    }
    let mut now: HashMap<Bytes, f64> = HashMap::new();
    let mut changes = Vec::new();
    let (mut added, mut updated) = (0, 0);
    // INCR takes a single pair: the member and its new score if the condition held.
    let mut incremented = None;
    for (score, member) in pairs {
        let current = match now.get(&member) {
            Some(s) => Some(*s),
            None => z.and_then(|z| z.score(&member)),
        };
        let new = match current {
            Some(cur) => {
                if f.nx {
                    continue;
                }
                let new = if f.incr { cur + score } else { score };
                if new.is_nan() {
                    return Err(ReplyError::new("ERR resulting score is not a number (NaN)"));
                }
                if (f.lt && new >= cur) || (f.gt && new <= cur) {
                    continue;
                }
                if new != cur {
                    updated += 1;
                    changes.push((member.clone(), if f.incr { Change::Incr(score) } else { Change::Set(new) }));
                }
                new
            }
            None => {
                if f.xx {
                    continue;
                }
                added += 1;
                changes.push((member.clone(), if f.incr { Change::Incr(score) } else { Change::Set(score) }));
                score
            }
        };
        if f.incr {
            incremented = Some((member.clone(), new));
        }
        now.insert(member, new);
    }
    commit_changes(shard, key, changes);
    if f.incr {
        // The stored sum, which ZSCORE reads back from now on.
        return Ok(incremented.map_or(Reply::Nil, |(m, new)| Reply::Double(score_now(shard, key, &m).unwrap_or(new))));
    }
    Ok(Reply::Int(if f.ch { added + updated } else { added }))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulks, run, shard};
    use crate::resp::Reply;

    fn err(text: &str) -> Reply {
        Reply::error(text)
    }

    #[test]
    fn adds_and_updates() {
        let mut s = shard();
        assert_eq!(run(&mut s, &["ZADD", "z", "1", "a", "2", "b"]), Reply::Int(2));
        assert_eq!(run(&mut s, &["ZADD", "z", "3", "a", "4", "c"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["ZRANGE", "z", "0", "-1"]), bulks(&["b", "a", "c"]));
        assert_eq!(run(&mut s, &["ZADD", "z", "CH", "1", "a", "2", "a"]), Reply::Int(2));
        assert_eq!(run(&mut s, &["ZSCORE", "z", "a"]), Reply::Double(2.0));
        assert_eq!(run(&mut s, &["ZADD", "n", "ch", "1", "a", "2", "a"]), Reply::Int(2));
        assert_eq!(run(&mut s, &["ZADD", "n", "1", "b", "1", "b"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["ZADD", "n", "inf", "i", "-inf", "j", "+inf", "k"]), Reply::Int(3));
        assert_eq!(run(&mut s, &["ZSCORE", "n", "j"]), Reply::Double(f64::NEG_INFINITY));
        assert_eq!(run(&mut s, &["ZADD", "n", "0x10", "h"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["ZSCORE", "n", "h"]), Reply::Double(16.0));
        assert_eq!(run(&mut s, &["ZADD", "n", "1", " 1"]), Reply::Int(1));
    }

    #[test]
    fn same_score_is_no_write() {
        let mut s = shard();
        run(&mut s, &["ZADD", "z", "1", "a"]);
        let before = s.stats.deltas_committed;
        assert_eq!(run(&mut s, &["ZADD", "z", "CH", "1", "a"]), Reply::Int(0));
        assert_eq!(s.stats.deltas_committed, before);
    }

    #[test]
    fn nx_xx_gt_lt_ch() {
        let mut s = shard();
        run(&mut s, &["ZADD", "z", "1", "a", "2", "b"]);
        assert_eq!(run(&mut s, &["ZADD", "z", "NX", "5", "a", "3", "c"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["ZSCORE", "z", "a"]), Reply::Double(1.0));
        assert_eq!(run(&mut s, &["ZADD", "z", "XX", "CH", "5", "a", "3", "d"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["ZSCORE", "z", "d"]), Reply::Nil);
        assert_eq!(run(&mut s, &["ZADD", "z", "GT", "CH", "0", "a", "3", "b", "9", "e"]), Reply::Int(2));
        assert_eq!(run(&mut s, &["ZADD", "z", "LT", "CH", "9", "a", "1", "b"]), Reply::Int(1));
        assert_eq!(
            run(&mut s, &["ZRANGE", "z", "0", "-1", "WITHSCORES"]),
            Reply::Pairs(vec![
                (Reply::text("b"), Reply::Double(1.0)),
                (Reply::text("c"), Reply::Double(3.0)),
                (Reply::text("a"), Reply::Double(5.0)),
                (Reply::text("e"), Reply::Double(9.0)),
            ])
        );
        assert_eq!(run(&mut s, &["ZADD", "missing", "XX", "1", "a"]), Reply::Int(0));
        assert_eq!(s.dbsize(), 1);
    }

    #[test]
    fn incr() {
        let mut s = shard();
        assert_eq!(run(&mut s, &["ZADD", "z", "INCR", "1.5", "a"]), Reply::Double(1.5));
        assert_eq!(run(&mut s, &["ZADD", "z", "incr", "1", "a"]), Reply::Double(2.5));
        assert_eq!(run(&mut s, &["ZADD", "z", "XX", "INCR", "1", "q"]), Reply::Nil);
        assert_eq!(run(&mut s, &["ZADD", "z", "NX", "INCR", "1", "a"]), Reply::Nil);
        assert_eq!(run(&mut s, &["ZADD", "z", "GT", "INCR", "-1", "a"]), Reply::Nil);
        assert_eq!(run(&mut s, &["ZADD", "z", "LT", "INCR", "-1", "a"]), Reply::Double(1.5));
        assert_eq!(run(&mut s, &["ZADD", "z", "INCR", "INCR", "0", "a"]), Reply::Double(1.5));
        assert_eq!(run(&mut s, &["ZADD", "nokey", "XX", "INCR", "1", "a"]), Reply::Nil);
        assert_eq!(run(&mut s, &["ZADD", "z", "INCR", "inf", "i"]), Reply::Double(f64::INFINITY));
        assert_eq!(run(&mut s, &["ZADD", "z", "INCR", "-inf", "i"]), err("ERR resulting score is not a number (NaN)"));
        assert_eq!(run(&mut s, &["ZSCORE", "z", "i"]), Reply::Double(f64::INFINITY));
    }

    #[test]
    fn zincrby() {
        let mut s = shard();
        assert_eq!(run(&mut s, &["ZINCRBY", "z", "2", "a"]), Reply::Double(2.0));
        assert_eq!(run(&mut s, &["ZINCRBY", "z", "-0.5", "a"]), Reply::Double(1.5));
        run(&mut s, &["ZADD", "z", "10", "a"]);
        assert_eq!(run(&mut s, &["ZINCRBY", "z", "1", "a"]), Reply::Double(11.0));
        assert_eq!(run(&mut s, &["ZSCORE", "z", "a"]), Reply::Double(11.0));
        assert_eq!(run(&mut s, &["ZINCRBY", "z", "0", "new"]), Reply::Double(0.0));
        assert_eq!(run(&mut s, &["ZCARD", "z"]), Reply::Int(2));
        assert_eq!(run(&mut s, &["ZINCRBY", "z", "x", "a"]), Reply::from(ReplyError::not_float()));
        assert_eq!(run(&mut s, &["ZINCRBY", "z", "1"]), err("ERR wrong number of arguments for 'zincrby' command"));
        run(&mut s, &["ZINCRBY", "z", "inf", "a"]);
        assert_eq!(run(&mut s, &["ZINCRBY", "z", "-inf", "a"]), err("ERR resulting score is not a number (NaN)"));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["SET", "str", "x"]);
        let cases: &[(&[&str], &str)] = &[
            (&["ZADD", "z", "nan", "x"], "ERR value is not a valid float"),
            (&["ZADD", "z", "1", "x", "nx", "xx"], "ERR value is not a valid float"),
            (&["ZADD", "z", "abc", "x"], "ERR value is not a valid float"),
            (&["ZADD", "z", "1e400", "x"], "ERR value is not a valid float"),
            (&["ZADD", "z", "1 ", "x"], "ERR value is not a valid float"),
            (&["ZADD", "z", "1", "x", "2"], "ERR syntax error"),
            (&["ZADD", "z", "NX", "1"], "ERR syntax error"),
            (&["ZADD", "z", "xx", "nx", "1", "x", "2"], "ERR syntax error"),
            (&["ZADD", "z", "NX", "XX", "1", "x"], "ERR XX and NX options at the same time are not compatible"),
            (&["ZADD", "z", "GT", "NX", "1", "x"], "ERR GT, LT, and/or NX options at the same time are not compatible"),
            (&["ZADD", "z", "GT", "LT", "1", "x"], "ERR GT, LT, and/or NX options at the same time are not compatible"),
            (&["ZADD", "z", "INCR", "1", "x", "2", "y"], "ERR INCR option supports a single increment-element pair"),
            (&["ZADD", "z", "1"], "ERR wrong number of arguments for 'zadd' command"),
            (&["ZADD", "str", "nan", "x"], "ERR value is not a valid float"),
            (&["ZADD", "str", "1", "a"], "WRONGTYPE Operation against a key holding the wrong kind of value"),
            (&["ZINCRBY", "str", "1", "a"], "WRONGTYPE Operation against a key holding the wrong kind of value"),
        ];
        for (words, text) in cases {
            assert_eq!(run(&mut s, words), err(text), "{words:?}");
        }
        assert_eq!(s.dbsize(), 1);
    }
}
