//! What a chaos run does: the seed, how many faults of which kinds, the load, the database's
//! shape. The test builds the bounded CI run; the environment stretches it by hand:
//! `CHAOS_SEED` replays a run, `CHAOS_ROUNDS` sets the number of faults, `CHAOS_SECONDS`
//! keeps adding faults until that much time has passed, `CHAOS_REPORT_DIR` says where reports
//! go, `CHAOS_HOLD` keeps a run that did not converge alive for inspection.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::schedule::FaultKind;

#[derive(Clone, Debug)]
pub struct Config {
    /// Names the state directory and the report.
    pub name: String,
    pub seed: u64,
    /// Faults at least (the first pass over `kinds` has each kind once).
    pub rounds: usize,
    /// Go on drawing faults until this long since the load started.
    pub seconds: Option<u64>,
    pub kinds: Vec<FaultKind>,
    /// Shards per region (regions r1, r2, ... with ids 1, 2, ...).
    pub shards: Vec<u32>,
    pub replicas: u32,
    pub grace_seconds: u32,
    pub writers_per_region: u32,
    /// Between two writes of one writer.
    pub pause: Duration,
    /// How long each fault lasts, drawn between the two (ms).
    pub hold_ms: (u64, u64),
    /// Where the run's report directory is made.
    pub report_root: PathBuf,
    /// A run that did not converge keeps its processes until its `HOLD` file is removed.
    pub hold: bool,
}

fn env<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

impl Config {
    /// The bounded run: every fault kind once; three regions (one of two shards), one replica per shard, a
    /// grace period of 2 s; the environment overrides seed, rounds and time.
    pub fn from_env(name: &str) -> Config {
        let seed = env("CHAOS_SEED").unwrap_or_else(|| {
            let t = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
            (t.as_nanos() as u64) ^ u64::from(std::process::id()).rotate_left(32)
        });
        let kinds: Vec<FaultKind> = FaultKind::ALL.to_vec();
        // One pass: every kind once, in a seeded order (longer runs: `CHAOS_ROUNDS`).
        let rounds = env("CHAOS_ROUNDS").unwrap_or(kinds.len());
        Config {
            name: name.to_string(),
            seed,
            rounds,
            seconds: env("CHAOS_SECONDS"),
            kinds,
            shards: vec![1, 1, 2],
            replicas: 1,
            grace_seconds: 2,
            writers_per_region: 2,
            pause: Duration::from_millis(10),
            hold_ms: (1000, 3000),
            report_root: env::<String>("CHAOS_REPORT_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| std::env::temp_dir().join("meridian-chaos")),
            hold: std::env::var_os("CHAOS_HOLD").is_some(),
        }
    }

    /// The manifest: regions r1.. with ids 1.., `shards[i]` shards each.
    pub fn manifest(&self) -> String {
        let mut text = format!(
            "apiVersion: meridian.io/v1alpha1\nkind: ActiveActiveDatabase\nmetadata:\n  name: {}\nspec:\n  replicas: {}\n  failoverGracePeriodSeconds: {}\n  regions:\n",
            self.name, self.replicas, self.grace_seconds
        );
        for (i, shards) in self.shards.iter().enumerate() {
            let id = i + 1;
            text.push_str(&format!(
                "    - {{name: r{id}, id: {id}, peerEndpoint: \"r{id}.example:7700\", shards: {shards}}}\n"
            ));
        }
        text
    }

    /// The command that replays this run.
    pub fn replay(&self, test: &str) -> String {
        let mut line = format!("CHAOS_SEED={} CHAOS_ROUNDS={}", self.seed, self.rounds);
        if let Some(s) = self.seconds {
            line.push_str(&format!(" CHAOS_SECONDS={s}"));
        }
        format!("{line} cargo test -p meridian-e2e --test chaos -- {test} --nocapture")
    }
}
