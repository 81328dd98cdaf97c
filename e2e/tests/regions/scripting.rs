//! Lua scripts across two regions (SEMANTICS.md, "MULTI/EXEC, WATCH, Lua, functions"): a
//! script's writes replicate as its effects, one delta, and merge like the same commands
//! sent directly: counters add up, set members unite.

use std::time::Duration;

use meridian_e2e::regions::Regions;
use redis::Value;

use crate::{CONVERGE, query};

/// INCRBY on a counter and SADD of a member, in one script.
const SCRIPT: &str = "local n = redis.call('INCRBY', KEYS[1], ARGV[1]) redis.call('SADD', KEYS[2], ARGV[2]) return n";

fn eval(port: u16, by: &str, member: &str) -> Value {
    query(port, &["EVAL", SCRIPT, "2", "{s}counter", "{s}members", by, member])
}

fn members(port: u16) -> Vec<String> {
    let Value::Array(items) = query(port, &["SMEMBERS", "{s}members"]) else { panic!("not an array") };
    let mut out: Vec<String> = items
        .into_iter()
        .map(|v| match v {
            Value::BulkString(b) => String::from_utf8(b).unwrap(),
            other => panic!("{other:?}"),
        })
        .collect();
    out.sort();
    out
}

/// Both regions run the script while apart, twice each; once the links are back, both
/// hold the sum and the union, exactly what the direct INCRBY and SADD calls give.
#[test]
fn concurrent_scripts_converge_like_the_direct_commands() {
    let regions = Regions::start(2, 1, 0).unwrap();
    let (r1, r2) = (regions.port(0, 0, 0), regions.port(1, 0, 0));
    regions.wait_converged(CONVERGE).unwrap();

    regions.set_all_links(false);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(eval(r1, "5", "east-1"), Value::Int(5));
    assert_eq!(eval(r2, "7", "west-1"), Value::Int(7));
    assert_eq!(eval(r1, "10", "east-2"), Value::Int(15));
    assert_eq!(eval(r2, "1", "west-2"), Value::Int(8));
    // The same effects sent directly, on keys of their own, as the reference.
    for (port, by, member) in [(r1, "5", "east-1"), (r2, "7", "west-1"), (r1, "10", "east-2"), (r2, "1", "west-2")] {
        query(port, &["INCRBY", "{d}counter", by]);
        query(port, &["SADD", "{d}members", member]);
    }

    regions.set_all_links(true);
    regions.wait_converged(CONVERGE).unwrap();
    let want = ["east-1", "east-2", "west-1", "west-2"];
    for port in [r1, r2] {
        assert_eq!(query(port, &["GET", "{s}counter"]), Value::BulkString(b"23".to_vec()));
        assert_eq!(query(port, &["GET", "{d}counter"]), Value::BulkString(b"23".to_vec()));
        assert_eq!(members(port), want);
        assert_eq!(
            query(port, &["SCARD", "{d}members"]),
            query(port, &["SCARD", "{s}members"]),
            "the script's set equals the direct one"
        );
    }
    // A read-only script sees the merged state in both regions.
    for port in [r1, r2] {
        let r = query(port, &["EVAL_RO", "return redis.call('GET', KEYS[1])", "1", "{s}counter"]);
        assert_eq!(r, Value::BulkString(b"23".to_vec()));
    }
}
