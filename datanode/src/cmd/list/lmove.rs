//! LMOVE source destination LEFT|RIGHT LEFT|RIGHT, and RPOPLPUSH: a pop from one list and
//! a push of a new element onto the other, shipped as one delta (SEMANTICS.md §8: if two
//! regions move the same element, it can arrive twice in the destination).

use bytes::Bytes;

use crate::cmd::util::check_write;
use crate::cmd::{Args, CmdResult, CommandSpec, Handler, ReplyError};
use crate::crdt::list::List;
use crate::keyspace::delta::Delta;
use crate::keyspace::entry::{Content, Entry, Kind};
use crate::resp::Reply;
use crate::shard::Shard;

use super::{End, list_in, remove};

pub const LMOVE: CommandSpec = CommandSpec {
    name: "lmove",
    arity: 5,
    flags: &["write", "denyoom"],
    keys: (1, 2, 1),
    group: "list",
    summary: "Pop an element from a list, push it to another list and return it",
    handler: Handler::Data(run_lmove),
};

pub const RPOPLPUSH: CommandSpec = CommandSpec {
    name: "rpoplpush",
    arity: 3,
    flags: &["write", "denyoom"],
    keys: (1, 2, 1),
    group: "list",
    summary: "Remove the last element in a list, prepend it to another list and return it",
    handler: Handler::Data(run_rpoplpush),
};

fn run_lmove(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let src = args.bytes()?;
    let dst = args.bytes()?;
    let from = End::parse(&args.bytes()?)?;
    let to = End::parse(&args.bytes()?)?;
    Ok(move_one(shard, &src, &dst, from, to)?.map_or(Reply::Nil, Reply::Bulk))
}

fn run_rpoplpush(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let src = args.bytes()?;
    let dst = args.bytes()?;
    Ok(move_one(shard, &src, &dst, End::Right, End::Left)?.map_or(Reply::Nil, Reply::Bulk))
}

/// Moves one element from `from` of `src` to `to` of `dst` as one write; `None` if `src` is
/// missing. As in Redis, `dst` is type-checked only when there is something to move.
pub fn move_one(shard: &mut Shard, src: &Bytes, dst: &Bytes, from: End, to: End) -> Result<Option<Bytes>, ReplyError> {
    if check_write(shard, src, Kind::List)?.and_then(|e| list_in(Some(e))).is_none_or(List::is_empty) {
        return Ok(None);
    }
    check_write(shard, dst, Kind::List)?;
    let end_of = |list: &List| match from {
        End::Left => list.first().map(|(p, e)| (p.clone(), e.clone())),
        End::Right => list.last().map(|(p, e)| (p.clone(), e.clone())),
    };
    let Some((pos, elem)) = list_in(shard.keyspace().get(src)).and_then(end_of) else { return Ok(None) };
    let mut delta = Delta::new();
    shard.prepare_write(src, Kind::List, &mut delta);
    if dst != src {
        shard.prepare_write(dst, Kind::List, &mut delta);
    }
    let tag = shard.mint();
    let mut observed = vec![tag.dot];
    let value = elem.bytes();
    let mut src_delta = List::default();
    remove(&mut src_delta, &pos, &elem, &mut observed);
    // Into the destination as it stands; when it is the source itself, the gap next to
    // the popped element is as good as any (that element is gone).
    let dst_list = list_in(shard.keyspace().get(dst));
    let (left, right) = match to {
        End::Left => (None, dst_list.and_then(List::first).map(|(p, _)| p)),
        End::Right => (dst_list.and_then(List::last).map(|(p, _)| p), None),
    };
    if dst == src {
        src_delta.insert_delta(left, right, vec![(tag, value.clone())]);
    } else {
        let mut dst_delta = List::default();
        dst_delta.insert_delta(left, right, vec![(tag, value.clone())]);
        delta.put(dst.clone(), Entry::with(Content::List(Box::new(dst_delta))));
    }
    delta.put(src.clone(), Entry::with(Content::List(Box::new(src_delta))));
    delta.observe(observed);
    shard.commit(delta);
    Ok(Some(value))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulk, bulks, run, shard};
    use crate::resp::Reply;

    #[test]
    fn moves_between_lists_in_every_direction() {
        let mut s = shard();
        run(&mut s, &["rpush", "a", "1", "2", "3"]);
        assert_eq!(run(&mut s, &["lmove", "a", "b", "left", "right"]), bulk("1"));
        assert_eq!(run(&mut s, &["lmove", "a", "b", "RIGHT", "LEFT"]), bulk("3"));
        assert_eq!(run(&mut s, &["lmove", "b", "a", "right", "right"]), bulk("1"));
        assert_eq!(run(&mut s, &["lrange", "a", "0", "-1"]), bulks(&["2", "1"]));
        assert_eq!(run(&mut s, &["lrange", "b", "0", "-1"]), bulks(&["3"]));
        assert_eq!(run(&mut s, &["rpoplpush", "a", "b"]), bulk("1"));
        assert_eq!(run(&mut s, &["lrange", "b", "0", "-1"]), bulks(&["1", "3"]));
        assert_eq!(run(&mut s, &["lmove", "a", "b", "left", "left"]), bulk("2"));
        assert_eq!(run(&mut s, &["lrange", "b", "0", "-1"]), bulks(&["2", "1", "3"]));
        assert_eq!(s.dbsize(), 1);
    }

    #[test]
    fn rotates_a_list_onto_itself() {
        let mut s = shard();
        run(&mut s, &["rpush", "k", "a", "b", "c"]);
        assert_eq!(run(&mut s, &["lmove", "k", "k", "left", "right"]), bulk("a"));
        assert_eq!(run(&mut s, &["lrange", "k", "0", "-1"]), bulks(&["b", "c", "a"]));
        assert_eq!(run(&mut s, &["rpoplpush", "k", "k"]), bulk("a"));
        assert_eq!(run(&mut s, &["lrange", "k", "0", "-1"]), bulks(&["a", "b", "c"]));
        assert_eq!(run(&mut s, &["lmove", "k", "k", "left", "left"]), bulk("a"));
        assert_eq!(run(&mut s, &["lmove", "k", "k", "right", "right"]), bulk("c"));
        assert_eq!(run(&mut s, &["lrange", "k", "0", "-1"]), bulks(&["a", "b", "c"]));
        run(&mut s, &["rpush", "one", "x"]);
        assert_eq!(run(&mut s, &["lmove", "one", "one", "left", "right"]), bulk("x"));
        assert_eq!(run(&mut s, &["lrange", "one", "0", "-1"]), bulks(&["x"]));
    }

    #[test]
    fn missing_source_gives_nil_without_checking_the_destination() {
        let mut s = shard();
        run(&mut s, &["set", "s", "v"]);
        assert_eq!(run(&mut s, &["lmove", "m", "s", "left", "left"]), Reply::Nil);
        assert_eq!(run(&mut s, &["rpoplpush", "m", "s"]), Reply::Nil);
        assert_eq!(s.dbsize(), 1);
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["set", "s", "v"]);
        run(&mut s, &["rpush", "l", "a"]);
        assert_eq!(run(&mut s, &["lmove", "l", "s", "left", "left"]), ReplyError::wrongtype().into());
        assert_eq!(run(&mut s, &["lmove", "s", "l", "left", "left"]), ReplyError::wrongtype().into());
        assert_eq!(run(&mut s, &["rpoplpush", "l", "s"]), ReplyError::wrongtype().into());
        assert_eq!(run(&mut s, &["lrange", "l", "0", "-1"]), bulks(&["a"]));
        assert_eq!(run(&mut s, &["lmove", "l", "l", "foo", "right"]), ReplyError::syntax().into());
        assert_eq!(run(&mut s, &["lmove", "l", "l", "left", "up"]), ReplyError::syntax().into());
        assert_eq!(run(&mut s, &["lmove", "l", "l", "left"]), ReplyError::wrong_arity("lmove").into());
        assert_eq!(run(&mut s, &["rpoplpush", "l"]), ReplyError::wrong_arity("rpoplpush").into());
    }
}
