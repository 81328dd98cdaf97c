//! Regression (chaos seed 42, wipe-shard): a replica restarted empty could never resync once
//! one key outgrew 4 MiB. A full sync's chunk is bounded by entries, not bytes, and the
//! follower decoded with gRPC's default 4 MiB limit: "decoded message length too large:
//! found 4554083 bytes", link down for good, the shard never whole again.

use meridian_e2e::regions::Regions;
use redis::Value;

use crate::{CONVERGE, conn, query};

#[test]
fn a_replica_resyncs_a_key_larger_than_four_mib() {
    let mut regions = Regions::start(1, 1, 1).unwrap();
    let (master, replica) = (regions.port(0, 0, 0), regions.port(0, 0, 1));
    // One set of 50,000 members of ~110 bytes: one key, so one chunk of 5.5 MB.
    let pad = "x".repeat(100);
    let mut c = conn(master).unwrap();
    for batch in 0..50 {
        let mut sadd = redis::cmd("SADD");
        sadd.arg("big");
        for i in 0..1000 {
            sadd.arg(format!("{batch}-{i}-{pad}"));
        }
        assert_eq!(sadd.query::<i64>(&mut c).unwrap(), 1000);
    }
    // The replica comes back empty: it needs a full sync of that chunk.
    regions.regions[0].shards[0][1].process = None;
    regions.start_node(0, 0, 1, Some(master)).unwrap();
    regions.wait_converged(CONVERGE).unwrap();
    let mut r = conn(replica).unwrap();
    redis::cmd("READONLY").query::<()>(&mut r).unwrap();
    assert_eq!(redis::cmd("SCARD").arg("big").query::<i64>(&mut r).unwrap(), 50_000);
    assert_eq!(query(master, &["SCARD", "big"]), Value::Int(50_000));
}
