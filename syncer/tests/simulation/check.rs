//! What must hold once the world healed: each replica holds its master's exact state, every
//! region holds the same data key by key (layouts differ, so shards cannot be compared
//! whole), and the acknowledged writes are there exactly: every SADD present, every counter
//! equal to the sum of the increments that survived.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use meridian_datanode::cmd::execute;
use meridian_datanode::crdt::CausalContext;
use meridian_datanode::keyspace::Keyspace;
use meridian_datanode::keyspace::digest::digest;
use meridian_datanode::keyspace::entry::Entry;
use meridian_datanode::resp::Reply;
use meridian_datanode::shard::Shard;

use crate::workload::{Ack, AckKind};
use crate::world::World;

/// One key's entry, digested on its own.
fn key_digest(key: &[u8], entry: &Entry) -> [u8; 32] {
    let mut ks = Keyspace::new();
    let e = entry.clone();
    ks.update(&Bytes::copy_from_slice(key), |slot| *slot = e);
    digest(&ks, &CausalContext::new())
}

/// Every key of a region with its entry's digest.
fn region_keys(w: &World, r: usize) -> BTreeMap<Vec<u8>, ([u8; 32], String)> {
    let mut out = BTreeMap::new();
    for g in &w.regions[r].groups {
        let shard = g.nodes[g.master].node.shard.lock();
        for (k, e) in shard.keyspace().iter() {
            out.insert(k.to_vec(), (key_digest(k, e), format!("{e:?}")));
        }
    }
    out
}

fn read(shard: &mut Shard, words: &[&str]) -> Reply {
    execute(shard, words.iter().map(|w| Bytes::from(w.to_string())).collect()).reply
}

pub fn converged(w: &World, acks: &[Ack]) -> Result<(), String> {
    for region in &w.regions {
        for (g, group) in region.groups.iter().enumerate() {
            let [a, b] = [&group.nodes[0], &group.nodes[1]].map(|n| n.node.shard.lock().digest());
            if a != b {
                let [x, y] = [&group.nodes[0], &group.nodes[1]].map(|n| n.node.shard.lock());
                let what = if x.context() != y.context() {
                    let only = |a: &CausalContext, b: &CausalContext| {
                        let mut out = Vec::new();
                        for (actor, max) in a.version_vector() {
                            for c in 1..=*max {
                                let d = meridian_datanode::crdt::Dot::new(*actor, c);
                                if !b.contains(&d) {
                                    out.push(d);
                                }
                            }
                        }
                        for (actor, f, l) in a.cloud_ranges() {
                            for c in f..=l {
                                let d = meridian_datanode::crdt::Dot::new(actor, c);
                                if !b.contains(&d) {
                                    out.push(d);
                                }
                            }
                        }
                        out
                    };
                    format!(
                        "contexts: master-only {:?}, replica-only {:?} (node {} is master)",
                        only(x.context(), y.context()),
                        only(y.context(), x.context()),
                        group.master
                    )
                } else if x.claims() != y.claims() {
                    format!("claims: {:?} vs {:?}", x.claims(), y.claims())
                } else {
                    let keys: BTreeSet<Vec<u8>> =
                        x.keyspace().keys().into_iter().chain(y.keyspace().keys()).map(|k| k.to_vec()).collect();
                    keys.into_iter()
                        .filter(|k| x.keyspace().get(k) != y.keyspace().get(k))
                        .map(|k| {
                            format!(
                                "{:?}: {:?} vs {:?}",
                                String::from_utf8_lossy(&k),
                                x.keyspace().get(&k),
                                y.keyspace().get(&k)
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                };
                return Err(format!("region {} shard {g}: replica and master differ: {what}", region.id));
            }
        }
    }
    let first = region_keys(w, 0);
    for r in 1..w.regions.len() {
        let other = region_keys(w, r);
        let keys: BTreeSet<&Vec<u8>> = first.keys().chain(other.keys()).collect();
        for k in keys {
            let (x, y) = (first.get(k), other.get(k));
            if x.map(|v| v.0) != y.map(|v| v.0) {
                return Err(format!(
                    "key {:?} differs between region 1 and region {}:\n  1: {:?}\n  {}: {:?}",
                    String::from_utf8_lossy(k),
                    r + 1,
                    x.map(|v| &v.1),
                    r + 1,
                    y.map(|v| &v.1)
                ));
            }
        }
    }
    // A member counted as lost must really be gone (a lost increment shows in the sums).
    for a in acks.iter().filter(|a| a.lost) {
        let AckKind::Add(member) = &a.kind else { continue };
        for region in &w.regions {
            let group = &region.groups[region.group_of(a.key.as_bytes())];
            let mut shard = group.nodes[group.master].node.shard.lock();
            if read(&mut shard, &["SISMEMBER", &a.key, member]) == Reply::Int(1) {
                return Err(format!("a write given up as lost came back: {} {member} {:?}", a.key, a.lost_at));
            }
        }
    }
    let (counters, sets) = expected(acks);
    for region in &w.regions {
        for k in 0..3 {
            for (key, want) in
                [(format!("ctr:{k}"), Expect::Counter(counters.get(&format!("ctr:{k}")).copied()))].into_iter().chain([
                    (format!("set:{k}"), Expect::Members(sets.get(&format!("set:{k}")).cloned().unwrap_or_default())),
                ])
            {
                let group = &region.groups[region.group_of(key.as_bytes())];
                for (i, node) in group.nodes.iter().enumerate() {
                    let at = format!("region {} node {i} of the shard of {key}", region.id);
                    want.check(&mut node.node.shard.lock(), &key).map_err(|e| format!("{at}: {e}"))?;
                }
            }
        }
    }
    Ok(())
}

enum Expect {
    Counter(Option<i64>),
    Members(BTreeSet<String>),
}

impl Expect {
    fn check(&self, shard: &mut Shard, key: &str) -> Result<(), String> {
        match self {
            Expect::Counter(want) => {
                let got = match read(shard, &["GET", key]) {
                    Reply::Bulk(b) => Some(String::from_utf8_lossy(&b).parse::<i64>().map_err(|e| e.to_string())?),
                    _ => None,
                };
                if got != *want {
                    return Err(format!("{key} is {got:?}, acknowledged increments sum to {want:?}"));
                }
            }
            Expect::Members(want) => {
                let got: BTreeSet<String> = match read(shard, &["SMEMBERS", key]) {
                    Reply::Array(items) | Reply::Set(items) => items
                        .into_iter()
                        .filter_map(|i| match i {
                            Reply::Bulk(b) => Some(String::from_utf8_lossy(&b).into_owned()),
                            _ => None,
                        })
                        .collect(),
                    other => return Err(format!("SMEMBERS {key} replied {other:?}")),
                };
                if got != *want {
                    let missing: Vec<_> = want.difference(&got).collect();
                    let extra: Vec<_> = got.difference(want).collect();
                    return Err(format!("{key} misses {missing:?}, has extra {extra:?}"));
                }
            }
        }
        Ok(())
    }
}

/// What the acknowledged writes add up to. A counter keeps each writer's running total, so
/// an increment lost with a crashed node still counts when a later increment by the same
/// writer survived: the expected value sums, per writer, every increment up to its last
/// surviving one.
fn expected(acks: &[Ack]) -> (BTreeMap<String, i64>, BTreeMap<String, BTreeSet<String>>) {
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
    (counters, sets)
}
