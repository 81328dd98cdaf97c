//! GEODIST key member1 member2 [M|KM|FT|MI]: the great-circle distance between two members,
//! nil if either is missing. The unit is checked before the key, as in Redis.

use super::area::distance;
use super::hash::score_to_lonlat;
use super::{args, fmt_distance, spec};
use crate::cmd::zset::read_zset;
use crate::cmd::{Args, CmdResult, CommandSpec, ReplyError};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = spec(
    "geodist",
    -4,
    &["readonly"],
    (1, 1, 1),
    "Returns the distance between two members of a geospatial index",
    run,
);

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let a = args.bytes()?;
    let b = args.bytes()?;
    if args.remaining() > 1 {
        return Err(ReplyError::syntax());
    }
    let to_meters = match args.next() {
        None => 1.0,
        Some(u) => args::unit(&u)?,
    };
    let Some(z) = read_zset(shard, &key)? else { return Ok(Reply::Nil) };
    let (Some(sa), Some(sb)) = (z.score(&a), z.score(&b)) else { return Ok(Reply::Nil) };
    let [lon1, lat1] = score_to_lonlat(sa);
    let [lon2, lat2] = score_to_lonlat(sb);
    Ok(Reply::Bulk(fmt_distance(distance(lon1, lat1, lon2, lat2) / to_meters).into()))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulk, run, shard};
    use crate::resp::Reply;

    #[test]
    fn distances_in_every_unit() {
        let mut s = shard();
        run(&mut s, &["GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"]);
        assert_eq!(run(&mut s, &["GEODIST", "Sicily", "Palermo", "Catania"]), bulk("166274.1516"));
        assert_eq!(run(&mut s, &["GEODIST", "Sicily", "Palermo", "Catania", "km"]), bulk("166.2742"));
        assert_eq!(run(&mut s, &["GEODIST", "Sicily", "Palermo", "Catania", "MI"]), bulk("103.3182"));
        assert_eq!(run(&mut s, &["GEODIST", "Sicily", "Palermo", "Catania", "ft"]), bulk("545518.8700"));
        assert_eq!(run(&mut s, &["GEODIST", "Sicily", "Palermo", "Palermo"]), bulk("0.0000"));
        assert_eq!(run(&mut s, &["GEODIST", "Sicily", "Palermo", "nope"]), Reply::Nil);
        assert_eq!(run(&mut s, &["GEODIST", "nokey", "a", "b"]), Reply::Nil);
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["SET", "str", "x"]);
        let unit = Reply::error("ERR unsupported unit provided. please use M, KM, FT, MI");
        assert_eq!(run(&mut s, &["GEODIST", "nokey", "a", "b", "parsecs"]), unit);
        assert_eq!(run(&mut s, &["GEODIST", "str", "a", "b", "parsecs"]), unit);
        assert_eq!(run(&mut s, &["GEODIST", "str", "a", "b", "km", "x"]), Reply::from(ReplyError::syntax()));
        assert_eq!(run(&mut s, &["GEODIST", "nokey", "a", "b", "parsecs", "x"]), Reply::from(ReplyError::syntax()));
        assert_eq!(run(&mut s, &["GEODIST", "str", "a", "b"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(
            run(&mut s, &["GEODIST", "k", "a"]),
            Reply::error("ERR wrong number of arguments for 'geodist' command")
        );
    }
}
