//! Deterministic simulation of replication inside and across regions: three regions of
//! (master, replica), random writes of every type, link cuts, duplicated and reordered
//! deltas, crashes, split brain and backlog overruns, driven by one seed. After healing,
//! every node holds the same state and every acknowledged write that any surviving node had
//! seen is there exactly once.
//!
//! `SIM_SEEDS=n` runs n seeds (default 100); `SIM_SEED=s` replays one; a failure prints its seed.

// A test binary: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod workload;
mod world;

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use meridian_datanode::cmd::execute;
use meridian_datanode::resp::Reply;
use rand::Rng;
use workload::{Ack, AckKind, mark_lost, write};
use world::World;

const STEPS: u64 = 1500;

struct Outcome {
    acked: usize,
    lost: usize,
    full_syncs: usize,
}

fn run(seed: u64) -> Result<Outcome, String> {
    let mut w = World::new(seed, 3);
    let mut acks: Vec<Ack> = Vec::new();
    let n = w.regions.len();
    for step in 0..STEPS {
        let r = w.rng.gen_range(0..n);
        let p = (r + w.rng.gen_range(1..n)) % n;
        match w.rng.gen_range(0..1000) {
            0..=499 => write(&mut w, &mut acks, r, step),
            500..=649 => {
                let max = w.rng.gen_range(1..20);
                w.replicate(r, max);
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
                mark_lost(&w, &mut acks, r, which);
                w.crash(r, which);
            }
            890..=899 => {
                let up = !w.regions[r].syncer_up;
                w.regions[r].syncer_up = up;
                if !up {
                    w.regions[r].subs.clear();
                }
                w.log.push(format!("syncer {} {}", r + 1, if up { "restarted" } else { "crashed" }));
            }
            900..=904 => {
                if !w.any_isolated(r) {
                    w.isolate_master(r);
                }
            }
            905..=919 => w.rejoin(r),
            _ => {
                let ms = w.rng.gen_range(1..60);
                w.tick(ms);
                for region in &mut w.regions {
                    let m = region.master;
                    let node = &mut region.nodes[m];
                    node.shard.expire_due(100);
                    node.repl.stream.append_own(node.shard.take_delta());
                }
            }
        }
    }
    // Heal everything and let it settle.
    for r in 0..n {
        w.regions[r].syncer_up = true;
        w.rejoin(r);
        for p in 0..n {
            w.links[r][p] = true;
        }
    }
    if !w.heal() {
        return Err("the regions never settled".into());
    }
    check(&mut w, &acks)?;
    let full_syncs = w.log.iter().filter(|l| l.contains("full-syncs")).count();
    Ok(Outcome { acked: acks.len(), lost: acks.iter().filter(|a| a.lost).count(), full_syncs })
}

fn check(w: &mut World, acks: &[Ack]) -> Result<(), String> {
    let digests = w.digests();
    let first = digests[0].1;
    if let Some((node, _)) = digests.iter().find(|(_, d)| *d != first) {
        let groups: Vec<_> = digests.iter().map(|(n, d)| (n, d[0])).collect();
        return Err(format!(
            "digest of {node:?} differs from {:?}: {groups:?} {}\nlog: {:?}",
            digests[0].0,
            explain(w, *node),
            w.log
        ));
    }
    // A write counted as lost must really be gone: no node has seen it.
    for a in acks.iter().filter(|a| a.lost) {
        if w.survives_elsewhere(usize::MAX, 0, &a.dots) {
            return Err(format!("a write given up as lost came back: {} {:?} dots {:?}", a.key, a.dots, a.lost_at));
        }
    }
    // A counter keeps each writer's running total, so an increment lost with a crashed
    // node still counts when a later increment by the same writer survived: the expected
    // value sums, per writer, every increment up to its last surviving one.
    let mut last_kept: BTreeMap<(String, u64), u64> = BTreeMap::new();
    for a in acks.iter().filter(|a| !a.lost && matches!(a.kind, AckKind::Incr(_))) {
        let e = last_kept.entry((a.key.clone(), a.dots[0].actor.0)).or_default();
        *e = (*e).max(a.dots[0].counter);
    }
    let mut counters: BTreeMap<String, i64> = BTreeMap::new();
    let mut sets: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for a in acks {
        match &a.kind {
            AckKind::Incr(by) => {
                let last = last_kept.get(&(a.key.clone(), a.dots[0].actor.0)).copied().unwrap_or(0);
                if a.dots[0].counter <= last {
                    *counters.entry(a.key.clone()).or_default() += by;
                }
            }
            AckKind::Add(m) if !a.lost => {
                sets.entry(a.key.clone()).or_default().insert(m.clone());
            }
            AckKind::Add(_) => {}
        }
    }
    for region in &mut w.regions {
        for (i, node) in region.nodes.iter_mut().enumerate() {
            let at = format!("region {} node {i}", region.id);
            for k in 0..3 {
                let key = format!("ctr:{k}");
                let want = counters.get(&key).copied();
                let got = match execute(&mut node.shard, vec![Bytes::from("GET"), Bytes::from(key.clone())]).reply {
                    Reply::Bulk(b) => Some(String::from_utf8_lossy(&b).parse::<i64>().map_err(|e| e.to_string())?),
                    _ => None,
                };
                if got != want {
                    let mut per_actor: BTreeMap<u64, (i64, i64)> = BTreeMap::new();
                    for a in acks.iter().filter(|a| a.key == key) {
                        if let AckKind::Incr(by) = a.kind {
                            let e = per_actor.entry(a.dots[0].actor.0).or_default();
                            if a.lost { e.1 += by } else { e.0 += by }
                        }
                    }
                    let state: Vec<String> = match node.shard.keyspace().get(key.as_bytes()).and_then(|e| e.visible()) {
                        Some(meridian_datanode::keyspace::entry::Content::Str(cell)) => cell
                            .ctr
                            .entries()
                            .iter()
                            .map(|e| {
                                format!(
                                    "actor {} epoch {} surviving {} reset {:?}",
                                    e.actor().0,
                                    e.epoch,
                                    e.surviving().int,
                                    e.reset
                                )
                            })
                            .collect(),
                        _ => Vec::new(),
                    };
                    return Err(format!(
                        "{at}: {key} is {got:?}, acknowledged increments sum to {want:?}; acked (kept, lost) per actor {per_actor:?}; state {state:?}"
                    ));
                }
                let key = format!("set:{k}");
                let want = sets.get(&key).cloned().unwrap_or_default();
                let got: BTreeSet<String> =
                    match execute(&mut node.shard, vec![Bytes::from("SMEMBERS"), Bytes::from(key.clone())]).reply {
                        Reply::Array(items) | Reply::Set(items) => items
                            .into_iter()
                            .filter_map(|i| match i {
                                Reply::Bulk(b) => Some(String::from_utf8_lossy(&b).into_owned()),
                                _ => None,
                            })
                            .collect(),
                        other => return Err(format!("{at}: SMEMBERS {key} replied {other:?}")),
                    };
                if got != want {
                    let missing: Vec<_> = want.difference(&got).collect();
                    let extra: Vec<_> = got.difference(&want).collect();
                    return Err(format!("{at}: {key} misses {missing:?}, has extra {extra:?}"));
                }
            }
        }
    }
    Ok(())
}

/// What differs between region 1's first node and `node`: context, and the keys.
fn explain(w: &World, node: (u8, usize)) -> String {
    let a = &w.regions[0].nodes[0].shard;
    let b = &w.regions[(node.0 - 1) as usize].nodes[node.1].shard;
    let mut out = String::new();
    if a.context() != b.context() {
        out += &format!(
            "contexts differ: a⊇b {}, b⊇a {}; ",
            a.context().includes(b.context()),
            b.context().includes(a.context())
        );
        let (va, vb) = (a.context().version_vector(), b.context().version_vector());
        for (actor, max) in va {
            let other = vb.get(actor).copied().unwrap_or(0);
            if other != *max {
                out += &format!("actor {actor}: a {max} b {other}; ");
            }
        }
        let (ca, cb): (Vec<_>, Vec<_>) = (a.context().cloud_ranges().collect(), b.context().cloud_ranges().collect());
        out += &format!("clouds a {ca:?} b {cb:?}; ");
    }
    let keys: BTreeSet<Vec<u8>> =
        a.keyspace().keys().into_iter().chain(b.keyspace().keys()).map(|k| k.to_vec()).collect();
    for k in keys {
        let (ea, eb) = (a.keyspace().get(&k), b.keyspace().get(&k));
        if key_digest(&k, ea) != key_digest(&k, eb) {
            out += &format!("\nkey {:?}:\n  a: {ea:?}\n  b: {eb:?}", String::from_utf8_lossy(&k));
        }
    }
    out
}

fn key_digest(k: &[u8], e: Option<&meridian_datanode::keyspace::entry::Entry>) -> Option<[u8; 32]> {
    let mut ks = meridian_datanode::keyspace::Keyspace::new();
    let e = e?.clone();
    ks.update(&Bytes::copy_from_slice(k), |slot| *slot = e);
    Some(meridian_datanode::keyspace::digest::digest(&ks, &meridian_datanode::crdt::CausalContext::new()))
}

#[test]
fn replication_converges_with_every_acknowledged_write_under_faults() {
    let seeds: Vec<u64> = match std::env::var("SIM_SEED").ok().and_then(|s| s.parse().ok()) {
        Some(s) => vec![s],
        None => {
            let n = std::env::var("SIM_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(100);
            (1..=n).collect()
        }
    };
    let (mut acked, mut lost, mut full) = (0, 0, 0);
    for seed in seeds {
        match run(seed) {
            Ok(o) => {
                acked += o.acked;
                lost += o.lost;
                full += o.full_syncs;
            }
            Err(e) => panic!("seed {seed} failed (replay with SIM_SEED={seed}): {e}"),
        }
    }
    eprintln!(
        "simulation: {acked} acknowledged writes checked, {lost} lost with a crashed node, {full} cross-region full syncs"
    );
    assert!(acked > 0);
}
