//! A changed manifest is applied as a diff, as the operator would: a re-run on the running
//! directory adds replicas, SIGHUP after an edit adds a region, which gets the data written
//! before it existed from its peers. Nothing that runs is restarted needlessly.

use std::time::Duration;

use meridian_e2e::local::{LocalDb, local};
use redis::Value;

use crate::{CONVERGE, client, cmd, eventually, get, manifest, member, region};

#[test]
fn replicas_and_a_region_are_added_to_a_running_database() -> meridian_e2e::Result<()> {
    let mut db = LocalDb::start("diff", &manifest("diff", 2, 0, 10), &[])?;
    let s = db.status()?;
    let master_pid = member(&s, "r1", 0, 0)["process"]["pid"].as_u64().unwrap();
    assert_eq!(region(&s, "r1")["shards"][0]["members"].as_array().unwrap().len(), 1);
    assert_eq!(cmd(&client(&s, "r1"), &["SADD", "s", "before"]).unwrap(), Value::Int(1));

    // A re-run with one replica per shard: handed to the running supervisor.
    std::fs::write(&db.manifest, manifest("diff", 2, 1, 10)).unwrap();
    let (file, dir) = (db.manifest.display().to_string(), db.dir.display().to_string());
    let base = db.base.to_string();
    let out = local(&[&file, "--dir", &dir, "--port-base", &base, "--ports-per-region", "100"], &[])?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        stdout.contains("r1 shard 0: 1 → 2 datanodes") && stdout.contains("r2 shard 0: 1 → 2 datanodes"),
        "{stdout}"
    );
    db.wait(Duration::from_secs(60), "two members per shard, ready", |s| {
        s["ready"] == true && member(s, "r1", 0, 1)["role"] == "replica" && member(s, "r2", 0, 1)["role"] == "replica"
    })?;
    let s = db.status()?;
    assert_eq!(member(&s, "r1", 0, 0)["process"]["pid"].as_u64(), Some(master_pid), "the master was restarted");
    let replica = member(&s, "r1", 0, 1)["addr"].as_str().unwrap().to_string();
    eventually("the new replica has the data", CONVERGE, || {
        let mut c = crate::conn(&replica).ok()?;
        redis::cmd("READONLY").query::<()>(&mut c).ok()?;
        let n: i64 = redis::cmd("SISMEMBER").arg("s").arg("before").query(&mut c).ok()?;
        (n == 1).then_some(())
    })?;

    // An edit and SIGHUP: a third region.
    std::fs::write(&db.manifest, manifest("diff", 3, 1, 10)).unwrap();
    let pid = rustix::process::Pid::from_raw(db.pid().unwrap() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::HUP).unwrap();
    db.wait(Duration::from_secs(60), "three regions, ready", |s| {
        s["regions"].as_array().is_some_and(|r| r.len() == 3) && s["ready"] == true
    })?;
    let s = db.status()?;
    assert_eq!(region(&s, "r1")["peers"].as_array().unwrap().len(), 2);
    let r3 = client(&s, "r3");
    eventually("r3 got the old write from its peers", CONVERGE, || {
        matches!(cmd(&r3, &["SISMEMBER", "s", "before"]), Ok(Value::Int(1))).then_some(())
    })?;
    assert_eq!(cmd(&r3, &["SADD", "s", "from-r3"]).unwrap(), Value::Int(1));
    for r in ["r1", "r2"] {
        eventually("r3's write everywhere", CONVERGE, || {
            matches!(cmd(&client(&s, r), &["SCARD", "s"]), Ok(Value::Int(2))).then_some(())
        })?;
    }
    assert!(get(&r3, "missing").is_none());
    // The same manifest again: nothing to do.
    let out = local(&[&file, "--dir", &dir, "--port-base", &base, "--ports-per-region", "100"], &[])?;
    assert!(String::from_utf8_lossy(&out.stdout).contains(": no change"), "{out:?}");
    Ok(())
}
