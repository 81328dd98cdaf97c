//! SEMANTICS.md §4 conflict table: two regions write concurrently, exchange their deltas,
//! and must then answer alike and hold equal state.

use std::sync::Arc;

use parking_lot::Mutex;

use crate::cmd::testing::bulk;
use crate::crdt::ActorId;
use crate::keyspace::delta::Delta;
use crate::resp::Reply;
use crate::shard::{Identity, Shard};

/// Two regions of one database (region 1 and region 2), each keeping the deltas it
/// committed until they are delivered to the other, in commit order (causal delivery).
pub(crate) struct Regions {
    pub a: Shard,
    pub b: Shard,
    out_a: Arc<Mutex<Vec<Delta>>>,
    out_b: Arc<Mutex<Vec<Delta>>>,
}

fn region(id: u8) -> Shard {
    let mut s = Shard::replicated(Identity { region: id, actor: ActorId(u64::from(id)) });
    s.set_now(1_700_000_000_000);
    s
}

/// Runs a request and keeps the delta it made for the other region.
fn run_keeping(shard: &mut Shard, out: &Mutex<Vec<Delta>>, words: &[&str]) -> Reply {
    let outcome = crate::cmd::testing::execute(shard, words);
    out.lock().extend(outcome.delta);
    outcome.reply
}

impl Regions {
    pub fn new() -> Self {
        let out_a = Arc::new(Mutex::new(Vec::new()));
        let out_b = Arc::new(Mutex::new(Vec::new()));
        Regions { a: region(1), b: region(2), out_a, out_b }
    }

    pub fn a(&mut self, words: &[&str]) -> Reply {
        run_keeping(&mut self.a, &self.out_a, words)
    }

    pub fn b(&mut self, words: &[&str]) -> Reply {
        run_keeping(&mut self.b, &self.out_b, words)
    }

    /// Delivers what region 1 wrote so far to region 2.
    pub fn a_to_b(&mut self) {
        self.out_a.lock().extend(self.a.take_delta());
        for d in std::mem::take(&mut *self.out_a.lock()) {
            self.b.apply_remote(&d);
        }
    }

    /// Delivers what region 2 wrote so far to region 1.
    pub fn b_to_a(&mut self) {
        self.out_b.lock().extend(self.b.take_delta());
        for d in std::mem::take(&mut *self.out_b.lock()) {
            self.a.apply_remote(&d);
        }
    }

    /// Exchanges everything both ways and checks that the states converged.
    pub fn sync(&mut self) {
        self.a_to_b();
        self.b_to_a();
        assert_eq!(self.a.digest(), self.b.digest(), "regions diverged");
    }

    /// Runs `words` in both regions and returns the reply, which must be the same.
    pub fn both(&mut self, words: &[&str]) -> Reply {
        let ra = self.a(words);
        let rb = self.b(words);
        assert_eq!(ra, rb, "regions answer {words:?} differently");
        ra
    }
}

/// DEL, its delta left in the shard for the next exchange to take.
pub(crate) fn del(shard: &mut Shard, key: &str) -> Reply {
    crate::cmd::testing::run_in_transaction(shard, &["DEL", key])
}

#[test]
fn hset_f_and_hset_g_keep_both_fields() {
    let mut r = Regions::new();
    assert_eq!(r.a(&["HSET", "h", "f", "1"]), Reply::Int(1));
    assert_eq!(r.b(&["HSET", "h", "g", "2"]), Reply::Int(1));
    r.sync();
    assert_eq!(r.both(&["HGETALL", "h"]), Reply::Map(vec![(bulk("f"), bulk("1")), (bulk("g"), bulk("2"))]));
    assert_eq!(r.both(&["HLEN", "h"]), Reply::Int(2));
}

#[test]
fn hset_same_field_is_lww() {
    let mut r = Regions::new();
    r.a(&["HSET", "h", "f", "v0"]);
    r.sync();
    r.a.set_now(1_700_000_001_000);
    r.b.set_now(1_700_000_002_000);
    assert_eq!(r.a(&["HSET", "h", "f", "v1"]), Reply::Int(0));
    assert_eq!(r.b(&["HSET", "h", "f", "v2", "g", "x"]), Reply::Int(1));
    r.sync();
    assert_eq!(r.both(&["HGET", "h", "f"]), bulk("v2"));
    assert_eq!(r.both(&["HLEN", "h"]), Reply::Int(2));
}

#[test]
fn hset_same_field_same_time_smaller_region_wins() {
    let mut r = Regions::new();
    assert_eq!(r.a(&["HSET", "h", "f", "v1"]), Reply::Int(1));
    assert_eq!(r.b(&["HSET", "h", "f", "v2"]), Reply::Int(1));
    r.sync();
    assert_eq!(r.both(&["HGET", "h", "f"]), bulk("v1"));
}

#[test]
fn hdel_and_concurrent_hset_update_wins() {
    let mut r = Regions::new();
    r.a(&["HSET", "h", "f", "v0", "g", "x"]);
    r.sync();
    assert_eq!(r.a(&["HDEL", "h", "f"]), Reply::Int(1));
    assert_eq!(r.b(&["HSET", "h", "f", "v1"]), Reply::Int(0));
    r.sync();
    assert_eq!(r.both(&["HGET", "h", "f"]), bulk("v1"));
}

#[test]
fn hdel_and_concurrent_hset_of_a_new_field() {
    let mut r = Regions::new();
    r.a(&["HSET", "h", "g", "x"]);
    r.sync();
    assert_eq!(r.a(&["HDEL", "h", "f"]), Reply::Int(0));
    assert_eq!(r.b(&["HSET", "h", "f", "v1"]), Reply::Int(1));
    r.sync();
    assert_eq!(r.both(&["HGET", "h", "f"]), bulk("v1"));
}

#[test]
fn concurrent_hincrby_sum() {
    let mut r = Regions::new();
    assert_eq!(r.a(&["HINCRBY", "h", "f", "7"]), Reply::Int(7));
    assert_eq!(r.b(&["HINCRBY", "h", "f", "3"]), Reply::Int(3));
    r.sync();
    assert_eq!(r.both(&["HGET", "h", "f"]), bulk("10"));
    assert_eq!(r.a(&["HINCRBY", "h", "f", "1"]), Reply::Int(11));
    r.sync();
    assert_eq!(r.both(&["HGET", "h", "f"]), bulk("11"));
}

#[test]
fn concurrent_hincrbyfloat_and_hincrby_sum() {
    let mut r = Regions::new();
    r.a(&["HSET", "h", "f", "10"]);
    r.sync();
    assert_eq!(r.a(&["HINCRBYFLOAT", "h", "f", "0.5"]), bulk("10.5"));
    assert_eq!(r.b(&["HINCRBY", "h", "f", "2"]), Reply::Int(12));
    r.sync();
    assert_eq!(r.both(&["HGET", "h", "f"]), bulk("12.5"));
}

#[test]
fn hdel_and_concurrent_hincrby_keeps_the_increment() {
    let mut r = Regions::new();
    r.a(&["HSET", "h", "f", "5", "g", "x"]);
    r.a(&["HINCRBY", "h", "f", "100"]);
    r.sync();
    assert_eq!(r.a(&["HDEL", "h", "f"]), Reply::Int(1));
    assert_eq!(r.b(&["HINCRBY", "h", "f", "3"]), Reply::Int(108));
    r.sync();
    assert_eq!(r.both(&["HGET", "h", "f"]), bulk("3"));
    assert_eq!(r.both(&["HLEN", "h"]), Reply::Int(2));
}

#[test]
fn hdel_of_the_only_field_and_concurrent_hincrby() {
    let mut r = Regions::new();
    r.a(&["HSET", "h", "f", "5"]);
    r.sync();
    assert_eq!(r.a(&["HDEL", "h", "f"]), Reply::Int(1));
    assert_eq!(r.a.dbsize(), 0);
    assert_eq!(r.b(&["HINCRBY", "h", "f", "3"]), Reply::Int(8));
    r.sync();
    assert_eq!(r.both(&["HGET", "h", "f"]), bulk("3"));
    assert_eq!(r.a.dbsize(), 1);
    assert_eq!(r.b.dbsize(), 1);
}

#[test]
fn hset_and_concurrent_hincrby_add_up() {
    let mut r = Regions::new();
    r.a(&["HSET", "h", "f", "5"]);
    r.sync();
    assert_eq!(r.a(&["HSET", "h", "f", "10"]), Reply::Int(0));
    assert_eq!(r.b(&["HINCRBY", "h", "f", "3"]), Reply::Int(8));
    r.sync();
    assert_eq!(r.both(&["HGET", "h", "f"]), bulk("13"));
}

#[test]
fn del_and_concurrent_hset_keep_only_the_concurrent_writes() {
    let mut r = Regions::new();
    r.a(&["HSET", "h", "f", "1", "g", "1", "k", "1"]);
    r.sync();
    assert_eq!(del(&mut r.a, "h"), Reply::Int(1));
    assert_eq!(r.b(&["HSET", "h", "g", "2"]), Reply::Int(0));
    assert_eq!(r.b(&["HINCRBY", "h", "k", "5"]), Reply::Int(6));
    r.sync();
    assert_eq!(r.both(&["HGETALL", "h"]), Reply::Map(vec![(bulk("g"), bulk("2")), (bulk("k"), bulk("5"))]));
}

#[test]
fn hsetnx_in_both_regions_is_lww() {
    let mut r = Regions::new();
    r.a.set_now(1_700_000_002_000);
    assert_eq!(r.a(&["HSETNX", "h", "f", "a"]), Reply::Int(1));
    assert_eq!(r.b(&["HSETNX", "h", "f", "b"]), Reply::Int(1));
    r.sync();
    assert_eq!(r.both(&["HGET", "h", "f"]), bulk("a"));
    assert_eq!(r.both(&["HSETNX", "h", "f", "c"]), Reply::Int(0));
}
