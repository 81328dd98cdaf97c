//! LRANGE key start stop

use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::resp::Reply;
use crate::shard::Shard;

use super::{range, read_list};

pub const SPEC: CommandSpec = CommandSpec {
    name: "lrange",
    arity: 4,
    flags: &["readonly"],
    keys: (1, 1, 1),
    group: "list",
    summary: "Get a range of elements from a list",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let start = args.int()?;
    let stop = args.int()?;
    let Some(list) = read_list(shard, &key)? else { return Ok(Reply::Array(Vec::new())) };
    let Some((first, last)) = range(list.len(), start, stop) else { return Ok(Reply::Array(Vec::new())) };
    let n = last - first + 1;
    // Walk from the nearer end.
    let items: Vec<Reply> = if first <= list.len() - 1 - last {
        list.iter().skip(first).take(n).map(|(_, e)| Reply::Bulk(e.bytes())).collect()
    } else {
        let mut v: Vec<Reply> =
            list.iter().rev().skip(list.len() - 1 - last).take(n).map(|(_, e)| Reply::Bulk(e.bytes())).collect();
        v.reverse();
        v
    };
    Ok(Reply::Array(items))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulks, run, shard};

    #[test]
    fn ranges_clamp_like_redis() {
        let mut s = shard();
        run(&mut s, &["rpush", "l", "a", "b", "c", "d", "e"]);
        assert_eq!(run(&mut s, &["lrange", "l", "0", "-1"]), bulks(&["a", "b", "c", "d", "e"]));
        assert_eq!(run(&mut s, &["lrange", "l", "1", "2"]), bulks(&["b", "c"]));
        assert_eq!(run(&mut s, &["lrange", "l", "-2", "-1"]), bulks(&["d", "e"]));
        assert_eq!(run(&mut s, &["lrange", "l", "3", "100"]), bulks(&["d", "e"]));
        assert_eq!(run(&mut s, &["lrange", "l", "-100", "1"]), bulks(&["a", "b"]));
        assert_eq!(run(&mut s, &["lrange", "l", "2", "1"]), bulks(&[]));
        assert_eq!(run(&mut s, &["lrange", "l", "5", "10"]), bulks(&[]));
        assert_eq!(run(&mut s, &["lrange", "l", "0", "-100"]), bulks(&[]));
        assert_eq!(
            run(&mut s, &["lrange", "l", "-9223372036854775808", "9223372036854775807"]),
            bulks(&["a", "b", "c", "d", "e"])
        );
        assert_eq!(run(&mut s, &["lrange", "missing", "0", "-1"]), bulks(&[]));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["set", "s", "v"]);
        assert_eq!(run(&mut s, &["lrange", "s", "0", "1"]), ReplyError::wrongtype().into());
        // The indexes are parsed before the key is looked at.
        assert_eq!(run(&mut s, &["lrange", "s", "x", "1"]), ReplyError::not_integer().into());
        assert_eq!(run(&mut s, &["lrange", "m", "0", "1.5"]), ReplyError::not_integer().into());
        assert_eq!(run(&mut s, &["lrange", "m", "0"]), ReplyError::wrong_arity("lrange").into());
    }
}
