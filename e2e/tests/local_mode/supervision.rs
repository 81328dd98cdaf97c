//! Supervision: a killed child is restarted (and catches up), a killed master's shard fails
//! over after the manifest's grace period with every acknowledged write, and the old master
//! comes back as the new master's replica.

use std::time::Duration;

use meridian_e2e::local::LocalDb;
use redis::Value;

use crate::{CONVERGE, client, cmd, eventually, get, get_replica, kill9, manifest, member, region};

#[test]
fn killed_children_come_back_and_catch_up() -> meridian_e2e::Result<()> {
    let mut db = LocalDb::start("restart", &manifest("restart", 2, 1, 10), &[])?;
    let s = db.status()?;
    let replica = member(&s, "r1", 0, 1)["process"]["pid"].as_u64().unwrap();
    let syncer = region(&s, "r2")["syncer"]["pid"].as_u64().unwrap();
    kill9(replica);
    kill9(syncer);
    db.wait(Duration::from_secs(30), "the replica and the syncer restarted", |s| {
        let m = member(s, "r1", 0, 1);
        let y = &region(s, "r2")["syncer"];
        m["process"]["restarts"] == 1
            && m["process"]["last_exit"] == "killed by signal 9"
            && m["process"]["pid"].as_u64().is_some_and(|p| p != replica)
            && y["restarts"] == 1
            && y["pid"].as_u64().is_some_and(|p| p != syncer)
            && s["ready"] == true
    })?;
    // The restarted replica follows its master again and the restarted syncer peers again.
    let s = db.status()?;
    assert_eq!(member(&s, "r1", 0, 1)["role"], "replica");
    assert_eq!(member(&s, "r1", 0, 1)["link_up"], true);
    assert_eq!(cmd(&client(&s, "r1"), &["INCR", "n"]).unwrap(), Value::Int(1));
    // (r1's increment may have reached r2 already: the regions peer again.)
    let on_r2 = cmd(&client(&s, "r2"), &["INCR", "n"]).unwrap();
    assert!(matches!(on_r2, Value::Int(1) | Value::Int(2)), "{on_r2:?}");
    let replica_addr = member(&s, "r1", 0, 1)["addr"].as_str().unwrap().to_string();
    eventually("the sum on the restarted replica", CONVERGE, || {
        (get_replica(&replica_addr, "n").as_deref() == Some("2")).then_some(())
    })?;
    Ok(())
}

#[test]
fn a_killed_master_fails_over_after_the_grace_period_with_its_data() -> meridian_e2e::Result<()> {
    let mut db = LocalDb::start("failover", &manifest("failover", 2, 2, 2), &[])?;
    let s = db.status()?;
    let master = client(&s, "r1");
    for i in 0..50 {
        assert_eq!(cmd(&master, &["SET", &format!("k{i}"), &format!("v{i}")]).unwrap(), Value::Okay);
    }
    assert_eq!(cmd(&master, &["INCRBY", "c", "50"]).unwrap(), Value::Int(50));
    // Both replicas hold every write before the master dies.
    for o in [1, 2] {
        let addr = member(&s, "r1", 0, o)["addr"].as_str().unwrap().to_string();
        eventually("replicated", CONVERGE, || (get_replica(&addr, "c").as_deref() == Some("50")).then_some(()))?;
    }
    let pid = member(&s, "r1", 0, 0)["process"]["pid"].as_u64().unwrap();
    kill9(pid);
    db.wait(Duration::from_secs(30), "a replica took over", |s| {
        let shard = &region(s, "r1")["shards"][0];
        shard["master"].as_u64().is_some_and(|m| m != 0)
            && shard["state"].as_str().is_some_and(|t| t.starts_with("master"))
    })?;
    db.wait(Duration::from_secs(30), "the old master back as a replica", |s| {
        member(s, "r1", 0, 0)["role"] == "replica" && member(s, "r1", 0, 0)["link_up"] == true && s["ready"] == true
    })?;
    let s = db.status()?;
    let events = s["events"].as_array().unwrap().iter().map(|e| e.as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert!(
        events.iter().any(|e| e.contains("took over: the master was down for longer than the grace period")),
        "{events:#?}"
    );
    let new_master = client(&s, "r1");
    assert_ne!(new_master, master);
    for i in 0..50 {
        let key = format!("k{i}");
        // The raw reply on a mismatch: a refusal (MOVED, READONLY) reads differently from a loss.
        assert_eq!(get(&new_master, &key), Some(format!("v{i}")), "{key}: {:?}", cmd(&new_master, &["GET", &key]));
    }
    assert_eq!(get(&new_master, "c").as_deref(), Some("50"));
    assert_eq!(cmd(&new_master, &["INCR", "c"]).unwrap(), Value::Int(51));
    // The old master, back empty, resynced from the new one.
    eventually("the old master has the data", CONVERGE, || {
        (get_replica(&master, "c").as_deref() == Some("51")).then_some(())
    })?;
    // And the other region got it all too.
    eventually("r2 converged", CONVERGE, || (get(&client(&s, "r2"), "c").as_deref() == Some("51")).then_some(()))?;
    assert_eq!(get(&client(&s, "r2"), "k49").as_deref(), Some("v49"));
    Ok(())
}
