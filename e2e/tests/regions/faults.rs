//! Concurrent writers in every region while links are cut and restored, a syncer is
//! killed with SIGKILL and restarted, a master is frozen with SIGSTOP, and a replica is
//! killed and restarted. Afterwards every node holds exactly what was acknowledged.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use meridian_e2e::regions::Regions;

use crate::{CONVERGE, conn};

/// What one writer had acknowledged.
#[derive(Default)]
struct Acked {
    increments: i64,
    members: BTreeSet<String>,
    fields: BTreeSet<String>,
}

/// Writes until told to stop, recording only what the server acknowledged. A write that
/// failed (connection cut by a fault) may or may not have happened: it is not counted, and
/// the checks below allow for it.
fn writer(port: u16, region: usize, stop: Arc<AtomicBool>) -> (Acked, i64) {
    let mut acked = Acked::default();
    let mut attempted = 0i64;
    let mut c = None;
    let mut i = 0u64;
    // Bounded: at most this many rounds, whatever the timing.
    while !stop.load(Ordering::Relaxed) && i < 20_000 {
        i += 1;
        if c.is_none() {
            c = conn(port).ok();
            if c.is_none() {
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
        }
        let Some(con) = c.as_mut() else { continue };
        let member = format!("r{region}-m{i}");
        let field = format!("r{region}-f{i}");
        attempted += 1;
        let ok = redis::cmd("INCRBY").arg("counter").arg(3).query::<i64>(con).is_ok();
        if ok {
            acked.increments += 3;
        }
        let added = redis::cmd("SADD").arg("members").arg(&member).query::<i64>(con).is_ok();
        if added {
            acked.members.insert(member);
        }
        let set = redis::cmd("HSET").arg("fields").arg(&field).arg(i).query::<i64>(con).is_ok();
        if set {
            acked.fields.insert(field);
        }
        if !(ok && added && set) {
            c = None;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    (acked, attempted * 3)
}

#[test]
fn concurrent_writes_converge_exactly_through_cuts_kills_and_stops() {
    let mut regions = Regions::start(3, 1, 1).unwrap();
    regions.wait_converged(CONVERGE).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..3)
        .map(|r| {
            let port = regions.port(r, 0, 0);
            let stop = stop.clone();
            std::thread::spawn(move || writer(port, r, stop))
        })
        .collect();
    let pause = |ms| std::thread::sleep(Duration::from_millis(ms));
    pause(500);
    // Partition region 1 from 2, then region 3 from everyone.
    regions.set_link(0, 1, false);
    pause(700);
    regions.set_link(0, 2, false);
    regions.set_link(1, 2, false);
    pause(700);
    regions.set_all_links(true);
    pause(300);
    // Kill region 2's syncer outright and bring it back.
    regions.regions[1].syncer = None;
    pause(500);
    regions.start_syncer(1).unwrap();
    pause(300);
    // Freeze region 3's syncer, then let it go.
    if let Some(p) = &regions.regions[2].syncer {
        p.signal("STOP");
    }
    pause(700);
    if let Some(p) = &regions.regions[2].syncer {
        p.signal("CONT");
    }
    // Kill a replica; it comes back empty and full-syncs from its master.
    regions.regions[0].shards[0][1].process = None;
    pause(400);
    let master = regions.port(0, 0, 0);
    regions.start_node(0, 0, 1, Some(master)).unwrap();
    pause(500);
    stop.store(true, Ordering::Relaxed);
    let results: Vec<(Acked, i64)> = writers.into_iter().map(|w| w.join().unwrap()).collect();

    regions.wait_converged(CONVERGE).unwrap();
    let acked_total: i64 = results.iter().map(|(a, _)| a.increments).sum();
    let attempted_total: i64 = results.iter().map(|(_, t)| *t).sum();
    let members: BTreeSet<String> = results.iter().flat_map(|(a, _)| a.members.iter().cloned()).collect();
    let fields: BTreeSet<String> = results.iter().flat_map(|(a, _)| a.fields.iter().cloned()).collect();
    assert!(acked_total > 300, "the writers got work done: {acked_total}");
    for r in 0..3 {
        for n in 0..2 {
            let port = regions.port(r, 0, n);
            let mut c = conn(port).unwrap();
            let counter: i64 = redis::cmd("GET").arg("counter").query(&mut c).unwrap();
            // Every acknowledged increment counts once; an unacknowledged one may have landed.
            assert!(
                counter >= acked_total && counter <= attempted_total,
                "region {} node {n}: counter {counter}, acknowledged {acked_total}, attempted {attempted_total}",
                r + 1
            );
            let got: BTreeSet<String> = redis::cmd("SMEMBERS").arg("members").query(&mut c).unwrap();
            assert!(got.is_superset(&members), "region {} node {n} lost set members", r + 1);
            let keys: BTreeSet<String> = redis::cmd("HKEYS").arg("fields").query(&mut c).unwrap();
            assert!(keys.is_superset(&fields), "region {} node {n} lost hash fields", r + 1);
        }
    }
    // Every node agrees exactly.
    let first: i64 = redis::cmd("GET").arg("counter").query(&mut conn(regions.port(0, 0, 0)).unwrap()).unwrap();
    for r in 0..3 {
        let c: i64 = redis::cmd("GET").arg("counter").query(&mut conn(regions.port(r, 0, 0)).unwrap()).unwrap();
        assert_eq!(c, first);
    }
    let info = regions.syncer_info(0);
    assert!(info.contains("peer_2:") && info.contains("peer_3:"), "{info}");
    assert!(info.contains("state=partial-sync"), "{info}");
}
