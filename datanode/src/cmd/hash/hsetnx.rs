//! HSETNX key field value

use crate::cmd::util::check_write;
use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::keyspace::entry::Kind;
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "hsetnx",
    arity: 4,
    flags: &["write", "denyoom", "fast"],
    keys: (1, 1, 1),
    group: "hash",
    summary: "Set the value of a hash field, only if the field does not exist.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let field = args.bytes()?;
    let value = args.bytes()?;
    let entry = check_write(shard, &key, Kind::Hash)?;
    if super::hash_in(entry).and_then(|m| m.get(&field)).is_some_and(|c| c.is_live()) {
        return Ok(Reply::Int(0));
    }
    super::hset::write_fields(shard, &key, [(field, value)]);
    Ok(Reply::Int(1))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulk, run, shard};
    use crate::resp::Reply;

    #[test]
    fn sets_only_a_missing_field() {
        let mut s = shard();
        assert_eq!(run(&mut s, &["HSETNX", "h", "a", "1"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["HSETNX", "h", "a", "2"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["HGET", "h", "a"]), bulk("1"));
        assert_eq!(run(&mut s, &["HSETNX", "h", "b", "2"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["HLEN", "h"]), Reply::Int(2));
    }

    #[test]
    fn a_deleted_field_counts_as_missing() {
        let mut s = shard();
        run(&mut s, &["HSET", "h", "a", "1", "b", "1"]);
        run(&mut s, &["HDEL", "h", "a"]);
        assert_eq!(run(&mut s, &["HSETNX", "h", "a", "2"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["HGET", "h", "a"]), bulk("2"));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["SET", "k", "v"]);
        assert_eq!(run(&mut s, &["HSETNX", "k", "a", "1"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(
            run(&mut s, &["HSETNX", "h", "a"]),
            Reply::error("ERR wrong number of arguments for 'hsetnx' command")
        );
    }
}
