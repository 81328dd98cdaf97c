//! SINTERCARD numkeys key [key ...] [LIMIT limit]

use crate::cmd::args::is;
use crate::cmd::format::parse_int;
use crate::cmd::{Args, CmdResult, CommandSpec, Handler, ReplyError};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "sintercard",
    arity: -3,
    flags: &["readonly", "movablekeys"],
    // The keys follow numkeys, so their positions depend on the request (as in Redis).
    keys: (0, 0, 0),
    group: "set",
    summary: "Intersect multiple sets and return the cardinality of the result.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let numkeys = parse_int(&args.bytes()?)
        .filter(|n| *n > 0)
        .ok_or_else(|| ReplyError::new("ERR numkeys should be greater than 0"))?;
    if numkeys as u64 > args.remaining() as u64 {
        return Err(ReplyError::new("ERR Number of keys can't be greater than number of args"));
    }
    let mut keys = Vec::with_capacity(numkeys as usize);
    for _ in 0..numkeys {
        keys.push(args.bytes()?);
    }
    let mut limit = 0;
    while let Some(opt) = args.next() {
        if !is(&opt, "limit") || args.is_empty() {
            return Err(ReplyError::syntax());
        }
        let n = parse_int(&args.bytes()?).filter(|n| *n >= 0);
        limit = n.ok_or_else(|| ReplyError::new("ERR LIMIT can't be negative"))?;
    }
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    Ok(Reply::Int(super::sinter::inter(&super::load_sets(shard, &keys)?, limit).len() as i64))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{run, shard};
    use crate::resp::Reply;

    #[test]
    fn counts_the_intersection() {
        let mut s = shard();
        run(&mut s, &["SADD", "a", "1", "2", "3", "4"]);
        run(&mut s, &["SADD", "b", "2", "3", "4", "5"]);
        assert_eq!(run(&mut s, &["SINTERCARD", "2", "a", "b"]), Reply::Int(3));
        assert_eq!(run(&mut s, &["SINTERCARD", "2", "a", "b", "LIMIT", "2"]), Reply::Int(2));
        assert_eq!(run(&mut s, &["SINTERCARD", "2", "a", "b", "limit", "0"]), Reply::Int(3));
        assert_eq!(run(&mut s, &["SINTERCARD", "1", "a", "LIMIT", "10"]), Reply::Int(4));
        assert_eq!(run(&mut s, &["SINTERCARD", "2", "a", "nokey"]), Reply::Int(0));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["SADD", "a", "1"]);
        run(&mut s, &["SET", "k", "v"]);
        let numkeys = Reply::error("ERR numkeys should be greater than 0");
        assert_eq!(run(&mut s, &["SINTERCARD", "0", "a"]), numkeys);
        assert_eq!(run(&mut s, &["SINTERCARD", "-1", "a"]), numkeys);
        assert_eq!(run(&mut s, &["SINTERCARD", "x", "a"]), numkeys);
        assert_eq!(
            run(&mut s, &["SINTERCARD", "2", "a"]),
            Reply::error("ERR Number of keys can't be greater than number of args")
        );
        let limit = Reply::error("ERR LIMIT can't be negative");
        assert_eq!(run(&mut s, &["SINTERCARD", "1", "a", "LIMIT", "-1"]), limit);
        assert_eq!(run(&mut s, &["SINTERCARD", "1", "a", "LIMIT", "x"]), limit);
        assert_eq!(run(&mut s, &["SINTERCARD", "1", "a", "LIMIT"]), Reply::from(ReplyError::syntax()));
        assert_eq!(run(&mut s, &["SINTERCARD", "1", "a", "foo"]), Reply::from(ReplyError::syntax()));
        assert_eq!(run(&mut s, &["SINTERCARD", "2", "nokey", "k"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(
            run(&mut s, &["SINTERCARD", "1"]),
            Reply::error("ERR wrong number of arguments for 'sintercard' command")
        );
    }
}
