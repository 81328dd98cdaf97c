//! String commands (SEMANTICS.md §2, §3): a string key is a register plus a counter.

mod append;
mod get;
mod getdel;
mod getex;
mod getrange;
mod getset;
mod incr;
mod incrbyfloat;
mod lcs;
mod mget;
mod mset;
pub mod set;
mod setrange;
mod strlen;

use bytes::Bytes;

use super::format::{fmt_human, parse_float, parse_int};
use super::{CommandSpec, ReplyError};
use crate::crdt::cell::Cell;
use crate::keyspace::entry::{Content, Kind};
use crate::shard::Shard;

pub const COMMANDS: &[CommandSpec] = &[
    append::SPEC,
    get::SPEC,
    getdel::SPEC,
    getex::SPEC,
    getrange::SPEC,
    getrange::SUBSTR,
    getset::SPEC,
    incr::INCR,
    incr::DECR,
    incr::INCRBY,
    incr::DECRBY,
    incrbyfloat::SPEC,
    lcs::SPEC,
    mget::SPEC,
    mset::MSET,
    mset::MSETNX,
    set::SET,
    set::SETNX,
    set::SETEX,
    set::PSETEX,
    setrange::SPEC,
    strlen::SPEC,
];

/// Redis's `proto-max-bulk-len`: the largest string a command may build.
pub const MAX_STRING: u64 = crate::resp::frame::MAX_BULK_LEN as u64;

/// Refuses a string that would grow past `MAX_STRING` (Redis's `checkStringLength`).
pub fn check_length(size: u64, append: u64) -> Result<(), ReplyError> {
    match size.checked_add(append) {
        Some(total) if total <= MAX_STRING => Ok(()),
        _ => Err(ReplyError::new("ERR string exceeds maximum allowed size (proto-max-bulk-len)")),
    }
}

/// Counter range of SEMANTICS.md §3: concurrent sums from 32 regions cannot overflow i64.
pub const COUNTER_MIN: i128 = -(1 << 58);
pub const COUNTER_MAX: i128 = (1 << 58) - 1;

/// The bytes a string cell reads as: the register, with surviving increments added when
/// there are any and the register holds a number (SEMANTICS.md §3).
pub fn string_bytes(cell: &Cell<Bytes>) -> Bytes {
    let ctr = cell.counter();
    let base = cell.reg.get();
    if !ctr.live {
        // A copy, not a clone: cloning would turn the stored buffer into a shared one,
        // adding a header to every value ever read and an atomic to every read after.
        return base.map(|b| Bytes::copy_from_slice(b)).unwrap_or_default();
    }
    let (base_int, base_float) = match base {
        None => (Some(0i128), 0.0),
        Some(b) => match parse_int(b) {
            Some(i) => (Some(i128::from(i)), 0.0),
            None => match parse_float(b) {
                Some(f) if f.is_finite() => (None, f),
                _ => return b.clone(),
            },
        },
    };
    match base_int {
        Some(i) if !ctr.has_float => Bytes::from((i + ctr.int).to_string()),
        _ => {
            let v = base_int.map_or(base_float, |i| i as f64) + ctr.int as f64 + ctr.float;
            Bytes::from(fmt_human(v))
        }
    }
}

/// The integer a string cell reads as, if it reads as one, computed without printing it
/// first (INCR's hot path). Agrees with `parse_int(&string_bytes(cell))`.
pub fn string_int(cell: &Cell<Bytes>) -> Option<i128> {
    let ctr = cell.counter();
    let base = match cell.reg.get() {
        None => Some(0),
        Some(b) => parse_int(b).map(i128::from),
    };
    match base {
        // Plain integers plus integer increments: the common case, no printing needed.
        Some(base) if !ctr.has_float => {
            let sum = if ctr.live { base + ctr.int } else { base };
            i64::try_from(sum).ok().map(i128::from)
        }
        // A float base or float increments may still print as an integer ("10.5" + 0.5).
        _ => parse_int(&string_bytes(cell)).map(i128::from),
    }
}

/// The string value of `key`: `None` if missing, WRONGTYPE if another type.
pub fn get_string(shard: &mut Shard, key: &[u8]) -> Result<Option<Bytes>, ReplyError> {
    match shard.read(key) {
        None => Ok(None),
        Some(Content::Str(cell)) => Ok(Some(string_bytes(cell))),
        Some(_) => Err(ReplyError::wrongtype()),
    }
}

/// What GET reads under `key`: a string's bytes or an HLL's (the only string command
/// besides SET that works on an HLL, SEMANTICS.md §7).
pub fn get_value(shard: &mut Shard, key: &[u8]) -> Result<Option<Bytes>, ReplyError> {
    match shard.read(key) {
        None => Ok(None),
        Some(Content::Str(cell)) => Ok(Some(string_bytes(cell))),
        Some(Content::Hll(h)) => Ok(h.value()),
        Some(_) => Err(ReplyError::wrongtype()),
    }
}

/// The live string cell of a key about to be written, borrowed (an expired key is deleted
/// first); `None` if there is none, WRONGTYPE if the key holds another type.
pub fn live_cell<'a>(shard: &'a mut Shard, key: &[u8]) -> Result<Option<&'a Cell<Bytes>>, ReplyError> {
    Ok(match super::util::check_write(shard, key, Kind::Str)?.and_then(|e| e.content(Kind::Str)) {
        Some(Content::Str(cell)) if cell.is_live() => Some(cell),
        _ => None,
    })
}

/// Commits one increment of the string under `key` (INCR family and INCRBYFLOAT).
pub fn commit_increment(shard: &mut Shard, key: &Bytes, int: i128, float: f64, is_float: bool) {
    super::util::write_one(shard, key, Kind::Str, |tag, entry, part, _| {
        let delta = match entry.and_then(|e| e.content(Kind::Str)) {
            Some(Content::Str(cell)) => cell.increment_delta(tag, int, float, is_float),
            _ => Cell::default().increment_delta(tag, int, float, is_float),
        };
        part.contents.push(Content::Str(delta));
    });
}

/// SEMANTICS.md §2, §3 and §10 rows, region 1 and region 2 writing concurrently.
#[cfg(test)]
mod conflict_tests {
    use std::sync::Arc;

    use parking_lot::Mutex;

    use crate::cmd::testing::bulk;
    use crate::crdt::ActorId;
    use crate::keyspace::delta::Delta;
    use crate::resp::Reply;
    use crate::shard::{Identity, Shard};

    struct Region {
        shard: Shard,
        out: Arc<Mutex<Vec<Delta>>>,
    }

    fn region(id: u8, now: u64) -> Region {
        let mut shard = Shard::replicated(Identity { region: id, actor: ActorId(u64::from(id)) });
        shard.set_now(now);
        Region { shard, out: Arc::new(Mutex::new(Vec::new())) }
    }

    fn run(r: &mut Region, words: &[&str]) -> Reply {
        let outcome = crate::cmd::testing::execute(&mut r.shard, words);
        r.out.lock().extend(outcome.delta);
        outcome.reply
    }

    /// Ships everything each region wrote to the other.
    fn exchange(a: &mut Region, b: &mut Region) {
        // Commands' deltas, and what direct shard calls (expiry) left in the shard.
        a.out.lock().extend(a.shard.take_delta());
        b.out.lock().extend(b.shard.take_delta());
        let from_a: Vec<Delta> = a.out.lock().drain(..).collect();
        let from_b: Vec<Delta> = b.out.lock().drain(..).collect();
        for d in &from_a {
            b.shard.apply_remote(d);
        }
        for d in &from_b {
            a.shard.apply_remote(d);
        }
        assert_eq!(a.shard.digest(), b.shard.digest(), "regions did not converge");
    }

    fn pair() -> (Region, Region) {
        (region(1, 1_000_000), region(2, 2_000_000))
    }

    #[test]
    fn set_set_later_timestamp_wins() {
        let (mut a, mut b) = pair();
        assert_eq!(run(&mut a, &["SET", "k", "v1"]), Reply::Ok);
        assert_eq!(run(&mut b, &["SET", "k", "v2"]), Reply::Ok);
        exchange(&mut a, &mut b);
        assert_eq!(run(&mut a, &["GET", "k"]), bulk("v2"));
        assert_eq!(run(&mut b, &["GET", "k"]), bulk("v2"));
    }

    #[test]
    fn the_seed_example_step_by_step() {
        // Region 1 SET a (t1), region 2 SET b (t2), sync, region 1 SET c, sync, region 2 SET d.
        let (mut a, mut b) = pair();
        run(&mut a, &["SET", "key1", "a"]);
        assert_eq!(run(&mut a, &["GET", "key1"]), bulk("a"));
        run(&mut b, &["SET", "key1", "b"]);
        assert_eq!(run(&mut b, &["GET", "key1"]), bulk("b"));
        exchange(&mut a, &mut b);
        assert_eq!(run(&mut a, &["GET", "key1"]), bulk("b"));
        assert_eq!(run(&mut b, &["GET", "key1"]), bulk("b"));
        // Region 1's clock is behind region 2's, but its write follows what it has seen.
        run(&mut a, &["SET", "key1", "c"]);
        assert_eq!(run(&mut a, &["GET", "key1"]), bulk("c"));
        exchange(&mut a, &mut b);
        assert_eq!(run(&mut b, &["GET", "key1"]), bulk("c"));
        run(&mut b, &["SET", "key1", "d"]);
        assert_eq!(run(&mut b, &["GET", "key1"]), bulk("d"));
        assert_eq!(run(&mut a, &["GET", "key1"]), bulk("c"));
        exchange(&mut a, &mut b);
        assert_eq!(run(&mut a, &["GET", "key1"]), bulk("d"));
    }

    #[test]
    fn setnx_in_both_regions_both_succeed_and_the_later_wins() {
        let (mut a, mut b) = pair();
        assert_eq!(run(&mut a, &["SETNX", "k", "x"]), Reply::Int(1));
        assert_eq!(run(&mut b, &["SETNX", "k", "y"]), Reply::Int(1));
        exchange(&mut a, &mut b);
        assert_eq!(run(&mut a, &["GET", "k"]), bulk("y"));
    }

    #[test]
    fn set_survives_a_concurrent_del() {
        let (mut a, mut b) = pair();
        run(&mut a, &["SET", "k", "old"]);
        exchange(&mut a, &mut b);
        assert_eq!(run(&mut a, &["DEL", "k"]), Reply::Int(1));
        assert_eq!(run(&mut b, &["SET", "k", "new"]), Reply::Ok);
        exchange(&mut a, &mut b);
        assert_eq!(run(&mut a, &["GET", "k"]), bulk("new"));
        assert_eq!(run(&mut b, &["GET", "k"]), bulk("new"));
    }

    #[test]
    fn concurrent_increments_add_up() {
        let (mut a, mut b) = pair();
        assert_eq!(run(&mut a, &["INCRBY", "c", "7"]), Reply::Int(7));
        assert_eq!(run(&mut b, &["INCRBY", "c", "3"]), Reply::Int(3));
        exchange(&mut a, &mut b);
        assert_eq!(run(&mut a, &["GET", "c"]), bulk("10"));
        assert_eq!(run(&mut b, &["GET", "c"]), bulk("10"));
    }

    #[test]
    fn incrbyfloat_and_incrby_add_up() {
        let (mut a, mut b) = pair();
        run(&mut a, &["SET", "c", "10"]);
        exchange(&mut a, &mut b);
        assert_eq!(run(&mut a, &["INCRBYFLOAT", "c", "0.5"]), bulk("10.5"));
        assert_eq!(run(&mut b, &["INCRBY", "c", "2"]), Reply::Int(12));
        exchange(&mut a, &mut b);
        assert_eq!(run(&mut a, &["GET", "c"]), bulk("12.5"));
        assert_eq!(run(&mut b, &["GET", "c"]), bulk("12.5"));
    }

    #[test]
    fn set_and_concurrent_increment_is_value_plus_increment() {
        let (mut a, mut b) = pair();
        run(&mut a, &["SET", "c", "1"]);
        exchange(&mut a, &mut b);
        assert_eq!(run(&mut a, &["SET", "c", "100"]), Reply::Ok);
        assert_eq!(run(&mut b, &["INCRBY", "c", "5"]), Reply::Int(6));
        exchange(&mut a, &mut b);
        assert_eq!(run(&mut a, &["GET", "c"]), bulk("105"));
    }

    #[test]
    fn del_and_concurrent_increment_keeps_the_increment() {
        let (mut a, mut b) = pair();
        run(&mut a, &["INCRBY", "c", "40"]);
        exchange(&mut a, &mut b);
        assert_eq!(run(&mut a, &["DEL", "c"]), Reply::Int(1));
        assert_eq!(run(&mut b, &["INCRBY", "c", "2"]), Reply::Int(42));
        exchange(&mut a, &mut b);
        assert_eq!(run(&mut a, &["GET", "c"]), bulk("2"));
        assert_eq!(run(&mut b, &["EXISTS", "c"]), Reply::Int(1));
    }

    #[test]
    fn a_non_number_base_hides_surviving_increments() {
        let (mut a, mut b) = pair();
        run(&mut a, &["SET", "c", "1"]);
        exchange(&mut a, &mut b);
        run(&mut b, &["SET", "c", "abc"]);
        assert_eq!(run(&mut a, &["INCR", "c"]), Reply::Int(2));
        exchange(&mut a, &mut b);
        assert_eq!(run(&mut a, &["GET", "c"]), bulk("abc"));
        assert_eq!(run(&mut a, &["INCR", "c"]), Reply::error("ERR value is not an integer or out of range"));
    }

    #[test]
    fn counters_refuse_to_leave_the_59_bit_range() {
        let (mut a, _) = pair();
        assert_eq!(run(&mut a, &["INCRBY", "c", "288230376151711743"]), Reply::Int(288230376151711743));
        assert_eq!(run(&mut a, &["INCR", "c"]), Reply::error("ERR increment or decrement would overflow"));
        assert_eq!(
            run(&mut a, &["DECRBY", "d", "288230376151711745"]),
            Reply::error("ERR increment or decrement would overflow")
        );
    }

    #[test]
    fn merged_counters_beyond_the_range_stay_exact() {
        let (mut a, mut b) = pair();
        run(&mut a, &["INCRBY", "c", "288230376151711743"]);
        run(&mut b, &["INCRBY", "c", "288230376151711743"]);
        exchange(&mut a, &mut b);
        assert_eq!(run(&mut a, &["GET", "c"]), bulk("576460752303423486"));
        assert_eq!(run(&mut a, &["INCR", "c"]), Reply::error("ERR increment or decrement would overflow"));
    }

    #[test]
    fn no_expiry_beats_a_concurrent_expire() {
        let (mut a, mut b) = pair();
        run(&mut a, &["SET", "k", "v", "EX", "100"]);
        exchange(&mut a, &mut b);
        b.shard.set_now(1_000_001);
        assert_eq!(run(&mut a, &["PERSIST", "k"]), Reply::Int(1));
        assert_eq!(run(&mut b, &["EXPIRE", "k", "50"]), Reply::Int(1));
        exchange(&mut a, &mut b);
        assert_eq!(run(&mut a, &["TTL", "k"]), Reply::Int(-1));
        assert_eq!(run(&mut b, &["TTL", "k"]), Reply::Int(-1));
    }

    #[test]
    fn the_later_deadline_wins_and_only_its_owner_expires_the_key() {
        let (mut a, mut b) = pair();
        run(&mut a, &["SET", "k", "v"]);
        exchange(&mut a, &mut b);
        // Region 1 asks for a deadline further out than region 2's.
        run(&mut a, &["PEXPIREAT", "k", "5000000"]);
        run(&mut b, &["PEXPIREAT", "k", "4000000"]);
        exchange(&mut a, &mut b);
        assert_eq!(run(&mut b, &["PEXPIRETIME", "k"]), Reply::Int(5_000_000));
        // Past the deadline, region 2 reads the key as missing but does not delete it.
        b.shard.set_now(5_000_001);
        assert_eq!(run(&mut b, &["GET", "k"]), Reply::Nil);
        assert_eq!(b.shard.expire_due(10), 0);
        assert!(b.out.lock().is_empty() && b.shard.take_delta().is_none(), "region 2 wrote nothing");
        // The owner deletes it and ships the deletion.
        a.shard.set_now(5_000_001);
        assert_eq!(a.shard.expire_due(10), 1);
        exchange(&mut a, &mut b);
        assert_eq!(b.shard.dbsize(), 0);
    }

    #[test]
    fn a_write_elsewhere_survives_the_owners_expiry_without_ttl() {
        let (mut a, mut b) = pair();
        run(&mut a, &["SET", "k", "v", "PX", "100"]);
        exchange(&mut a, &mut b);
        // Expired once the clock is past the deadline (1_000_100), as in Redis.
        a.shard.set_now(1_000_100);
        assert_eq!(a.shard.expire_due(10), 0);
        a.shard.set_now(1_000_101);
        assert_eq!(a.shard.expire_due(10), 1);
        // Region 2's clock has not reached the deadline: its APPEND is concurrent with it.
        b.shard.set_now(1_000_050);
        assert_eq!(run(&mut b, &["APPEND", "k", "x"]), Reply::Int(2));
        exchange(&mut a, &mut b);
        assert_eq!(run(&mut a, &["GET", "k"]), bulk("vx"));
        assert_eq!(run(&mut a, &["TTL", "k"]), Reply::Int(-1));
    }
}

#[cfg(test)]
mod string_int_tests {
    use bytes::Bytes;

    use super::{string_bytes, string_int};
    use crate::cmd::format::parse_int;
    use crate::crdt::cell::Cell;
    use crate::crdt::{ActorId, Dot, Tag};

    fn tag(counter: u64) -> Tag {
        Tag { dot: Dot::new(ActorId(1), counter), hlc: counter, region: 1 }
    }

    /// The fast integer read agrees with printing the value and parsing it back.
    #[test]
    fn agrees_with_the_printed_value() {
        let bases: [Option<&str>; 7] =
            [None, Some("10"), Some("-3"), Some("10.5"), Some("abc"), Some("9223372036854775807"), Some("")];
        let increments: [(i128, f64, bool); 5] =
            [(0, 0.0, false), (5, 0.0, false), (1, 0.0, false), (0, 0.5, true), (0, -0.5, true)];
        for base in bases {
            for (int, float, is_float) in increments {
                let mut cell: Cell<Bytes> = Cell::default();
                if let Some(b) = base {
                    cell.join(
                        &crate::crdt::DotList::new(),
                        &Cell::default().write_delta(tag(1), Bytes::from(b)),
                        &crate::crdt::DotList::new(),
                    );
                }
                if int != 0 || is_float {
                    let d = cell.increment_delta(tag(2), int, float, is_float);
                    cell.join(&crate::crdt::DotList::new(), &d, &crate::crdt::DotList::new());
                }
                if !cell.is_live() {
                    continue;
                }
                let slow = parse_int(&string_bytes(&cell)).map(i128::from);
                assert_eq!(string_int(&cell), slow, "base {base:?} + ({int}, {float})");
            }
        }
    }
}
