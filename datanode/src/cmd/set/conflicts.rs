//! SEMANTICS.md §5 conflict table: two regions write concurrently, exchange their deltas,
//! and must then answer alike and hold equal state.

use crate::cmd::hash::conflicts::{Regions, del};
use crate::cmd::testing::bulk;
use crate::resp::Reply;

fn members(items: &[&str]) -> Reply {
    Reply::Set(items.iter().map(|s| bulk(s)).collect())
}

#[test]
fn sadd_a_and_sadd_b_keep_both() {
    let mut r = Regions::new();
    assert_eq!(r.a(&["SADD", "s", "a"]), Reply::Int(1));
    assert_eq!(r.b(&["SADD", "s", "b"]), Reply::Int(1));
    assert_eq!(r.a(&["SMEMBERS", "s"]), members(&["a"]));
    assert_eq!(r.b(&["SMEMBERS", "s"]), members(&["b"]));
    r.sync();
    assert_eq!(r.both(&["SMEMBERS", "s"]), members(&["a", "b"]));
}

#[test]
fn srem_and_concurrent_sadd_add_wins() {
    let mut r = Regions::new();
    r.a(&["SADD", "s", "a", "x"]);
    r.sync();
    assert_eq!(r.a(&["SREM", "s", "a"]), Reply::Int(1));
    assert_eq!(r.b(&["SADD", "s", "a"]), Reply::Int(0));
    r.sync();
    assert_eq!(r.both(&["SMEMBERS", "s"]), members(&["a", "x"]));
}

#[test]
fn srem_of_the_only_member_and_concurrent_sadd() {
    let mut r = Regions::new();
    r.a(&["SADD", "s", "a"]);
    r.sync();
    assert_eq!(r.a(&["SREM", "s", "a"]), Reply::Int(1));
    assert_eq!(r.a.dbsize(), 0);
    assert_eq!(r.b(&["SADD", "s", "a"]), Reply::Int(0));
    r.sync();
    assert_eq!(r.both(&["SMEMBERS", "s"]), members(&["a"]));
}

#[test]
fn srem_of_a_member_not_yet_arrived_has_no_effect() {
    let mut r = Regions::new();
    r.a(&["SADD", "s", "y"]);
    r.sync();
    assert_eq!(r.a(&["SADD", "s", "x"]), Reply::Int(1));
    assert_eq!(r.b(&["SREM", "s", "x"]), Reply::Int(0));
    r.sync();
    assert_eq!(r.both(&["SMEMBERS", "s"]), members(&["x", "y"]));
}

#[test]
fn del_and_concurrent_sadd_keep_only_the_add() {
    let mut r = Regions::new();
    r.a(&["SADD", "s", "a", "b"]);
    r.sync();
    assert_eq!(del(&mut r.a, "s"), Reply::Int(1));
    assert_eq!(r.b(&["SADD", "s", "e"]), Reply::Int(1));
    r.sync();
    assert_eq!(r.both(&["SMEMBERS", "s"]), members(&["e"]));
}

#[test]
fn spop_in_both_regions_removes_once() {
    let mut r = Regions::new();
    r.a(&["SADD", "s", "m"]);
    r.sync();
    assert_eq!(r.a(&["SPOP", "s"]), bulk("m"));
    assert_eq!(r.b(&["SPOP", "s"]), bulk("m"));
    r.sync();
    assert_eq!(r.both(&["SCARD", "s"]), Reply::Int(0));
    assert_eq!(r.a.dbsize(), 0);
}

#[test]
fn smove_and_concurrent_sadd_to_the_source() {
    let mut r = Regions::new();
    r.a(&["SADD", "src", "m"]);
    r.sync();
    assert_eq!(r.a(&["SMOVE", "src", "dst", "m"]), Reply::Int(1));
    assert_eq!(r.b(&["SADD", "src", "m"]), Reply::Int(0));
    r.sync();
    assert_eq!(r.both(&["SMEMBERS", "src"]), members(&["m"]));
    assert_eq!(r.both(&["SMEMBERS", "dst"]), members(&["m"]));
}

#[test]
fn store_and_concurrent_sadd_to_the_destination() {
    let mut r = Regions::new();
    r.a(&["SADD", "dst", "old"]);
    r.a(&["SADD", "src", "x", "y"]);
    r.sync();
    assert_eq!(r.a(&["SUNIONSTORE", "dst", "src"]), Reply::Int(2));
    assert_eq!(r.b(&["SADD", "dst", "e"]), Reply::Int(1));
    r.sync();
    assert_eq!(r.both(&["SMEMBERS", "dst"]), members(&["e", "x", "y"]));
}

#[test]
fn empty_store_and_concurrent_sadd_to_the_destination() {
    let mut r = Regions::new();
    r.a(&["SADD", "dst", "old"]);
    r.sync();
    assert_eq!(r.a(&["SINTERSTORE", "dst", "nokey"]), Reply::Int(0));
    assert_eq!(r.b(&["SADD", "dst", "e"]), Reply::Int(1));
    r.sync();
    assert_eq!(r.both(&["SMEMBERS", "dst"]), members(&["e"]));
}
