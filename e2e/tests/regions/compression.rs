//! Cross-region stream compression is the receiving syncer's choice (`--peer-compression`):
//! the sending syncer compresses with what it is asked for, and the proxies in between count
//! what actually crosses the wire.

use meridian_e2e::regions::Regions;

use crate::{CONVERGE, query};

const KEYS: usize = 300;
const VALUE_BYTES: usize = 2000;

fn value(i: usize) -> String {
    format!("{i:08}").repeat(VALUE_BYTES / 8)
}

fn received_from(regions: &Regions, r: usize, peer: u8) -> u64 {
    regions.regions[r].links.iter().filter(|(p, _)| *p == peer).map(|(_, proxy)| proxy.received()).sum()
}

#[test]
fn each_syncer_gets_its_peers_streams_compressed_as_it_asked() {
    let mut regions = Regions::start(3, 1, 0).unwrap();
    regions.regions[0].syncer_args = vec!["--peer-compression".into(), "gzip".into()];
    regions.regions[1].syncer_args = vec!["--peer-compression".into(), "zstd".into()];
    regions.start_syncer(0).unwrap();
    regions.start_syncer(1).unwrap();
    let before = [received_from(&regions, 1, 1), received_from(&regions, 2, 1), received_from(&regions, 0, 3)];

    for i in 0..KEYS {
        let v = value(i);
        assert_eq!(query(regions.port(0, 0, 0), &["SET", &format!("from1:{i}"), &v]), redis::Value::Okay);
        assert_eq!(query(regions.port(2, 0, 0), &["SET", &format!("from3:{i}"), &v]), redis::Value::Okay);
    }
    regions.wait_converged(CONVERGE).unwrap();
    assert_eq!(crate::get(regions.port(1, 0, 0), "from1:7"), Some(value(7)));
    assert_eq!(crate::get(regions.port(0, 0, 0), "from3:7"), Some(value(7)));

    let raw = (KEYS * VALUE_BYTES) as u64;
    let plain = received_from(&regions, 2, 1) - before[1];
    let zstd = received_from(&regions, 1, 1) - before[0];
    let gzip = received_from(&regions, 0, 3) - before[2];
    assert!(plain >= raw, "region 3 asked for no compression and got {plain} bytes for {raw} of values");
    assert!(zstd < raw / 4, "region 2 asked for zstd and got {zstd} bytes for {raw} of values");
    assert!(gzip < raw / 4, "region 1 asked for gzip and got {gzip} bytes for {raw} of values");
}
