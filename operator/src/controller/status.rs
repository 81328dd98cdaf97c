//! The status a reconcile writes: computed, with no I/O, from the plan, what was observed,
//! what was decided and what carrying it out did. Conditions say, each with a reason and a
//! message a person can act on, whether the region serves (`Ready`, `ShardsReady`), whether
//! its peers stream to it (`PeersSynced`), whether the operator is still changing things
//! (`Progressing`) and whether something needs attention (`Degraded`).

use std::collections::BTreeMap;

use k8s_openapi::jiff::Timestamp;

use super::decide::ShardDecision;
use super::digest::Digests;
use super::observe::Observed;
use crate::build::names;
use crate::conditions::{self, DEGRADED, PEERS_SYNCED, PROGRESSING, READY, SHARDS_READY, Want};
use crate::crd::{ActiveActiveDatabaseStatus, PeerStatus, ReplicaStatus, ShardStatus};
use crate::failover::{Decision, NodeRole, Why};
use crate::plan::{RegionPlan, slots};

/// What carrying out the decisions did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    /// Per shard, the master's incarnation after a promotion (a promotion mints a new one).
    pub promoted: BTreeMap<u32, String>,
    /// Actions that failed, each a sentence.
    pub failures: Vec<String>,
    /// A rollout step was taken.
    pub rolling: bool,
}

/// Inputs that stay the same for one status computation.
pub struct Frame<'a> {
    pub region: &'a str,
    pub previous: Option<&'a ActiveActiveDatabaseStatus>,
    pub generation: Option<i64>,
    pub now: Timestamp,
}

pub fn status(
    plan: &RegionPlan,
    observed: &Observed,
    decisions: &[ShardDecision],
    outcome: &Outcome,
    digests: &Digests,
    frame: &Frame,
) -> ActiveActiveDatabaseStatus {
    let shards: Vec<ShardStatus> = decisions
        .iter()
        .map(|d| ShardStatus {
            digest: digests.shards.get(d.index as usize).cloned().flatten(),
            ..shard_status(plan, observed, d, outcome, frame)
        })
        .collect();
    let peers: Vec<PeerStatus> = plan
        .peers
        .iter()
        .map(|p| PeerStatus {
            digest_match: digests.peers.get(&p.id).copied().flatten(),
            ..peer_status(observed, p.id, &p.name)
        })
        .collect();
    let ready = shards.iter().filter(|s| s.ready).count();
    let synced = peers.iter().filter(|p| p.state == "partial-sync").count();

    let mut degraded: Vec<(&'static str, String)> = vec![];
    let mut waiting = vec![];
    for d in decisions {
        match &d.decision {
            Decision::NoMaster { reason } => degraded.push(("NoMaster", format!("shard {}: {reason}", d.index))),
            Decision::Waiting { master, remaining } => waiting.push(format!(
                "shard {}: master {} is down, failing over in {}s unless it returns",
                d.index,
                names::pod(plan, d.index, *master),
                remaining.as_secs().max(0)
            )),
            Decision::Master { .. } | Decision::Starting => {}
        }
    }
    let shards_ready = if ready == shards.len() {
        Want::new(SHARDS_READY, true, "AllShardsReady", format!("{ready}/{} shards have a ready master", shards.len()))
    } else {
        let reason = if degraded.iter().any(|(r, _)| *r == "NoMaster") {
            "NoMaster"
        } else if !waiting.is_empty() {
            "MasterDown"
        } else {
            "Starting"
        };
        let mut message = format!("{ready}/{} shards have a ready master", shards.len());
        for w in &waiting {
            message.push_str("; ");
            message.push_str(w);
        }
        Want::new(SHARDS_READY, false, reason, message)
    };

    let peers_synced = peers_condition(observed, &peers, synced);
    if let Some(stale) =
        (!peers_synced.status && peers_synced.reason == "PeerUnreachable").then(|| peers_synced.message.clone())
    {
        degraded.push(("PeerUnreachable", stale));
    }
    degraded.extend(outcome.failures.iter().map(|f| ("ActionFailed", f.clone())));

    let failing_over = decisions.iter().any(|d| {
        matches!(&d.decision, Decision::Master { changed: Some(Why::MasterDown | Why::MasterRestarted), .. })
            || matches!(d.decision, Decision::Waiting { .. })
    });
    let starting = observed.statefulsets.values().zip(&plan.shards).any(|(s, p)| s.ready_replicas < p.members as i32)
        || observed.statefulsets.len() < plan.shards.len()
        || !observed.syncer_ready;
    let progressing = if failing_over {
        Want::new(PROGRESSING, true, "FailingOver", "a shard's master is being replaced")
    } else if outcome.rolling {
        Want::new(PROGRESSING, true, "RollingUpdate", "datanodes are being replaced one at a time")
    } else if starting {
        Want::new(PROGRESSING, true, "PodsStarting", "waiting for every datanode and the syncer to be ready")
    } else {
        Want::new(PROGRESSING, false, "Reconciled", "every object matches the manifest")
    };
    let degraded_want = match degraded.first() {
        Some((reason, _)) => {
            Want::new(DEGRADED, true, reason, degraded.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>().join("; "))
        }
        None => Want::new(DEGRADED, false, "AsExpected", "nothing needs attention"),
    };
    let ready_want = if shards_ready.status {
        Want::new(READY, true, "Ready", format!("every shard of region {} has a ready master", frame.region))
    } else {
        Want::new(READY, false, shards_ready.reason, shards_ready.message.clone())
    };
    let wanted = [ready_want, shards_ready, peers_synced, progressing, degraded_want];
    let previous = frame.previous.map(|p| p.conditions.as_slice()).unwrap_or_default();
    ActiveActiveDatabaseStatus {
        observed_generation: frame.generation,
        region: Some(frame.region.to_string()),
        conditions: conditions::merge(previous, &wanted, frame.generation, frame.now),
        ready_shards: Some(format!("{ready}/{}", shards.len())),
        synced_peers: Some(format!("{synced}/{}", peers.len())),
        shards,
        peers,
        digests_at: digests.at.map(|t| t.to_string()),
    }
}

/// The status when the region cannot be reconciled at all (a manifest or Secret to fix, or
/// `paused`): the conditions say why, the last known shards and peers stay.
pub fn blocked(reason: &'static str, message: &str, degraded: bool, frame: &Frame) -> ActiveActiveDatabaseStatus {
    let previous = frame.previous.cloned().unwrap_or_default();
    let ready = conditions::is_true(&previous.conditions, READY).unwrap_or(false) && !degraded;
    let keep = |type_: &'static str, default_reason: &'static str| {
        let c = previous.conditions.iter().find(|c| c.type_ == type_);
        Want::new(
            type_,
            c.is_some_and(|c| c.status == "True"),
            c.map(|_| "Unchanged").unwrap_or(default_reason),
            c.map(|c| c.message.clone()).unwrap_or_default(),
        )
    };
    let wanted = [
        if ready {
            Want::new(READY, true, "Ready", "serving; changes wait")
        } else {
            Want::new(READY, false, reason, message)
        },
        keep(SHARDS_READY, "Unknown"),
        keep(PEERS_SYNCED, "Unknown"),
        Want::new(PROGRESSING, false, reason, message),
        if degraded {
            Want::new(DEGRADED, true, reason, message)
        } else {
            Want::new(DEGRADED, false, "AsExpected", "nothing needs attention")
        },
    ];
    ActiveActiveDatabaseStatus {
        observed_generation: frame.generation,
        region: Some(frame.region.to_string()),
        conditions: conditions::merge(&previous.conditions, &wanted, frame.generation, frame.now),
        ..previous
    }
}

fn shard_status(
    plan: &RegionPlan,
    observed: &Observed,
    d: &ShardDecision,
    outcome: &Outcome,
    frame: &Frame,
) -> ShardStatus {
    let master = d.master();
    let pod = |o: u32| names::pod(plan, d.index, o);
    let report = |o: u32| observed.pod(d.index, o).and_then(|p| observed.report(&p.name));
    let pod_ready = |o: u32| observed.pod(d.index, o).is_some_and(|p| p.ready && !p.deleting);
    let previous_actor = frame
        .previous
        .and_then(|p| p.shards.iter().find(|s| s.index == d.index as i32))
        .and_then(|s| s.master_actor.clone());
    let master_actor = match &d.decision {
        Decision::Waiting { .. } => previous_actor,
        Decision::Master { master, .. } => {
            outcome.promoted.get(&d.index).cloned().or_else(|| report(*master).map(|r| r.state.actor.clone()))
        }
        Decision::Starting | Decision::NoMaster { .. } => None,
    };
    let master_report = master.and_then(report);
    let ready = matches!(&d.decision, Decision::Master { master, promote, .. }
        if pod_ready(*master)
            && report(*master).is_some()
            && (*promote && outcome.promoted.contains_key(&d.index)
                || report(*master).is_some_and(|r| r.state.role == NodeRole::Master)));
    let replicas = d
        .members
        .iter()
        .filter(|m| Some(m.ordinal) != master)
        .map(|m| {
            let r = report(m.ordinal);
            ReplicaStatus {
                pod: pod(m.ordinal),
                ready: pod_ready(m.ordinal),
                link_up: r.is_some_and(|r| r.link_up),
                offset: r.and_then(|r| i64::try_from(r.state.offset).ok()),
            }
        })
        .collect();
    ShardStatus {
        index: d.index as i32,
        slots: plan.shards.get(d.index as usize).map(|s| slots::render(s.slots)).unwrap_or_default(),
        master: master.map(pod),
        master_actor,
        replid: master_report.map(|r| r.state.replid.clone()).filter(|r| !r.is_empty()),
        offset: master_report.and_then(|r| i64::try_from(r.state.offset).ok()),
        replicas,
        ready,
        digest: None,
    }
}

fn peer_status(observed: &Observed, id: u8, name: &str) -> PeerStatus {
    let unknown = |error: String| PeerStatus {
        region: name.to_string(),
        id: i32::from(id),
        state: "unknown".into(),
        last_error: Some(error),
        ..Default::default()
    };
    match &observed.syncer {
        None => unknown("the region's syncer is not running".into()),
        Some(Err(e)) => unknown(format!("the region's syncer does not answer: {e}")),
        Some(Ok(links)) => match links.get(&id) {
            None => unknown("the syncer does not peer with this region yet (it restarts with the new manifest)".into()),
            Some(link) => PeerStatus {
                region: name.to_string(),
                id: i32::from(id),
                state: link.state.clone(),
                lag_ms: link.lag_ms,
                last_full_sync: link
                    .last_full_sync_unix_ms
                    .and_then(|ms| Timestamp::from_millisecond(ms).ok())
                    .map(|t| t.to_string()),
                digest_match: None,
                last_error: link.last_error.clone(),
            },
        },
    }
}

fn peers_condition(observed: &Observed, peers: &[PeerStatus], synced: usize) -> Want {
    let total = peers.len();
    if total == 0 {
        return Want::new(PEERS_SYNCED, true, "NoPeers", "the database has one region");
    }
    if synced == total {
        return Want::new(
            PEERS_SYNCED,
            true,
            "AllPeersSynced",
            format!("{synced}/{total} peer regions stream to this one"),
        );
    }
    if !matches!(observed.syncer, Some(Ok(_))) {
        let why = peers.first().and_then(|p| p.last_error.clone()).unwrap_or_default();
        return Want::new(PEERS_SYNCED, false, "SyncerNotReady", why);
    }
    let lagging: Vec<String> = peers
        .iter()
        .filter(|p| p.state != "partial-sync")
        .map(|p| match &p.last_error {
            Some(e) => format!("{}: {} ({e})", p.region, p.state),
            None => format!("{}: {}", p.region, p.state),
        })
        .collect();
    let reason = if peers.iter().any(|p| p.state == "stale") {
        "PeerUnreachable"
    } else if peers.iter().any(|p| p.state == "full-sync") {
        "FullSyncInProgress"
    } else {
        "Connecting"
    };
    Want::new(
        PEERS_SYNCED,
        false,
        reason,
        format!("{synced}/{total} peer regions stream to this one; {}", lagging.join("; ")),
    )
}

#[cfg(test)]
mod tests;
