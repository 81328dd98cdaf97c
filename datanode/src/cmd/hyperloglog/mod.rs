//! HyperLogLog commands (SEMANTICS.md §7): Redis's byte format in a CRDT of its own, whose
//! concurrent writes merge by register max and whose DEL wins over concurrent writes.

mod pfadd;
mod pfcount;
mod pfmerge;

use bytes::Bytes;

use super::{CommandSpec, ReplyError};
use crate::crdt::hll::{Hll, sketch};
use crate::keyspace::entry::{Content, Kind};
use crate::shard::Shard;

pub const COMMANDS: &[CommandSpec] = &[pfadd::SPEC, pfcount::SPEC, pfmerge::SPEC];

/// Redis's reply for a string that is not an HLL (the code is WRONGTYPE, the text its own).
pub fn not_hll() -> ReplyError {
    ReplyError::new("WRONGTYPE Key is not a valid HyperLogLog string value.")
}

/// Redis's reply for an HLL whose sparse opcodes do not add up.
pub fn corrupt() -> ReplyError {
    ReplyError::new("INVALIDOBJ Corrupted HLL object detected")
}

/// The sketch under `key`: `None` if the key is missing; an error if it holds another type
/// or a string that is not an HLL. A string holding HLL bytes (written by SETRANGE, say)
/// counts, as in Redis; the next HLL write turns it into an HLL value.
pub fn read_hll(shard: &mut Shard, key: &[u8]) -> Result<Option<Bytes>, ReplyError> {
    match shard.read(key) {
        None => Ok(None),
        Some(Content::Hll(h)) => Ok(h.value()),
        Some(Content::Str(cell)) => {
            let v = super::strings::string_bytes(cell);
            if sketch::is_hll(&v) { Ok(Some(v)) } else { Err(not_hll()) }
        }
        Some(_) => Err(ReplyError::wrongtype()),
    }
}

/// Writes `sketch` as the HLL under `key`, replacing every sketch and tombstone observed
/// (the key's TTL stays).
pub fn write_hll(shard: &mut Shard, key: &Bytes, sketch: Bytes) {
    super::util::write_one(shard, key, Kind::Hll, |tag, entry, part, observed| {
        if let Some(e) = entry {
            if let Some(c) = e.content(Kind::Hll) {
                c.observed(observed);
            }
            // A key that a delete won over is written afresh: a TTL set concurrently with
            // that delete does not carry over to it.
            if !e.is_visible() {
                e.ttl.observed(observed);
            }
        }
        part.contents.push(Content::Hll(Box::new(Hll::write_delta(tag, sketch))));
    });
}

/// SEMANTICS.md §7 rows, region 1 and region 2 writing concurrently.
#[cfg(test)]
mod conflict_tests {
    use crate::cmd::testing::{bulk, execute, run, shard};
    use crate::crdt::ActorId;
    use crate::keyspace::delta::Delta;
    use crate::resp::Reply;
    use crate::shard::{Identity, Shard};

    fn region(id: u8) -> Shard {
        let mut s = Shard::replicated(Identity { region: id, actor: ActorId(u64::from(id)) });
        s.set_now(1_000_000 * u64::from(id));
        s
    }

    fn write(s: &mut Shard, out: &mut Vec<Delta>, words: &[&str]) -> Reply {
        let o = execute(s, words);
        out.extend(o.delta);
        o.reply
    }

    fn exchange(a: &mut Shard, da: &mut Vec<Delta>, b: &mut Shard, db: &mut Vec<Delta>) {
        for d in da.drain(..) {
            b.apply_remote(&d);
        }
        for d in db.drain(..) {
            a.apply_remote(&d);
        }
        assert_eq!(a.digest(), b.digest(), "regions did not converge");
    }

    #[test]
    fn concurrent_pfadds_union() {
        let (mut a, mut b) = (region(1), region(2));
        let (mut da, mut db) = (Vec::new(), Vec::new());
        assert_eq!(write(&mut a, &mut da, &["PFADD", "h", "x", "y"]), Reply::Int(1));
        assert_eq!(write(&mut b, &mut db, &["PFADD", "h", "z"]), Reply::Int(1));
        exchange(&mut a, &mut da, &mut b, &mut db);
        assert_eq!(run(&mut a, &["PFCOUNT", "h"]), Reply::Int(3));
        assert_eq!(run(&mut b, &["PFCOUNT", "h"]), Reply::Int(3));
        let ga = run(&mut a, &["GET", "h"]);
        // Both regions read the same bytes: those of one PFADD of all three elements.
        let mut c = shard();
        run(&mut c, &["PFADD", "h", "x", "y", "z"]);
        run(&mut c, &["PFCOUNT", "h"]);
        assert_eq!(ga, run(&mut c, &["GET", "h"]));
        assert_eq!(ga, run(&mut b, &["GET", "h"]));
    }

    #[test]
    fn pfmerge_and_pfadd_union() {
        let (mut a, mut b) = (region(1), region(2));
        let (mut da, mut db) = (Vec::new(), Vec::new());
        write(&mut a, &mut da, &["PFADD", "src", "1", "2"]);
        exchange(&mut a, &mut da, &mut b, &mut db);
        assert_eq!(write(&mut a, &mut da, &["PFMERGE", "dst", "src"]), Reply::Ok);
        write(&mut b, &mut db, &["PFADD", "dst", "3"]);
        exchange(&mut a, &mut da, &mut b, &mut db);
        assert_eq!(run(&mut a, &["PFCOUNT", "dst"]), Reply::Int(3));
    }

    #[test]
    fn del_wins_over_a_concurrent_pfadd() {
        let (mut a, mut b) = (region(1), region(2));
        let (mut da, mut db) = (Vec::new(), Vec::new());
        write(&mut a, &mut da, &["PFADD", "h", "x"]);
        exchange(&mut a, &mut da, &mut b, &mut db);
        assert_eq!(write(&mut a, &mut da, &["DEL", "h"]), Reply::Int(1));
        assert_eq!(write(&mut b, &mut db, &["PFADD", "h", "y"]), Reply::Int(1));
        assert_eq!(write(&mut b, &mut db, &["PFMERGE", "h"]), Reply::Ok);
        assert_eq!(write(&mut b, &mut db, &["EXPIRE", "h", "100"]), Reply::Int(1));
        exchange(&mut a, &mut da, &mut b, &mut db);
        for s in [&mut a, &mut b] {
            assert_eq!(run(s, &["EXISTS", "h"]), Reply::Int(0));
            assert_eq!(run(s, &["PFCOUNT", "h"]), Reply::Int(0));
            assert_eq!(s.dbsize(), 0);
        }
        // A PFADD after the exchange starts afresh.
        assert_eq!(write(&mut b, &mut db, &["PFADD", "h", "z"]), Reply::Int(1));
        exchange(&mut a, &mut da, &mut b, &mut db);
        assert_eq!(run(&mut a, &["PFCOUNT", "h"]), Reply::Int(1));
        assert_eq!(run(&mut a, &["TTL", "h"]), Reply::Int(-1));
    }

    #[test]
    fn set_of_a_non_hll_value_turns_the_key_into_a_string() {
        let (mut a, mut b) = (region(1), region(2));
        let (mut da, mut db) = (Vec::new(), Vec::new());
        write(&mut a, &mut da, &["PFADD", "h", "x"]);
        exchange(&mut a, &mut da, &mut b, &mut db);
        write(&mut b, &mut db, &["SET", "h", "plain"]);
        exchange(&mut a, &mut da, &mut b, &mut db);
        assert_eq!(run(&mut a, &["GET", "h"]), bulk("plain"));
        assert_eq!(run(&mut a, &["APPEND", "h", "!"]), Reply::Int(6));
    }

    #[test]
    fn only_get_and_set_work_on_an_hll_key() {
        let mut s = shard();
        run(&mut s, &["PFADD", "h", "x"]);
        assert_eq!(run(&mut s, &["TYPE", "h"]), Reply::status("string"));
        for words in [
            &["APPEND", "h", "x"][..],
            &["STRLEN", "h"],
            &["GETRANGE", "h", "0", "1"],
            &["SETBIT", "h", "1", "1"],
            &["GETEX", "h"],
            &["INCR", "h"],
        ] {
            assert_eq!(
                run(&mut s, words),
                Reply::error("WRONGTYPE Operation against a key holding the wrong kind of value"),
                "{words:?}"
            );
        }
        let Reply::Bulk(v) = run(&mut s, &["GET", "h"]) else { panic!("GET of an HLL") };
        assert!(v.starts_with(b"HYLL"));
        // A SET of HLL bytes makes the key an HLL, byte for byte.
        let set = vec![bytes::Bytes::from_static(b"SET"), bytes::Bytes::from_static(b"copy"), v.clone()];
        assert_eq!(crate::cmd::execute(&mut s, set).reply, Reply::Ok);
        assert_eq!(run(&mut s, &["PFCOUNT", "copy"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["PFCOUNT", "h"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["APPEND", "copy", "x"]), run(&mut s, &["APPEND", "h", "x"]));
        assert_eq!(run(&mut s, &["GET", "copy"]), run(&mut s, &["GET", "h"]));
    }
}
