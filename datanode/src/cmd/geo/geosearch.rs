//! GEOSEARCH key FROMMEMBER member|FROMLONLAT lon lat BYRADIUS radius unit|BYBOX width
//! height unit [ASC|DESC] [COUNT n [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH], and
//! GEOSEARCHSTORE dst src ... [STOREDIST], which stores like Z*STORE (SEMANTICS.md §6).

use super::query::{Form, run};
use super::spec;
use crate::cmd::{Args, CmdResult, CommandSpec};
use crate::shard::Shard;

pub const GEOSEARCH: CommandSpec = spec(
    "geosearch",
    -7,
    &["readonly"],
    (1, 1, 1),
    "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.",
    |args: &mut Args, shard: &mut Shard| -> CmdResult { run(args, shard, Form::Search) },
);

pub const GEOSEARCHSTORE: CommandSpec = spec(
    "geosearchstore",
    -8,
    &["write", "denyoom"],
    (1, 2, 1),
    "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.",
    |args: &mut Args, shard: &mut Shard| -> CmdResult { run(args, shard, Form::SearchStore) },
);

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulk, bulks, run, shard};
    use crate::resp::Reply;
    use crate::shard::Shard;

    fn sicily() -> Shard {
        let mut s = shard();
        run(
            &mut s,
            &[
                "GEOADD",
                "Sicily",
                "13.361389",
                "38.115556",
                "Palermo",
                "15.087269",
                "37.502669",
                "Catania",
                "12.758489",
                "38.788135",
                "edge1",
                "17.241510",
                "38.788135",
                "edge2",
            ],
        );
        s
    }

    fn err(text: &str) -> Reply {
        Reply::error(text)
    }

    #[test]
    fn by_radius_and_by_box() {
        let mut s = sicily();
        assert_eq!(
            run(&mut s, &["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC"]),
            bulks(&["Catania", "Palermo"])
        );
        assert_eq!(
            run(&mut s, &["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "ASC"]),
            bulks(&["Catania", "Palermo", "edge2", "edge1"])
        );
        assert_eq!(
            run(
                &mut s,
                &["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "200", "km", "DESC", "COUNT", "2"]
            ),
            bulks(&["Catania", "edge1"])
        );
        // ANY stops at the first member found in scan order, not the nearest.
        assert_eq!(
            run(
                &mut s,
                &["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "COUNT", "1", "ANY"]
            ),
            bulks(&["Palermo"])
        );
        assert_eq!(
            run(&mut s, &["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "m", "WITHDIST"]),
            Reply::Array(vec![Reply::Array(vec![bulk("Palermo"), bulk("0.0000")])])
        );
        assert_eq!(run(&mut s, &["GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "m"]), bulks(&[]));
    }

    #[test]
    fn store() {
        let mut s = sicily();
        assert_eq!(
            run(&mut s, &["GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"]),
            Reply::Int(2)
        );
        assert_eq!(run(&mut s, &["ZRANGE", "d", "0", "-1"]), bulks(&["Palermo", "Catania"]));
        assert_eq!(
            run(
                &mut s,
                &["GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST"]
            ),
            Reply::Int(2)
        );
        assert_eq!(run(&mut s, &["ZRANGE", "d", "0", "-1"]), bulks(&["Catania", "Palermo"]));
        assert_eq!(
            run(&mut s, &["GEOSEARCHSTORE", "d", "nokey", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"]),
            Reply::Int(0)
        );
        assert_eq!(run(&mut s, &["EXISTS", "d"]), Reply::Int(0));
    }

    #[test]
    fn errors() {
        let mut s = sicily();
        let syntax = Reply::from(ReplyError::syntax());
        let cases: &[(&[&str], Reply)] = &[
            (
                &["GEOSEARCH", "Sicily", "BYRADIUS", "1", "km", "ASC", "ASC"],
                err("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH"),
            ),
            (
                &["geosearch", "Sicily", "FROMLONLAT", "1", "2", "ASC", "ASC"],
                err("ERR exactly one of BYRADIUS and BYBOX can be specified for geosearch"),
            ),
            (
                &["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km"],
                syntax.clone(),
            ),
            (
                &["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "BYBOX", "1", "1", "km"],
                syntax.clone(),
            ),
            (
                &["GEOSEARCH", "Sicily", "FROMMEMBER", "nope", "BYRADIUS", "1", "km"],
                err("ERR could not decode requested zset member"),
            ),
            (&["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYBOX", "w", "1", "km"], err("ERR need numeric width")),
            (
                &["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYBOX", "1", "-1", "km"],
                err("ERR height or width cannot be negative"),
            ),
            (&["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "STORE", "x"], syntax.clone()),
            (&["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "STOREDIST"], syntax.clone()),
            (
                &["GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "WITHCOORD"],
                err("ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"),
            ),
            (
                &["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "ANY"],
                err("ERR the ANY argument requires COUNT argument"),
            ),
        ];
        for (words, want) in cases {
            assert_eq!(&run(&mut s, words), want, "{words:?}");
        }
    }
}
