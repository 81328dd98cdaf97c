//! HKEYS, HVALS and HGETALL key: every live field, in field order.

use crate::cmd::strings::string_bytes;
use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::resp::Reply;
use crate::shard::Shard;

const fn spec(name: &'static str, summary: &'static str, run: crate::cmd::DataFn) -> CommandSpec {
    CommandSpec {
        name,
        arity: 2,
        flags: &["readonly"],
        keys: (1, 1, 1),
        group: "hash",
        summary,
        handler: Handler::Data(run),
    }
}

pub const HKEYS: CommandSpec = spec("hkeys", "Get all the fields in a hash.", run_hkeys);
pub const HVALS: CommandSpec = spec("hvals", "Get all the values in a hash.", run_hvals);
pub const HGETALL: CommandSpec = spec("hgetall", "Get all the fields and values in a hash.", run_hgetall);

fn run_hkeys(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let map = super::read_hash(shard, &key)?;
    Ok(Reply::Array(
        map.map_or_else(Vec::new, |m| super::live_fields(m).map(|(f, _)| Reply::Bulk(f.clone())).collect()),
    ))
}

fn run_hvals(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let map = super::read_hash(shard, &key)?;
    Ok(Reply::Array(
        map.map_or_else(Vec::new, |m| super::live_fields(m).map(|(_, c)| Reply::Bulk(string_bytes(c))).collect()),
    ))
}

fn run_hgetall(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let map = super::read_hash(shard, &key)?;
    Ok(Reply::Map(map.map_or_else(Vec::new, |m| {
        super::live_fields(m).map(|(f, c)| (Reply::Bulk(f.clone()), Reply::Bulk(string_bytes(c)))).collect()
    })))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulk, bulks, run, shard};
    use crate::resp::Reply;

    #[test]
    fn lists_fields_and_values() {
        let mut s = shard();
        run(&mut s, &["HSET", "h", "b", "2", "a", "1"]);
        run(&mut s, &["HINCRBY", "h", "c", "3"]);
        assert_eq!(run(&mut s, &["HKEYS", "h"]), bulks(&["a", "b", "c"]));
        assert_eq!(run(&mut s, &["HVALS", "h"]), bulks(&["1", "2", "3"]));
        assert_eq!(
            run(&mut s, &["HGETALL", "h"]),
            Reply::Map(vec![(bulk("a"), bulk("1")), (bulk("b"), bulk("2")), (bulk("c"), bulk("3"))])
        );
    }

    #[test]
    fn missing_key_is_empty() {
        let mut s = shard();
        assert_eq!(run(&mut s, &["HKEYS", "h"]), Reply::Array(vec![]));
        assert_eq!(run(&mut s, &["HVALS", "h"]), Reply::Array(vec![]));
        assert_eq!(run(&mut s, &["HGETALL", "h"]), Reply::Map(vec![]));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["SET", "k", "v"]);
        for cmd in ["HKEYS", "HVALS", "HGETALL"] {
            assert_eq!(run(&mut s, &[cmd, "k"]), Reply::from(ReplyError::wrongtype()));
        }
        assert_eq!(
            run(&mut s, &["HGETALL", "k", "x"]),
            Reply::error("ERR wrong number of arguments for 'hgetall' command")
        );
    }
}
