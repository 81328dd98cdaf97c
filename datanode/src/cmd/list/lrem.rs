//! LREM key count element: removes the matching elements this region sees (SEMANTICS.md §8:
//! a concurrent push of the same value survives).

use crate::cmd::util::{check_write, write_one};
use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::crdt::list::List;
use crate::keyspace::entry::{Content, Kind};
use crate::resp::Reply;
use crate::shard::Shard;

use super::{list_in, remove};

pub const SPEC: CommandSpec = CommandSpec {
    name: "lrem",
    arity: 4,
    flags: &["write"],
    keys: (1, 1, 1),
    group: "list",
    summary: "Remove elements from a list",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let count = args.int()?;
    let value = args.bytes()?;
    let Some(entry) = check_write(shard, &key, Kind::List)? else { return Ok(Reply::Int(0)) };
    let limit = if count == 0 { usize::MAX } else { usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX) };
    let matches = |list: &List| -> usize { list.iter().filter(|(_, e)| e.get() == &value[..]).take(limit).count() };
    if list_in(Some(entry)).is_none_or(|l| matches(l) == 0) {
        return Ok(Reply::Int(0));
    }
    let removed = write_one(shard, &key, Kind::List, |_, entry, part, observed| {
        let mut delta = List::default();
        let Some(list) = list_in(entry) else { return 0 };
        let hit = |(_, e): &(&_, &crate::crdt::list::Elem)| e.get() == &value[..];
        let picked: Vec<_> = if count < 0 {
            list.iter().rev().filter(hit).take(limit).collect()
        } else {
            list.iter().filter(hit).take(limit).collect()
        };
        for (pos, elem) in &picked {
            remove(&mut delta, pos, elem, observed);
        }
        part.contents.push(Content::List(Box::new(delta)));
        picked.len()
    });
    Ok(Reply::Int(removed as i64))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulks, run, shard};
    use crate::resp::Reply;

    #[test]
    fn removes_from_head_tail_or_all() {
        let mut s = shard();
        run(&mut s, &["rpush", "l", "a", "b", "a", "c", "a"]);
        assert_eq!(run(&mut s, &["lrem", "l", "-2", "a"]), Reply::Int(2));
        assert_eq!(run(&mut s, &["lrange", "l", "0", "-1"]), bulks(&["a", "b", "c"]));
        run(&mut s, &["rpush", "m", "a", "b", "a", "c", "a"]);
        assert_eq!(run(&mut s, &["lrem", "m", "2", "a"]), Reply::Int(2));
        assert_eq!(run(&mut s, &["lrange", "m", "0", "-1"]), bulks(&["b", "c", "a"]));
        run(&mut s, &["rpush", "n", "a", "b", "a"]);
        assert_eq!(run(&mut s, &["lrem", "n", "0", "a"]), Reply::Int(2));
        assert_eq!(run(&mut s, &["lrem", "n", "0", "zz"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["lrange", "n", "0", "-1"]), bulks(&["b"]));
        assert_eq!(run(&mut s, &["lrem", "n", "-9223372036854775808", "b"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["llen", "n"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["lrem", "missing", "0", "a"]), Reply::Int(0));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["set", "s", "v"]);
        assert_eq!(run(&mut s, &["lrem", "s", "0", "a"]), ReplyError::wrongtype().into());
        assert_eq!(run(&mut s, &["lrem", "s", "x", "a"]), ReplyError::not_integer().into());
        assert_eq!(run(&mut s, &["lrem", "m", "x", "a"]), ReplyError::not_integer().into());
        assert_eq!(run(&mut s, &["lrem", "m", "0"]), ReplyError::wrong_arity("lrem").into());
    }
}
