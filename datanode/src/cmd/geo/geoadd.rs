//! GEOADD key [NX|XX] [CH] longitude latitude member [...]: ZADD of each member with the
//! geohash of its position as score (SEMANTICS.md §6). Every position is checked before the
//! key is looked at, as Redis validates them before handing over to ZADD.

use std::collections::HashMap;

use bytes::Bytes;

use super::hash::lonlat_to_score;
use super::{args, spec};
use crate::cmd::args::is;
use crate::cmd::zset::{Change, commit_changes, zset_for_write};
use crate::cmd::{Args, CmdResult, CommandSpec, ReplyError};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = spec(
    "geoadd",
    -5,
    &["write", "denyoom"],
    (1, 1, 1),
    "Add one or more geospatial items in the geospatial index represented using a sorted set",
    run,
);

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let (mut nx, mut xx, mut ch) = (false, false, false);
    while let Some(word) = args.peek() {
        if is(word, "nx") {
            nx = true;
        } else if is(word, "xx") {
            xx = true;
        } else if is(word, "ch") {
            ch = true;
        } else {
            break;
        }
        args.next();
    }
    let rest = args.rest();
    if rest.is_empty() || rest.len() % 3 != 0 || (nx && xx) {
        return Err(ReplyError::syntax());
    }
    let mut points = Vec::with_capacity(rest.len() / 3);
    for triple in rest.chunks_exact(3) {
        let [lon, lat, member] = triple else { return Err(ReplyError::syntax()) };
        let [lon, lat] = args::lon_lat(lon, lat)?;
        let score = lonlat_to_score(lon, lat).ok_or_else(ReplyError::syntax)?;
        points.push((score, member.clone()));
    }

    let z = zset_for_write(shard, &key)?;
    // Members named twice see their first update, as ZADD runs its pairs in order.
    let mut now: HashMap<Bytes, f64> = HashMap::new();
    let mut changes = Vec::new();
    let (mut added, mut updated) = (0i64, 0i64);
    for (score, member) in points {
        let current = now.get(&member).copied().or_else(|| z.and_then(|z| z.score(&member)));
        match current {
            Some(_) if nx => continue,
            None if xx => continue,
            Some(cur) if cur == score => {}
            Some(_) => {
                updated += 1;
                changes.push((member.clone(), Change::Set(score)));
            }
            None => {
                added += 1;
                changes.push((member.clone(), Change::Set(score)));
            }
        }
        now.insert(member, score);
    }
    commit_changes(shard, &key, changes);
    Ok(Reply::Int(if ch { added + updated } else { added }))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulks, run, shard};
    use crate::resp::Reply;

    #[test]
    fn adds_with_geohash_scores() {
        let mut s = shard();
        assert_eq!(
            run(
                &mut s,
                &["GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"]
            ),
            Reply::Int(2)
        );
        assert_eq!(run(&mut s, &["ZSCORE", "Sicily", "Palermo"]), Reply::Double(3479099956230698.0));
        assert_eq!(run(&mut s, &["ZSCORE", "Sicily", "Catania"]), Reply::Double(3479447370796909.0));
        assert_eq!(run(&mut s, &["ZRANGE", "Sicily", "0", "-1"]), bulks(&["Palermo", "Catania"]));
        assert_eq!(run(&mut s, &["TYPE", "Sicily"]), Reply::status("zset"));
    }

    #[test]
    fn nx_xx_ch() {
        let mut s = shard();
        run(&mut s, &["GEOADD", "k", "10", "20", "a"]);
        assert_eq!(run(&mut s, &["GEOADD", "k", "NX", "11", "21", "a", "1", "2", "b"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["GEOADD", "k", "xx", "ch", "11", "21", "a", "1", "2", "c"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["ZCARD", "k"]), Reply::Int(2));
        assert_eq!(run(&mut s, &["GEOADD", "k", "CH", "11", "21", "a"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["GEOADD", "k", "CH", "12", "21", "a", "12", "22", "a"]), Reply::Int(2));
        assert_eq!(run(&mut s, &["GEOADD", "k", "12", "22", "new", "13", "22", "new"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["GEOADD", "missing", "XX", "1", "2", "a"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["EXISTS", "missing"]), Reply::Int(0));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["SET", "str", "x"]);
        let cases: &[(&[&str], &str)] = &[
            (&["GEOADD", "k", "1", "2", "a", "3"], "ERR syntax error"),
            (&["GEOADD", "k", "NX", "XX", "1", "2", "a"], "ERR syntax error"),
            (&["GEOADD", "k", "CH", "CH", "CH"], "ERR syntax error"),
            (&["GEOADD", "k", "GT", "1", "a"], "ERR value is not a valid float"),
            (&["GEOADD", "k", "200", "100", "a"], "ERR invalid longitude,latitude pair 200.000000,100.000000"),
            (&["GEOADD", "k", "1", "2", "a", "1", "86", "b"], "ERR invalid longitude,latitude pair 1.000000,86.000000"),
            (&["GEOADD", "str", "200", "1", "a"], "ERR invalid longitude,latitude pair 200.000000,1.000000"),
            (&["GEOADD", "str", "1", "1", "a"], "WRONGTYPE Operation against a key holding the wrong kind of value"),
            (&["GEOADD", "k", "1", "2"], "ERR wrong number of arguments for 'geoadd' command"),
        ];
        for (words, text) in cases {
            assert_eq!(run(&mut s, words), Reply::error(*text), "{words:?}");
        }
        // A bad pair anywhere adds nothing.
        assert_eq!(run(&mut s, &["EXISTS", "k"]), Reply::Int(0));
        assert_eq!(Reply::from(ReplyError::syntax()), Reply::error("ERR syntax error"));
    }
}
