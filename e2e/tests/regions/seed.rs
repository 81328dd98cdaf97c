//! The seed document's example: two regions write one key at t1, t2, t4, t6 with syncs at
//! t3 and t5; the reply of GET in both regions is asserted at every step.

use std::time::Duration;

use meridian_e2e::regions::Regions;

use crate::{CONVERGE, get};

#[test]
fn the_seed_example_reads_as_documented_at_every_step() {
    let regions = Regions::start(2, 1, 0).unwrap();
    let (r1, r2) = (regions.port(0, 0, 0), regions.port(1, 0, 0));
    regions.wait_converged(CONVERGE).unwrap();
    let both = |k: &str| (get(r1, k), get(r2, k));
    let some = |s: &str| Some(s.to_string());

    // Regions are apart until t3.
    regions.set_all_links(false);
    std::thread::sleep(Duration::from_millis(200));
    // t1: region 1 writes "a".
    assert_eq!(redis_set(r1, "a"), "OK");
    assert_eq!(both("key1"), (some("a"), None));
    std::thread::sleep(Duration::from_millis(5));
    // t2: region 2 writes "b", later than t1.
    assert_eq!(redis_set(r2, "b"), "OK");
    assert_eq!(both("key1"), (some("a"), some("b")));
    // t3: sync; the later write wins in both regions.
    regions.set_all_links(true);
    regions.wait_converged(CONVERGE).unwrap();
    assert_eq!(both("key1"), (some("b"), some("b")));
    // t4: region 1 writes "c" while apart.
    regions.set_all_links(false);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(redis_set(r1, "c"), "OK");
    assert_eq!(both("key1"), (some("c"), some("b")));
    // t5: sync.
    regions.set_all_links(true);
    regions.wait_converged(CONVERGE).unwrap();
    assert_eq!(both("key1"), (some("c"), some("c")));
    // t6: region 2 writes "d"; once synced, both read it.
    assert_eq!(redis_set(r2, "d"), "OK");
    assert_eq!(get(r2, "key1"), some("d"));
    regions.wait_converged(CONVERGE).unwrap();
    assert_eq!(both("key1"), (some("d"), some("d")));
}

fn redis_set(port: u16, value: &str) -> String {
    let mut c = crate::conn(port).unwrap();
    redis::cmd("SET").arg("key1").arg(value).query::<String>(&mut c).unwrap()
}
