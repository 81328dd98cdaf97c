//! A master dies; its replica is promoted; the syncers follow the new master; the old master
//! comes back as a replica. Nothing acknowledged and replicated is lost, and writes made
//! during the failover in other regions arrive.

use std::time::Duration;

use meridian_e2e::regions::Regions;

use crate::{CONVERGE, get, query};

#[test]
fn a_promoted_replica_takes_over_and_the_regions_converge() {
    let mut regions = Regions::start(2, 1, 1).unwrap();
    let (m1, r1, m2) = (regions.port(0, 0, 0), regions.port(0, 0, 1), regions.port(1, 0, 0));
    for i in 0..50 {
        query(m1, &["INCR", "hits"]);
        query(m2, &["INCR", "hits"]);
        query(m1, &["SET", &format!("k{i}"), "one"]);
    }
    regions.wait_converged(CONVERGE).unwrap();
    assert_eq!(get(r1, "hits"), Some("100".into()));

    // The master dies; the operator's job, done by hand here: promote the replica.
    regions.regions[0].shards[0][0].process = None;
    assert_eq!(query(r1, &["REPLICAOF", "NO", "ONE"]), redis::Value::Okay);
    for _ in 0..25 {
        query(r1, &["INCR", "hits"]);
        query(m2, &["INCR", "hits"]);
    }
    // The old master comes back empty as a replica of the new one.
    regions.start_node(0, 0, 0, Some(r1)).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    regions.wait_converged(CONVERGE).unwrap();
    for port in [m1, r1, m2] {
        assert_eq!(get(port, "hits"), Some("150".into()), "port {port}");
        assert_eq!(get(port, "k49"), Some("one".into()));
    }
    let refused = redis::cmd("SET").arg("x").arg("1").query::<String>(&mut crate::conn(m1).unwrap()).unwrap_err();
    assert_eq!(refused.code(), Some("READONLY"), "the old master is a read-only replica now: {refused}");
}
