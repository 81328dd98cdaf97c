//! GEOHASH key member [member ...]: each member's standard 11-character geohash string, or
//! nil for a missing member.

use super::hash::geohash_string;
use super::spec;
use crate::cmd::zset::read_zset;
use crate::cmd::{Args, CmdResult, CommandSpec};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = spec(
    "geohash",
    -2,
    &["readonly"],
    (1, 1, 1),
    "Returns members of a geospatial index as standard geohash strings",
    run,
);

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let members = args.rest();
    let z = read_zset(shard, &key)?;
    Ok(Reply::Array(
        members
            .iter()
            .map(|m| match z.and_then(|z| z.score(m)) {
                None => Reply::Nil,
                Some(score) => Reply::Bulk(bytes::Bytes::copy_from_slice(&geohash_string(score))),
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulk, run, shard};
    use crate::resp::Reply;

    #[test]
    fn strings() {
        let mut s = shard();
        run(&mut s, &["GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"]);
        assert_eq!(
            run(&mut s, &["GEOHASH", "Sicily", "Palermo", "Catania", "nope"]),
            Reply::Array(vec![bulk("sqc8b49rny0"), bulk("sqdtr74hyu0"), Reply::Nil])
        );
        assert_eq!(run(&mut s, &["GEOHASH", "nokey", "a", "b"]), Reply::Array(vec![Reply::Nil, Reply::Nil]));
        run(&mut s, &["SET", "str", "x"]);
        assert_eq!(run(&mut s, &["GEOHASH", "str"]), Reply::from(ReplyError::wrongtype()));
    }
}
