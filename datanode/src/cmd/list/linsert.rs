//! LINSERT key BEFORE|AFTER pivot element: the new element takes the gap between the pivot
//! and its neighbour (SEMANTICS.md §8: if the pivot is removed concurrently, the element
//! stays where the pivot was).

use crate::cmd::args::is;
use crate::cmd::util::{check_write, write_one};
use crate::cmd::{Args, CmdResult, CommandSpec, Handler, ReplyError};
use crate::crdt::list::List;
use crate::keyspace::entry::{Content, Kind};
use crate::resp::Reply;
use crate::shard::Shard;

use super::list_in;

pub const SPEC: CommandSpec = CommandSpec {
    name: "linsert",
    arity: 5,
    flags: &["write", "denyoom"],
    keys: (1, 1, 1),
    group: "list",
    summary: "Insert an element before or after another element in a list",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let place = args.bytes()?;
    let after = if is(&place, "after") {
        true
    } else if is(&place, "before") {
        false
    } else {
        return Err(ReplyError::syntax());
    };
    let pivot = args.bytes()?;
    let value = args.bytes()?;
    let Some(entry) = check_write(shard, &key, Kind::List)? else { return Ok(Reply::Int(0)) };
    let Some(list) = list_in(Some(entry)) else { return Ok(Reply::Int(0)) };
    if !list.iter().any(|(_, e)| e.get() == &pivot[..]) {
        return Ok(Reply::Int(-1));
    }
    let len = list.len() + 1;
    write_one(shard, &key, Kind::List, |tag, entry, part, _| {
        let mut delta = List::default();
        if let Some(list) = list_in(entry) {
            if let Some((pos, _)) = list.iter().find(|(_, e)| e.get() == &pivot[..]) {
                let (left, right) = if after { (Some(pos), list.after(pos)) } else { (list.before(pos), Some(pos)) };
                delta.insert_delta(left, right, vec![(tag, value)]);
            }
        }
        part.contents.push(Content::List(Box::new(delta)));
    });
    Ok(Reply::Int(len as i64))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulks, run, shard};
    use crate::resp::Reply;

    #[test]
    fn inserts_next_to_the_first_match() {
        let mut s = shard();
        run(&mut s, &["rpush", "l", "a", "b", "c", "b"]);
        assert_eq!(run(&mut s, &["linsert", "l", "before", "b", "x"]), Reply::Int(5));
        assert_eq!(run(&mut s, &["linsert", "l", "AFTER", "b", "y"]), Reply::Int(6));
        assert_eq!(run(&mut s, &["linsert", "l", "Before", "a", "h"]), Reply::Int(7));
        assert_eq!(run(&mut s, &["linsert", "l", "after", "c", "t"]), Reply::Int(8));
        assert_eq!(run(&mut s, &["lrange", "l", "0", "-1"]), bulks(&["h", "a", "x", "b", "y", "c", "t", "b"]));
        // Repeatedly into one gap: each new element lands right next to the pivot.
        for v in ["1", "2", "3"] {
            run(&mut s, &["linsert", "l", "after", "h", v]);
        }
        assert_eq!(run(&mut s, &["lrange", "l", "0", "3"]), bulks(&["h", "3", "2", "1"]));
    }

    #[test]
    fn missing_pivot_or_key() {
        let mut s = shard();
        assert_eq!(run(&mut s, &["linsert", "m", "before", "a", "x"]), Reply::Int(0));
        run(&mut s, &["rpush", "l", "a"]);
        assert_eq!(run(&mut s, &["linsert", "l", "before", "z", "x"]), Reply::Int(-1));
        assert_eq!(run(&mut s, &["lrange", "l", "0", "-1"]), bulks(&["a"]));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["set", "s", "v"]);
        assert_eq!(run(&mut s, &["linsert", "s", "before", "a", "x"]), ReplyError::wrongtype().into());
        // The position word is checked before the key.
        assert_eq!(run(&mut s, &["linsert", "s", "middle", "a", "x"]), ReplyError::syntax().into());
        assert_eq!(run(&mut s, &["linsert", "m", "middle", "a", "x"]), ReplyError::syntax().into());
        assert_eq!(run(&mut s, &["linsert", "m", "before", "a"]), ReplyError::wrong_arity("linsert").into());
    }
}
