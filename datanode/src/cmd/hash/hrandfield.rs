//! HRANDFIELD key [count [WITHVALUES]]

use rand::seq::IteratorRandom;

use crate::cmd::args::is;
use crate::cmd::set::random::{parse_count, pick};
use crate::cmd::strings::string_bytes;
use crate::cmd::{Args, CmdResult, CommandSpec, Handler, ReplyError};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "hrandfield",
    arity: -2,
    flags: &["readonly"],
    keys: (1, 1, 1),
    group: "hash",
    summary: "Get one or multiple random fields from a hash.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let Some(count) = args.next() else {
        let map = super::read_hash(shard, &key)?;
        let field = map.and_then(|m| m.iter().filter(|(_, c)| c.is_live()).choose(&mut rand::thread_rng()));
        return Ok(field.map_or(Reply::Nil, |(f, _)| Reply::Bulk(f.clone())));
    };
    let count = parse_count(&count)?;
    let withvalues = match args.next() {
        None => false,
        Some(w) if is(&w, "withvalues") && args.is_empty() => true,
        Some(_) => return Err(ReplyError::syntax()),
    };
    // Redis's bound: with values the reply holds twice as many items.
    if withvalues && !(-i64::MAX / 2..=i64::MAX / 2).contains(&count) {
        return Err(ReplyError::new("ERR value is out of range"));
    }
    let Some(map) = super::read_hash(shard, &key)? else { return Ok(Reply::Array(Vec::new())) };
    let live: Vec<_> = map.iter().filter(|(_, c)| c.is_live()).collect();
    let picks = pick(&live, count, &mut rand::thread_rng())?;
    // RESP2 shape: a flat list (RESP3 clients get the same flat list, see the family notes).
    let mut out = Vec::with_capacity(picks.len() * if withvalues { 2 } else { 1 });
    for (field, cell) in picks {
        out.push(Reply::Bulk(field.clone()));
        if withvalues {
            out.push(Reply::Bulk(string_bytes(cell)));
        }
    }
    Ok(Reply::Array(out))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulk, items, run, shard};
    use crate::resp::Reply;

    #[test]
    fn one_field() {
        let mut s = shard();
        assert_eq!(run(&mut s, &["HRANDFIELD", "h"]), Reply::Nil);
        run(&mut s, &["HSET", "h", "a", "1"]);
        assert_eq!(run(&mut s, &["HRANDFIELD", "h"]), bulk("a"));
    }

    #[test]
    fn counts() {
        let mut s = shard();
        run(&mut s, &["HSET", "h", "a", "1", "b", "2", "c", "3"]);
        let mut got = items(run(&mut s, &["HRANDFIELD", "h", "2"]));
        assert_eq!(got.len(), 2);
        got.dedup();
        assert_eq!(got.len(), 2);
        assert_eq!(items(run(&mut s, &["HRANDFIELD", "h", "10"])).len(), 3);
        assert_eq!(items(run(&mut s, &["HRANDFIELD", "h", "-10"])).len(), 10);
        assert_eq!(run(&mut s, &["HRANDFIELD", "h", "0"]), Reply::Array(vec![]));
        assert_eq!(run(&mut s, &["HRANDFIELD", "nokey", "3"]), Reply::Array(vec![]));
        assert_eq!(run(&mut s, &["HRANDFIELD", "nokey", "3", "WITHVALUES"]), Reply::Array(vec![]));
    }

    #[test]
    fn with_values() {
        let mut s = shard();
        run(&mut s, &["HSET", "h", "a", "1"]);
        run(&mut s, &["HINCRBY", "h", "a", "1"]);
        assert_eq!(
            run(&mut s, &["HRANDFIELD", "h", "-2", "withvalues"]),
            crate::cmd::testing::bulks(&["a", "2", "a", "2"])
        );
        assert_eq!(run(&mut s, &["HRANDFIELD", "h", "5", "WITHVALUES"]), crate::cmd::testing::bulks(&["a", "2"]));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["HSET", "h", "a", "1"]);
        assert_eq!(run(&mut s, &["HRANDFIELD", "h", "x"]), Reply::from(ReplyError::not_integer()));
        assert_eq!(run(&mut s, &["HRANDFIELD", "h", "1", "withvalue"]), Reply::from(ReplyError::syntax()));
        assert_eq!(run(&mut s, &["HRANDFIELD", "h", "1", "withvalues", "x"]), Reply::from(ReplyError::syntax()));
        assert_eq!(
            run(&mut s, &["HRANDFIELD", "h", "-9223372036854775808"]),
            Reply::error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
        );
        assert_eq!(
            run(&mut s, &["HRANDFIELD", "h", "-9223372036854775807", "withvalues"]),
            Reply::error("ERR value is out of range")
        );
        run(&mut s, &["SET", "k", "v"]);
        assert_eq!(run(&mut s, &["HRANDFIELD", "k"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["HRANDFIELD", "k", "1"]), Reply::from(ReplyError::wrongtype()));
    }
}
