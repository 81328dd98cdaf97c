//! ZREM key member [member ...]: removes the members as this region sees them; a concurrent
//! add or increment elsewhere survives (SEMANTICS.md §6).

use std::collections::HashSet;

use super::{Change, commit_changes, spec, zset_for_write};
use crate::cmd::{Args, CmdResult, CommandSpec};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec =
    spec("zrem", -3, &["write", "fast"], (1, 1, 1), "Remove one or more members from a sorted set", run);

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let members = args.rest();
    let Some(z) = zset_for_write(shard, &key)? else { return Ok(Reply::Int(0)) };
    let mut seen = HashSet::new();
    let changes: Vec<_> = members
        .into_iter()
        .filter(|m| z.score(m).is_some() && seen.insert(m.clone()))
        .map(|m| (m, Change::Remove))
        .collect();
    let removed = changes.len() as i64;
    commit_changes(shard, &key, changes);
    Ok(Reply::Int(removed))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulks, run, shard};
    use crate::resp::Reply;

    #[test]
    fn removes_present_members_once() {
        let mut s = shard();
        run(&mut s, &["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
        assert_eq!(run(&mut s, &["ZREM", "z", "a", "a", "x"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["ZRANGE", "z", "0", "-1"]), bulks(&["b", "c"]));
        assert_eq!(run(&mut s, &["ZREM", "z", "x"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["ZREM", "nokey", "x"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["ZREM", "z", "b", "c"]), Reply::Int(2));
        assert_eq!(s.dbsize(), 0);
        assert_eq!(run(&mut s, &["ZCARD", "z"]), Reply::Int(0));
    }

    #[test]
    fn a_removed_member_comes_back_fresh() {
        let mut s = shard();
        run(&mut s, &["ZADD", "z", "1", "a"]);
        run(&mut s, &["ZINCRBY", "z", "5", "a"]);
        run(&mut s, &["ZREM", "z", "a"]);
        assert_eq!(run(&mut s, &["ZINCRBY", "z", "2", "a"]), Reply::Double(2.0));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["SET", "str", "x"]);
        assert_eq!(run(&mut s, &["ZREM", "str", "a"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["ZREM", "z"]), Reply::error("ERR wrong number of arguments for 'zrem' command"));
    }
}
