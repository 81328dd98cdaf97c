//! LPUSH, RPUSH, LPUSHX, RPUSHX: one command's elements get one run of positions at the end
//! (SEMANTICS.md §8: concurrent pushes keep both runs, the smaller region's first).

use bytes::Bytes;

use crate::cmd::util::check_write;
use crate::cmd::{Args, CmdResult, CommandSpec, DataFn, Handler};
use crate::crdt::Tag;
use crate::crdt::list::List;
use crate::keyspace::entry::Kind;
use crate::resp::Reply;
use crate::shard::Shard;

use super::{End, list_in, write_list};

const fn spec(name: &'static str, summary: &'static str, run: DataFn) -> CommandSpec {
    CommandSpec {
        name,
        arity: -3,
        flags: &["write", "denyoom", "fast"],
        keys: (1, 1, 1),
        group: "list",
        summary,
        handler: Handler::Data(run),
    }
}

pub const LPUSH: CommandSpec = spec("lpush", "Prepend one or multiple elements to a list", run_lpush);
pub const RPUSH: CommandSpec = spec("rpush", "Append one or multiple elements to a list", run_rpush);
pub const LPUSHX: CommandSpec = spec("lpushx", "Prepend an element to a list, only if the list exists", run_lpushx);
pub const RPUSHX: CommandSpec = spec("rpushx", "Append an element to a list, only if the list exists", run_rpushx);

fn run_lpush(args: &mut Args, shard: &mut Shard) -> CmdResult {
    run(args, shard, End::Left, false)
}

fn run_rpush(args: &mut Args, shard: &mut Shard) -> CmdResult {
    run(args, shard, End::Right, false)
}

fn run_lpushx(args: &mut Args, shard: &mut Shard) -> CmdResult {
    run(args, shard, End::Left, true)
}

fn run_rpushx(args: &mut Args, shard: &mut Shard) -> CmdResult {
    run(args, shard, End::Right, true)
}

fn run(args: &mut Args, shard: &mut Shard, end: End, only_existing: bool) -> CmdResult {
    let key = args.bytes()?;
    let values = args.rest();
    let len = check_write(shard, &key, Kind::List)?.and_then(|e| list_in(Some(e))).map_or(0, List::len);
    if only_existing && len == 0 {
        return Ok(Reply::Int(0));
    }
    let added = values.len();
    push(shard, &key, end, values);
    Ok(Reply::Int((len + added) as i64))
}

/// Pushes `values` at `end` of the list under `key` as one write, in the order the
/// arguments came (LPUSH a b c leaves c b a at the head). The caller checked the type.
pub fn push(shard: &mut Shard, key: &Bytes, end: End, values: Vec<Bytes>) {
    write_list(shard, key, values.len(), |tags, entry, delta, _| {
        let list = list_in(entry);
        let mut elems: Vec<(Tag, Bytes)> = tags.iter().copied().zip(values).collect();
        match end {
            End::Left => {
                elems.reverse();
                delta.insert_delta(None, list.and_then(List::first).map(|(p, _)| p), elems);
            }
            End::Right => delta.insert_delta(list.and_then(List::last).map(|(p, _)| p), None, elems),
        }
    });
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::{bulks, run, shard};
    use crate::resp::Reply;

    #[test]
    fn lpush_stacks_and_rpush_appends() {
        let mut s = shard();
        assert_eq!(run(&mut s, &["lpush", "l", "a", "b", "c"]), Reply::Int(3));
        assert_eq!(run(&mut s, &["rpush", "l", "x", "y"]), Reply::Int(5));
        assert_eq!(run(&mut s, &["lpush", "l", "z"]), Reply::Int(6));
        assert_eq!(run(&mut s, &["lrange", "l", "0", "-1"]), bulks(&["z", "c", "b", "a", "x", "y"]));
    }

    #[test]
    fn pushx_needs_an_existing_list() {
        let mut s = shard();
        assert_eq!(run(&mut s, &["lpushx", "l", "a"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["rpushx", "l", "a", "b"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["llen", "l"]), Reply::Int(0));
        run(&mut s, &["rpush", "l", "m"]);
        assert_eq!(run(&mut s, &["lpushx", "l", "a", "b"]), Reply::Int(3));
        assert_eq!(run(&mut s, &["rpushx", "l", "z"]), Reply::Int(4));
        assert_eq!(run(&mut s, &["lrange", "l", "0", "-1"]), bulks(&["b", "a", "m", "z"]));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["set", "s", "v"]);
        let wrongtype = Reply::error("WRONGTYPE Operation against a key holding the wrong kind of value");
        for cmd in ["lpush", "rpush", "lpushx", "rpushx"] {
            assert_eq!(run(&mut s, &[cmd, "s", "a"]), wrongtype);
            assert_eq!(
                run(&mut s, &[cmd, "s"]),
                Reply::error(format!("ERR wrong number of arguments for '{cmd}' command"))
            );
        }
    }
}
