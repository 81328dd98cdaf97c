//! Carrying out the shard decisions: promote (`SetRole`), repoint the others to the master,
//! label pods with their role so the client Service follows the masters, and take the
//! rollout's step. The order keeps writes safe: the new master is promoted before anybody is
//! told to follow it, and labelled before the old one loses its label. A failed action is
//! recorded (it becomes `Degraded`) and retried at the next reconcile; it never stops the
//! others.

use k8s_openapi::api::core::v1::Pod;
use kube::api::{DeleteParams, Patch, PatchParams};
use kube::{Api, Client};

use super::apply::FIELD_MANAGER;
use super::decide::ShardDecision;
use super::observe::Observed;
use super::status::Outcome;
use super::{Context, Note};
use crate::build::names;
use crate::failover::{Decision, Why};
use crate::nodes;
use crate::plan::RegionPlan;
use crate::rollout::Step;

pub async fn act(
    plan: &RegionPlan,
    observed: &Observed,
    decisions: &[ShardDecision],
    ctx: &Context,
) -> (Outcome, Vec<Note>) {
    let mut outcome = Outcome::default();
    let mut notes = vec![];
    for d in decisions {
        let Decision::Master { master, promote, changed } = &d.decision else { continue };
        let Some(master_addr) = d.master_addr.clone() else { continue };
        let master_pod = names::pod(plan, d.index, *master);
        // Every pass renews the master's lease (promoting it first if need be): a master that
        // stops hearing from the operator for the grace period fences itself.
        match nodes::lease_master(&master_addr, &plan.database_id, lease(plan)).await {
            Ok(report) => {
                if *promote {
                    outcome.promoted.insert(d.index, report.state.actor.clone());
                }
            }
            Err(e) if *promote => {
                outcome.failures.push(format!("promoting {master_pod}: {e}"));
                continue;
            }
            Err(e) => outcome.failures.push(format!("renewing the lease of {master_pod}: {e}")),
        }
        if changed.is_some() || *promote {
            ctx.metrics.master_change(changed.as_ref());
            notes.push(promotion_note(d.index, &master_pod, changed.as_ref()).about(&master_pod));
        }
        for ordinal in &d.repoint {
            let pod = names::pod(plan, d.index, *ordinal);
            let Some(addr) = d.members.iter().find(|m| m.ordinal == *ordinal).and_then(|m| m.addr.clone()) else {
                continue;
            };
            if let Err(e) = nodes::set_role(&addr, &plan.database_id, &master_addr).await {
                outcome.failures.push(format!("making {pod} follow {master_pod}: {e}"));
            }
        }
        // Labels: the master first, so the client Service never has no endpoint because of us.
        let mut labels = vec![(master_pod.clone(), names::ROLE_MASTER)];
        labels.extend(
            (0..d.members.len() as u32)
                .filter(|o| o != master)
                .map(|o| (names::pod(plan, d.index, o), names::ROLE_REPLICA)),
        );
        for (pod, role) in labels {
            let Some(view) = observed.pods.iter().find(|p| p.name == pod && !p.deleting) else { continue };
            if view.role.as_deref() == Some(role) {
                continue;
            }
            if let Err(e) = label(&ctx.client, &plan.namespace, &pod, role).await {
                outcome.failures.push(format!("labelling {pod} {role}: {e}"));
            }
        }
        if let Some(Step::Replace(ordinal)) = d.rollout {
            let pod = names::pod(plan, d.index, ordinal);
            match Api::<Pod>::namespaced(ctx.client.clone(), &plan.namespace)
                .delete(&pod, &DeleteParams::default())
                .await
            {
                Ok(_) => {
                    outcome.rolling = true;
                    notes.push(
                        Note::normal("RollingUpdate", format!("replacing {pod} with the new template")).about(&pod),
                    );
                }
                Err(e) => outcome.failures.push(format!("replacing {pod}: {e}")),
            }
        }
        if matches!(changed, Some(Why::Switchover)) {
            outcome.rolling = true;
        }
    }
    (outcome, notes)
}

/// The masters to keep leased after this pass: those decided (not those waited for).
pub fn leased(plan: &RegionPlan, decisions: &[ShardDecision]) -> Vec<super::lease_keeper::Leased> {
    decisions
        .iter()
        .filter(|d| matches!(d.decision, Decision::Master { .. }))
        .filter_map(|d| {
            Some(super::lease_keeper::Leased {
                addr: d.master_addr.clone()?,
                database_id: plan.database_id.clone(),
                lease: lease(plan),
            })
        })
        .collect()
}

/// The master lease: the failover grace period, after which a replica may be promoted.
pub fn lease(plan: &RegionPlan) -> std::time::Duration {
    std::time::Duration::from_secs(u64::from(plan.failover_grace_seconds))
}

fn promotion_note(shard: u32, pod: &str, why: Option<&Why>) -> Note {
    match why {
        Some(Why::Elected) => Note::normal("MasterElected", format!("{pod} is the master of shard {shard}")),
        None => Note::normal(
            "MasterRestored",
            format!("{pod} was demoted by hand and is the master of shard {shard} again"),
        ),
        Some(Why::MasterDown) => Note::warning(
            "FailedOver",
            format!("shard {shard}: the master was down for longer than the grace period; {pod} took over"),
        ),
        Some(Why::MasterRestarted) => Note::warning(
            "FailedOver",
            format!("shard {shard}: the master restarted empty; {pod}, the most advanced replica, took over"),
        ),
        Some(Why::Switchover) => {
            Note::normal("Switchover", format!("shard {shard}: {pod} is master while the old one is replaced"))
        }
    }
}

/// Sets a pod's role label, under the operator's field manager (the StatefulSet owns the rest).
async fn label(client: &Client, ns: &str, pod: &str, role: &str) -> Result<(), kube::Error> {
    let patch = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": { "name": pod, "labels": { names::ROLE: role } },
    });
    Api::<Pod>::namespaced(client.clone(), ns)
        .patch(pod, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(&patch))
        .await
        .map(|_| ())
}
