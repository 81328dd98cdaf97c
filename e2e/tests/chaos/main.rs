//! Chaos runs on local mode with every region in its own network namespace (root): a write
//! load in every region, a seeded schedule of faults, then every acknowledged write checked
//! on every node and one digest per slot range. Each run prints its seed and where its report
//! is; `CHAOS_SEED=` replays one. docs/chaos.md says how to run longer ones and how to read
//! a report. Build the binaries first: `cargo build --workspace --bins`.

// A test binary: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use meridian_e2e::chaos::{self, Config, FaultKind, Report};

/// Runs `cfg`, prints where its report is, and fails with the report's text unless it passed.
fn run_and_judge(cfg: &Config, test: &str) -> Report {
    assert!(rustix::process::geteuid().is_root(), "chaos runs need root (network namespaces); CI runs as root");
    eprintln!("chaos seed: {} (replay: {})", cfg.seed, cfg.replay(test));
    let report = chaos::run(cfg, test).unwrap();
    println!("chaos report: {}", report.dir.display());
    eprintln!("{}", report.text());
    assert!(report.passed(), "chaos run failed (seed {}), report in {}", cfg.seed, report.dir.display());
    report
}

/// The bounded schedule: every fault kind once, in seeded order.
#[test]
fn every_fault_under_load_keeps_every_acknowledged_write() {
    let cfg = Config::from_env("ci");
    let report = run_and_judge(&cfg, "every_fault_under_load_keeps_every_acknowledged_write");
    // Each fault of the pass ran (or said why it could not) and the load was real.
    assert!(report.faults.len() >= cfg.rounds, "{} faults of {}", report.faults.len(), cfg.rounds);
    for kind in cfg.kinds.iter().take(cfg.rounds) {
        assert!(report.faults.iter().any(|f| f.kind == kind.name()), "{} never ran", kind.name());
    }
    for f in &report.faults {
        if f.skipped.is_none() {
            assert!(f.recovered_ms.is_some(), "fault #{} did not recover", f.index);
        } else {
            assert_eq!(f.kind, FaultKind::WanDelay.name(), "only the WAN delay may be skipped (no sch_netem)");
        }
    }
    assert!(report.verdict.verified > 1000, "too little load: {} writes verified", report.verdict.verified);
}
