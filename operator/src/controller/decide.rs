//! From observations to decisions, per shard: who is master (`failover::decide`), who must
//! be repointed, and the next rollout step. Pure: time and the operator's memory of when
//! pods went unreachable come in as arguments.

use std::collections::BTreeMap;

use k8s_openapi::jiff::{SignedDuration, Timestamp};

use super::observe::Observed;
use crate::build::names;
use crate::crd::ActiveActiveDatabaseStatus;
use crate::failover::{self, Decision, Member, Recorded};
use crate::plan::RegionPlan;
use crate::rollout;

#[derive(Clone, Debug, PartialEq)]
pub struct ShardDecision {
    pub index: u32,
    pub members: Vec<Member>,
    pub decision: Decision,
    /// The master's replication address, when there is a master with one.
    pub master_addr: Option<String>,
    /// Ordinals to tell to follow `master_addr`.
    pub repoint: Vec<u32>,
    pub rollout: Option<rollout::Step>,
}

impl ShardDecision {
    pub fn master(&self) -> Option<u32> {
        match &self.decision {
            Decision::Master { master, .. } | Decision::Waiting { master, .. } => Some(*master),
            Decision::Starting | Decision::NoMaster { .. } => None,
        }
    }
}

/// The masters recorded in the last status, per shard, by ordinal and incarnation.
pub fn recorded(plan: &RegionPlan, status: Option<&ActiveActiveDatabaseStatus>) -> Vec<Option<Recorded>> {
    plan.shards
        .iter()
        .map(|s| {
            let shard = status?.shards.iter().find(|x| x.index == s.index as i32)?;
            let pod = shard.master.as_ref()?;
            let prefix = format!("{}-", crate::build::names::shard(plan, s.index));
            let ordinal = pod.strip_prefix(&prefix)?.parse().ok()?;
            Some(Recorded { ordinal, actor: shard.master_actor.clone()? })
        })
        .collect()
}

/// Every shard's decision. `unreachable_since` holds, per pod name, when the operator first
/// failed to reach a pod that looked ready.
pub fn decide(
    plan: &RegionPlan,
    observed: &Observed,
    recorded: &[Option<Recorded>],
    unreachable_since: &BTreeMap<String, Timestamp>,
    now: Timestamp,
) -> Vec<ShardDecision> {
    let grace = SignedDuration::from_secs(i64::from(plan.failover_grace_seconds));
    plan.shards
        .iter()
        .map(|shard| {
            let members: Vec<Member> = (0..shard.members)
                .map(|ordinal| {
                    let pod = observed.pod(shard.index, ordinal).filter(|p| !p.deleting);
                    let node = pod.and_then(|p| observed.report(&p.name)).map(|r| r.state.clone());
                    let down_since = match (pod, &node) {
                        (_, Some(_)) => None,
                        (None, None) => Some(now),
                        (Some(p), None) => Some(match (p.ready, p.ready_changed) {
                            (false, Some(t)) => t,
                            _ => unreachable_since.get(&p.name).copied().unwrap_or(now),
                        }),
                    };
                    Member { ordinal, addr: pod.and_then(|p| p.repl_addr()), node, down_since }
                })
                .collect();
            let record = recorded.get(shard.index as usize).cloned().flatten();
            let aliases = |m: u32, addr: &str| vec![addr.to_string(), names::node_repl_address(plan, shard.index, m)];
            let failover::Settled { decision, master_addr, repoint } =
                failover::settle(&members, record.as_ref(), now, grace, aliases);
            let rollout = match (&decision, &master_addr) {
                // Only a settled shard rolls: its master stays, nobody needs repointing.
                (Decision::Master { master, promote: false, changed: None }, Some(addr)) if repoint.is_empty() => {
                    rollout::step(
                        &rollout_pods(observed, shard.index, &members, &aliases(*master, addr)),
                        *master,
                        shard.members,
                    )
                }
                _ => None,
            };
            let decided = ShardDecision { index: shard.index, members, decision, master_addr, repoint, rollout };
            switch_over(decided, |m, addr| aliases(m, addr))
        })
        .collect()
}

/// A switchover is a promotion the rollout asked for: the updated replica becomes master and
/// the others, the old master included, follow it.
fn switch_over(d: ShardDecision, aliases: impl Fn(u32, &str) -> Vec<String>) -> ShardDecision {
    let Some(rollout::Step::Switchover(to)) = d.rollout else { return d };
    let Some(addr) = d.members.iter().find(|m| m.ordinal == to).and_then(|m| m.addr.clone()) else { return d };
    let repoint = failover::to_repoint(&d.members, to, &aliases(to, &addr));
    ShardDecision {
        decision: Decision::Master { master: to, promote: true, changed: Some(failover::Why::Switchover) },
        master_addr: Some(addr),
        repoint,
        ..d
    }
}

fn rollout_pods(observed: &Observed, shard: u32, members: &[Member], master_addrs: &[String]) -> Vec<rollout::Pod> {
    let revision = observed.statefulsets.get(&shard).and_then(|s| s.update_revision.clone());
    members
        .iter()
        .filter_map(|m| {
            let pod = observed.pod(shard, m.ordinal)?;
            let report = observed.report(&pod.name);
            let following = report.is_some_and(|r| {
                r.state.role == failover::NodeRole::Master || (r.link_up && master_addrs.contains(&r.state.master_addr))
            });
            Some(rollout::Pod {
                ordinal: m.ordinal,
                updated: revision.is_none() || pod.revision == revision,
                healthy: pod.ready && following,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
