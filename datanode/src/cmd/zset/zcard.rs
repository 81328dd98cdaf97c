//! ZCARD key

use super::{read_zset, spec};
use crate::cmd::{Args, CmdResult, CommandSpec};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec =
    spec("zcard", 2, &["readonly", "fast"], (1, 1, 1), "Get the number of members in a sorted set", run);

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    Ok(Reply::Int(read_zset(shard, &key)?.map_or(0, |z| z.len() as i64)))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{run, shard};
    use crate::resp::Reply;

    #[test]
    fn counts_members() {
        let mut s = shard();
        assert_eq!(run(&mut s, &["ZCARD", "z"]), Reply::Int(0));
        run(&mut s, &["ZADD", "z", "1", "a", "2", "b"]);
        assert_eq!(run(&mut s, &["ZCARD", "z"]), Reply::Int(2));
        run(&mut s, &["SET", "str", "x"]);
        assert_eq!(run(&mut s, &["ZCARD", "str"]), Reply::from(ReplyError::wrongtype()));
    }
}
