//! GEOPOS key member [member ...]: each member's [longitude, latitude], decoded from its
//! score, or a nil array for a missing member.

use super::hash::score_to_lonlat;
use super::{fmt_coord, spec};
use crate::cmd::zset::read_zset;
use crate::cmd::{Args, CmdResult, CommandSpec};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = spec(
    "geopos",
    -2,
    &["readonly"],
    (1, 1, 1),
    "Returns longitude and latitude of members of a geospatial index",
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
                None => Reply::NilArray,
                Some(score) => {
                    let [lon, lat] = score_to_lonlat(score);
                    Reply::Array(vec![Reply::DoubleText(fmt_coord(lon)), Reply::DoubleText(fmt_coord(lat))])
                }
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{run, shard};
    use crate::resp::Reply;

    fn pos(lon: &str, lat: &str) -> Reply {
        Reply::Array(vec![Reply::DoubleText(lon.into()), Reply::DoubleText(lat.into())])
    }

    #[test]
    fn positions() {
        let mut s = shard();
        run(&mut s, &["GEOADD", "Sicily", "13.361389", "38.115556", "Palermo"]);
        assert_eq!(
            run(&mut s, &["GEOPOS", "Sicily", "Palermo", "nope"]),
            Reply::Array(vec![pos("13.36138933897018433", "38.11555639549629859"), Reply::NilArray])
        );
        assert_eq!(run(&mut s, &["GEOPOS", "nokey", "a"]), Reply::Array(vec![Reply::NilArray]));
        assert_eq!(run(&mut s, &["GEOPOS", "nokey"]), Reply::Array(vec![]));
        // Any score decodes, as in Redis: -1 is every bit set, clamped to the corner.
        run(&mut s, &["ZADD", "Sicily", "-1", "odd"]);
        assert_eq!(run(&mut s, &["GEOPOS", "Sicily", "odd"]), Reply::Array(vec![pos("180", "85.0511287799999991")]));
        run(&mut s, &["SET", "str", "x"]);
        assert_eq!(run(&mut s, &["GEOPOS", "str", "a"]), Reply::from(ReplyError::wrongtype()));
    }
}
