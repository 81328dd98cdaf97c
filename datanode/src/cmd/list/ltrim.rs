//! LTRIM key start stop: removes the elements this region sees outside the range
//! (SEMANTICS.md §8: concurrent pushes stay, so the list may end longer than the range).

use crate::cmd::util::{check_write, write_one};
use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::crdt::list::List;
use crate::keyspace::entry::{Content, Kind};
use crate::resp::Reply;
use crate::shard::Shard;

use super::{list_in, range, remove};

pub const SPEC: CommandSpec = CommandSpec {
    name: "ltrim",
    arity: 4,
    flags: &["write"],
    keys: (1, 1, 1),
    group: "list",
    summary: "Trim a list to the specified range",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let start = args.int()?;
    let stop = args.int()?;
    let Some(entry) = check_write(shard, &key, Kind::List)? else { return Ok(Reply::Ok) };
    let len = list_in(Some(entry)).map_or(0, List::len);
    let keep = range(len, start, stop);
    if keep == Some((0, len.saturating_sub(1))) || len == 0 {
        return Ok(Reply::Ok);
    }
    write_one(shard, &key, Kind::List, |_, entry, part, observed| {
        let mut delta = List::default();
        if let Some(list) = list_in(entry) {
            for (i, (pos, elem)) in list.iter().enumerate() {
                if keep.is_none_or(|(first, last)| i < first || i > last) {
                    remove(&mut delta, pos, elem, observed);
                }
            }
        }
        part.contents.push(Content::List(Box::new(delta)));
    });
    Ok(Reply::Ok)
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulks, run, shard};
    use crate::resp::Reply;

    #[test]
    fn keeps_only_the_range() {
        let mut s = shard();
        run(&mut s, &["rpush", "l", "a", "b", "c", "d", "e"]);
        assert_eq!(run(&mut s, &["ltrim", "l", "1", "-2"]), Reply::Ok);
        assert_eq!(run(&mut s, &["lrange", "l", "0", "-1"]), bulks(&["b", "c", "d"]));
        assert_eq!(run(&mut s, &["ltrim", "l", "-100", "100"]), Reply::Ok);
        assert_eq!(run(&mut s, &["lrange", "l", "0", "-1"]), bulks(&["b", "c", "d"]));
        assert_eq!(run(&mut s, &["ltrim", "l", "-1", "-1"]), Reply::Ok);
        assert_eq!(run(&mut s, &["lrange", "l", "0", "-1"]), bulks(&["d"]));
    }

    #[test]
    fn an_empty_range_deletes_the_key() {
        let mut s = shard();
        run(&mut s, &["rpush", "l", "a", "b", "c"]);
        assert_eq!(run(&mut s, &["ltrim", "l", "5", "10"]), Reply::Ok);
        assert_eq!(run(&mut s, &["llen", "l"]), Reply::Int(0));
        assert_eq!(s.dbsize(), 0);
        run(&mut s, &["rpush", "l", "a", "b", "c"]);
        assert_eq!(run(&mut s, &["ltrim", "l", "2", "1"]), Reply::Ok);
        assert_eq!(s.dbsize(), 0);
        assert_eq!(run(&mut s, &["ltrim", "missing", "0", "1"]), Reply::Ok);
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["set", "s", "v"]);
        assert_eq!(run(&mut s, &["ltrim", "s", "0", "1"]), ReplyError::wrongtype().into());
        assert_eq!(run(&mut s, &["ltrim", "s", "x", "1"]), ReplyError::not_integer().into());
        assert_eq!(run(&mut s, &["ltrim", "m", "0", "y"]), ReplyError::not_integer().into());
        assert_eq!(run(&mut s, &["ltrim", "m", "0"]), ReplyError::wrong_arity("ltrim").into());
    }
}
