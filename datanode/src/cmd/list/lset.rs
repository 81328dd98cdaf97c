//! LSET key index element: a new value atom for that element (SEMANTICS.md §8: concurrent
//! LSETs of one element are LWW; a concurrent removal of the element wins).

use crate::cmd::format::parse_int;
use crate::cmd::util::{check_write, write_one};
use crate::cmd::{Args, CmdResult, CommandSpec, Handler, ReplyError};
use crate::crdt::list::List;
use crate::keyspace::entry::{Content, Kind};
use crate::resp::Reply;
use crate::shard::Shard;

use super::{index, list_in};

pub const SPEC: CommandSpec = CommandSpec {
    name: "lset",
    arity: 4,
    flags: &["write", "denyoom"],
    keys: (1, 1, 1),
    group: "list",
    summary: "Set the value of an element in a list by its index",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let raw = args.bytes()?;
    let value = args.bytes()?;
    // Redis looks the key up before it parses the index.
    let len = check_write(shard, &key, Kind::List)?.and_then(|e| list_in(Some(e))).map_or(0, List::len);
    if len == 0 {
        return Err(ReplyError::no_such_key());
    }
    let i = parse_int(&raw).ok_or_else(ReplyError::not_integer)?;
    let i = index(len, i).ok_or_else(ReplyError::out_of_range)?;
    write_one(shard, &key, Kind::List, |tag, entry, part, observed| {
        let mut delta = List::default();
        if let Some((pos, elem)) = list_in(entry).and_then(|l| l.nth(i)) {
            elem.value_observed(observed);
            delta.put_delta(pos.clone(), elem.set_delta(tag, value));
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
    fn sets_by_index_from_either_end() {
        let mut s = shard();
        run(&mut s, &["rpush", "l", "a", "b", "c"]);
        assert_eq!(run(&mut s, &["lset", "l", "0", "x"]), Reply::Ok);
        assert_eq!(run(&mut s, &["lset", "l", "-1", "z"]), Reply::Ok);
        assert_eq!(run(&mut s, &["lset", "l", "-1", "zz"]), Reply::Ok);
        assert_eq!(run(&mut s, &["lrange", "l", "0", "-1"]), bulks(&["x", "b", "zz"]));
        assert_eq!(run(&mut s, &["llen", "l"]), Reply::Int(3));
    }

    #[test]
    fn an_element_set_then_popped_is_gone() {
        let mut s = shard();
        run(&mut s, &["rpush", "l", "a", "b"]);
        run(&mut s, &["lset", "l", "1", "x"]);
        assert_eq!(run(&mut s, &["rpop", "l"]), Reply::text("x"));
        assert_eq!(run(&mut s, &["lrange", "l", "0", "-1"]), bulks(&["a"]));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["rpush", "l", "a"]);
        run(&mut s, &["set", "s", "v"]);
        assert_eq!(run(&mut s, &["lset", "m", "0", "v"]), ReplyError::no_such_key().into());
        assert_eq!(run(&mut s, &["lset", "m", "x", "v"]), ReplyError::no_such_key().into());
        assert_eq!(run(&mut s, &["lset", "s", "x", "v"]), ReplyError::wrongtype().into());
        assert_eq!(run(&mut s, &["lset", "l", "x", "v"]), ReplyError::not_integer().into());
        assert_eq!(run(&mut s, &["lset", "l", "1", "v"]), ReplyError::out_of_range().into());
        assert_eq!(run(&mut s, &["lset", "l", "-2", "v"]), ReplyError::out_of_range().into());
        assert_eq!(run(&mut s, &["lset", "l", "0"]), ReplyError::wrong_arity("lset").into());
    }
}
