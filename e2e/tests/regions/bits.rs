//! Bitmaps and HyperLogLog across two regions (SEMANTICS.md §2 and §7): concurrent PFADDs
//! converge to the union with identical bytes everywhere, a DEL wins over a concurrent PFADD,
//! and concurrent SETBITs resolve as one register (the later whole value wins).

use std::time::Duration;

use meridian_e2e::regions::Regions;
use redis::Value;

use crate::{CONVERGE, conn, query};

fn bytes(port: u16, key: &str) -> Option<Vec<u8>> {
    let mut c = conn(port).unwrap();
    redis::cmd("GET").arg(key).query::<Option<Vec<u8>>>(&mut c).unwrap()
}

fn pfadd(port: u16, key: &str, elements: &[String]) -> i64 {
    let mut c = conn(port).unwrap();
    redis::cmd("PFADD").arg(key).arg(elements).query::<i64>(&mut c).unwrap()
}

fn int(port: u16, args: &[&str]) -> i64 {
    match query(port, args) {
        Value::Int(n) => n,
        other => panic!("{args:?} on {port}: {other:?}"),
    }
}

/// Two regions apart, each adding its own elements (some shared) to one HLL.
#[test]
fn concurrent_pfadds_converge_to_the_union_with_identical_bytes() {
    let regions = Regions::start(2, 1, 0).unwrap();
    let (r1, r2) = (regions.port(0, 0, 0), regions.port(1, 0, 0));
    regions.wait_converged(CONVERGE).unwrap();
    let east: Vec<String> = (0..150).map(|i| format!("e{i}")).collect();
    let west: Vec<String> = (100..400).map(|i| format!("e{i}")).collect();

    regions.set_all_links(false);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(pfadd(r1, "visitors", &east), 1);
    assert_eq!(pfadd(r2, "visitors", &west), 1);
    // Each region answers on its own state meanwhile.
    let (c1, c2) = (int(r1, &["PFCOUNT", "visitors"]), int(r2, &["PFCOUNT", "visitors"]));
    assert!((145..=155).contains(&c1), "east alone: {c1}");
    assert!((290..=310).contains(&c2), "west alone: {c2}");

    regions.set_all_links(true);
    regions.wait_converged(CONVERGE).unwrap();
    let merged = bytes(r1, "visitors").expect("present");
    assert_eq!(bytes(r2, "visitors").as_ref(), Some(&merged), "identical bytes in both regions");
    assert!(merged.starts_with(b"HYLL"));

    // The union is what one PFADD of every element gives.
    let mut all = east.clone();
    all.extend(west.iter().cloned());
    pfadd(r1, "reference", &all);
    let want = int(r1, &["PFCOUNT", "reference"]);
    assert!((390..=410).contains(&want), "reference {want}");
    assert_eq!(int(r1, &["PFCOUNT", "visitors", "reference"]), want, "same registers as the reference");
    assert_eq!(int(r1, &["PFCOUNT", "visitors"]), want);
    assert_eq!(int(r2, &["PFCOUNT", "visitors"]), want);
    // PFCOUNT refreshed the cached cardinality (a write, as in Redis): still one value.
    regions.wait_converged(CONVERGE).unwrap();
    assert_eq!(bytes(r1, "visitors"), bytes(r2, "visitors"));
}

/// DEL in one region, PFADD of the same key in the other while apart: deleted everywhere.
#[test]
fn del_wins_over_a_concurrent_pfadd() {
    let regions = Regions::start(2, 1, 0).unwrap();
    let (r1, r2) = (regions.port(0, 0, 0), regions.port(1, 0, 0));
    pfadd(r1, "h", &["a".to_string()]);
    regions.wait_converged(CONVERGE).unwrap();
    assert_eq!(int(r2, &["PFCOUNT", "h"]), 1);
    regions.wait_converged(CONVERGE).unwrap();

    regions.set_all_links(false);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(int(r1, &["DEL", "h"]), 1);
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(pfadd(r2, "h", &["b".to_string(), "c".to_string()]), 1);
    assert_eq!(int(r2, &["PFCOUNT", "h"]), 3);

    regions.set_all_links(true);
    regions.wait_converged(CONVERGE).unwrap();
    for port in [r1, r2] {
        assert_eq!(int(port, &["EXISTS", "h"]), 0, "deleted in region on {port}");
        assert_eq!(bytes(port, "h"), None);
    }
    // A PFADD after the delete was seen starts a fresh HLL, everywhere.
    assert_eq!(pfadd(r2, "h", &["d".to_string()]), 1);
    regions.wait_converged(CONVERGE).unwrap();
    assert_eq!(int(r1, &["PFCOUNT", "h"]), 1);
}

/// Concurrent SETBITs rewrite the same string: the later whole value wins, the other
/// region's bit is gone (SEMANTICS.md §2: bitfields are LWW bytes).
#[test]
fn concurrent_setbits_resolve_as_one_register() {
    let regions = Regions::start(2, 1, 0).unwrap();
    let (r1, r2) = (regions.port(0, 0, 0), regions.port(1, 0, 0));
    assert_eq!(int(r1, &["SETBIT", "flags", "0", "1"]), 0);
    regions.wait_converged(CONVERGE).unwrap();

    regions.set_all_links(false);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(int(r1, &["SETBIT", "flags", "3", "1"]), 0);
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(int(r2, &["SETBIT", "flags", "10", "1"]), 0);
    assert_eq!(bytes(r1, "flags"), Some(vec![0b1001_0000]));
    assert_eq!(bytes(r2, "flags"), Some(vec![0b1000_0000, 0b0010_0000]));

    regions.set_all_links(true);
    regions.wait_converged(CONVERGE).unwrap();
    for port in [r1, r2] {
        assert_eq!(bytes(port, "flags"), Some(vec![0b1000_0000, 0b0010_0000]), "region 2's later value on {port}");
        assert_eq!(int(port, &["GETBIT", "flags", "3"]), 0);
        assert_eq!(int(port, &["BITCOUNT", "flags"]), 2);
    }
}
