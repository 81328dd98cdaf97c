//! SMOVE source destination member: SREM from the source and SADD to the destination, in
//! one commit (SEMANTICS.md §5).

use crate::cmd::util::check_write;
use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::crdt::orset::OrSet;
use crate::keyspace::delta::Delta;
use crate::keyspace::entry::{Content, Entry, Kind};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "smove",
    arity: 4,
    flags: &["write", "fast"],
    keys: (1, 2, 1),
    group: "set",
    summary: "Move a member from one set to another.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let src = args.bytes()?;
    let dst = args.bytes()?;
    let member = args.bytes()?;
    // Redis's order: a missing source answers 0 before the destination's type is checked.
    let Some(entry) = check_write(shard, &src, Kind::Set)? else { return Ok(Reply::Int(0)) };
    let present = super::set_in(Some(entry)).is_some_and(|s| s.contains(&member));
    check_write(shard, &dst, Kind::Set)?;
    if src == dst || !present {
        return Ok(Reply::Int(i64::from(present)));
    }
    let mut delta = Delta::new();
    shard.prepare_write(&src, Kind::Set, &mut delta);
    shard.prepare_write(&dst, Kind::Set, &mut delta);
    let tag = shard.mint();
    let mut observed = vec![tag.dot];

    let src_entry = shard.keyspace().get(&src);
    let mut removal = OrSet::default();
    if let Some(set) = super::set_in(src_entry) {
        set.observed_member(&member, &mut observed);
        if set.len() == 1 {
            // The source goes with its last member, TTL included, as in Redis.
            if let Some(e) = src_entry {
                e.ttl.observed(&mut observed);
            }
        }
    }
    removal.remove_delta(member.clone());

    let mut add = OrSet::default();
    if let Some(set) = super::set_in(shard.keyspace().get(&dst)) {
        set.observed_member(&member, &mut observed);
    }
    add.insert_delta(member, tag);

    delta.observe(observed);
    delta.put(src, Entry::with(Content::Set(Box::new(removal))));
    delta.put(dst, Entry::with(Content::Set(Box::new(add))));
    shard.commit(delta);
    Ok(Reply::Int(1))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulk, run, shard};
    use crate::resp::Reply;

    #[test]
    fn moves_a_member() {
        let mut s = shard();
        run(&mut s, &["SADD", "src", "a", "b"]);
        run(&mut s, &["SADD", "dst", "c"]);
        assert_eq!(run(&mut s, &["SMOVE", "src", "dst", "a"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["SMEMBERS", "src"]), Reply::Set(vec![bulk("b")]));
        assert_eq!(run(&mut s, &["SMEMBERS", "dst"]), Reply::Set(vec![bulk("a"), bulk("c")]));
        assert_eq!(run(&mut s, &["SMOVE", "src", "dst", "x"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["SMOVE", "nokey", "dst", "a"]), Reply::Int(0));
    }

    #[test]
    fn moving_the_last_member_deletes_the_source() {
        let mut s = shard();
        run(&mut s, &["SADD", "src", "a"]);
        assert_eq!(run(&mut s, &["SMOVE", "src", "new", "a"]), Reply::Int(1));
        assert_eq!(s.dbsize(), 1);
        assert_eq!(run(&mut s, &["SMEMBERS", "new"]), Reply::Set(vec![bulk("a")]));
        assert_eq!(run(&mut s, &["SCARD", "src"]), Reply::Int(0));
    }

    #[test]
    fn member_already_in_destination() {
        let mut s = shard();
        run(&mut s, &["SADD", "src", "a", "b"]);
        run(&mut s, &["SADD", "dst", "a"]);
        assert_eq!(run(&mut s, &["SMOVE", "src", "dst", "a"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["SMEMBERS", "src"]), Reply::Set(vec![bulk("b")]));
        assert_eq!(run(&mut s, &["SMEMBERS", "dst"]), Reply::Set(vec![bulk("a")]));
    }

    #[test]
    fn same_key_only_checks_membership() {
        let mut s = shard();
        run(&mut s, &["SADD", "s", "a"]);
        assert_eq!(run(&mut s, &["SMOVE", "s", "s", "a"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["SMOVE", "s", "s", "x"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["SMEMBERS", "s"]), Reply::Set(vec![bulk("a")]));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["SADD", "s", "a"]);
        run(&mut s, &["SET", "k", "v"]);
        assert_eq!(run(&mut s, &["SMOVE", "s", "k", "a"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["SMOVE", "s", "k", "x"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["SMOVE", "k", "s", "a"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["SMOVE", "nokey", "k", "a"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["SISMEMBER", "s", "a"]), Reply::Int(1));
        assert_eq!(
            run(&mut s, &["SMOVE", "s", "k"]),
            Reply::error("ERR wrong number of arguments for 'smove' command")
        );
    }
}
