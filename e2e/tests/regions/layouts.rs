//! Regions that split the slots differently (2, 1 and 3 shards): every syncer routes what a
//! peer shard sends to the local shard owning each key's slot, so every key ends with the
//! sum of the increments made to it in every region.

use std::time::{Duration, Instant};

use meridian_datanode::keyspace::slot::slot_of;
use meridian_e2e::regions::Regions;

use crate::{conn, query};

const KEYS: usize = 200;

#[test]
fn regions_with_different_shard_counts_converge_key_by_key() {
    let regions = Regions::start_layout(&[2, 1, 3], 0).unwrap();
    for r in 0..3 {
        for i in 0..KEYS {
            let key = format!("key:{i}");
            let port = regions.owner(r, slot_of(key.as_bytes()));
            let by = (r + 1).to_string();
            assert!(matches!(query(port, &["INCRBY", &key, &by]), redis::Value::Int(_)), "INCRBY {key} on {port}");
        }
    }
    // A multi-shard region redirects a key to its owner, as Redis Cluster does.
    let key = (0..)
        .map(|i| format!("probe:{i}"))
        .find(|k| regions.owner(0, slot_of(k.as_bytes())) != regions.port(0, 0, 0))
        .unwrap();
    let moved =
        redis::cmd("GET").arg(&key).query::<Option<String>>(&mut conn(regions.port(0, 0, 0)).unwrap()).unwrap_err();
    assert_eq!(moved.code(), Some("MOVED"), "{moved}");

    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let mut wrong = Vec::new();
        for r in 0..3 {
            for i in 0..KEYS {
                let key = format!("key:{i}");
                let port = regions.owner(r, slot_of(key.as_bytes()));
                let got = crate::get(port, &key);
                if got.as_deref() != Some("6") {
                    wrong.push((r + 1, key, got));
                }
            }
        }
        if wrong.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} keys still differ, e.g. {:?}",
            wrong.len(),
            &wrong[..wrong.len().min(5)]
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
