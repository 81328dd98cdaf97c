//! SADD key member [member ...]: every member gets a fresh add, present or not (SEMANTICS.md §5).

use crate::cmd::util::{check_write, write_one};
use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::crdt::orset::OrSet;
use crate::keyspace::entry::{Content, Kind};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "sadd",
    arity: -3,
    flags: &["write", "denyoom", "fast"],
    keys: (1, 1, 1),
    group: "set",
    summary: "Add one or more members to a set.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let members = args.rest();
    check_write(shard, &key, Kind::Set)?;
    let added = write_one(shard, &key, Kind::Set, |tag, entry, part, observed| {
        let current = super::set_in(entry);
        let mut delta = OrSet::default();
        let mut added = 0;
        for member in members {
            if !current.is_some_and(|s| s.contains(&member)) && !delta.contains(&member) {
                added += 1;
            }
            if let Some(s) = current {
                s.observed_member(&member, observed);
            }
            delta.insert_delta(member, tag);
        }
        part.contents.push(Content::Set(Box::new(delta)));
        added
    });
    Ok(Reply::Int(added))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{run, shard};
    use crate::resp::Reply;

    #[test]
    fn counts_new_members() {
        let mut s = shard();
        assert_eq!(run(&mut s, &["SADD", "s", "a", "b", "a"]), Reply::Int(2));
        assert_eq!(run(&mut s, &["SADD", "s", "a", "c"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["SADD", "s", "a"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["SCARD", "s"]), Reply::Int(3));
    }

    #[test]
    fn readding_keeps_one_add() {
        let mut s = shard();
        run(&mut s, &["SADD", "s", "a"]);
        run(&mut s, &["SADD", "s", "a"]);
        let adds = match s.keyspace().get(b"s".as_slice()).and_then(|e| e.visible()) {
            Some(crate::keyspace::entry::Content::Set(set)) => set.adds(b"a").map(|a| a.len()),
            _ => None,
        };
        assert_eq!(adds, Some(1));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["SET", "k", "v"]);
        assert_eq!(run(&mut s, &["SADD", "k", "a"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["SADD", "k"]), Reply::error("ERR wrong number of arguments for 'sadd' command"));
    }
}
