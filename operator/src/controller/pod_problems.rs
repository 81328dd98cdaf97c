//! Why a region's Pods do not run, in the words the kubelet and the scheduler wrote on them:
//! a container waiting for an image it cannot get, one that keeps crashing, a Pod the
//! scheduler cannot place because its volume claim cannot bind. Pure: the Pods and claims
//! `observe` listed go in, one problem per Pod and container comes out, for the status
//! (`Degraded`, `ShardsReady`) and the Events. A user reading `kubectl describe aadb` learns
//! which Pod to look at and the kubelet's own reason, without `kubectl describe pod`.

use k8s_openapi::api::core::v1::{ContainerStatus, PersistentVolumeClaim, Pod};

use super::Note;

/// The container's image cannot be had (`ErrImagePull`, `ImagePullBackOff`,
/// `ErrImageNeverPull`, `InvalidImageName`).
pub const IMAGE_UNAVAILABLE: &str = "ImageUnavailable";
/// The container exited and was restarted, and has not become ready since.
pub const CRASH_LOOP: &str = "CrashLoopBackOff";
/// The container could not be created (a missing ConfigMap or Secret key, a bad command).
pub const CONTAINER_FAILING: &str = "ContainerFailing";
/// The scheduler cannot place the Pod because a claim it mounts is not bound.
pub const VOLUME_NOT_BOUND: &str = "VolumeNotBound";
/// The scheduler cannot place the Pod for another reason (resources, affinity, taints).
pub const UNSCHEDULABLE: &str = "Unschedulable";

/// Waiting reasons that are the normal way to start, not a problem.
const STARTING: [&str; 2] = ["ContainerCreating", "PodInitializing"];
const IMAGE_REASONS: [&str; 4] = ["ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName"];

/// One thing that keeps a Pod from running.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodProblem {
    /// The Pod's name.
    pub pod: String,
    /// Its Degraded reason: one of the constants above.
    pub reason: &'static str,
    /// What it is about and what went wrong, without details that change from one look to
    /// the next (restart counts): `pod db-shard-0-0, container datanode: ErrImageNeverPull`.
    /// An Event is published when a problem with a new headline appears.
    pub headline: String,
    /// The headline and the kubelet's or scheduler's own message.
    pub message: String,
}

/// The problems of `pods` (datanodes and syncer), with the `claims` of their namespace to
/// say why an unschedulable Pod's volume does not bind. Pods being deleted are left out:
/// what their containers do no longer matters.
pub fn problems(pods: &[Pod], claims: &[PersistentVolumeClaim]) -> Vec<PodProblem> {
    let mut out = vec![];
    for pod in pods.iter().filter(|p| p.metadata.deletion_timestamp.is_none()) {
        let name = pod.metadata.name.as_deref().unwrap_or("?");
        let Some(status) = &pod.status else { continue };
        if let Some(problem) = unschedulable(pod, name, claims) {
            out.push(problem);
            continue;
        }
        let containers =
            status.init_container_statuses.iter().flatten().chain(status.container_statuses.iter().flatten());
        out.extend(containers.filter_map(|c| container_problem(name, c)));
    }
    out
}

/// The Warning Events for `problems` whose headline the previous `Degraded` message did not
/// carry: each new problem is announced once, not on every reconcile while it lasts.
pub fn new_problem_notes(problems: &[PodProblem], previous_degraded: Option<&str>) -> Vec<Note> {
    problems
        .iter()
        .filter(|p| !previous_degraded.is_some_and(|m| m.contains(&p.headline)))
        .map(|p| Note::warning(p.reason, p.message.clone()).about(&p.pod))
        .collect()
}

fn container_problem(pod: &str, c: &ContainerStatus) -> Option<PodProblem> {
    let state = c.state.as_ref();
    let waiting = state.and_then(|s| s.waiting.as_ref());
    let waiting_reason = waiting.and_then(|w| w.reason.as_deref()).unwrap_or_default();
    let waiting_message = waiting.and_then(|w| w.message.as_deref()).unwrap_or_default();
    let subject = format!("pod {pod}, container {}", c.name);
    if IMAGE_REASONS.contains(&waiting_reason) {
        let headline = format!("{subject}: {waiting_reason}");
        let detail =
            if waiting_message.is_empty() { format!("image {}", c.image) } else { waiting_message.to_string() };
        return Some(PodProblem {
            pod: pod.into(),
            reason: IMAGE_UNAVAILABLE,
            message: format!("{headline}: {detail}"),
            headline,
        });
    }
    // A restarted container that is not ready is crash-looping even in the seconds between
    // the kubelet's CrashLoopBackOff waits when it runs again, so the condition does not
    // flap with every restart.
    let last_exit = c.last_state.as_ref().and_then(|s| s.terminated.as_ref());
    if let Some(exit) = last_exit.filter(|_| c.restart_count > 0 && !c.ready) {
        let headline = format!("{subject}: CrashLoopBackOff");
        let mut message = format!(
            "{headline}: restarted {} time(s), last exit code {}{}",
            c.restart_count,
            exit.exit_code,
            exit.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
        );
        if let Some(last_words) = exit.message.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
            message.push_str(": ");
            message.push_str(last_words);
        }
        return Some(PodProblem { pod: pod.into(), reason: CRASH_LOOP, headline, message });
    }
    if !waiting_reason.is_empty() && !STARTING.contains(&waiting_reason) && waiting_reason != "CrashLoopBackOff" {
        let headline = format!("{subject}: {waiting_reason}");
        let message =
            if waiting_message.is_empty() { headline.clone() } else { format!("{headline}: {waiting_message}") };
        return Some(PodProblem { pod: pod.into(), reason: CONTAINER_FAILING, headline, message });
    }
    None
}

/// A Pod the scheduler marked Unschedulable, with its claims that are not bound (phase,
/// storage class, size asked for), which is what the user has to change.
fn unschedulable(pod: &Pod, name: &str, claims: &[PersistentVolumeClaim]) -> Option<PodProblem> {
    let conditions = pod.status.as_ref()?.conditions.as_ref()?;
    let scheduled = conditions.iter().find(|c| c.type_ == "PodScheduled")?;
    if scheduled.status != "False" || scheduled.reason.as_deref() != Some("Unschedulable") {
        return None;
    }
    let says = scheduled.message.as_deref().unwrap_or("no reason given");
    let mounted = pod.spec.iter().flat_map(|s| s.volumes.iter().flatten());
    let unbound: Vec<String> = mounted
        .filter_map(|v| v.persistent_volume_claim.as_ref())
        .filter_map(|source| {
            let claim = claims.iter().find(|c| c.metadata.name.as_deref() == Some(source.claim_name.as_str()));
            let phase = claim.and_then(|c| c.status.as_ref()?.phase.clone()).unwrap_or_else(|| "missing".into());
            (phase != "Bound").then(|| {
                let spec = claim.and_then(|c| c.spec.as_ref());
                let class = spec.and_then(|s| s.storage_class_name.as_deref()).unwrap_or("the default class");
                let size = spec
                    .and_then(|s| s.resources.as_ref()?.requests.as_ref()?.get("storage"))
                    .map(|q| q.0.as_str())
                    .unwrap_or("?");
                format!("claim {} is {phase} (storage class {class}, {size})", source.claim_name)
            })
        })
        .collect();
    let (reason, headline) = if unbound.is_empty() {
        (UNSCHEDULABLE, format!("pod {name} cannot be scheduled"))
    } else {
        (VOLUME_NOT_BOUND, format!("pod {name} cannot be scheduled: {}", unbound.join(", ")))
    };
    Some(PodProblem { pod: name.into(), reason, message: format!("{headline}; the scheduler says: {says}"), headline })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Pod, a status and claims, as the API server returns them (JSON, so each case reads
    /// like `kubectl get -o json`).
    fn pod(name: &str, status: serde_json::Value) -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": name},
            "spec": {"containers": [{"name": "datanode"}],
                     "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": format!("data-{name}")}}]},
            "status": status,
        }))
        .unwrap()
    }

    fn claim(name: &str, phase: &str) -> PersistentVolumeClaim {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": name},
            "spec": {"storageClassName": "meridian-local", "resources": {"requests": {"storage": "50Gi"}}},
            "status": {"phase": phase},
        }))
        .unwrap()
    }

    fn waiting(reason: &str, message: &str) -> serde_json::Value {
        serde_json::json!({"phase": "Pending", "containerStatuses": [{
            "name": "datanode", "image": "meridian/meridian-datanode:9.9.9", "imageID": "", "ready": false,
            "restartCount": 0, "state": {"waiting": {"reason": reason, "message": message}}}]})
    }

    #[test]
    fn an_image_that_is_not_there_names_the_pod_and_the_kubelets_reason() {
        let msg = "Container image \"meridian/meridian-datanode:9.9.9\" is not present with pull policy of Never";
        let found = problems(&[pod("db-shard-0-0", waiting("ErrImageNeverPull", msg))], &[]);
        assert_eq!(
            found,
            vec![PodProblem {
                pod: "db-shard-0-0".into(),
                reason: IMAGE_UNAVAILABLE,
                headline: "pod db-shard-0-0, container datanode: ErrImageNeverPull".into(),
                message: format!("pod db-shard-0-0, container datanode: ErrImageNeverPull: {msg}"),
            }]
        );
        // A back-off without a message still says which image.
        let found = problems(&[pod("db-shard-0-1", waiting("ImagePullBackOff", ""))], &[]);
        assert_eq!(
            found[0].message,
            "pod db-shard-0-1, container datanode: ImagePullBackOff: image meridian/meridian-datanode:9.9.9"
        );
    }

    #[test]
    fn a_crash_loop_gives_the_last_exit_code_and_stays_reported_while_the_container_runs_again() {
        let crashed = serde_json::json!({"terminated": {"exitCode": 1, "reason": "Error",
            "message": "error: no certificate in /tls/tls.crt\n"}});
        let backing_off = serde_json::json!({"phase": "Running", "containerStatuses": [{
            "name": "syncer", "image": "i", "imageID": "", "ready": false, "restartCount": 3,
            "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s restarting failed container"}},
            "lastState": crashed}]});
        let found = problems(&[pod("db-syncer-5d8f", backing_off)], &[]);
        assert_eq!(
            found,
            vec![PodProblem {
                pod: "db-syncer-5d8f".into(),
                reason: CRASH_LOOP,
                headline: "pod db-syncer-5d8f, container syncer: CrashLoopBackOff".into(),
                message: "pod db-syncer-5d8f, container syncer: CrashLoopBackOff: restarted 3 time(s), last exit \
                          code 1 (Error): error: no certificate in /tls/tls.crt"
                    .into(),
            }]
        );
        // Started again but not ready yet: the same headline, so no new Event and no flap.
        let running_again = serde_json::json!({"phase": "Running", "containerStatuses": [{
            "name": "syncer", "image": "i", "imageID": "", "ready": false, "restartCount": 4,
            "state": {"running": {}}, "lastState": crashed}]});
        let again = problems(&[pod("db-syncer-5d8f", running_again)], &[]);
        assert_eq!(again[0].headline, found[0].headline);
        assert!(again[0].message.contains("restarted 4 time(s), last exit code 1"), "{}", again[0].message);
        // Once ready after a restart (an upgrade, an eviction), nothing is wrong.
        let recovered = serde_json::json!({"phase": "Running", "containerStatuses": [{
            "name": "syncer", "image": "i", "imageID": "", "ready": true, "restartCount": 4,
            "state": {"running": {}}, "lastState": crashed}]});
        assert_eq!(problems(&[pod("db-syncer-5d8f", recovered)], &[]), vec![]);
    }

    #[test]
    fn an_unbound_claim_names_the_claim_its_class_and_size_and_quotes_the_scheduler() {
        let says = "0/1 nodes are available: 1 node(s) didn't find available persistent volumes to bind.";
        let status = serde_json::json!({"phase": "Pending", "conditions": [{"type": "PodScheduled",
            "status": "False", "reason": "Unschedulable", "message": says}]});
        let found = problems(&[pod("db-shard-0-0", status.clone())], &[claim("data-db-shard-0-0", "Pending")]);
        assert_eq!(
            found,
            vec![PodProblem {
                pod: "db-shard-0-0".into(),
                reason: VOLUME_NOT_BOUND,
                headline: "pod db-shard-0-0 cannot be scheduled: claim data-db-shard-0-0 is Pending (storage \
                           class meridian-local, 50Gi)"
                    .into(),
                message: format!(
                    "pod db-shard-0-0 cannot be scheduled: claim data-db-shard-0-0 is Pending (storage class \
                     meridian-local, 50Gi); the scheduler says: {says}"
                ),
            }]
        );
        // Its claim bound, the Pod is unschedulable for another reason: the scheduler's words.
        let found = problems(&[pod("db-shard-0-0", status)], &[claim("data-db-shard-0-0", "Bound")]);
        assert_eq!(found[0].reason, UNSCHEDULABLE);
        assert_eq!(found[0].message, format!("pod db-shard-0-0 cannot be scheduled; the scheduler says: {says}"));
    }

    #[test]
    fn starting_running_and_deleted_pods_are_not_problems_and_other_waits_are() {
        let creating = pod("a", waiting("ContainerCreating", ""));
        let mut deleted = pod("b", waiting("ErrImageNeverPull", "gone"));
        deleted.metadata.deletion_timestamp =
            Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(k8s_openapi::jiff::Timestamp::UNIX_EPOCH));
        let running = pod(
            "c",
            serde_json::json!({"phase": "Running", "containerStatuses": [{"name": "datanode",
            "image": "i", "imageID": "", "ready": true, "restartCount": 0, "state": {"running": {}}}]}),
        );
        let no_status = pod("d", serde_json::Value::Null);
        assert_eq!(problems(&[creating, deleted, running, no_status], &[]), vec![]);
        let config = pod("e", waiting("CreateContainerConfigError", "secret \"pw\" not found"));
        let found = problems(&[config], &[]);
        assert_eq!(
            (found[0].reason, found[0].message.as_str()),
            (CONTAINER_FAILING, "pod e, container datanode: CreateContainerConfigError: secret \"pw\" not found")
        );
    }

    #[test]
    fn each_problem_is_announced_once_while_the_degraded_message_carries_it() {
        let found = problems(&[pod("db-shard-0-0", waiting("ErrImageNeverPull", "not present"))], &[]);
        let first = new_problem_notes(&found, None);
        assert_eq!(first, vec![Note::warning(IMAGE_UNAVAILABLE, found[0].message.clone()).about("db-shard-0-0")]);
        let degraded = found[0].message.clone();
        assert_eq!(new_problem_notes(&found, Some(&degraded)), vec![]);
        assert_eq!(new_problem_notes(&found, Some("shard 0: no master")).len(), 1);
    }
}
