//! SREM key member [member ...]

use hashbrown::HashSet;

use crate::cmd::util::check_write;
use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::keyspace::entry::Kind;
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "srem",
    arity: -3,
    flags: &["write", "fast"],
    keys: (1, 1, 1),
    group: "set",
    summary: "Remove one or more members from a set.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let members = args.rest();
    let Some(set) = super::set_in(check_write(shard, &key, Kind::Set)?) else { return Ok(Reply::Int(0)) };
    let mut seen = HashSet::new();
    let doomed: Vec<_> = members.into_iter().filter(|m| set.contains(m) && seen.insert(m.clone())).collect();
    if !doomed.is_empty() {
        super::remove_members(shard, &key, &doomed);
    }
    Ok(Reply::Int(doomed.len() as i64))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{run, shard};
    use crate::resp::Reply;

    #[test]
    fn removes_present_members_once() {
        let mut s = shard();
        run(&mut s, &["SADD", "s", "a", "b", "c"]);
        assert_eq!(run(&mut s, &["SREM", "s", "a", "a", "x"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["SISMEMBER", "s", "a"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["SREM", "s", "x"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["SREM", "nokey", "x"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["SREM", "s", "b", "c"]), Reply::Int(2));
        assert_eq!(s.dbsize(), 0);
        assert_eq!(run(&mut s, &["SET", "s", "v"]), Reply::Ok);
    }

    #[test]
    fn removing_the_last_member_drops_the_ttl() {
        let mut s = shard();
        run(&mut s, &["SADD", "s", "a"]);
        let key = bytes::Bytes::from_static(b"s");
        crate::cmd::util::write_one(&mut s, &key, crate::keyspace::entry::Kind::Set, |tag, entry, part, observed| {
            crate::cmd::util::set_ttl(entry, tag, Some(1_800_000_000_000), part, observed);
        });
        assert!(s.keyspace().get(&key[..]).is_some_and(|e| e.ttl.deadline().is_some()));
        assert_eq!(run(&mut s, &["SREM", "s", "a"]), Reply::Int(1));
        run(&mut s, &["SADD", "s", "b"]);
        assert!(s.keyspace().get(&key[..]).is_some_and(|e| e.ttl.deadline().is_none()));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["SET", "k", "v"]);
        assert_eq!(run(&mut s, &["SREM", "k", "a"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["SREM", "k"]), Reply::error("ERR wrong number of arguments for 'srem' command"));
    }
}
