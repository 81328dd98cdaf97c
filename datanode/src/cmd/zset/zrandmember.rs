//! ZRANDMEMBER key [count [WITHSCORES]]

use rand::Rng;

use super::{Scored, read_zset, scored_reply, spec};
use crate::cmd::args::is;
use crate::cmd::set::random::{parse_count, pick};
use crate::cmd::{Args, CmdResult, CommandSpec, ReplyError};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec =
    spec("zrandmember", -2, &["readonly"], (1, 1, 1), "Get one or multiple random elements from a sorted set", run);

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let Some(count) = args.next() else {
        let Some(z) = read_zset(shard, &key)?.filter(|z| !z.is_empty()) else { return Ok(Reply::Nil) };
        let i = rand::thread_rng().gen_range(0..z.len());
        return Ok(z.ordered().nth(i).map_or(Reply::Nil, |(_, m)| Reply::Bulk(m.clone())));
    };
    let count = parse_count(&count)?;
    let withscores = match args.next() {
        None => false,
        Some(w) if is(&w, "withscores") && args.is_empty() => true,
        Some(_) => return Err(ReplyError::syntax()),
    };
    // Redis's bound: with scores the reply holds twice as many items.
    if withscores && !(-i64::MAX / 2..=i64::MAX / 2).contains(&count) {
        return Err(ReplyError::new("ERR value is out of range"));
    }
    let Some(z) = read_zset(shard, &key)? else { return Ok(Reply::Array(Vec::new())) };
    let items: Vec<_> = z.ordered().collect();
    let picked: Vec<Scored> = if count >= 0 && count as u64 >= items.len() as u64 {
        // Asked for all of them: Redis returns the whole set, highest score first.
        items.iter().rev().map(|(s, m)| (m.clone(), s.0)).collect()
    } else {
        pick(&items, count, &mut rand::thread_rng())?.into_iter().map(|(s, m)| (m.clone(), s.0)).collect()
    };
    Ok(scored_reply(picked, withscores))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulk, bulks, items, run, shard};
    use crate::resp::Reply;

    #[test]
    fn one_member() {
        let mut s = shard();
        assert_eq!(run(&mut s, &["ZRANDMEMBER", "z"]), Reply::Nil);
        run(&mut s, &["ZADD", "z", "1", "a"]);
        assert_eq!(run(&mut s, &["ZRANDMEMBER", "z"]), bulk("a"));
    }

    #[test]
    fn counts() {
        let mut s = shard();
        run(&mut s, &["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
        let mut got = items(run(&mut s, &["ZRANDMEMBER", "z", "2"]));
        assert_eq!(got.len(), 2);
        got.dedup();
        assert_eq!(got.len(), 2);
        assert_eq!(run(&mut s, &["ZRANDMEMBER", "z", "3"]), bulks(&["c", "b", "a"]));
        assert_eq!(run(&mut s, &["ZRANDMEMBER", "z", "10"]), bulks(&["c", "b", "a"]));
        assert_eq!(items(run(&mut s, &["ZRANDMEMBER", "z", "-10"])).len(), 10);
        assert_eq!(run(&mut s, &["ZRANDMEMBER", "z", "0"]), Reply::Array(vec![]));
        assert_eq!(run(&mut s, &["ZRANDMEMBER", "nokey", "3"]), Reply::Array(vec![]));
        assert_eq!(run(&mut s, &["ZRANDMEMBER", "nokey", "-3", "WITHSCORES"]), Reply::Array(vec![]));
    }

    #[test]
    fn with_scores() {
        let mut s = shard();
        run(&mut s, &["ZADD", "z", "1.5", "a"]);
        assert_eq!(
            run(&mut s, &["ZRANDMEMBER", "z", "-2", "withscores"]),
            Reply::Pairs(vec![(bulk("a"), Reply::Double(1.5)), (bulk("a"), Reply::Double(1.5))])
        );
        assert_eq!(
            run(&mut s, &["ZRANDMEMBER", "z", "5", "WITHSCORES"]),
            Reply::Pairs(vec![(bulk("a"), Reply::Double(1.5))])
        );
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["ZADD", "z", "1", "a"]);
        run(&mut s, &["SET", "str", "x"]);
        assert_eq!(run(&mut s, &["ZRANDMEMBER", "z", "x"]), Reply::from(ReplyError::not_integer()));
        assert_eq!(run(&mut s, &["ZRANDMEMBER", "z", "1", "foo"]), Reply::from(ReplyError::syntax()));
        assert_eq!(run(&mut s, &["ZRANDMEMBER", "z", "1", "withscores", "x"]), Reply::from(ReplyError::syntax()));
        assert_eq!(
            run(&mut s, &["ZRANDMEMBER", "z", "-9223372036854775808"]),
            Reply::error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
        );
        assert_eq!(
            run(&mut s, &["ZRANDMEMBER", "z", "-9223372036854775807", "withscores"]),
            Reply::error("ERR value is out of range")
        );
        assert_eq!(run(&mut s, &["ZRANDMEMBER", "str"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["ZRANDMEMBER", "str", "0"]), Reply::from(ReplyError::wrongtype()));
    }
}
