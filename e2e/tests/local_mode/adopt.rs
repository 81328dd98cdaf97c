//! A supervisor killed with SIGKILL loses nothing, as a Kubernetes control plane that dies
//! leaves its Pods running: the children go on serving, a re-run on the directory adopts them
//! (the same pids, no duplicates, the data still there), a supervisor killed while a master's
//! failover is pending is replaced by one that finishes the failover with every write, and
//! `local stop` stops what a killed supervisor left even when no supervisor runs.

use std::collections::BTreeSet;
use std::time::Duration;

use meridian_e2e::local::{LocalDb, local, processes_using};
use meridian_operator::local::child::Identity;
use redis::Value;
use serde_json::Value as Json;

use crate::{CONVERGE, client, cmd, eventually, get, get_replica, kill9, manifest, member, region};

/// Every datanode's and syncer's pid in a status.
fn child_pids(s: &Json) -> BTreeSet<u64> {
    let mut pids = BTreeSet::new();
    for r in s["regions"].as_array().unwrap() {
        pids.insert(r["syncer"]["pid"].as_u64().unwrap());
        for sh in r["shards"].as_array().unwrap() {
            for m in sh["members"].as_array().unwrap() {
                if let Some(p) = m["process"]["pid"].as_u64() {
                    pids.insert(p);
                }
            }
        }
    }
    pids
}

fn running(pid: u64) -> bool {
    Identity::of(pid as u32).is_some()
}

#[test]
fn a_killed_supervisor_is_replaced_without_losing_a_process_or_a_write() -> meridian_e2e::Result<()> {
    let mut db = LocalDb::start("adopt", &manifest("adopt", 2, 1, 2), &[])?;
    let s = db.status()?;
    let r1 = client(&s, "r1");
    for i in 0..50 {
        assert_eq!(cmd(&r1, &["SET", &format!("k{i}"), &format!("v{i}")]).unwrap(), Value::Okay);
    }
    assert_eq!(cmd(&r1, &["INCRBY", "c", "50"]).unwrap(), Value::Int(50));
    let replica = member(&s, "r1", 0, 1)["addr"].as_str().unwrap().to_string();
    eventually("replicated", CONVERGE, || (get_replica(&replica, "c").as_deref() == Some("50")).then_some(()))?;
    let before = child_pids(&s);
    assert_eq!(before.len(), 6, "{before:?}");

    // kill -9 of the supervisor: every child goes on running and serving.
    db.kill_supervisor();
    std::thread::sleep(Duration::from_millis(500));
    for p in &before {
        assert!(running(*p), "pid {p} died with its supervisor");
    }
    assert_eq!(get(&r1, "k49").as_deref(), Some("v49"));
    let dir = db.dir.display().to_string();
    assert!(!local(&["status", &dir, "--json"], &[])?.status.success(), "no supervisor answers");

    // A re-run adopts every child: the same pids, nothing started twice, the data there.
    db.rerun()?;
    let s = db.status()?;
    assert_eq!(child_pids(&s), before, "the re-run did not adopt the children");
    let events: Vec<&str> = s["events"].as_array().unwrap().iter().filter_map(|e| e.as_str()).collect();
    assert!(events.iter().any(|e| e.contains("adopted 6 process(es)")), "{events:#?}");
    // The six children and the supervisor, nothing else.
    assert_eq!(processes_using(&db.dir).len(), 7, "{:?}", processes_using(&db.dir));
    assert_eq!(get(&client(&s, "r1"), "k49").as_deref(), Some("v49"));
    assert_eq!(cmd(&client(&s, "r1"), &["INCR", "c"]).unwrap(), Value::Int(51));
    // (Replication is asynchronous: the master dies below only once its replica has it.)
    eventually("replicated", CONVERGE, || (get_replica(&replica, "c").as_deref() == Some("51")).then_some(()))?;

    // kill -9 of r1's master, then of the supervisor while the failover waits out its grace
    // period: the next supervisor holds the dead master (it would come back empty) and
    // promotes the replica, with every write.
    let master = member(&s, "r1", 0, 0)["process"]["pid"].as_u64().unwrap();
    kill9(master);
    db.wait(Duration::from_secs(20), "the failover pending", |s| {
        region(s, "r1")["shards"][0]["state"].as_str().is_some_and(|t| t.contains("failover in"))
    })?;
    db.kill_supervisor();
    db.rerun()?;
    let s = db.status()?;
    let shard = &region(&s, "r1")["shards"][0];
    assert_eq!(shard["master"], 1, "{shard:#}");
    assert_eq!(member(&s, "r1", 0, 0)["role"], "replica");
    let new_master = client(&s, "r1");
    assert_ne!(new_master, r1);
    // The raw reply on a mismatch: a refusal (MOVED, READONLY) reads differently from a loss.
    assert_eq!(get(&new_master, "k0").as_deref(), Some("v0"), "{:?}", cmd(&new_master, &["GET", "k0"]));
    assert_eq!(cmd(&new_master, &["INCR", "c"]).unwrap(), Value::Int(52));
    eventually("r2 converged", CONVERGE, || (get(&client(&s, "r2"), "c").as_deref() == Some("52")).then_some(()))?;
    eventually("the old master resynced", CONVERGE, || (get_replica(&r1, "c").as_deref() == Some("52")).then_some(()))?;

    // kill -9 once more, then `local stop` with no supervisor: nothing is left.
    db.kill_supervisor();
    let left = processes_using(&db.dir);
    assert_eq!(left.len(), 6, "{left:?}");
    let out = local(&["stop", &dir], &[])?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("6 process(es) left running by a killed supervisor"), "{stdout}");
    assert_eq!(processes_using(&db.dir), Vec::<u32>::new());
    assert!(!db.dir.join("children.json").exists());
    Ok(())
}
