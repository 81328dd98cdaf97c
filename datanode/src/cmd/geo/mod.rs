//! GEO commands (SEMANTICS.md §6): a GEO key is a sorted set whose scores are 52-bit
//! geohashes, so GEOADD is ZADD with a geohash score (concurrent GEOADDs of one member keep
//! the later position), the store forms behave like Z*STORE, and every sorted-set command
//! works on a GEO key as in Redis.

mod area;
mod args;
mod geoadd;
mod geodist;
mod geohash;
mod geopos;
mod georadius;
mod geosearch;
mod hash;
mod query;
mod search;

use super::{CommandSpec, DataFn, Handler};

pub const COMMANDS: &[CommandSpec] = &[
    geoadd::SPEC,
    geodist::SPEC,
    geohash::SPEC,
    geopos::SPEC,
    georadius::GEORADIUS,
    georadius::GEORADIUS_RO,
    georadius::GEORADIUSBYMEMBER,
    georadius::GEORADIUSBYMEMBER_RO,
    geosearch::GEOSEARCH,
    geosearch::GEOSEARCHSTORE,
];

/// A data command of this family (Redis's COMMAND DOCS group "geo").
const fn spec(
    name: &'static str,
    arity: i32,
    flags: &'static [&'static str],
    keys: (i32, i32, i32),
    summary: &'static str,
    run: DataFn,
) -> CommandSpec {
    CommandSpec { name, arity, flags, keys, group: "geo", summary, handler: Handler::Data(run) }
}

/// A distance as GEODIST and WITHDIST print it with 4 decimals: Redis 7.0.15 scales by
/// 10^4 and rounds the product to the nearest integer (ties to even, `llrint`), which can
/// differ from `%.4f` in the last digit (47822626.54695 prints as 47822626.5470).
fn fmt_distance(d: f64) -> String {
    if d == 0.0 {
        return "0.0000".to_string();
    }
    // Distances are at most half the earth's circumference in feet: far inside i64.
    let scaled = (d * 10000.0).round_ties_even() as i64;
    let sign = if scaled < 0 { "-" } else { "" };
    let abs = scaled.unsigned_abs();
    format!("{sign}{}.{:04}", abs / 10000, abs % 10000)
}

/// A coordinate as GEOPOS and WITHCOORD print it: Redis's "human" long double, `%.17Lf`
/// of the exact double without trailing zeros (and "-0" as "0").
fn fmt_coord(v: f64) -> String {
    let s = format!("{v:.17}");
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.') } else { &s };
    if s == "-0" { "0".to_string() } else { s.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_is_registered_once() {
        let mut names: Vec<_> = COMMANDS.iter().map(|c| c.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before);
        assert_eq!(before, 10);
        for name in names {
            assert!(crate::cmd::lookup(name.as_bytes()).is_some(), "{name} is in the table");
        }
    }

    #[test]
    fn numbers_print_like_redis() {
        assert_eq!(fmt_coord(13.361389338970184), "13.36138933897018433");
        assert_eq!(fmt_coord(180.0), "180");
        assert_eq!(fmt_coord(-0.0), "0");
        assert_eq!(fmt_coord(-1e-30), "0");
        assert_eq!(fmt_coord(0.5), "0.5");
        assert_eq!(fmt_distance(166274.15156960033), "166274.1516");
        assert_eq!(fmt_distance(0.0), "0.0000");
        assert_eq!(fmt_distance(14576336.57151036 / 0.3048), "47822626.5470");
        assert_eq!(fmt_distance(0.00005), "0.0000");
        assert_eq!(fmt_distance(0.00015), "0.0001");
        assert_eq!(fmt_distance(56.44126), "56.4413");
    }
}
