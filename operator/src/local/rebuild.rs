//! `meridian-operator local rebuild REGION SHARD`: the local-mode twin of the
//! `meridian.io/rebuild-shard` annotation. Each member of the shard is replaced in turn with
//! the operator's own rollout order (`crate::rollout::step`): replicas first, then the
//! master's role moves to a rebuilt replica (a switchover), then the old master is replaced as
//! a replica. A replaced member is stopped and started again by the supervisor, empty (there
//! is no persistence), and takes a full sync from its master — a shard without replicas from
//! the peer regions through the syncer.

use std::collections::BTreeMap;

use super::supervisor::{MemberRun, ShardRun, Supervisor};
use crate::failover::{Decision, NodeRole, Settled};
use crate::rollout::{self, Pod};

/// A rebuild in progress: the members already told to stop, with the pid each had then. A
/// member counts as rebuilt once it runs under another pid: until the old process has exited
/// it may still answer, and must not be mistaken for its empty successor.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rebuild {
    pub replaced: BTreeMap<u32, Option<u32>>,
}

impl Rebuild {
    fn rebuilt(&self, ordinal: u32, m: &MemberRun) -> bool {
        self.replaced.get(&ordinal).is_some_and(|old| m.child.running() && m.child.pid() != *old)
    }
}

/// The rollout's next step for a shard being rebuilt, once its master is settled (no
/// promotion nor repointing under way); `None` to wait.
pub fn step(shard: &ShardRun, settled: &Settled) -> Option<rollout::Step> {
    let rebuild = shard.rebuild.as_ref()?;
    let (Decision::Master { master, promote: false, changed: None }, Some(master_addr)) =
        (&settled.decision, &settled.master_addr)
    else {
        return None;
    };
    if !settled.repoint.is_empty() {
        return None;
    }
    let pods: Vec<Pod> = shard
        .members
        .iter()
        .enumerate()
        .map(|(o, m)| {
            let ordinal = o as u32;
            let healthy = m.report.as_ref().is_some_and(|r| {
                if ordinal == *master { r.state.role == NodeRole::Master } else { r.follows(master_addr) }
            });
            Pod { ordinal, updated: rebuild.rebuilt(ordinal, m), healthy }
        })
        .collect();
    rollout::step(&pods, *master, pods.len() as u32)
}

/// Whether the shard's rebuild is over: every member replaced, and the rollout has nothing
/// left to do.
pub fn finished(shard: &ShardRun, settled: &Settled) -> bool {
    let Some(rebuild) = &shard.rebuild else { return false };
    let all = shard.members.iter().enumerate().all(|(o, m)| rebuild.rebuilt(o as u32, m));
    let settled_master = matches!(settled.decision, Decision::Master { promote: false, changed: None, .. });
    all && settled_master
        && settled.repoint.is_empty()
        && shard.members.iter().all(|m| m.report.is_some())
        && step(shard, settled).is_none()
}

impl Supervisor {
    /// Starts rebuilding shard `shard` of region `name`.
    pub fn rebuild(&mut self, name: &str, shard: u32) -> Result<String, super::Error> {
        let no_region = self.no_region(name);
        let Some(region) = self.regions.iter_mut().find(|r| r.desired.name() == name) else { return Err(no_region) };
        let count = region.shards.len();
        let Some(run) = region.shards.get_mut(shard as usize) else {
            return Err(super::Error::NoShard { region: name.to_string(), count, shard });
        };
        if run.rebuild.is_some() {
            return Err(super::Error::Rebuilding { region: name.to_string(), shard });
        }
        run.rebuild = Some(Rebuild::default());
        let text = format!(
            "rebuilding shard {shard} of region {name}: each member is replaced in turn (replicas first, then the master's role moves) and refilled by a full sync"
        );
        self.event(text.clone());
        Ok(text)
    }
}
