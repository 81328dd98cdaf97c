//! The write load: writers in every region, each a thread with its own client, issuing one
//! write after another (INCRBY on keys of its own, SADD to shared sets, SET of its own
//! register and of one shared by everybody, HSET of its own field in shared hashes) and
//! journaling each with its outcome. The sequence of writes is drawn from the seed; how far
//! each writer gets depends on the machine. Bounded: a writer stops when told, or after
//! `MAX_WRITES`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::client::{RegionClient, Sent};
use super::journal::{Journal, Op, Outcome, Tag, Write};
use super::rng::Rng;

/// Writes per writer at most.
pub const MAX_WRITES: u64 = 1_000_000;
/// How long one write may be retried while it is refused (a failover in progress).
pub const WRITE_BUDGET: Duration = Duration::from_secs(2);
/// Shared sets and hashes.
const SHARED_KEYS: u64 = 4;
/// Every writer moves to new shared sets this often (all at about the same time, so the sets
/// stay shared between regions): a set gains a member per write, and one set of a long run
/// would grow to megabytes, which every full sync and every witness read then carries whole.
/// `CHAOS_SET_EPOCH_S=0` keeps the same four sets for the whole run.
const SET_EPOCH: Duration = Duration::from_secs(20);

fn set_epoch() -> Option<u64> {
    match std::env::var("CHAOS_SET_EPOCH_S").ok().and_then(|v| v.trim().parse::<u64>().ok()) {
        Some(0) => None,
        Some(s) => Some(s),
        None => Some(SET_EPOCH.as_secs()),
    }
}

/// One region's writers.
#[derive(Clone, Debug)]
pub struct RegionLoad {
    pub region: String,
    /// Every datanode of the region (a writer finds each key's master from any of them).
    pub nodes: Vec<String>,
}

/// The running load.
pub struct Load {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    pub journal: Journal,
}

impl Load {
    /// Starts `writers` writers per region; `pause` between two writes of one writer.
    pub fn start(regions: &[RegionLoad], writers: u32, pause: Duration, seed: u64, t0: Instant) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let journal = Journal::default();
        let mut threads = vec![];
        for (r, region) in regions.iter().enumerate() {
            for w in 0..writers {
                let writer = Writer {
                    region: region.region.clone(),
                    writer: w,
                    client: RegionClient::new(region.nodes.clone()),
                    rng: Rng::fork(seed, 1000 + (r as u64) * 100 + u64::from(w)),
                    journal: journal.clone(),
                    t0,
                };
                let stop = stop.clone();
                threads.push(std::thread::spawn(move || writer.run(&stop, pause)));
            }
        }
        Load { stop, threads, journal }
    }

    /// Stops every writer and waits for them (each finishes its write in flight, bounded by
    /// `WRITE_BUDGET` plus the client's I/O timeout).
    pub fn stop(self) -> Journal {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads {
            let _ = t.join();
        }
        self.journal
    }
}

struct Writer {
    region: String,
    writer: u32,
    client: RegionClient,
    rng: Rng,
    journal: Journal,
    t0: Instant,
}

impl Writer {
    fn run(mut self, stop: &AtomicBool, pause: Duration) {
        // The counter key changes whenever a write was not acknowledged or the node serving
        // it changed: each key's increments then all go to one node (see check.rs).
        let mut generation = 0u64;
        let mut counter_node: Option<String> = None;
        for seq in 0..MAX_WRITES {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let tag = Tag { region: self.region.clone(), writer: self.writer, seq }.render();
            let op = match self.rng.below(5) {
                0 => Op::Incr {
                    key: format!("cnt:{}:{}:{generation}", self.region, self.writer),
                    by: self.rng.between(1, 1000) as i64,
                },
                1 => {
                    let epoch = set_epoch().map_or(0, |e| self.t0.elapsed().as_secs() / e);
                    Op::Sadd { key: format!("set:{epoch}:{}", self.rng.below(SHARED_KEYS)), member: tag }
                }
                2 => Op::Set { key: format!("reg:{}:{}", self.region, self.writer), value: tag },
                3 => Op::Set { key: "reg:shared".into(), value: tag },
                _ => Op::Hset {
                    key: format!("hash:{}", self.rng.below(SHARED_KEYS)),
                    field: format!("{}.{}", self.region, self.writer),
                    value: tag,
                },
            };
            let started_ms = self.t0.elapsed().as_millis() as u64;
            let sent = self.client.send(op.key(), &op.command(), WRITE_BUDGET);
            let ended_ms = self.t0.elapsed().as_millis() as u64;
            let outcome = match sent {
                Sent::Acked { node, .. } => Outcome::Acked { node },
                Sent::Ambiguous { node, error } => Outcome::Ambiguous { node, error },
                Sent::Refused { error } => Outcome::Refused { error },
            };
            match (&outcome, &op) {
                (Outcome::Acked { node }, Op::Incr { .. }) => {
                    if counter_node.as_ref().is_some_and(|n| n != node) {
                        generation += 1;
                        counter_node = None;
                    } else {
                        counter_node = Some(node.clone());
                    }
                }
                (Outcome::Acked { .. }, _) => {}
                _ => {
                    generation += 1;
                    counter_node = None;
                }
            }
            let refused = matches!(outcome, Outcome::Refused { .. });
            self.journal.push(Write {
                region: self.region.clone(),
                writer: self.writer,
                seq,
                op,
                started_ms,
                ended_ms,
                outcome,
            });
            // While the region refuses, the write's own retries already waited.
            if !refused {
                std::thread::sleep(pause);
            }
        }
    }
}
