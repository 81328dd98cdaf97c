//! SEMANTICS.md §6 conflict table: two regions write concurrently, exchange their deltas,
//! and must then answer alike and hold equal state.

use crate::cmd::hash::conflicts::{Regions, del};
use crate::cmd::testing::bulk;
use crate::resp::Reply;

fn with_scores(items: &[(&str, f64)]) -> Reply {
    Reply::Pairs(items.iter().map(|(m, s)| (bulk(m), Reply::Double(*s))).collect())
}

fn all(r: &mut Regions, key: &str) -> Reply {
    r.both(&["ZRANGE", key, "0", "-1", "WITHSCORES"])
}

#[test]
fn zadd_s_x_and_zadd_t_y_keep_both() {
    let mut r = Regions::new();
    assert_eq!(r.a(&["ZADD", "z", "1", "x"]), Reply::Int(1));
    assert_eq!(r.b(&["ZADD", "z", "2", "y"]), Reply::Int(1));
    assert_eq!(r.a(&["ZCARD", "z"]), Reply::Int(1));
    r.sync();
    assert_eq!(all(&mut r, "z"), with_scores(&[("x", 1.0), ("y", 2.0)]));
}

#[test]
fn zadd_same_member_is_lww_later_stamp_wins() {
    let mut r = Regions::new();
    r.a(&["ZADD", "z", "0", "x"]);
    r.sync();
    r.b.set_now(1_700_000_000_500);
    assert_eq!(r.a(&["ZADD", "z", "1", "x"]), Reply::Int(0));
    assert_eq!(r.b(&["ZADD", "z", "2", "x"]), Reply::Int(0));
    assert_eq!(r.a(&["ZSCORE", "z", "x"]), Reply::Double(1.0));
    assert_eq!(r.b(&["ZSCORE", "z", "x"]), Reply::Double(2.0));
    r.sync();
    assert_eq!(r.both(&["ZSCORE", "z", "x"]), Reply::Double(2.0));
    assert_eq!(r.both(&["ZRANK", "z", "x"]), Reply::Int(0));
}

#[test]
fn zadd_same_member_same_stamp_smaller_region_wins() {
    let mut r = Regions::new();
    assert_eq!(r.a(&["ZADD", "z", "1", "x"]), Reply::Int(1));
    assert_eq!(r.b(&["ZADD", "z", "2", "x"]), Reply::Int(1));
    r.sync();
    assert_eq!(all(&mut r, "z"), with_scores(&[("x", 1.0)]));
}

#[test]
fn concurrent_zincrby_add_up() {
    let mut r = Regions::new();
    r.a(&["ZADD", "z", "10", "x"]);
    r.sync();
    assert_eq!(r.a(&["ZINCRBY", "z", "7", "x"]), Reply::Double(17.0));
    assert_eq!(r.b(&["ZINCRBY", "z", "3", "x"]), Reply::Double(13.0));
    r.sync();
    assert_eq!(r.both(&["ZSCORE", "z", "x"]), Reply::Double(20.0));
    assert_eq!(r.a(&["ZINCRBY", "z", "1.5", "x"]), Reply::Double(21.5));
    r.sync();
    assert_eq!(r.both(&["ZSCORE", "z", "x"]), Reply::Double(21.5));
}

#[test]
fn zrem_and_concurrent_zincrby_keep_the_increment() {
    let mut r = Regions::new();
    r.a(&["ZADD", "z", "10", "x", "1", "other"]);
    r.sync();
    assert_eq!(r.a(&["ZREM", "z", "x"]), Reply::Int(1));
    assert_eq!(r.a(&["ZSCORE", "z", "x"]), Reply::Nil);
    assert_eq!(r.b(&["ZINCRBY", "z", "5", "x"]), Reply::Double(15.0));
    r.sync();
    assert_eq!(r.both(&["ZSCORE", "z", "x"]), Reply::Double(5.0));
    assert_eq!(all(&mut r, "z"), with_scores(&[("other", 1.0), ("x", 5.0)]));
}

#[test]
fn zrem_of_the_only_member_and_concurrent_zincrby() {
    let mut r = Regions::new();
    r.a(&["ZADD", "z", "10", "x"]);
    r.a(&["ZINCRBY", "z", "2", "x"]);
    r.sync();
    assert_eq!(r.a(&["ZREM", "z", "x"]), Reply::Int(1));
    assert_eq!(r.a.dbsize(), 0);
    assert_eq!(r.b(&["ZINCRBY", "z", "5", "x"]), Reply::Double(17.0));
    r.sync();
    assert_eq!(r.both(&["ZSCORE", "z", "x"]), Reply::Double(5.0));
}

#[test]
fn zrem_and_concurrent_zadd_keep_the_add() {
    let mut r = Regions::new();
    r.a(&["ZADD", "z", "1", "x"]);
    r.sync();
    assert_eq!(r.a(&["ZREM", "z", "x"]), Reply::Int(1));
    assert_eq!(r.b(&["ZADD", "z", "7", "x"]), Reply::Int(0));
    r.sync();
    assert_eq!(all(&mut r, "z"), with_scores(&[("x", 7.0)]));
}

#[test]
fn zadd_and_concurrent_zincrby_sum() {
    let mut r = Regions::new();
    r.a(&["ZADD", "z", "1", "x"]);
    r.a(&["ZINCRBY", "z", "100", "x"]);
    r.sync();
    // ZADD resets the increments it saw (the 100), not the concurrent 4.
    assert_eq!(r.a(&["ZADD", "z", "10", "x"]), Reply::Int(0));
    assert_eq!(r.b(&["ZINCRBY", "z", "4", "x"]), Reply::Double(105.0));
    r.sync();
    assert_eq!(r.both(&["ZSCORE", "z", "x"]), Reply::Double(14.0));
}

#[test]
fn del_and_concurrent_zadd_keep_only_the_add() {
    let mut r = Regions::new();
    r.a(&["ZADD", "z", "1", "a", "2", "b"]);
    r.sync();
    assert_eq!(del(&mut r.a, "z"), Reply::Int(1));
    assert_eq!(r.b(&["ZADD", "z", "5", "e"]), Reply::Int(1));
    r.sync();
    assert_eq!(all(&mut r, "z"), with_scores(&[("e", 5.0)]));
}

#[test]
fn del_and_concurrent_zincrby_keep_only_the_increment() {
    let mut r = Regions::new();
    r.a(&["ZADD", "z", "1", "a", "2", "b"]);
    r.sync();
    assert_eq!(del(&mut r.a, "z"), Reply::Int(1));
    assert_eq!(r.b(&["ZINCRBY", "z", "3", "b"]), Reply::Double(5.0));
    r.sync();
    assert_eq!(all(&mut r, "z"), with_scores(&[("b", 3.0)]));
}

#[test]
fn zpopmin_in_both_regions_removes_once() {
    let mut r = Regions::new();
    r.a(&["ZADD", "z", "1", "m", "2", "n"]);
    r.sync();
    assert_eq!(r.a(&["ZPOPMIN", "z", "1"]), with_scores(&[("m", 1.0)]));
    assert_eq!(r.b(&["ZPOPMIN", "z", "1"]), with_scores(&[("m", 1.0)]));
    r.sync();
    assert_eq!(all(&mut r, "z"), with_scores(&[("n", 2.0)]));
    assert_eq!(r.a(&["ZPOPMAX", "z"]), Reply::Array(vec![bulk("n"), Reply::Double(2.0)]));
    r.sync();
    assert_eq!(r.both(&["ZCARD", "z"]), Reply::Int(0));
    assert_eq!(r.a.dbsize(), 0);
    assert_eq!(r.b.dbsize(), 0);
}

#[test]
fn zadd_conditions_are_checked_locally() {
    let mut r = Regions::new();
    // Both regions see x missing: both NX adds succeed and merge as ZADD (LWW).
    assert_eq!(r.a(&["ZADD", "z", "NX", "1", "x"]), Reply::Int(1));
    assert_eq!(r.b(&["ZADD", "z", "NX", "2", "x"]), Reply::Int(1));
    r.sync();
    assert_eq!(r.both(&["ZSCORE", "z", "x"]), Reply::Double(1.0));
    // GT in one region, INCR (an increment) in the other.
    assert_eq!(r.a(&["ZADD", "z", "GT", "CH", "5", "x"]), Reply::Int(1));
    assert_eq!(r.b(&["ZADD", "z", "INCR", "2", "x"]), Reply::Double(3.0));
    r.sync();
    assert_eq!(r.both(&["ZSCORE", "z", "x"]), Reply::Double(7.0));
}

#[test]
fn zunionstore_and_concurrent_write_to_dst() {
    let mut r = Regions::new();
    r.a(&["ZADD", "src", "1", "a", "2", "b"]);
    r.a(&["ZADD", "dst", "9", "old"]);
    r.sync();
    assert_eq!(r.a(&["ZUNIONSTORE", "dst", "1", "src"]), Reply::Int(2));
    assert_eq!(r.b(&["ZADD", "dst", "5", "e"]), Reply::Int(1));
    r.sync();
    assert_eq!(all(&mut r, "dst"), with_scores(&[("a", 1.0), ("b", 2.0), ("e", 5.0)]));
}

#[test]
fn zrangestore_and_concurrent_zincrby_on_dst() {
    let mut r = Regions::new();
    r.a(&["ZADD", "src", "1", "a", "2", "b"]);
    r.a(&["ZADD", "dst", "10", "a"]);
    r.sync();
    assert_eq!(r.a(&["ZRANGESTORE", "dst", "src", "0", "0"]), Reply::Int(1));
    assert_eq!(r.b(&["ZINCRBY", "dst", "3", "a"]), Reply::Double(13.0));
    r.sync();
    // The store reset what it saw of a (the 10); the unseen increment stays on the new score.
    assert_eq!(all(&mut r, "dst"), with_scores(&[("a", 4.0)]));
}

#[test]
fn zremrangebyscore_removes_only_what_it_saw() {
    let mut r = Regions::new();
    r.a(&["ZADD", "z", "1", "a", "2", "b"]);
    r.sync();
    assert_eq!(r.a(&["ZREMRANGEBYSCORE", "z", "-inf", "+inf"]), Reply::Int(2));
    assert_eq!(r.b(&["ZADD", "z", "1.5", "c"]), Reply::Int(1));
    r.sync();
    assert_eq!(all(&mut r, "z"), with_scores(&[("c", 1.5)]));
}

/// The index (ZRANGE) agrees with the member scores (ZSCORE) and is in Redis order.
fn check_index(r: &mut Regions, key: &str) {
    for shard in [&mut r.a, &mut r.b] {
        let Reply::Pairs(pairs) = crate::cmd::testing::run(shard, &["ZRANGE", key, "0", "-1", "WITHSCORES"]) else {
            panic!("not pairs")
        };
        let mut last: Option<(f64, Vec<u8>)> = None;
        for (m, s) in &pairs {
            let (Reply::Bulk(m), Reply::Double(s)) = (m, s) else { panic!("bad pair") };
            let name = std::str::from_utf8(m).expect("utf8");
            assert_eq!(crate::cmd::testing::run(shard, &["ZSCORE", key, name]), Reply::Double(*s));
            let here = (*s, m.to_vec());
            if let Some(prev) = &last {
                assert!(prev.0 < here.0 || (prev.0 == here.0 && prev.1 < here.1), "index out of order");
            }
            last = Some(here);
        }
        assert_eq!(crate::cmd::testing::run(shard, &["ZCARD", key]), Reply::Int(pairs.len() as i64));
    }
}

#[test]
fn random_concurrent_writes_converge() {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    for seed in 0..40u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut r = Regions::new();
        for round in 0..60 {
            let member = format!("m{}", rng.gen_range(0..6));
            let score = format!("{}", rng.gen_range(-3..4));
            let words: Vec<&str> = match rng.gen_range(0..7) {
                0 => vec!["ZADD", "z", &score, &member],
                1 => vec!["ZINCRBY", "z", &score, &member],
                2 => vec!["ZREM", "z", &member],
                3 => vec!["ZPOPMIN", "z"],
                4 => vec!["ZADD", "z", "GT", "CH", &score, &member],
                5 => vec!["ZREMRANGEBYSCORE", "z", "-1", "1"],
                _ => vec!["ZUNIONSTORE", "z", "1", "z", "WEIGHTS", "2"],
            };
            let reply = if rng.gen_bool(0.5) { r.a(&words) } else { r.b(&words) };
            assert!(!reply.is_error(), "seed {seed} round {round}: {words:?} -> {reply:?}");
            match rng.gen_range(0..6) {
                0 => r.a_to_b(),
                1 => r.b_to_a(),
                _ => {}
            }
        }
        r.sync();
        let ra = r.a(&["ZRANGE", "z", "0", "-1", "WITHSCORES"]);
        assert_eq!(ra, r.b(&["ZRANGE", "z", "0", "-1", "WITHSCORES"]), "seed {seed}");
        check_index(&mut r, "z");
    }
}
