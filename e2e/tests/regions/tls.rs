//! Mutual TLS between regions' syncers (`--tls-cert/--tls-key/--tls-ca`, what the operator
//! passes for `spec.tls`): regions whose certificates one CA signed converge over TLS; a
//! syncer with a certificate from another CA is refused both ways, and says why.

use std::time::{Duration, Instant};

use meridian_e2e::kube::{CertFiles, Pki, Usage};
use meridian_e2e::regions::Regions;

use crate::{CONVERGE, get, query};

fn peer_cert(pki: &Pki, name: &str) -> CertFiles {
    pki.issue(name, name, &[], Usage::Peer { dns: &["localhost"], ips: &["127.0.0.1"] }).unwrap()
}

fn tls_args(cert: &CertFiles, ca: &CertFiles) -> Vec<String> {
    vec![
        "--tls-cert".into(),
        cert.cert.display().to_string(),
        "--tls-key".into(),
        cert.key.display().to_string(),
        "--tls-ca".into(),
        ca.cert.display().to_string(),
    ]
}

#[test]
fn regions_converge_over_mutual_tls_and_refuse_a_foreign_ca() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::create(&dir.path().join("ours"), "meridian-test-ca").unwrap();
    let foreign = Pki::create(&dir.path().join("theirs"), "another-ca").unwrap();
    let mut regions = Regions::start(2, 1, 0).unwrap();
    for r in 0..2 {
        regions.regions[r].syncer_args = tls_args(&peer_cert(&pki, &format!("region-{r}")), pki.ca());
        regions.start_syncer(r).unwrap();
    }
    assert_eq!(query(regions.port(0, 0, 0), &["SET", "k", "over-tls"]), redis::Value::Okay);
    assert_eq!(query(regions.port(1, 0, 0), &["INCR", "n"]), redis::Value::Int(1));
    regions.wait_converged(CONVERGE).unwrap();
    assert_eq!(get(regions.port(1, 0, 0), "k").as_deref(), Some("over-tls"));
    assert_eq!(get(regions.port(0, 0, 0), "n").as_deref(), Some("1"));

    // Region 2 comes back with a certificate another CA signed: neither side accepts it.
    regions.regions[1].syncer_args = tls_args(&peer_cert(&foreign, "impostor"), foreign.ca());
    regions.start_syncer(1).unwrap();
    assert_eq!(query(regions.port(0, 0, 0), &["SET", "after", "1"]), redis::Value::Okay);
    let deadline = Instant::now() + CONVERGE;
    loop {
        let info = regions.syncer_info(1);
        if info.contains("state=stale") && info.to_lowercase().contains("certificate") {
            break;
        }
        assert!(Instant::now() < deadline, "region 2 never reported the refused certificate: {info}");
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(get(regions.port(1, 0, 0), "after"), None, "nothing crossed the refused link");
}
