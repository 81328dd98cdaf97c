//! SRANDMEMBER key [count]

use rand::seq::IteratorRandom;

use crate::cmd::{Args, CmdResult, CommandSpec, Handler, ReplyError};
use crate::resp::Reply;
use crate::shard::Shard;

use super::random::{parse_count, pick};

pub const SPEC: CommandSpec = CommandSpec {
    name: "srandmember",
    arity: -2,
    flags: &["readonly"],
    keys: (1, 1, 1),
    group: "set",
    summary: "Get one or multiple random members from a set.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    if args.remaining() > 1 {
        return Err(ReplyError::syntax());
    }
    let Some(count) = args.next() else {
        let set = super::read_set(shard, &key)?;
        let member = set.and_then(|s| s.members().choose(&mut rand::thread_rng()));
        return Ok(member.map_or(Reply::Nil, |m| Reply::Bulk(m.clone())));
    };
    let count = parse_count(&count)?;
    let Some(set) = super::read_set(shard, &key)? else { return Ok(Reply::Array(Vec::new())) };
    let members: Vec<_> = set.members().collect();
    let picked = pick(&members, count, &mut rand::thread_rng())?;
    Ok(Reply::Array(picked.into_iter().map(|m| Reply::Bulk(m.clone())).collect()))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulk, bulks, run, shard};
    use crate::resp::Reply;

    fn len(r: Reply) -> usize {
        match r {
            Reply::Array(v) => v.len(),
            other => panic!("not an array: {other:?}"),
        }
    }

    #[test]
    fn picks_without_removing() {
        let mut s = shard();
        assert_eq!(run(&mut s, &["SRANDMEMBER", "s"]), Reply::Nil);
        assert_eq!(run(&mut s, &["SRANDMEMBER", "s", "3"]), Reply::Array(vec![]));
        assert_eq!(run(&mut s, &["SRANDMEMBER", "s", "-3"]), Reply::Array(vec![]));
        run(&mut s, &["SADD", "s", "a"]);
        assert_eq!(run(&mut s, &["SRANDMEMBER", "s"]), bulk("a"));
        assert_eq!(run(&mut s, &["SRANDMEMBER", "s", "-3"]), bulks(&["a", "a", "a"]));
        assert_eq!(run(&mut s, &["SRANDMEMBER", "s", "3"]), bulks(&["a"]));
        assert_eq!(run(&mut s, &["SRANDMEMBER", "s", "0"]), Reply::Array(vec![]));
        run(&mut s, &["SADD", "s", "b", "c", "d"]);
        assert_eq!(len(run(&mut s, &["SRANDMEMBER", "s", "2"])), 2);
        assert_eq!(len(run(&mut s, &["SRANDMEMBER", "s", "9"])), 4);
        assert_eq!(len(run(&mut s, &["SRANDMEMBER", "s", "-9"])), 9);
        assert_eq!(run(&mut s, &["SCARD", "s"]), Reply::Int(4));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["SADD", "s", "a"]);
        assert_eq!(run(&mut s, &["SRANDMEMBER", "s", "x"]), Reply::from(ReplyError::not_integer()));
        assert_eq!(run(&mut s, &["SRANDMEMBER", "s", "1", "2"]), Reply::from(ReplyError::syntax()));
        assert_eq!(
            run(&mut s, &["SRANDMEMBER", "s", "-9223372036854775808"]),
            Reply::error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
        );
        run(&mut s, &["SET", "k", "v"]);
        assert_eq!(run(&mut s, &["SRANDMEMBER", "k"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["SRANDMEMBER", "k", "2"]), Reply::from(ReplyError::wrongtype()));
    }
}
