//! GEORADIUS key lon lat radius unit [options] and GEORADIUSBYMEMBER key member radius unit
//! [options], with STORE/STOREDIST, and their read-only forms GEORADIUS_RO and
//! GEORADIUSBYMEMBER_RO (no STORE). Parsing and running are shared with GEOSEARCH.

use super::query::{Form, run};
use super::spec;
use crate::cmd::{Args, CmdResult, CommandSpec};
use crate::shard::Shard;

const STORING: &[&str] = &["write", "denyoom", "movablekeys"];

pub const GEORADIUS: CommandSpec = spec(
    "georadius",
    -6,
    STORING,
    (1, 1, 1),
    "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point",
    |args: &mut Args, shard: &mut Shard| -> CmdResult { run(args, shard, Form::Radius { ro: false }) },
);

pub const GEORADIUS_RO: CommandSpec = spec(
    "georadius_ro",
    -6,
    &["readonly"],
    (1, 1, 1),
    "A read-only variant for GEORADIUS",
    |args: &mut Args, shard: &mut Shard| -> CmdResult { run(args, shard, Form::Radius { ro: true }) },
);

pub const GEORADIUSBYMEMBER: CommandSpec = spec(
    "georadiusbymember",
    -5,
    STORING,
    (1, 1, 1),
    "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member",
    |args: &mut Args, shard: &mut Shard| -> CmdResult { run(args, shard, Form::ByMember { ro: false }) },
);

pub const GEORADIUSBYMEMBER_RO: CommandSpec = spec(
    "georadiusbymember_ro",
    -5,
    &["readonly"],
    (1, 1, 1),
    "A read-only variant for GEORADIUSBYMEMBER",
    |args: &mut Args, shard: &mut Shard| -> CmdResult { run(args, shard, Form::ByMember { ro: true }) },
);

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulk, bulks, run, shard};
    use crate::resp::Reply;
    use crate::shard::Shard;

    fn sicily() -> Shard {
        let mut s = shard();
        run(&mut s, &["GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"]);
        s
    }

    fn err(text: &str) -> Reply {
        Reply::error(text)
    }

    #[test]
    fn radius_around_a_point() {
        let mut s = sicily();
        assert_eq!(run(&mut s, &["GEORADIUS", "Sicily", "15", "37", "200", "km"]), bulks(&["Palermo", "Catania"]));
        assert_eq!(run(&mut s, &["GEORADIUS", "Sicily", "15", "37", "100", "km"]), bulks(&["Catania"]));
        assert_eq!(
            run(&mut s, &["GEORADIUS", "Sicily", "15", "37", "200", "km", "DESC"]),
            bulks(&["Palermo", "Catania"])
        );
        assert_eq!(run(&mut s, &["GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "1"]), bulks(&["Catania"]));
        assert_eq!(
            run(&mut s, &["GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "WITHHASH", "WITHCOORD", "ASC"]),
            Reply::Array(vec![
                Reply::Array(vec![
                    bulk("Catania"),
                    bulk("56.4413"),
                    Reply::Int(3479447370796909),
                    Reply::Array(vec![
                        Reply::DoubleText("15.08726745843887329".into()),
                        Reply::DoubleText("37.50266842333162032".into()),
                    ]),
                ]),
                Reply::Array(vec![
                    bulk("Palermo"),
                    bulk("190.4424"),
                    Reply::Int(3479099956230698),
                    Reply::Array(vec![
                        Reply::DoubleText("13.36138933897018433".into()),
                        Reply::DoubleText("38.11555639549629859".into()),
                    ]),
                ]),
            ])
        );
        assert_eq!(run(&mut s, &["GEORADIUS", "nokey", "15", "37", "200", "km"]), bulks(&[]));
        assert_eq!(run(&mut s, &["GEORADIUS_RO", "Sicily", "15", "37", "100", "km"]), bulks(&["Catania"]));
    }

    #[test]
    fn radius_around_a_member() {
        let mut s = sicily();
        run(&mut s, &["GEOADD", "Sicily", "13.583333", "37.316667", "Agrigento"]);
        assert_eq!(
            run(&mut s, &["GEORADIUSBYMEMBER", "Sicily", "Agrigento", "100", "km"]),
            bulks(&["Agrigento", "Palermo"])
        );
        assert_eq!(
            run(&mut s, &["GEORADIUSBYMEMBER_RO", "Sicily", "Agrigento", "100", "km", "WITHDIST", "DESC"]),
            Reply::Array(vec![
                Reply::Array(vec![bulk("Palermo"), bulk("90.9778")]),
                Reply::Array(vec![bulk("Agrigento"), bulk("0.0000")]),
            ])
        );
        assert_eq!(
            run(&mut s, &["GEORADIUSBYMEMBER", "Sicily", "nope", "100", "km"]),
            err("ERR could not decode requested zset member")
        );
        // Without the key nothing is decoded, and a bad radius goes unnoticed.
        assert_eq!(run(&mut s, &["GEORADIUSBYMEMBER", "nokey", "x", "bad", "km"]), bulks(&[]));
        assert_eq!(run(&mut s, &["GEORADIUSBYMEMBER", "nokey", "x", "1", "km", "STORE", "d"]), Reply::Int(0));
    }

    #[test]
    fn store_and_storedist() {
        let mut s = sicily();
        assert_eq!(run(&mut s, &["GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "dst"]), Reply::Int(2));
        assert_eq!(run(&mut s, &["ZSCORE", "dst", "Palermo"]), Reply::Double(3479099956230698.0));
        assert_eq!(run(&mut s, &["GEOHASH", "dst", "Palermo"]), Reply::Array(vec![bulk("sqc8b49rny0")]));
        assert_eq!(
            run(&mut s, &["GEORADIUS", "Sicily", "15", "37", "200", "km", "STOREDIST", "dd", "COUNT", "1"]),
            Reply::Int(1)
        );
        assert_eq!(run(&mut s, &["ZRANGE", "dd", "0", "-1"]), bulks(&["Catania"]));
        let Reply::Double(d) = run(&mut s, &["ZSCORE", "dd", "Catania"]) else { panic!("a score") };
        assert!((d - 56.4413).abs() < 1e-4, "{d}");
        // An empty result deletes the destination.
        run(&mut s, &["SET", "str", "x"]);
        assert_eq!(run(&mut s, &["GEORADIUS", "Sicily", "0", "0", "1", "km", "STORE", "str"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["EXISTS", "str"]), Reply::Int(0));
        run(&mut s, &["SET", "str", "x"]);
        assert_eq!(run(&mut s, &["GEORADIUS", "nokey", "0", "0", "1", "km", "STORE", "str"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["EXISTS", "str"]), Reply::Int(0));
    }

    #[test]
    fn errors() {
        let mut s = sicily();
        run(&mut s, &["SET", "str", "x"]);
        let cases: &[(&[&str], Reply)] = &[
            (&["GEORADIUS", "str", "200", "0", "1", "km"], Reply::from(ReplyError::wrongtype())),
            (
                &["GEORADIUS", "Sicily", "200", "0", "1", "km"],
                err("ERR invalid longitude,latitude pair 200.000000,0.000000"),
            ),
            (&["GEORADIUS", "Sicily", "x", "0", "1", "km"], err("ERR value is not a valid float")),
            (&["GEORADIUS", "Sicily", "1", "0", "x", "km"], err("ERR need numeric radius")),
            (&["GEORADIUS", "Sicily", "1", "0", "-1", "km"], err("ERR radius cannot be negative")),
            (
                &["GEORADIUS", "Sicily", "1", "0", "1", "lightyears"],
                err("ERR unsupported unit provided. please use M, KM, FT, MI"),
            ),
            (&["GEORADIUS", "Sicily", "1", "0", "1", "km", "COUNT"], Reply::from(ReplyError::syntax())),
            (&["GEORADIUS", "Sicily", "1", "0", "1", "km", "COUNT", "0"], err("ERR COUNT must be > 0")),
            (&["GEORADIUS", "Sicily", "1", "0", "1", "km", "COUNT", "-3"], err("ERR COUNT must be > 0")),
            (&["GEORADIUS", "Sicily", "1", "0", "1", "km", "COUNT", "x"], Reply::from(ReplyError::not_integer())),
            (&["GEORADIUS", "Sicily", "1", "0", "1", "km", "ANY"], err("ERR the ANY argument requires COUNT argument")),
            (&["GEORADIUS", "Sicily", "1", "0", "1", "km", "FROMMEMBER", "a"], Reply::from(ReplyError::syntax())),
            (&["GEORADIUS_RO", "Sicily", "1", "0", "1", "km", "STORE", "a"], Reply::from(ReplyError::syntax())),
            (
                &["GEORADIUS", "Sicily", "1", "0", "1", "km", "STORE", "a", "WITHDIST"],
                err("ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"),
            ),
            (&["GEORADIUS", "Sicily", "1", "0", "1"], err("ERR wrong number of arguments for 'georadius' command")),
        ];
        for (words, want) in cases {
            assert_eq!(&run(&mut s, words), want, "{words:?}");
        }
    }
}
