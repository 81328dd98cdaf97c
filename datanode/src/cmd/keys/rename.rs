//! RENAME and RENAMENX (SEMANTICS.md §10): DEL src (observed) + overwrite dst with the moved
//! content as fresh writes, TTL included. Both keys must share a hash slot.

use bytes::Bytes;
use smallvec::SmallVec;

use crate::cmd::strings::string_bytes;
use crate::cmd::{Args, CmdResult, CommandSpec, Handler, ReplyError};
use crate::crdt::Tag;
use crate::crdt::cell::Cell;
use crate::crdt::list::{Elem, List};
use crate::crdt::ormap::OrMap;
use crate::crdt::orset::OrSet;
use crate::crdt::ttl::Ttl;
use crate::crdt::zset::{ZSet, score_of};
use crate::keyspace::delta::Delta;
use crate::keyspace::entry::{Content, Entry};
use crate::keyspace::slot_of;
use crate::resp::Reply;
use crate::shard::{Access, Shard};

pub const RENAME: CommandSpec = CommandSpec {
    name: "rename",
    arity: 3,
    flags: &["write"],
    keys: (1, 2, 1),
    group: "generic",
    summary: "Renames a key and overwrites the destination.",
    handler: Handler::Data(run_rename),
};

pub const RENAMENX: CommandSpec = CommandSpec {
    name: "renamenx",
    flags: &["write", "fast"],
    summary: "Renames a key only when the target key name doesn't exist.",
    handler: Handler::Data(run_renamenx),
    ..RENAME
};

/// `content` rewritten as fresh writes stamped `tag`: what it reads as, with new identities.
pub fn fresh_copy(content: &Content, tag: Tag) -> Content {
    match content {
        Content::Str(cell) => Content::Str(Cell::default().write_delta(tag, string_bytes(cell))),
        Content::Hash(map) => {
            let mut out = OrMap::default();
            for (field, cell) in map.iter().filter(|(_, c)| c.is_live()) {
                out.put_delta(field.clone(), Cell::default().write_delta(tag, string_bytes(cell)));
            }
            Content::Hash(Box::new(out))
        }
        Content::Set(set) => {
            let mut out = OrSet::default();
            for m in set.members() {
                out.insert_delta(m.clone(), tag);
            }
            Content::Set(Box::new(out))
        }
        Content::ZSet(z) => {
            let mut out = ZSet::default();
            for (member, cell) in z.map().iter().filter(|(_, c)| c.is_live()) {
                out.put_delta(member.clone(), Cell::default().write_delta(tag, score_of(cell)));
            }
            Content::ZSet(Box::new(out))
        }
        Content::Hll(h) => {
            Content::Hll(Box::new(crate::crdt::hll::Hll::write_delta(tag, h.value().unwrap_or_default())))
        }
        Content::List(list) => {
            let mut out = List::default();
            for (pos, elem) in list.iter() {
                out.put_delta(pos.clone(), Elem::new(tag, Bytes::copy_from_slice(elem.get())));
            }
            Content::List(Box::new(out))
        }
    }
}

/// Builds the delta that deletes whatever `dst` holds and writes `content` (with `deadline`)
/// there as fresh writes.
pub fn overwrite(shard: &mut Shard, delta: &mut Delta, dst: &Bytes, content: &Content, deadline: Option<u64>) {
    shard.delete_delta(dst, delta);
    let tag = shard.mint();
    delta.observe([tag.dot]);
    let mut part = Entry::with(fresh_copy(content, tag));
    if deadline.is_some() {
        part.ttl = Ttl::with(tag, deadline);
    }
    // `delete_delta` may already have put a part for dst; `put` joins the two.
    part.contents = SmallVec::from_iter(part.contents);
    delta.put(dst.clone(), part);
}

fn rename(args: &mut Args, shard: &mut Shard, nx: bool) -> CmdResult {
    let src = args.bytes()?;
    let dst = args.bytes()?;
    if slot_of(&src) != slot_of(&dst) {
        return Err(ReplyError::crossslot());
    }
    let Some(entry) = shard.lookup(&src, Access::Write) else { return Err(ReplyError::no_such_key()) };
    let Some(content) = entry.visible().cloned() else { return Err(ReplyError::no_such_key()) };
    let deadline = entry.ttl.deadline().map(|(d, _)| d);
    if src == dst {
        return Ok(if nx { Reply::Int(0) } else { Reply::Ok });
    }
    if nx && shard.lookup(&dst, Access::Write).is_some() {
        return Ok(Reply::Int(0));
    }
    let mut delta = Delta::new();
    shard.delete_delta(&src, &mut delta);
    overwrite(shard, &mut delta, &dst, &content, deadline);
    shard.commit(delta);
    Ok(if nx { Reply::Int(1) } else { Reply::Ok })
}

fn run_rename(args: &mut Args, shard: &mut Shard) -> CmdResult {
    rename(args, shard, false)
}

fn run_renamenx(args: &mut Args, shard: &mut Shard) -> CmdResult {
    rename(args, shard, true)
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::{bulk, run, shard};
    use crate::resp::Reply;

    #[test]
    fn rename_moves_value_and_ttl() {
        let mut s = shard();
        run(&mut s, &["SET", "{a}1", "v", "EX", "100"]);
        run(&mut s, &["INCRBY", "{a}c", "5"]);
        assert_eq!(run(&mut s, &["RENAME", "{a}1", "{a}2"]), Reply::Ok);
        assert_eq!(run(&mut s, &["GET", "{a}2"]), bulk("v"));
        assert_eq!(run(&mut s, &["TTL", "{a}2"]), Reply::Int(100));
        assert_eq!(run(&mut s, &["EXISTS", "{a}1"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["RENAMENX", "{a}c", "{a}2"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["RENAME", "{a}c", "{a}2"]), Reply::Ok);
        assert_eq!(run(&mut s, &["GET", "{a}2"]), bulk("5"));
        assert_eq!(run(&mut s, &["TTL", "{a}2"]), Reply::Int(-1));
        assert_eq!(run(&mut s, &["RENAME", "{a}nope", "{a}2"]), Reply::error("ERR no such key"));
        assert_eq!(
            run(&mut s, &["RENAME", "{a}2", "{b}2"]),
            Reply::error("CROSSSLOT Keys in request don't hash to the same slot")
        );
    }
}
