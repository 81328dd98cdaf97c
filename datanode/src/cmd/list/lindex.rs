//! LINDEX key index

use crate::cmd::format::parse_int;
use crate::cmd::{Args, CmdResult, CommandSpec, Handler, ReplyError};
use crate::resp::Reply;
use crate::shard::Shard;

use super::{index, read_list};

pub const SPEC: CommandSpec = CommandSpec {
    name: "lindex",
    arity: 3,
    flags: &["readonly"],
    keys: (1, 1, 1),
    group: "list",
    summary: "Get an element from a list by its index",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let raw = args.bytes()?;
    // Redis looks the key up before it parses the index.
    let Some(list) = read_list(shard, &key)? else { return Ok(Reply::Nil) };
    let i = parse_int(&raw).ok_or_else(ReplyError::not_integer)?;
    Ok(index(list.len(), i).and_then(|i| list.nth(i)).map_or(Reply::Nil, |(_, e)| Reply::Bulk(e.bytes())))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulk, run, shard};
    use crate::resp::Reply;

    #[test]
    fn indexes_from_either_end() {
        let mut s = shard();
        run(&mut s, &["rpush", "l", "a", "b", "c"]);
        assert_eq!(run(&mut s, &["lindex", "l", "0"]), bulk("a"));
        assert_eq!(run(&mut s, &["lindex", "l", "2"]), bulk("c"));
        assert_eq!(run(&mut s, &["lindex", "l", "-1"]), bulk("c"));
        assert_eq!(run(&mut s, &["lindex", "l", "-3"]), bulk("a"));
        assert_eq!(run(&mut s, &["lindex", "l", "3"]), Reply::Nil);
        assert_eq!(run(&mut s, &["lindex", "l", "-4"]), Reply::Nil);
        assert_eq!(run(&mut s, &["lindex", "l", "-9223372036854775808"]), Reply::Nil);
        assert_eq!(run(&mut s, &["lindex", "missing", "0"]), Reply::Nil);
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["rpush", "l", "a"]);
        run(&mut s, &["set", "s", "v"]);
        assert_eq!(run(&mut s, &["lindex", "l", "x"]), ReplyError::not_integer().into());
        assert_eq!(run(&mut s, &["lindex", "missing", "x"]), Reply::Nil);
        assert_eq!(run(&mut s, &["lindex", "s", "x"]), ReplyError::wrongtype().into());
        assert_eq!(run(&mut s, &["lindex", "l"]), ReplyError::wrong_arity("lindex").into());
    }
}
