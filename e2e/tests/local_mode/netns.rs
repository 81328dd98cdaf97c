//! `--netns`, as root: each region a host of its own behind a WAN bridge. A region is cut
//! under a bounded write load in every region through a real Redis client that records each
//! acknowledged write; both sides keep taking writes; after `heal`, every region holds every
//! acknowledged write (the counter exactly their number) and every node the same digest.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use meridian_e2e::local::{LocalDb, local};
use redis::Value;

use crate::{CONVERGE, client, cmd, eventually, manifest, region};

/// Writes per writer at most, and the pause between two: a bounded load.
const MAX_WRITES: usize = 5000;
const PAUSE: Duration = Duration::from_millis(2);

struct Acked {
    incrs: u64,
    members: Vec<String>,
    errors: Vec<String>,
}

fn writer(addr: String, region: String, stop: Arc<AtomicBool>) -> Acked {
    let mut acked = Acked { incrs: 0, members: vec![], errors: vec![] };
    let mut c = match crate::conn(&addr) {
        Ok(c) => c,
        Err(e) => {
            acked.errors.push(e.to_string());
            return acked;
        }
    };
    for i in 0..MAX_WRITES {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        match redis::cmd("INCR").arg("c").query::<i64>(&mut c) {
            Ok(_) => acked.incrs += 1,
            Err(e) => acked.errors.push(e.to_string()),
        }
        let member = format!("{region}-{i}");
        match redis::cmd("SADD").arg("s").arg(&member).query::<i64>(&mut c) {
            Ok(_) => acked.members.push(member),
            Err(e) => acked.errors.push(e.to_string()),
        }
        thread::sleep(PAUSE);
    }
    acked
}

#[test]
fn a_region_cut_under_load_converges_with_every_acknowledged_write() -> meridian_e2e::Result<()> {
    assert!(rustix::process::geteuid().is_root(), "the --netns tests need root (CI runs as root)");
    let mut db = LocalDb::start("netns", &manifest("netns", 3, 1, 10), &["--netns"])?;
    let s = db.status()?;
    assert_eq!(s["netns"], true);
    let clients: Vec<(String, String)> = ["r1", "r2", "r3"].iter().map(|r| (r.to_string(), client(&s, r))).collect();
    for (_, addr) in &clients {
        assert!(addr.starts_with("10.213."), "{addr}: not the region's own address");
    }
    let dir = db.dir.display().to_string();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = clients
        .iter()
        .map(|(r, addr)| {
            let (addr, r, stop) = (addr.clone(), r.clone(), stop.clone());
            thread::spawn(move || writer(addr, r, stop))
        })
        .collect();
    thread::sleep(Duration::from_secs(1));
    let out = local(&["cut", "r1", "--dir", &dir], &[])?;
    assert!(out.status.success(), "{out:?}");
    // r1 loses its peers for real (the links time out), while every region keeps writing.
    db.wait(Duration::from_secs(20), "r1's peers stale", |s| {
        region(s, "r1")["cut"] == true
            && region(s, "r1")["peers"].as_array().is_some_and(|p| p.iter().all(|p| p["state"] != "partial-sync"))
    })?;
    let during = cmd(&clients[1].1, &["SCARD", "s"]);
    thread::sleep(Duration::from_secs(2));
    assert_eq!(cmd(&clients[0].1, &["SET", "cut-side", "r1"]).unwrap(), Value::Okay);
    assert_eq!(cmd(&clients[1].1, &["SET", "other-side", "r2"]).unwrap(), Value::Okay);
    let out = local(&["heal", "r1", "--dir", &dir], &[])?;
    assert!(out.status.success(), "{out:?}");
    db.wait(Duration::from_secs(60), "every peer in sync again", |s| s["ready"] == true)?;
    thread::sleep(Duration::from_secs(1));
    stop.store(true, Ordering::Relaxed);
    let acked: Vec<Acked> = writers.into_iter().map(|w| w.join().unwrap()).collect();
    let errors: Vec<&String> = acked.iter().flat_map(|a| &a.errors).collect();
    assert!(errors.is_empty(), "writes failed: {errors:?}");
    let incrs: u64 = acked.iter().map(|a| a.incrs).sum();
    let members: BTreeSet<&String> = acked.iter().flat_map(|a| &a.members).collect();
    assert!(incrs > 100, "too little load: {incrs}");
    assert!(matches!(during, Ok(Value::Int(_))), "{during:?}");
    for (name, addr) in &clients {
        eventually(&format!("{name}: c = {incrs}"), CONVERGE, || {
            matches!(cmd(addr, &["GET", "c"]), Ok(Value::BulkString(b)) if b == incrs.to_string().as_bytes())
                .then_some(())
        })?;
        // Each writer's last SADD follows its last INCR: wait for the set too.
        let smembers = || -> BTreeSet<String> {
            match cmd(addr, &["SMEMBERS", "s"]) {
                Ok(Value::Array(items)) => items
                    .into_iter()
                    .filter_map(|v| match v {
                        Value::BulkString(b) => Some(String::from_utf8_lossy(&b).to_string()),
                        _ => None,
                    })
                    .collect(),
                _ => BTreeSet::new(),
            }
        };
        let result = eventually(&format!("{name}: every acknowledged member"), CONVERGE, || {
            let got = smembers();
            members.iter().all(|m| got.contains(m.as_str())).then_some(got)
        });
        let got = match result {
            Ok(got) => got,
            Err(e) => {
                let got = smembers();
                let missing: Vec<&&String> = members.iter().filter(|m| !got.contains(m.as_str())).collect();
                panic!("{e}: {name} lacks {} acknowledged members: {missing:?}", missing.len());
            }
        };
        assert_eq!(got.len(), members.len(), "{name}");
        assert_eq!(crate::get(addr, "cut-side").as_deref(), Some("r1"));
        assert_eq!(crate::get(addr, "other-side").as_deref(), Some("r2"));
    }
    // Every node of every region: one digest.
    let s = db.status()?;
    let addrs: Vec<String> = s["regions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            r["shards"][0]["members"].as_array().unwrap().iter().map(|m| m["addr"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(addrs.len(), 6);
    eventually("one digest on all six nodes", CONVERGE, || {
        let digests: BTreeSet<String> = addrs
            .iter()
            .map(|a| {
                let mut c = crate::conn(a).ok()?;
                redis::cmd("MERIDIAN.DIGEST").query::<String>(&mut c).ok()
            })
            .collect::<Option<_>>()?;
        (digests.len() == 1).then_some(())
    })?;
    Ok(())
}
