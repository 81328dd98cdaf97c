//! Deterministic simulation of replication inside and across regions, driving the code that
//! ships: three regions whose slots are split over 1, 2 and 3 shards at seeded points, each
//! shard a (master, replica) pair of datanode `Node`s, each region's syncer its real
//! `PeerLink`s and the Peer service's planning and tagging (see `net`). Random writes of
//! every type (and MULTI transactions), link cuts, streams interleaved, lost replies,
//! crashes of any node (the replica is promoted), split brain (an isolated master keeps
//! taking writes, then rejoins), syncer crashes, a 6 KiB backlog that overruns constantly.
//! After healing, every region holds the same data key by key, each replica its master's
//! exact state, and every acknowledged write that any surviving node had seen is there
//! exactly once.
//!
//! `SIM_SEEDS=n` runs n seeds (default 1000, what CI runs); `SIM_LONG=1` runs 100,000;
//! `SIM_SEED=s` replays one. A failure prints its seed. Seeds run on every core.

// A test binary: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod check;
mod net;
mod workload;
mod world;

use rand::Rng;
use workload::{Ack, mark_lost, write};
use world::World;

const STEPS: u64 = 1200;
/// Seeds per run: CI's default, and the long mode's.
const SEEDS: u64 = 1000;
const LONG_SEEDS: u64 = 100_000;

pub struct Outcome {
    pub acked: usize,
    pub lost: usize,
    pub full_syncs: usize,
}

fn run(seed: u64) -> Result<Outcome, String> {
    let mut w = World::new(seed, 3);
    let mut acks: Vec<Ack> = Vec::new();
    let n = w.regions.len();
    for step in 0..STEPS {
        let r = w.rng.gen_range(0..n);
        let p = (r + w.rng.gen_range(1..n)) % n;
        let g = w.rng.gen_range(0..w.regions[r].groups.len());
        match w.rng.gen_range(0..1000) {
            0..=499 => write(&mut w, &mut acks, r, step),
            500..=649 => {
                let max = w.rng.gen_range(1..20);
                w.replicate(r, g, max);
            }
            650..=849 => {
                let max = w.rng.gen_range(1..20);
                w.sync(r, p, max);
            }
            850..=879 => {
                let up = !w.links[r][p];
                w.links[r][p] = up;
                w.links[p][r] = up;
                w.log.push(format!("link {}-{} {}", r + 1, p + 1, if up { "up" } else { "cut" }));
            }
            880..=889 => {
                let which = w.rng.gen_range(0..2);
                mark_lost(&w, &mut acks, (r, g, which));
                w.crash(r, g, which);
            }
            890..=899 => {
                let up = !w.regions[r].syncer_up;
                w.regions[r].syncer_up = up;
                if !up {
                    // What the syncer knew is gone with it.
                    w.fresh_links(r);
                }
                w.log.push(format!("syncer {} {}", r + 1, if up { "restarted" } else { "crashed" }));
            }
            900..=904 => w.isolate_master(r, g),
            905..=919 => w.rejoin(r, g),
            _ => {
                let ms = w.rng.gen_range(1..60);
                w.tick(ms);
                w.expire();
                w.link_ticks(r);
            }
        }
    }
    // Heal everything and let it settle.
    for r in 0..n {
        w.regions[r].syncer_up = true;
        for g in 0..w.regions[r].groups.len() {
            w.rejoin(r, g);
        }
        for p in 0..n {
            w.links[r][p] = true;
        }
    }
    if !w.heal() {
        return Err(format!("the regions never settled ({})", w.layouts()));
    }
    check::converged(&w, &acks).map_err(|e| format!("{e}\nlayouts: {}\nlog: {:?}", w.layouts(), w.log))?;
    let full_syncs = w.log.iter().filter(|l| l.contains("full-syncs")).count();
    Ok(Outcome { acked: acks.len(), lost: acks.iter().filter(|a| a.lost).count(), full_syncs })
}

impl World {
    /// Each master deletes its keys past their deadline, shipping the deletions.
    fn expire(&mut self) {
        for region in &self.regions {
            for g in 0..region.groups.len() {
                let node = &region.master(g).node;
                let mut shard = node.shard.lock();
                shard.expire_due(100);
                let deltas = shard.take_delta().into_iter().collect();
                node.ship(&mut shard, deltas);
            }
        }
    }
}

fn seeds() -> Vec<u64> {
    if let Some(s) = std::env::var("SIM_SEED").ok().and_then(|s| s.parse().ok()) {
        return vec![s];
    }
    let long = std::env::var_os("SIM_LONG").is_some();
    let n =
        std::env::var("SIM_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(if long { LONG_SEEDS } else { SEEDS });
    (1..=n).collect()
}

/// Seeds of the 100,000-seed run that once failed (see docs/replication.md), replayed in
/// every run: each found a defect its fix names.
const FOUND_BY_THE_LONG_RUN: [u64; 7] = [
    36357, // a replica took dots of a whole snapshot's record that only a claim saw at its master
    38426, // the heal ended before every link had run two anti-entropy checks
    48352, // as 36357
    48987, // an old master kept a range claim its successor never saw
    75730, // regions apart under equal contexts: a relayed snapshot record's dot without what its write removed
    83244, // as 48987
    93034, // as 36357
];

#[test]
fn seeds_the_long_run_found_converge() {
    let failed: Vec<String> =
        FOUND_BY_THE_LONG_RUN.iter().filter_map(|s| run(*s).err().map(|e| format!("seed {s}: {e}"))).collect();
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[test]
fn replication_converges_with_every_acknowledged_write_under_faults() {
    let seeds = seeds();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(seeds.len().max(1));
    let started = std::time::Instant::now();
    let results: Vec<(u64, Result<Outcome, String>)> = std::thread::scope(|scope| {
        let chunks: Vec<Vec<u64>> =
            (0..threads).map(|t| seeds.iter().copied().skip(t).step_by(threads).collect()).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| scope.spawn(move || chunk.into_iter().map(|s| (s, run(s))).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let (mut acked, mut lost, mut full) = (0, 0, 0);
    let mut failed = results.iter().filter_map(|(s, r)| r.as_ref().err().map(|e| (*s, e))).collect::<Vec<_>>();
    failed.sort_by_key(|(s, _)| *s);
    if let Some((seed, e)) = failed.first() {
        let all: Vec<String> =
            failed.iter().map(|(s, e)| format!("{s}: {}", e.lines().next().unwrap_or_default())).collect();
        panic!(
            "{} of {} seeds failed:\n{}\nfirst, seed {seed} (replay with SIM_SEED={seed}): {e}",
            failed.len(),
            results.len(),
            all.join("\n")
        );
    }
    for (_, o) in results.iter().filter_map(|(s, r)| Some((s, r.as_ref().ok()?))) {
        acked += o.acked;
        lost += o.lost;
        full += o.full_syncs;
    }
    eprintln!(
        "simulation: {} seeds in {:?} on {threads} threads; {acked} acknowledged writes checked, {lost} lost with a crashed node, {full} cross-region full syncs",
        results.len(),
        started.elapsed()
    );
    assert!(acked > 0 && full > 0);
}
