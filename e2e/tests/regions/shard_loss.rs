//! Full resync on loss: a whole shard of one region (master and replica) dies and comes back
//! empty; the region's syncer notices the new local master (a new actor, an empty context),
//! subscribes again with that context, and the peer region serves the shard's slots as a full
//! sync. Every value written in either region before the loss is back, counters exact, and the
//! other shard of the region was never touched.

use std::time::Duration;

use meridian_e2e::regions::Regions;

use crate::{CONVERGE, get, query};

/// Keys spread over both shards of a two-shard region.
const KEYS: usize = 200;

#[test]
fn a_shard_lost_whole_in_one_region_is_rebuilt_from_the_peer_region() {
    let mut regions = Regions::start(2, 2, 1).unwrap();
    // Each key is written to the master owning its slot in that region.
    for i in 0..KEYS {
        let (k, c, s) = (format!("k{i}"), format!("c{i}"), format!("s{i}"));
        let east = |key: &str| regions.owner(0, redis_slot(key));
        let west = |key: &str| regions.owner(1, redis_slot(key));
        assert_eq!(query(east(&k), &["SET", &k, &format!("east-{i}")]), redis::Value::Okay);
        assert_eq!(query(east(&c), &["INCRBY", &c, "2"]), redis::Value::Int(2));
        assert!(matches!(query(west(&c), &["INCRBY", &c, "3"]), redis::Value::Int(_)));
        assert_eq!(query(west(&s), &["SADD", &s, "west"]), redis::Value::Int(1));
    }
    regions.wait_converged(CONVERGE).unwrap();

    // Shard 0 of region 0 is lost whole: master and replica die, and come back with nothing.
    regions.regions[0].shards[0][1].process = None;
    regions.regions[0].shards[0][0].process = None;
    let master = regions.port(0, 0, 0);
    regions.start_node(0, 0, 0, None).unwrap();
    assert_eq!(query(master, &["DBSIZE"]), redis::Value::Int(0), "the master came back empty");
    regions.start_node(0, 0, 1, Some(master)).unwrap();

    regions.wait_converged(CONVERGE).unwrap();
    let replica = regions.port(0, 0, 1);
    // The replica holds what its master holds (same digest); its DBSIZE says so too.
    assert_eq!(query(replica, &["DBSIZE"]), query(master, &["DBSIZE"]));
    assert_eq!(query(master, &["DBSIZE"]), query(regions.port(1, 0, 0), &["DBSIZE"]));
    let mut rebuilt = 0;
    for i in 0..KEYS {
        let expected = [(format!("k{i}"), format!("east-{i}")), (format!("c{i}"), "5".to_string())];
        for (key, value) in expected {
            if regions.owner(0, redis_slot(&key)) != master {
                continue;
            }
            rebuilt += 1;
            assert_eq!(get(master, &key), Some(value), "{key}");
        }
        let set = format!("s{i}");
        if regions.owner(0, redis_slot(&set)) == master {
            assert_eq!(query(master, &["SISMEMBER", &set, "west"]), redis::Value::Int(1), "{set}");
        }
    }
    assert!(rebuilt > KEYS / 2, "only {rebuilt} keys fell in the lost shard");
    // Writes go on in the rebuilt shard and reach the peer.
    let key = (0..KEYS).map(|i| format!("c{i}")).find(|k| regions.owner(0, redis_slot(k)) == master).unwrap();
    query(master, &["INCRBY", &key, "10"]);
    std::thread::sleep(Duration::from_millis(200));
    regions.wait_converged(CONVERGE).unwrap();
    assert_eq!(get(regions.owner(1, redis_slot(&key)), &key), Some("15".into()));
}

/// The Redis Cluster slot of `key` (CRC16 of the hash tag, mod 16384).
fn redis_slot(key: &str) -> u16 {
    meridian_datanode::keyspace::slot::slot_of(key.as_bytes())
}
