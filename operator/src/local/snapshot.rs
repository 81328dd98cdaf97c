//! What the status screen and `local status` show: a plain, serialisable picture of the
//! supervisor's state, built after each pass. Digests are compared between regions whose
//! shards own the same slots (regions may split the slots differently; a node's digest covers
//! its own slots only).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::supervisor::{RegionRun, Supervisor};
use super::tick::ready;
use crate::failover::{Decision, NodeRole};
use crate::plan::slots;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub database: String,
    pub dir: String,
    pub pid: u32,
    pub netns: bool,
    pub uptime_ms: u64,
    pub ready: bool,
    /// From the start to the first time every region was ready.
    pub ready_after_ms: Option<u64>,
    pub regions: Vec<RegionView>,
    pub events: Vec<String>,
    /// Events since the start; the last `events.len()` of them are in `events`.
    pub event_seq: u64,
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RegionView {
    pub name: String,
    pub id: u8,
    pub ready: bool,
    pub cut: bool,
    /// Where clients connect: the current master of shard 0.
    pub client: String,
    pub syncer_http: String,
    pub syncer: ProcessView,
    pub peers: Vec<PeerView>,
    pub shards: Vec<ShardView>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProcessView {
    pub pid: Option<u32>,
    pub restarts: u32,
    pub last_exit: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PeerView {
    pub region: String,
    pub id: u8,
    pub state: String,
    pub lag_ms: Option<i64>,
    pub last_error: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ShardView {
    pub index: u32,
    pub slots: String,
    /// `master 0`, `waiting 4s for member 0`, `starting`, `no master: ...`.
    pub state: String,
    pub master: Option<u32>,
    pub members: Vec<MemberView>,
    /// Whether every member and every other region's shard of the same slots has the same
    /// digest; `None` before digests are known.
    pub digest_match: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MemberView {
    pub ordinal: u32,
    pub addr: String,
    pub process: ProcessView,
    /// `master`, `replica`, `down`, `starting`.
    pub role: String,
    pub link_up: bool,
    pub offset: Option<u64>,
    pub keys: Option<u64>,
    pub digest: Option<String>,
}

impl Supervisor {
    pub fn snapshot(&self) -> Snapshot {
        let names: BTreeMap<u8, String> =
            self.regions.iter().map(|r| (r.desired.id(), r.desired.name().to_string())).collect();
        let mut regions: Vec<RegionView> =
            self.regions.iter().map(|r| region(r, &names, self.cut.contains(&r.desired.id()))).collect();
        compare_digests(&mut regions);
        Snapshot {
            database: self.desired.database.clone(),
            dir: self.dir.root().display().to_string(),
            pid: std::process::id(),
            netns: self.placement.wan.is_some(),
            uptime_ms: self.started.elapsed().as_millis() as u64,
            ready: !self.regions.is_empty() && self.regions.iter().all(ready),
            ready_after_ms: self.ready_after.map(|d| d.as_millis() as u64),
            regions,
            events: self.events.iter().cloned().collect(),
            event_seq: self.event_seq,
            notes: self.desired.notes.clone(),
        }
    }
}

fn region(r: &RegionRun, names: &BTreeMap<u8, String>, cut: bool) -> RegionView {
    let layout = r.desired.layout;
    let shards: Vec<ShardView> = r
        .shards
        .iter()
        .zip(&r.desired.plan.shards)
        .map(|(shard, plan)| {
            let master = shard.recorded.as_ref().map(|x| x.ordinal);
            let state = match shard.settled.as_ref().map(|s| &s.decision) {
                None | Some(Decision::Starting) => "starting".to_string(),
                Some(Decision::Master { master, .. }) => format!("master {master}"),
                Some(Decision::Waiting { master, remaining }) => {
                    format!("member {master} is down: failover in {:.0} s", remaining.as_secs_f64().ceil())
                }
                Some(Decision::NoMaster { reason }) => format!("no master: {reason}"),
            };
            let members = shard
                .members
                .iter()
                .enumerate()
                .map(|(o, m)| {
                    let report = m.report.as_ref();
                    let role = match (report.map(|r| r.state.role), m.child.running()) {
                        (Some(NodeRole::Master), _) => "master",
                        (Some(NodeRole::Replica), _) => "replica",
                        (None, true) => "starting",
                        (None, false) => "down",
                    };
                    MemberView {
                        ordinal: o as u32,
                        addr: layout.resp_addr(plan.index, o as u32),
                        process: ProcessView {
                            pid: m.child.pid(),
                            restarts: m.child.restarts,
                            last_exit: m.child.last_exit.clone(),
                        },
                        role: role.into(),
                        link_up: report.is_some_and(|r| r.link_up),
                        offset: report.map(|r| r.state.offset),
                        keys: report.map(|r| r.keys),
                        digest: report.filter(|r| !r.digest.is_empty()).map(|r| hex(&r.digest)),
                    }
                })
                .collect();
            ShardView {
                index: plan.index,
                slots: slots::render(plan.slots),
                state,
                master,
                members,
                digest_match: None,
            }
        })
        .collect();
    let peers = r
        .desired
        .plan
        .peers
        .iter()
        .map(|p| {
            let link = match &r.peers {
                Some(Ok(links)) => links.get(&p.id).cloned(),
                _ => None,
            };
            PeerView {
                region: names.get(&p.id).cloned().unwrap_or_else(|| p.name.clone()),
                id: p.id,
                state: link.as_ref().map_or_else(|| "unknown".into(), |l| l.state.clone()),
                lag_ms: link.as_ref().and_then(|l| l.lag_ms),
                last_error: link.and_then(|l| l.last_error),
            }
        })
        .collect();
    let client_master = r.shards.first().and_then(|s| s.recorded.as_ref()).map_or(0, |x| x.ordinal);
    RegionView {
        name: r.desired.name().to_string(),
        id: r.desired.id(),
        ready: ready(r),
        cut,
        client: layout.resp_addr(0, client_master),
        syncer_http: layout.http_addr(),
        syncer: ProcessView { pid: r.syncer.pid(), restarts: r.syncer.restarts, last_exit: r.syncer.last_exit.clone() },
        peers,
        shards,
    }
}

/// A shard matches when all its members and every other region's shard owning the same
/// slots report one digest.
fn compare_digests(regions: &mut [RegionView]) {
    let mut by_slots: BTreeMap<String, Vec<Option<String>>> = BTreeMap::new();
    for r in regions.iter() {
        for s in &r.shards {
            by_slots.entry(s.slots.clone()).or_default().extend(s.members.iter().map(|m| m.digest.clone()));
        }
    }
    for r in regions.iter_mut() {
        for s in &mut r.shards {
            let all = &by_slots[&s.slots];
            s.digest_match = match all.first() {
                Some(Some(first)) if all.iter().all(|d| d.is_some()) => {
                    Some(all.iter().all(|d| d.as_ref() == Some(first)))
                }
                _ => None,
            };
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(slots: &str, digests: &[Option<&str>]) -> ShardView {
        ShardView {
            slots: slots.into(),
            members: digests.iter().map(|d| MemberView { digest: d.map(String::from), ..Default::default() }).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn digests_are_compared_only_between_shards_of_the_same_slots() {
        let mut regions = vec![
            RegionView { shards: vec![shard("0-16383", &[Some("aa"), Some("aa")])], ..Default::default() },
            RegionView { shards: vec![shard("0-16383", &[Some("aa")])], ..Default::default() },
            RegionView {
                shards: vec![shard("0-8191", &[Some("bb")]), shard("8192-16383", &[Some("cc"), None])],
                ..Default::default()
            },
        ];
        compare_digests(&mut regions);
        assert_eq!(regions[0].shards[0].digest_match, Some(true));
        assert_eq!(regions[1].shards[0].digest_match, Some(true));
        assert_eq!(regions[2].shards[0].digest_match, Some(true), "alone with its slots: its own members agree");
        assert_eq!(regions[2].shards[1].digest_match, None, "a digest is missing");
        regions[1].shards[0].members[0].digest = Some("ab".into());
        compare_digests(&mut regions);
        assert_eq!(regions[0].shards[0].digest_match, Some(false));
    }
}
