//! ZUNION, ZINTER, ZDIFF numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]
//! [WITHSCORES], and the *STORE forms with a destination first. Inputs may be sorted sets or
//! plain sets (every member scored 1), as in Redis. A store is DEL dst + adds in one commit
//! (SEMANTICS.md §6).

use std::cmp::Ordering;
use std::collections::HashMap;

use bytes::Bytes;

use super::score::parse_score;
use super::{Scored, scored_reply, spec, store};
use crate::cmd::args::is;
use crate::cmd::{Args, CmdResult, CommandSpec, ReplyError};
use crate::crdt::orset::OrSet;
use crate::crdt::zset::ZSet;
use crate::keyspace::entry::{Content, Entry};
use crate::resp::Reply;
use crate::shard::Shard;

const READ: &[&str] = &["readonly", "movablekeys"];
const WRITE: &[&str] = &["write", "denyoom", "movablekeys"];

pub const ZUNION: CommandSpec = spec("zunion", -3, READ, (0, 0, 0), "Add multiple sorted sets", run_zunion);
pub const ZINTER: CommandSpec = spec("zinter", -3, READ, (0, 0, 0), "Intersect multiple sorted sets", run_zinter);
pub const ZDIFF: CommandSpec = spec("zdiff", -3, READ, (0, 0, 0), "Subtract multiple sorted sets", run_zdiff);
pub const ZUNIONSTORE: CommandSpec = spec(
    "zunionstore",
    -4,
    WRITE,
    (1, 1, 1),
    "Add multiple sorted sets and store the resulting sorted set in a new key",
    run_zunionstore,
);
pub const ZINTERSTORE: CommandSpec = spec(
    "zinterstore",
    -4,
    WRITE,
    (1, 1, 1),
    "Intersect multiple sorted sets and store the resulting sorted set in a new key",
    run_zinterstore,
);
pub const ZDIFFSTORE: CommandSpec = spec(
    "zdiffstore",
    -4,
    WRITE,
    (1, 1, 1),
    "Subtract multiple sorted sets and store the resulting sorted set in a new key",
    run_zdiffstore,
);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    /// Redis's `zunionInterAggregate`, NaN handling included (inf + -inf sums to 0).
    fn apply(self, target: &mut f64, value: f64) {
        match self {
            Aggregate::Sum => {
                *target += value;
                if target.is_nan() {
                    *target = 0.0;
                }
            }
            Aggregate::Min => *target = if value < *target { value } else { *target },
            Aggregate::Max => *target = if value > *target { value } else { *target },
        }
    }
}

fn run_zunion(args: &mut Args, shard: &mut Shard) -> CmdResult {
    combine(args, shard, Op::Union, None, "zunion")
}

fn run_zinter(args: &mut Args, shard: &mut Shard) -> CmdResult {
    combine(args, shard, Op::Inter, None, "zinter")
}

fn run_zdiff(args: &mut Args, shard: &mut Shard) -> CmdResult {
    combine(args, shard, Op::Diff, None, "zdiff")
}

fn run_zunionstore(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let dst = args.bytes()?;
    combine(args, shard, Op::Union, Some(dst), "zunionstore")
}

fn run_zinterstore(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let dst = args.bytes()?;
    combine(args, shard, Op::Inter, Some(dst), "zinterstore")
}

fn run_zdiffstore(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let dst = args.bytes()?;
    combine(args, shard, Op::Diff, Some(dst), "zdiffstore")
}

/// One input: a sorted set, a set (members score 1) or nothing.
#[derive(Clone, Copy)]
enum Source<'a> {
    Empty,
    Sorted(&'a ZSet),
    Plain(&'a OrSet),
}

impl<'a> Source<'a> {
    fn len(&self) -> usize {
        match self {
            Source::Empty => 0,
            Source::Sorted(z) => z.len(),
            Source::Plain(s) => s.len(),
        }
    }

    fn items(&self) -> Box<dyn Iterator<Item = (&'a Bytes, f64)> + 'a> {
        match *self {
            Source::Empty => Box::new(std::iter::empty()),
            Source::Sorted(z) => Box::new(z.ordered().map(|(s, m)| (m, s.0))),
            Source::Plain(s) => Box::new(s.members().map(|m| (m, 1.0))),
        }
    }

    fn get(&self, member: &[u8]) -> Option<f64> {
        match self {
            Source::Empty => None,
            Source::Sorted(z) => z.score(member),
            Source::Plain(s) => s.contains(member).then_some(1.0),
        }
    }
}

fn combine(args: &mut Args, shard: &mut Shard, op: Op, dst: Option<Bytes>, name: &str) -> CmdResult {
    let numkeys = args.int()?;
    if numkeys < 1 {
        return Err(ReplyError::new(format!("ERR at least 1 input key is needed for '{name}' command")));
    }
    if numkeys as u64 > args.remaining() as u64 {
        return Err(ReplyError::syntax());
    }
    let keys: Vec<Bytes> = (0..numkeys).filter_map(|_| args.next()).collect();
    // Every input is looked up (and type-checked) before the options are parsed, as in Redis.
    let mut found = Vec::with_capacity(keys.len());
    for key in &keys {
        found.push(match shard.read(key) {
            None => false,
            Some(Content::ZSet(_) | Content::Set(_)) => true,
            Some(_) => return Err(ReplyError::wrongtype()),
        });
    }
    let mut weights = vec![1.0; keys.len()];
    let mut aggregate = Aggregate::Sum;
    let mut withscores = false;
    while let Some(opt) = args.next() {
        if op != Op::Diff && is(&opt, "weights") && args.remaining() >= keys.len() {
            for w in weights.iter_mut() {
                let arg = args.bytes()?;
                *w = parse_score(&arg).ok_or_else(|| ReplyError::new("ERR weight value is not a float"))?;
            }
        } else if op != Op::Diff && is(&opt, "aggregate") && !args.is_empty() {
            let how = args.bytes()?;
            aggregate = if is(&how, "sum") {
                Aggregate::Sum
            } else if is(&how, "min") {
                Aggregate::Min
            } else if is(&how, "max") {
                Aggregate::Max
            } else {
                return Err(ReplyError::syntax());
            };
        } else if dst.is_none() && is(&opt, "withscores") {
            withscores = true;
        } else {
            return Err(ReplyError::syntax());
        }
    }
    let result = {
        let ks = shard.keyspace();
        let mut sources: Vec<(Source<'_>, f64)> = keys
            .iter()
            .zip(&found)
            .zip(&weights)
            .map(|((key, found), w)| {
                let source = match ks.get(key).filter(|_| *found).and_then(Entry::visible) {
                    Some(Content::ZSet(z)) => Source::Sorted(z),
                    Some(Content::Set(s)) => Source::Plain(s),
                    _ => Source::Empty,
                };
                (source, *w)
            })
            .collect();
        match op {
            Op::Union => {
                sources.sort_by_key(|(s, _)| s.len());
                union(&sources, aggregate)
            }
            Op::Inter => {
                sources.sort_by_key(|(s, _)| s.len());
                inter(&sources, aggregate)
            }
            Op::Diff => diff(&sources),
        }
    };
    Ok(match dst {
        Some(dst) => Reply::Int(store(shard, &dst, result) as i64),
        None => scored_reply(result, withscores),
    })
}

/// Redis's weighted score: a NaN product (0 × inf) counts as 0.
fn weighted(score: f64, weight: f64) -> f64 {
    let v = weight * score;
    if v.is_nan() { 0.0 } else { v }
}

fn union(sources: &[(Source<'_>, f64)], aggregate: Aggregate) -> Vec<Scored> {
    let mut acc: HashMap<&Bytes, f64> = HashMap::new();
    for (source, weight) in sources {
        for (member, score) in source.items() {
            let value = weighted(score, *weight);
            match acc.get_mut(member) {
                Some(total) => aggregate.apply(total, value),
                None => {
                    acc.insert(member, value);
                }
            }
        }
    }
    sorted(acc.into_iter().map(|(m, s)| (m.clone(), s)).collect())
}

fn inter(sources: &[(Source<'_>, f64)], aggregate: Aggregate) -> Vec<Scored> {
    let Some(((first, w0), rest)) = sources.split_first() else { return Vec::new() };
    let mut out = Vec::new();
    'members: for (member, score) in first.items() {
        let mut total = weighted(score, *w0);
        for (source, weight) in rest {
            match source.get(member) {
                Some(s) => aggregate.apply(&mut total, s * weight),
                None => continue 'members,
            }
        }
        out.push((member.clone(), total));
    }
    sorted(out)
}

fn diff(sources: &[(Source<'_>, f64)]) -> Vec<Scored> {
    let Some(((first, _), rest)) = sources.split_first() else { return Vec::new() };
    let out = first
        .items()
        .filter(|(member, _)| rest.iter().all(|(s, _)| s.get(member).is_none()))
        .map(|(m, s)| (m.clone(), s))
        .collect();
    sorted(out)
}

/// Result order: by score (-0 and 0 equal, as Redis compares them), then by member.
fn sorted(mut items: Vec<Scored>) -> Vec<Scored> {
    items.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(Ordering::Equal).then_with(|| a.0.cmp(&b.0)));
    items
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
        run(&mut s, &["ZADD", "z1", "1", "a", "2", "b", "3", "c"]);
        run(&mut s, &["ZADD", "z2", "10", "b", "20", "c", "30", "d"]);
        run(&mut s, &["SADD", "s", "a", "d", "e"]);
        s
    }

    #[test]
    fn union() {
        let mut s = sample();
        assert_eq!(
            run(&mut s, &["ZUNION", "2", "z1", "z2", "WITHSCORES"]),
            with_scores(&[("a", 1.0), ("b", 12.0), ("c", 23.0), ("d", 30.0)])
        );
        assert_eq!(run(&mut s, &["ZUNION", "2", "z1", "z2"]), bulks(&["a", "b", "c", "d"]));
        assert_eq!(
            run(&mut s, &["ZUNION", "2", "z1", "z2", "WEIGHTS", "2", "0.5", "AGGREGATE", "MAX", "WITHSCORES"]),
            with_scores(&[("a", 2.0), ("b", 5.0), ("c", 10.0), ("d", 15.0)])
        );
        assert_eq!(
            run(&mut s, &["ZUNION", "3", "z1", "s", "nokey", "aggregate", "min", "withscores"]),
            with_scores(&[("a", 1.0), ("d", 1.0), ("e", 1.0), ("b", 2.0), ("c", 3.0)])
        );
        assert_eq!(run(&mut s, &["ZUNION", "1", "nokey"]), bulks(&[]));
    }

    #[test]
    fn inter() {
        let mut s = sample();
        assert_eq!(run(&mut s, &["ZINTER", "2", "z1", "z2", "WITHSCORES"]), with_scores(&[("b", 12.0), ("c", 23.0)]));
        assert_eq!(
            run(&mut s, &["ZINTER", "2", "z1", "z2", "AGGREGATE", "MIN", "WITHSCORES"]),
            with_scores(&[("b", 2.0), ("c", 3.0)])
        );
        assert_eq!(run(&mut s, &["ZINTER", "2", "z1", "s", "WITHSCORES"]), with_scores(&[("a", 2.0)]));
        assert_eq!(
            run(&mut s, &["ZINTER", "2", "z1", "z1", "WEIGHTS", "1", "2", "WITHSCORES"]),
            with_scores(&[("a", 3.0), ("b", 6.0), ("c", 9.0)])
        );
        assert_eq!(run(&mut s, &["ZINTER", "2", "z1", "nokey"]), bulks(&[]));
    }

    #[test]
    fn diff() {
        let mut s = sample();
        assert_eq!(run(&mut s, &["ZDIFF", "2", "z1", "z2", "WITHSCORES"]), with_scores(&[("a", 1.0)]));
        assert_eq!(run(&mut s, &["ZDIFF", "2", "z2", "s"]), bulks(&["b", "c"]));
        assert_eq!(run(&mut s, &["ZDIFF", "2", "z1", "z1"]), bulks(&[]));
        assert_eq!(run(&mut s, &["ZDIFF", "1", "z1"]), bulks(&["a", "b", "c"]));
        assert_eq!(run(&mut s, &["ZDIFF", "2", "nokey", "z1"]), bulks(&[]));
    }

    #[test]
    fn infinities_and_nan() {
        let mut s = shard();
        run(&mut s, &["ZADD", "p", "inf", "x"]);
        run(&mut s, &["ZADD", "n", "-inf", "x"]);
        assert_eq!(run(&mut s, &["ZUNION", "2", "p", "n", "WITHSCORES"]), with_scores(&[("x", 0.0)]));
        assert_eq!(run(&mut s, &["ZINTER", "2", "p", "n", "WITHSCORES"]), with_scores(&[("x", 0.0)]));
        assert_eq!(run(&mut s, &["ZUNION", "1", "p", "WEIGHTS", "0", "WITHSCORES"]), with_scores(&[("x", 0.0)]));
        assert_eq!(
            run(&mut s, &["ZUNION", "2", "p", "n", "AGGREGATE", "MAX", "WITHSCORES"]),
            with_scores(&[("x", f64::INFINITY)])
        );
    }

    #[test]
    fn stores() {
        let mut s = sample();
        run(&mut s, &["SET", "dst", "x"]);
        assert_eq!(run(&mut s, &["ZUNIONSTORE", "dst", "2", "z1", "z2"]), Reply::Int(4));
        assert_eq!(
            run(&mut s, &["ZRANGE", "dst", "0", "-1", "WITHSCORES"]),
            with_scores(&[("a", 1.0), ("b", 12.0), ("c", 23.0), ("d", 30.0)])
        );
        assert_eq!(run(&mut s, &["ZINTERSTORE", "dst", "2", "z1", "z2", "WEIGHTS", "1", "0"]), Reply::Int(2));
        assert_eq!(run(&mut s, &["ZRANGE", "dst", "0", "-1", "WITHSCORES"]), with_scores(&[("b", 2.0), ("c", 3.0)]));
        assert_eq!(run(&mut s, &["ZDIFFSTORE", "dst", "2", "z1", "z2"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["ZRANGE", "dst", "0", "-1", "WITHSCORES"]), with_scores(&[("a", 1.0)]));
        assert_eq!(run(&mut s, &["ZDIFFSTORE", "z1", "2", "z1", "z2"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["ZRANGE", "z1", "0", "-1"]), bulks(&["a"]));
        assert_eq!(run(&mut s, &["ZINTERSTORE", "dst", "2", "z1", "nokey"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["ZCARD", "dst"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["ZUNIONSTORE", "fresh", "1", "nokey"]), Reply::Int(0));
    }

    #[test]
    fn errors() {
        let mut s = sample();
        run(&mut s, &["SET", "str", "x"]);
        let syntax = Reply::from(ReplyError::syntax());
        let cases: &[(&[&str], Reply)] = &[
            (&["ZUNION", "0", "z1"], Reply::error("ERR at least 1 input key is needed for 'zunion' command")),
            (
                &["ZINTERSTORE", "d", "0", "z1"],
                Reply::error("ERR at least 1 input key is needed for 'zinterstore' command"),
            ),
            (&["ZDIFF", "-1", "z1"], Reply::error("ERR at least 1 input key is needed for 'zdiff' command")),
            (&["ZUNION", "x", "z1"], Reply::from(ReplyError::not_integer())),
            (&["ZUNION", "3", "z1", "z2"], syntax.clone()),
            (&["ZUNION", "2", "z1", "str"], Reply::from(ReplyError::wrongtype())),
            (&["ZUNION", "2", "z1", "str", "BAD"], Reply::from(ReplyError::wrongtype())),
            (&["ZUNION", "2", "z1", "z2", "WEIGHTS", "1"], syntax.clone()),
            (&["ZUNION", "2", "z1", "z2", "WEIGHTS", "1", "x"], Reply::error("ERR weight value is not a float")),
            (&["ZUNION", "2", "z1", "z2", "AGGREGATE", "AVG"], syntax.clone()),
            (&["ZUNION", "2", "z1", "z2", "AGGREGATE"], syntax.clone()),
            (&["ZDIFF", "2", "z1", "z2", "WEIGHTS", "1", "2"], syntax.clone()),
            (&["ZDIFF", "2", "z1", "z2", "AGGREGATE", "SUM"], syntax.clone()),
            (&["ZUNIONSTORE", "d", "2", "z1", "z2", "WITHSCORES"], syntax.clone()),
            (&["ZINTERSTORE", "d", "1", "str"], Reply::from(ReplyError::wrongtype())),
        ];
        for (words, want) in cases {
            assert_eq!(&run(&mut s, words), want, "{words:?}");
        }
        assert_eq!(run(&mut s, &["ZCARD", "d"]), Reply::Int(0));
    }
}
