//! SEMANTICS.md §8, row by row: two regions run commands concurrently, exchange their
//! deltas, and must then give the same replies and the same digest.

use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;

use crate::cmd::testing::{bulk, bulks};
use crate::cmd::util::{set_ttl, write_one};
use crate::crdt::ActorId;
use crate::keyspace::delta::Delta;
use crate::keyspace::entry::Kind;
use crate::resp::Reply;
use crate::shard::{Identity, Shard};

const T0: u64 = 1_700_000_000_000;

struct Region {
    shard: Shard,
    outbox: Arc<Mutex<Vec<Delta>>>,
}

impl Region {
    fn new(id: u8) -> Region {
        let mut shard = Shard::replicated(Identity { region: id, actor: ActorId(u64::from(id)) });
        shard.set_now(T0);
        Region { shard, outbox: Arc::new(Mutex::new(Vec::new())) }
    }

    fn run(&mut self, words: &[&str]) -> Reply {
        let outcome = crate::cmd::testing::execute(&mut self.shard, words);
        self.outbox.lock().extend(outcome.delta);
        outcome.reply
    }

    /// What the region wrote: its commands' deltas, and what direct shard calls left.
    fn take(&mut self) -> Vec<Delta> {
        self.outbox.lock().extend(self.shard.take_delta());
        std::mem::take(&mut *self.outbox.lock())
    }
}

/// Region 1 and region 2.
fn pair() -> (Region, Region) {
    (Region::new(1), Region::new(2))
}

/// Ships every delta not yet shipped both ways, and checks the regions converged.
fn exchange(a: &mut Region, b: &mut Region) {
    let (from_a, from_b) = (a.take(), b.take());
    for d in &from_b {
        a.shard.apply_remote(d);
    }
    for d in &from_a {
        b.shard.apply_remote(d);
    }
    assert_eq!(a.shard.digest(), b.shard.digest(), "regions diverged");
}

/// Runs `words` in region `a` (and ships it to `b`) to set up a common starting state.
fn common(a: &mut Region, b: &mut Region, words: &[&str]) {
    a.run(words);
    exchange(a, b);
}

fn both(a: &mut Region, b: &mut Region, words: &[&str]) -> Reply {
    let ra = a.run(words);
    assert_eq!(ra, b.run(words), "regions reply differently to {words:?}");
    ra
}

#[test]
fn concurrent_pushes_into_one_gap_put_region_1_first_and_keep_each_command_in_order() {
    let (mut a, mut b) = pair();
    common(&mut a, &mut b, &["rpush", "l", "x"]);
    assert_eq!(b.run(&["rpush", "l", "c", "d"]), Reply::Int(3));
    assert_eq!(a.run(&["rpush", "l", "a", "b"]), Reply::Int(3));
    assert_eq!(b.run(&["lpush", "l", "C", "D"]), Reply::Int(5));
    assert_eq!(a.run(&["lpush", "l", "A", "B"]), Reply::Int(5));
    exchange(&mut a, &mut b);
    assert_eq!(
        both(&mut a, &mut b, &["lrange", "l", "0", "-1"]),
        bulks(&["B", "A", "D", "C", "x", "a", "b", "c", "d"])
    );
}

#[test]
fn concurrent_pushes_creating_the_key_merge() {
    let (mut a, mut b) = pair();
    assert_eq!(b.run(&["lpush", "l", "world"]), Reply::Int(1));
    assert_eq!(a.run(&["lpush", "l", "hello"]), Reply::Int(1));
    exchange(&mut a, &mut b);
    assert_eq!(both(&mut a, &mut b, &["lrange", "l", "0", "-1"]), bulks(&["hello", "world"]));
    // After the exchange, ordinary stacking.
    a.run(&["lpush", "l", "again"]);
    exchange(&mut a, &mut b);
    assert_eq!(both(&mut a, &mut b, &["lrange", "l", "0", "-1"]), bulks(&["again", "hello", "world"]));
}

#[test]
fn concurrent_linserts_at_one_pivot() {
    let (mut a, mut b) = pair();
    common(&mut a, &mut b, &["rpush", "l", "p", "q"]);
    assert_eq!(b.run(&["linsert", "l", "after", "p", "two"]), Reply::Int(3));
    assert_eq!(a.run(&["linsert", "l", "after", "p", "one"]), Reply::Int(3));
    exchange(&mut a, &mut b);
    assert_eq!(both(&mut a, &mut b, &["lrange", "l", "0", "-1"]), bulks(&["p", "one", "two", "q"]));
}

#[test]
fn pop_pop_at_one_end_removes_the_element_once() {
    let (mut a, mut b) = pair();
    common(&mut a, &mut b, &["rpush", "l", "a", "b", "c"]);
    assert_eq!(a.run(&["lpop", "l"]), bulk("a"));
    assert_eq!(b.run(&["lpop", "l"]), bulk("a"));
    exchange(&mut a, &mut b);
    assert_eq!(both(&mut a, &mut b, &["lrange", "l", "0", "-1"]), bulks(&["b", "c"]));
    assert_eq!(a.run(&["rpop", "l", "2"]), bulks(&["c", "b"]));
    assert_eq!(b.run(&["rpop", "l"]), bulk("c"));
    exchange(&mut a, &mut b);
    assert_eq!(both(&mut a, &mut b, &["llen", "l"]), Reply::Int(0));
    assert_eq!((a.shard.dbsize(), b.shard.dbsize()), (0, 0));
}

#[test]
fn pop_and_concurrent_push() {
    let (mut a, mut b) = pair();
    common(&mut a, &mut b, &["rpush", "l", "a", "b"]);
    assert_eq!(a.run(&["lpop", "l", "2"]), bulks(&["a", "b"]));
    assert_eq!(b.run(&["rpush", "l", "c"]), Reply::Int(3));
    exchange(&mut a, &mut b);
    assert_eq!(both(&mut a, &mut b, &["lrange", "l", "0", "-1"]), bulks(&["c"]));
}

#[test]
fn del_and_concurrent_lpush_leave_only_the_push() {
    let (mut a, mut b) = pair();
    common(&mut a, &mut b, &["rpush", "l", "a", "b"]);
    assert!(a.shard.delete(&Bytes::from_static(b"l")));
    assert_eq!(b.run(&["lpush", "l", "y"]), Reply::Int(3));
    exchange(&mut a, &mut b);
    assert_eq!(both(&mut a, &mut b, &["lrange", "l", "0", "-1"]), bulks(&["y"]));
}

#[test]
fn lrem_removes_only_the_copies_it_saw() {
    let (mut a, mut b) = pair();
    common(&mut a, &mut b, &["rpush", "l", "v", "x", "v"]);
    assert_eq!(a.run(&["lrem", "l", "0", "v"]), Reply::Int(2));
    assert_eq!(b.run(&["rpush", "l", "v"]), Reply::Int(4));
    exchange(&mut a, &mut b);
    assert_eq!(both(&mut a, &mut b, &["lrange", "l", "0", "-1"]), bulks(&["x", "v"]));
}

#[test]
fn ltrim_keeps_concurrent_pushes() {
    let (mut a, mut b) = pair();
    common(&mut a, &mut b, &["rpush", "l", "a", "b", "c", "d"]);
    assert_eq!(a.run(&["ltrim", "l", "0", "1"]), Reply::Ok);
    assert_eq!(b.run(&["rpush", "l", "e"]), Reply::Int(5));
    exchange(&mut a, &mut b);
    assert_eq!(both(&mut a, &mut b, &["lrange", "l", "0", "-1"]), bulks(&["a", "b", "e"]));
}

#[test]
fn lset_lset_of_one_element_is_lww() {
    let (mut a, mut b) = pair();
    common(&mut a, &mut b, &["rpush", "l", "a", "b"]);
    // Later timestamp wins, whichever region it is.
    b.shard.set_now(T0 + 1_000);
    assert_eq!(a.run(&["lset", "l", "0", "from-1"]), Reply::Ok);
    assert_eq!(b.run(&["lset", "l", "0", "from-2"]), Reply::Ok);
    exchange(&mut a, &mut b);
    assert_eq!(both(&mut a, &mut b, &["lrange", "l", "0", "-1"]), bulks(&["from-2", "b"]));
    // Equal timestamps: the smaller region id.
    let (mut a, mut b) = pair();
    common(&mut a, &mut b, &["rpush", "l", "a", "b"]);
    a.shard.set_now(T0 + 5_000);
    b.shard.set_now(T0 + 5_000);
    assert_eq!(b.run(&["lset", "l", "-1", "two"]), Reply::Ok);
    assert_eq!(a.run(&["lset", "l", "-1", "one"]), Reply::Ok);
    exchange(&mut a, &mut b);
    assert_eq!(both(&mut a, &mut b, &["lrange", "l", "0", "-1"]), bulks(&["a", "one"]));
    // A later LSET that saw both replaces both.
    assert_eq!(b.run(&["lset", "l", "-1", "last"]), Reply::Ok);
    exchange(&mut a, &mut b);
    assert_eq!(both(&mut a, &mut b, &["lindex", "l", "1"]), bulk("last"));
}

#[test]
fn lset_and_concurrent_removal_of_that_element_loses() {
    for removal in [&["lpop", "l"][..], &["lrem", "l", "1", "a"], &["ltrim", "l", "1", "-1"]] {
        let (mut a, mut b) = pair();
        common(&mut a, &mut b, &["rpush", "l", "a", "b"]);
        b.shard.set_now(T0 + 1_000);
        assert_eq!(a.run(&["lset", "l", "0", "x"]), Reply::Ok);
        b.run(removal);
        exchange(&mut a, &mut b);
        assert_eq!(both(&mut a, &mut b, &["lrange", "l", "0", "-1"]), bulks(&["b"]), "{removal:?}");
    }
    let (mut a, mut b) = pair();
    common(&mut a, &mut b, &["rpush", "l", "a"]);
    assert_eq!(a.run(&["lset", "l", "0", "x"]), Reply::Ok);
    assert!(b.shard.delete(&Bytes::from_static(b"l")));
    exchange(&mut a, &mut b);
    assert_eq!(both(&mut a, &mut b, &["llen", "l"]), Reply::Int(0));
}

#[test]
fn lmove_of_the_same_element_in_both_can_arrive_twice() {
    let (mut a, mut b) = pair();
    common(&mut a, &mut b, &["rpush", "src", "a", "b"]);
    assert_eq!(a.run(&["lmove", "src", "dst", "left", "right"]), bulk("a"));
    assert_eq!(b.run(&["rpoplpush", "src", "dst"]), bulk("b"));
    assert_eq!(b.run(&["lmove", "src", "dst", "left", "right"]), bulk("a"));
    // One command, one delta, even across two keys.
    assert_eq!((a.outbox.lock().len(), b.outbox.lock().len()), (1, 2));
    exchange(&mut a, &mut b);
    // Region 1's push into the empty destination shares its gap with region 2's first push.
    assert_eq!(both(&mut a, &mut b, &["lrange", "dst", "0", "-1"]), bulks(&["a", "b", "a"]));
    assert_eq!(both(&mut a, &mut b, &["llen", "src"]), Reply::Int(0));
}

#[test]
fn linsert_at_a_pivot_removed_concurrently_stays_where_the_pivot_was() {
    let (mut a, mut b) = pair();
    common(&mut a, &mut b, &["rpush", "l", "a", "b", "c"]);
    assert_eq!(a.run(&["linsert", "l", "before", "b", "x"]), Reply::Int(4));
    assert_eq!(b.run(&["lrem", "l", "0", "b"]), Reply::Int(1));
    exchange(&mut a, &mut b);
    assert_eq!(both(&mut a, &mut b, &["lrange", "l", "0", "-1"]), bulks(&["a", "x", "c"]));
}

/// All elements of one push share the command's tag; they differ by position, and the join
/// is per position, so removing one of them elsewhere removes exactly that one.
#[test]
fn elements_of_one_push_share_a_tag_yet_are_removed_one_by_one() {
    let (mut a, mut b) = pair();
    common(&mut a, &mut b, &["rpush", "l", "a", "b", "c", "d"]);
    assert_eq!(b.run(&["lrem", "l", "1", "b"]), Reply::Int(1));
    assert_eq!(b.run(&["rpop", "l"]), bulk("d"));
    assert_eq!(a.run(&["lset", "l", "2", "C"]), Reply::Ok);
    exchange(&mut a, &mut b);
    assert_eq!(both(&mut a, &mut b, &["lrange", "l", "0", "-1"]), bulks(&["a", "C"]));
    // A third region catching up from a whole-state snapshot agrees too.
    let mut c = Region::new(3);
    c.shard.apply_snapshot(&a.shard.snapshot());
    assert_eq!(c.run(&["lrange", "l", "0", "-1"]), bulks(&["a", "C"]));
    assert_eq!(c.shard.digest(), a.shard.digest());
    // And a snapshot taken after more pops removes them from a stale copy.
    assert_eq!(a.run(&["lpop", "l"]), bulk("a"));
    c.shard.apply_snapshot(&a.shard.snapshot());
    assert_eq!(c.run(&["lrange", "l", "0", "-1"]), bulks(&["C"]));
}

#[test]
fn a_push_from_a_peer_wakes_blocked_clients() {
    let (mut a, mut b) = pair();
    let key = Bytes::from_static(b"q");
    a.shard.block_on(&key, 7);
    assert!(a.shard.first_in_line(std::slice::from_ref(&key), 7));
    assert_eq!(b.run(&["rpush", "q", "job"]), Reply::Int(1));
    exchange(&mut a, &mut b);
    assert_eq!(a.shard.take_woken(), vec![key.clone()]);
    match crate::cmd::list::attempt(&mut a.shard, &["blpop", "q", "0"]) {
        Ok(crate::cmd::Blocked::Reply(r)) => assert_eq!(r, bulks(&["q", "job"])),
        _ => panic!("expected the retry to pop"),
    }
    assert!(!a.shard.unblock(&key, 7));
}

/// Redis deletes a list with its last element, TTL included: a later push makes a key
/// without TTL.
#[test]
fn emptying_a_list_drops_its_ttl() {
    for emptying in [
        &["lpop", "l"][..],
        &["rpop", "l", "5"],
        &["lrem", "l", "0", "a"],
        &["ltrim", "l", "1", "0"],
        &["lmove", "l", "other", "left", "left"],
    ] {
        let (mut a, mut b) = pair();
        a.run(&["rpush", "l", "a"]);
        let key = Bytes::from_static(b"l");
        write_one(&mut a.shard, &key, Kind::List, |tag, entry, part, observed| {
            set_ttl(entry, tag, Some(T0 + 60_000), part, observed)
        });
        exchange(&mut a, &mut b);
        assert!(b.shard.keyspace().get(b"l").and_then(|e| e.ttl.deadline()).is_some());
        a.run(emptying);
        a.run(&["rpush", "l", "b"]);
        exchange(&mut a, &mut b);
        for r in [&a, &b] {
            assert_eq!(r.shard.keyspace().get(b"l").and_then(|e| e.ttl.deadline()), None, "{emptying:?}");
        }
    }
}

/// Every element of one push has a dot of its own: a removal that reaches a replica before
/// the push itself (out of causal order) takes away only the element it names.
#[test]
fn a_removal_arriving_before_its_push_removes_only_its_element() {
    let (mut a, mut b) = pair();
    a.run(&["rpush", "l", "a", "b", "c"]);
    let push = a.take();
    for d in &push {
        b.shard.apply_remote(d);
    }
    assert_eq!(b.run(&["lrem", "l", "1", "b"]), Reply::Int(1));
    let removal = b.take();
    let mut c = Region::new(3);
    for d in removal.iter().chain(&push) {
        c.shard.apply_remote(d);
    }
    assert_eq!(c.run(&["lrange", "l", "0", "-1"]), bulks(&["a", "c"]));
    assert_eq!(c.shard.digest(), b.shard.digest());
}
