//! LPOP, RPOP key [count]: each popped element is an observed remove (SEMANTICS.md §8: two
//! regions popping the same end may return the same element; it is removed once).

use crate::cmd::format::parse_int;
use crate::cmd::util::check_write;
use crate::cmd::{Args, CmdResult, CommandSpec, DataFn, Handler, ReplyError};
use crate::keyspace::entry::Kind;
use crate::resp::Reply;
use crate::shard::Shard;

use super::{End, pop};

const fn spec(name: &'static str, summary: &'static str, run: DataFn) -> CommandSpec {
    CommandSpec {
        name,
        arity: -2,
        flags: &["write", "fast"],
        keys: (1, 1, 1),
        group: "list",
        summary,
        handler: Handler::Data(run),
    }
}

pub const LPOP: CommandSpec = spec("lpop", "Remove and get the first elements in a list", run_lpop);
pub const RPOP: CommandSpec = spec("rpop", "Remove and get the last elements in a list", run_rpop);

fn run_lpop(args: &mut Args, shard: &mut Shard) -> CmdResult {
    run(args, shard, End::Left)
}

fn run_rpop(args: &mut Args, shard: &mut Shard) -> CmdResult {
    run(args, shard, End::Right)
}

fn run(args: &mut Args, shard: &mut Shard, end: End) -> CmdResult {
    let key = args.bytes()?;
    if args.remaining() > 1 {
        return Err(ReplyError::wrong_arity(if end == End::Left { "lpop" } else { "rpop" }));
    }
    let count = match args.next() {
        None => None,
        Some(arg) => Some(
            parse_int(&arg)
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| ReplyError::new("ERR value is out of range, must be positive"))?,
        ),
    };
    match count {
        None => Ok(pop(shard, &key, end, 1)?.and_then(|mut v| v.pop()).map_or(Reply::Nil, Reply::Bulk)),
        // Redis looks the key up before taking the zero-count shortcut.
        Some(0) => Ok(match check_write(shard, &key, Kind::List)? {
            Some(_) => Reply::Array(Vec::new()),
            None => Reply::NilArray,
        }),
        Some(n) => Ok(pop(shard, &key, end, n)?.map_or(Reply::NilArray, Reply::bulks)),
    }
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulk, bulks, run, shard};
    use crate::resp::Reply;

    #[test]
    fn pops_from_either_end() {
        let mut s = shard();
        run(&mut s, &["rpush", "l", "a", "b", "c", "d"]);
        assert_eq!(run(&mut s, &["lpop", "l"]), bulk("a"));
        assert_eq!(run(&mut s, &["rpop", "l"]), bulk("d"));
        assert_eq!(run(&mut s, &["lrange", "l", "0", "-1"]), bulks(&["b", "c"]));
    }

    #[test]
    fn count_pops_up_to_count_and_the_key_goes_with_the_last() {
        let mut s = shard();
        run(&mut s, &["rpush", "l", "a", "b", "c", "d"]);
        assert_eq!(run(&mut s, &["lpop", "l", "0"]), Reply::Array(vec![]));
        assert_eq!(run(&mut s, &["lpop", "l", "2"]), bulks(&["a", "b"]));
        assert_eq!(run(&mut s, &["rpop", "l", "1"]), bulks(&["d"]));
        assert_eq!(run(&mut s, &["rpop", "l", "5"]), bulks(&["c"]));
        assert_eq!(run(&mut s, &["llen", "l"]), Reply::Int(0));
        assert_eq!(s.dbsize(), 0);
    }

    #[test]
    fn missing_key_gives_nil_or_a_null_array_with_count() {
        let mut s = shard();
        assert_eq!(run(&mut s, &["lpop", "m"]), Reply::Nil);
        assert_eq!(run(&mut s, &["rpop", "m"]), Reply::Nil);
        assert_eq!(run(&mut s, &["lpop", "m", "0"]), Reply::NilArray);
        assert_eq!(run(&mut s, &["rpop", "m", "3"]), Reply::NilArray);
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["set", "s", "v"]);
        let range = Reply::error("ERR value is out of range, must be positive");
        assert_eq!(run(&mut s, &["lpop", "m", "-1"]), range);
        assert_eq!(run(&mut s, &["lpop", "m", "x"]), range);
        assert_eq!(run(&mut s, &["rpop", "m", "10000000000000000000"]), range);
        assert_eq!(run(&mut s, &["lpop", "s", "-1"]), range);
        assert_eq!(run(&mut s, &["lpop", "s"]), ReplyError::wrongtype().into());
        assert_eq!(run(&mut s, &["rpop", "s", "0"]), ReplyError::wrongtype().into());
        assert_eq!(run(&mut s, &["lpop", "l", "1", "2"]), ReplyError::wrong_arity("lpop").into());
        assert_eq!(run(&mut s, &["lpop", "l", "x", "2"]), ReplyError::wrong_arity("lpop").into());
        assert_eq!(run(&mut s, &["rpop"]), ReplyError::wrong_arity("rpop").into());
    }
}
