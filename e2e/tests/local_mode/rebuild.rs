//! `local rebuild REGION SHARD`: every member of the shard is replaced in turn (replicas
//! first, then the master's role moves, then the old master goes), each refilled by a full
//! sync, while a client keeps writing to whichever member is master; every acknowledged write
//! is there at the end and the regions converge. A shard the region does not have is refused.

use std::time::{Duration, Instant};

use meridian_e2e::local::local;
use redis::Value;

use crate::{CONVERGE, client, cmd, eventually, get, manifest, member, region};

/// The longest a writer may go without an acknowledged write while the shard is rebuilt.
const MAX_WRITE_GAP: Duration = Duration::from_secs(5);

#[test]
fn a_rebuilt_shard_replaces_every_member_and_keeps_every_acknowledged_write() -> meridian_e2e::Result<()> {
    let db = meridian_e2e::local::LocalDb::start("rebuild", &manifest("rebuild", 2, 1, 2), &[])?;
    let s = db.status()?;
    for i in 0..50 {
        assert_eq!(cmd(&client(&s, "r1"), &["SET", &format!("k{i}"), &format!("v{i}")]).unwrap(), Value::Okay);
    }
    assert_eq!(cmd(&client(&s, "r2"), &["INCRBY", "c", "1000"]).unwrap(), Value::Int(1000));
    let pids: Vec<u64> = (0..2).map(|o| member(&s, "r1", 0, o)["process"]["pid"].as_u64().unwrap()).collect();
    let dir = db.path().display().to_string();

    let refused = local(&["rebuild", "r1", "5", "--dir", &dir], &[])?;
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("region r1 has 1 shard(s), 0 to 0: there is no shard 5"), "{stderr}");
    let refused = local(&["rebuild", "nowhere", "0", "--dir", &dir], &[])?;
    assert!(String::from_utf8_lossy(&refused.stderr).contains("no region \"nowhere\" (regions: r1, r2)"));

    let out = local(&["rebuild", "r1", "0", "--dir", &dir], &[])?;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("rebuilding shard 0 of region r1"));

    // A client writing to whichever member the status names master, until the rebuild ends.
    let (mut acked, mut longest_gap, mut last_ack) = (0i64, Duration::ZERO, Instant::now());
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let s = db.status()?;
        for _ in 0..20 {
            match cmd(&client(&s, "r1"), &["INCR", "c"]) {
                Ok(Value::Int(_)) => {
                    acked += 1;
                    longest_gap = longest_gap.max(last_ack.elapsed());
                    last_ack = Instant::now();
                }
                _ => break,
            }
        }
        let events: Vec<String> =
            s["events"].as_array().unwrap().iter().map(|e| e.as_str().unwrap_or_default().to_string()).collect();
        if events.iter().any(|e| e.contains("r1 shard 0: rebuilt, every member replaced and in sync"))
            && s["ready"] == true
        {
            break;
        }
        assert!(Instant::now() < deadline, "the rebuild did not finish: {events:#?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(acked >= 10, "only {acked} writes were acknowledged during the rebuild");
    assert!(longest_gap < MAX_WRITE_GAP, "writes stopped for {longest_gap:?} during the rebuild");

    let s = db.status()?;
    for o in 0..2 {
        let pid = member(&s, "r1", 0, o)["process"]["pid"].as_u64().unwrap();
        assert!(!pids.contains(&pid), "member {o} was replaced: {pids:?} -> {pid}");
    }
    let events = s["events"].to_string();
    assert!(events.contains("took over (switchover)"), "the master's role moved first: {events}");
    let master = client(&s, "r1");
    for i in 0..50 {
        assert_eq!(get(&master, &format!("k{i}")), Some(format!("v{i}")), "k{i}");
    }
    let total = (1000 + acked).to_string();
    assert_eq!(get(&master, "c"), Some(total.clone()));
    eventually("the other region converged", CONVERGE, || {
        (get(&client(&s, "r2"), "c").as_deref() == Some(total.as_str())).then_some(())
    })?;
    // Digests are taken every few passes: a status from before r2 caught up may still differ.
    eventually("r1's and r2's digests of shard 0 agree", CONVERGE, || {
        let s = db.status().ok()?;
        (region(&s, "r1")["shards"][0]["digest_match"] == true).then_some(())
    })?;
    Ok(())
}
