//! ZSCORE key member, ZMSCORE key member [member ...]

use super::{read_zset, spec};
use crate::cmd::{Args, CmdResult, CommandSpec};
use crate::resp::Reply;
use crate::shard::Shard;

pub const ZSCORE: CommandSpec = spec(
    "zscore",
    3,
    &["readonly", "fast"],
    (1, 1, 1),
    "Get the score associated with the given member in a sorted set",
    run_zscore,
);

pub const ZMSCORE: CommandSpec = spec(
    "zmscore",
    -3,
    &["readonly", "fast"],
    (1, 1, 1),
    "Get the score associated with the given members in a sorted set",
    run_zmscore,
);

fn run_zscore(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let member = args.bytes()?;
    let z = read_zset(shard, &key)?;
    Ok(z.and_then(|z| z.score(&member)).map_or(Reply::Nil, Reply::Double))
}

fn run_zmscore(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let members = args.rest();
    let z = read_zset(shard, &key)?;
    Ok(Reply::Array(members.iter().map(|m| z.and_then(|z| z.score(m)).map_or(Reply::Nil, Reply::Double)).collect()))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{run, shard};
    use crate::resp::Reply;

    #[test]
    fn scores() {
        let mut s = shard();
        run(&mut s, &["ZADD", "z", "1.5", "a", "-0", "m", "0.1", "t"]);
        assert_eq!(run(&mut s, &["ZSCORE", "z", "a"]), Reply::Double(1.5));
        assert_eq!(run(&mut s, &["ZSCORE", "z", "t"]), Reply::Double(0.1));
        assert_eq!(run(&mut s, &["ZSCORE", "z", "x"]), Reply::Nil);
        assert_eq!(run(&mut s, &["ZSCORE", "nokey", "x"]), Reply::Nil);
        // -0 reads as 0, as in Redis.
        assert_eq!(run(&mut s, &["ZSCORE", "z", "m"]), Reply::Double(0.0));
        assert_eq!(
            run(&mut s, &["ZMSCORE", "z", "a", "x", "t"]),
            Reply::Array(vec![Reply::Double(1.5), Reply::Nil, Reply::Double(0.1)])
        );
        assert_eq!(run(&mut s, &["ZMSCORE", "nokey", "a", "b"]), Reply::Array(vec![Reply::Nil, Reply::Nil]));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["SET", "str", "x"]);
        assert_eq!(run(&mut s, &["ZSCORE", "str", "a"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["ZMSCORE", "str", "a"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["ZMSCORE", "z"]), Reply::error("ERR wrong number of arguments for 'zmscore' command"));
        assert_eq!(
            run(&mut s, &["ZSCORE", "z", "a", "b"]),
            Reply::error("ERR wrong number of arguments for 'zscore' command")
        );
    }
}
