//! The controller for one region: kube-rs's `Controller` watches the databases and every
//! object they own (and their datanode pods), and `reconcile` runs Stackable's pipeline for
//! the region the operator was started for: plan → observe → decide → act (roles, leases) →
//! build → apply → status. Level-based: each pass starts from what is, never from what the last pass did,
//! except the masters it recorded in status.

pub mod act;
pub mod apply;
pub mod decide;
pub mod digest;
pub mod lease_keeper;
pub mod lost_volumes;
pub mod observe;
pub mod pod_problems;
pub mod rebuild_request;
pub mod status;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{ConfigMap, ObjectReference, PersistentVolumeClaim, Pod, Service};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::jiff::Timestamp;
use kube::api::{ListParams, Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::runtime::finalizer::{Event as Finalizer, finalizer};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::{Controller, watcher};
use kube::{Api, Client, Resource, ResourceExt};
use parking_lot::Mutex;

pub use crate::error::{self, Error};

use crate::build::{self, names};
use crate::conditions::{self, DEGRADED, READY};
use crate::crd::{ActiveActiveDatabase, ActiveActiveDatabaseStatus, DeletionPolicy};
use crate::metrics::Metrics;
use crate::plan::{self, OperatorDefaults, PlanError, RegionPlan};

/// Removed only after the deletion policy was carried out.
pub const FINALIZER: &str = "meridian.io/deletion-policy";

/// How often a settled database is looked at again: datanode roles and peer links change
/// without any Kubernetes event.
const SETTLED_REQUEUE: Duration = Duration::from_secs(10);
/// How often while something moves (a failover grace running, pods starting, a rollout).
const BUSY_REQUEUE: Duration = Duration::from_secs(2);
/// How often a database waiting for a Secret is looked at (Secrets are not watched).
const SECRET_REQUEUE: Duration = Duration::from_secs(15);

/// What every reconcile shares.
pub struct Context {
    pub client: Client,
    pub recorder: Recorder,
    pub metrics: Arc<Metrics>,
    /// The region this operator reconciles (`--region`).
    pub region: String,
    pub defaults: OperatorDefaults,
    /// Per pod (`namespace/name`), when the operator first failed to reach a datanode that
    /// looked ready: the start of its grace period.
    unreachable: Mutex<BTreeMap<String, Timestamp>>,
    /// Per database, failed reconciles in a row: the error backoff.
    failures: Mutex<BTreeMap<String, u32>>,
    /// The masters whose leases the keeper renews.
    pub leases: Arc<lease_keeper::Leases>,
    /// Per database uid and shard, the latest rebuild token rendered (see
    /// `remember_rebuild_tokens`).
    rebuild_tokens: Mutex<BTreeMap<String, String>>,
}

impl Context {
    pub fn new(
        client: Client,
        metrics: Arc<Metrics>,
        region: String,
        defaults: OperatorDefaults,
        instance: String,
    ) -> Self {
        let reporter = Reporter { controller: names::OPERATOR.into(), instance: Some(instance) };
        Context {
            recorder: Recorder::new(client.clone(), reporter),
            client,
            metrics,
            region,
            defaults,
            unreachable: Mutex::default(),
            failures: Mutex::default(),
            leases: Arc::default(),
            rebuild_tokens: Mutex::default(),
        }
    }
}

/// An Event to publish about a database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub type_: EventType,
    pub reason: &'static str,
    pub message: String,
    /// The Pod the Event is about, if any: its `related` object. Events with the same
    /// reason on the same database are folded into one series (with the first message) by
    /// the Events API's aggregation, so one per Pod keeps "shard 1's master" from hiding
    /// under "shard 0's", or one Pod's missing image under another's.
    pub pod: Option<String>,
}

impl Note {
    pub fn normal(reason: &'static str, message: impl Into<String>) -> Note {
        Note { type_: EventType::Normal, reason, message: message.into(), pod: None }
    }

    pub fn warning(reason: &'static str, message: impl Into<String>) -> Note {
        Note { type_: EventType::Warning, reason, message: message.into(), pod: None }
    }

    /// The same note, about `pod`.
    pub fn about(self, pod: impl Into<String>) -> Note {
        Note { pod: Some(pod.into()), ..self }
    }
}

/// Runs the controller until `shutdown` resolves. Refuses to start, saying how to install
/// it, while the CRD is missing.
pub async fn run(
    ctx: Arc<Context>,
    namespace: Option<String>,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) -> anyhow::Result<()> {
    let client = ctx.client.clone();
    fn api<K>(client: &Client, ns: &Option<String>) -> Api<K>
    where
        K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>,
    {
        match ns {
            Some(ns) => Api::namespaced(client.clone(), ns),
            None => Api::all(client.clone()),
        }
    }
    let dbs: Api<ActiveActiveDatabase> = api(&client, &namespace);
    if let Err(e) = dbs.list(&ListParams::default().limit(1)).await {
        anyhow::bail!(
            "cannot list ActiveActiveDatabases ({e}); is the CRD installed? `meridian-operator crd | kubectl apply -f -` installs it, as does the Helm chart"
        );
    }
    tokio::spawn(ctx.leases.clone().keep());
    let managed = watcher::Config::default().labels(&format!("{}={}", names::MANAGED_BY, names::OPERATOR));
    let datanodes = watcher::Config::default().labels(&format!(
        "{}={},{}={}",
        names::NAME,
        names::APP,
        names::COMPONENT,
        names::DATANODE
    ));
    Controller::new(dbs, watcher::Config::default())
        .owns(api::<StatefulSet>(&client, &namespace), managed.clone())
        .owns(api::<Service>(&client, &namespace), managed.clone())
        .owns(api::<Deployment>(&client, &namespace), managed.clone())
        .owns(api::<ConfigMap>(&client, &namespace), managed.clone())
        .owns(api::<PodDisruptionBudget>(&client, &namespace), managed)
        // Pods are the StatefulSets' children, not ours: map each to its database by label.
        .watches(api::<Pod>(&client, &namespace), datanodes, |pod| {
            let db = pod.labels().get(names::INSTANCE)?.clone();
            Some(ObjectRef::<ActiveActiveDatabase>::new(&db).within(&pod.namespace()?))
        })
        .graceful_shutdown_on(shutdown)
        .run(reconcile, error_policy, ctx)
        .for_each(|result| async move {
            if let Err(e) = result {
                tracing::debug!(error = %e, "reconcile");
            }
        })
        .await;
    Ok(())
}

pub async fn reconcile(db: Arc<ActiveActiveDatabase>, ctx: Arc<Context>) -> Result<Action, Error> {
    let _timer = ctx.metrics.reconcile();
    let ns = db.namespace().ok_or(Error::NoNamespace)?;
    let key = format!("{ns}/{}", db.name_any());
    let api: Api<ActiveActiveDatabase> = Api::namespaced(ctx.client.clone(), &ns);
    let action = finalizer(&api, FINALIZER, db, |event| async {
        match event {
            Finalizer::Apply(db) => reconcile_region(&db, &ctx).await,
            Finalizer::Cleanup(db) => cleanup(&db, &ctx).await,
        }
    })
    .await
    .map_err(|e| Error::Finalizer(Box::new(e)))?;
    ctx.failures.lock().remove(&key);
    Ok(action)
}

/// Logs and counts the error, and retries with a backoff that doubles per failure in a row
/// (1 s to 5 min), so a broken API server or a refusing webhook is not hammered.
pub fn error_policy(db: Arc<ActiveActiveDatabase>, error: &Error, ctx: Arc<Context>) -> Action {
    ctx.metrics.failure(error.metric_label());
    let key = format!("{}/{}", db.namespace().unwrap_or_default(), db.name_any());
    let mut failures = ctx.failures.lock();
    let n = failures.entry(key).or_insert(0);
    *n = n.saturating_add(1);
    let delay = Duration::from_secs(1u64 << (*n).min(9)).min(Duration::from_secs(300));
    tracing::warn!(database = %db.name_any(), error = %error::chain(error), retry_in = ?delay, "reconcile failed");
    Action::requeue(delay)
}

async fn reconcile_region(db: &ActiveActiveDatabase, ctx: &Context) -> Result<Action, Error> {
    let now = Timestamp::now();
    let frame =
        status::Frame { region: &ctx.region, previous: db.status.as_ref(), generation: db.metadata.generation, now };
    let mut plan = match plan::plan(db, &ctx.region, &ctx.defaults) {
        Ok(plan) => plan,
        Err(e) => {
            let reason = match e {
                PlanError::UnknownRegion { .. } => "UnknownRegion",
                PlanError::Invalid(_) | PlanError::MissingMetadata(_) => "InvalidSpec",
            };
            let message = e.to_string();
            publish(ctx, db, &[Note::warning(reason, message.clone())]).await;
            write_status(ctx, db, status::blocked(reason, &message, true, &frame)).await?;
            // Nothing changes until the manifest does.
            return Ok(Action::await_change());
        }
    };
    if plan.paused {
        let message = "spec.paused is true: the operator changes nothing in this region";
        let was = db
            .status
            .as_ref()
            .and_then(|s| s.conditions.iter().find(|c| c.type_ == conditions::PROGRESSING))
            .map(|c| c.reason.as_str());
        if was != Some("Paused") {
            publish(ctx, db, &[Note::normal("Paused", message)]).await;
        }
        write_status(ctx, db, status::blocked("Paused", message, false, &frame)).await?;
        return Ok(Action::requeue(SETTLED_REQUEUE));
    }
    let observed = observe::observe(&plan, ctx).await?;
    if !observed.secret_problems.is_empty() {
        let message = format!("{}; nothing was applied", observed.secret_problems.join("; "));
        publish(ctx, db, &[Note::warning("SecretMissing", message.clone())]).await;
        write_status(ctx, db, status::blocked("SecretMissing", &message, true, &frame)).await?;
        return Ok(Action::requeue(SECRET_REQUEUE));
    }
    let rebuild = match rebuild_request::requested(db) && rebuild_request::claim(ctx, db).await? {
        true => rebuild_request::take(db, &mut plan, now),
        false => None,
    };
    remember_rebuild_tokens(ctx, db, &mut plan);
    let unreachable = remember_unreachable(ctx, &plan.namespace, &observed, now);
    let recorded = decide::recorded(&plan, db.status.as_ref());
    let decisions = decide::decide(&plan, &observed, &recorded, &unreachable, now);
    let masters: Vec<Option<u32>> = decisions.iter().map(|d| d.master()).collect();
    let owner = db.controller_owner_ref(&()).ok_or(Error::NoUid)?;
    // Roles and leases first: an API server refusing the objects must not leave the masters
    // without their lease renewal (they would fence themselves).
    let (mut outcome, mut notes) = act::act(&plan, &observed, &decisions, ctx).await;
    match lost_volumes::observe(&ctx.client, &plan, &observed.pods).await {
        Ok(stranded) => notes.extend(lost_volumes::act(&ctx.client, &plan, &stranded).await),
        Err(e) => notes.push(Note::warning("VolumesUnchecked", format!("cannot check for volumes on lost nodes: {e}"))),
    }
    ctx.leases.set(&format!("{}/{}", plan.namespace, plan.database), act::leased(&plan, &decisions));
    // The status is written even when applying fails: it records the masters just chosen,
    // which the next pass must know.
    let applied = apply::apply(&ctx.client, &plan, build::build(&plan, &masters, &owner)).await;
    if let Err(e) = &applied {
        outcome.failures.push(error::chain(e));
    }
    let observed_generation = db.status.as_ref().and_then(|s| s.observed_generation);
    if observed_generation != db.metadata.generation {
        let members: u32 = plan.shards.iter().map(|s| s.members).sum();
        notes.insert(
            0,
            Note::normal(
                "Applied",
                format!(
                    "generation {}: region {} has {} shard(s) of {} datanode(s) in all, peering with {} region(s)",
                    db.metadata.generation.unwrap_or(0),
                    plan.region.name,
                    plan.shards.len(),
                    members,
                    plan.peers.len()
                ),
            ),
        );
    }
    let digests = match digest::kept(db.status.as_ref(), now) {
        Some(kept) => kept,
        None => digest::take(&plan, &decisions, ctx, now).await,
    };
    let new_status = status::status(&plan, &observed, &decisions, &outcome, &digests, &frame);
    notes.extend(transitions(db.status.as_ref(), &new_status));
    notes.extend(rebuild.clone());
    let degraded_before =
        db.status.as_ref().and_then(|s| s.conditions.iter().find(|c| c.type_ == DEGRADED)).map(|c| c.message.as_str());
    notes.extend(pod_problems::new_problem_notes(&observed.pod_problems, degraded_before));
    publish(ctx, db, &notes).await;
    let busy = conditions::is_true(&new_status.conditions, conditions::PROGRESSING) == Some(true);
    write_status(ctx, db, new_status).await?;
    applied?;
    Ok(Action::requeue(if busy { BUSY_REQUEUE } else { SETTLED_REQUEUE }))
}

/// Keeps each shard's rebuild token at the latest this operator has rendered: a pass may
/// read the database from a cache that does not yet hold the status the previous pass wrote.
fn remember_rebuild_tokens(ctx: &Context, db: &ActiveActiveDatabase, plan: &mut RegionPlan) {
    let uid = db.uid().unwrap_or_default();
    let mut rendered = ctx.rebuild_tokens.lock();
    for shard in &mut plan.shards {
        let key = format!("{uid}/{}", shard.index);
        shard.rebuild = crate::rebuild::latest(shard.rebuild.take(), rendered.get(&key).cloned());
        if let Some(token) = &shard.rebuild {
            rendered.insert(key, token.clone());
        }
    }
}

/// Events for the conditions that flipped.
fn transitions(before: Option<&ActiveActiveDatabaseStatus>, after: &ActiveActiveDatabaseStatus) -> Vec<Note> {
    let was = |t: &str| before.and_then(|s| conditions::is_true(&s.conditions, t));
    let now = |t: &str| after.conditions.iter().find(|c| c.type_ == t);
    let mut notes = vec![];
    if let Some(c) = now(READY) {
        let ready = c.status == "True";
        match was(READY) {
            Some(before) if before != ready && !ready => notes.push(Note::warning("NotReady", c.message.clone())),
            Some(false) | None if ready => notes.push(Note::normal("Ready", c.message.clone())),
            _ => {}
        }
    }
    if let Some(c) = now(DEGRADED) {
        if c.status == "True" && was(DEGRADED) != Some(true) {
            notes.push(Note::warning("Degraded", format!("{}: {}", c.reason, c.message)));
        }
        if c.status == "False" && was(DEGRADED) == Some(true) {
            notes.push(Note::normal("Recovered", "nothing needs attention any more"));
        }
    }
    notes
}

/// Updates the memory of unreachable datanodes; returns it for this namespace, by pod name.
fn remember_unreachable(
    ctx: &Context,
    ns: &str,
    observed: &observe::Observed,
    now: Timestamp,
) -> BTreeMap<String, Timestamp> {
    let mut memory = ctx.unreachable.lock();
    let mut mine = BTreeMap::new();
    for pod in &observed.pods {
        let key = format!("{ns}/{}", pod.name);
        if matches!(observed.reports.get(&pod.name), Some(Ok(_))) {
            memory.remove(&key);
        } else {
            let since = *memory.entry(key).or_insert(now);
            mine.insert(pod.name.clone(), since);
        }
    }
    mine
}

/// The deletion policy: with `Delete`, the datanodes' volumes go with the database; with
/// `Retain` they stay (an Event lists them). The owned objects are removed by Kubernetes'
/// garbage collector once the finalizer is gone.
async fn cleanup(db: &ActiveActiveDatabase, ctx: &Context) -> Result<Action, Error> {
    let ns = db.namespace().ok_or(Error::NoNamespace)?;
    ctx.leases.set(&format!("{ns}/{}", db.name_any()), vec![]);
    let uid = db.uid().unwrap_or_default();
    ctx.rebuild_tokens.lock().retain(|key, _| !key.starts_with(&format!("{uid}/")));
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(ctx.client.clone(), &ns);
    let selector = format!("{}={},{}={}", names::NAME, names::APP, names::INSTANCE, db.name_any());
    let list =
        claims.list(&ListParams::default().labels(&selector)).await.map_err(|e| Error::observe("volume claims", e))?;
    let policy = db.spec.deletion_policy.unwrap_or_default();
    let names: Vec<String> = list.items.iter().map(|c| c.name_any()).collect();
    let note = match policy {
        DeletionPolicy::Delete => {
            for name in &names {
                if let Err(source) = apply::delete_present(&claims, name).await {
                    return Err(Error::Delete { kind: "PersistentVolumeClaim".into(), name: name.clone(), source });
                }
            }
            Note::normal("VolumesDeleted", format!("deletionPolicy Delete: deleted {} volume claim(s)", names.len()))
        }
        DeletionPolicy::Retain => Note::normal(
            "VolumesRetained",
            if names.is_empty() {
                "deletionPolicy Retain: the database had no volume claims".to_string()
            } else {
                format!("deletionPolicy Retain: kept volume claim(s) {}", names.join(", "))
            },
        ),
    };
    publish(ctx, db, &[note]).await;
    Ok(Action::await_change())
}

/// Publishes Events about `db`. An Event that cannot be written is logged, never fatal.
async fn publish(ctx: &Context, db: &ActiveActiveDatabase, notes: &[Note]) {
    let reference = db.object_ref(&());
    for note in notes {
        let related = note.pod.as_ref().map(|pod| ObjectReference {
            api_version: Some("v1".into()),
            kind: Some("Pod".into()),
            name: Some(pod.clone()),
            namespace: reference.namespace.clone(),
            ..ObjectReference::default()
        });
        let event = Event {
            type_: note.type_,
            reason: note.reason.into(),
            note: Some(note.message.chars().take(1000).collect()),
            action: note.reason.into(),
            secondary: related,
        };
        if let Err(e) = ctx.recorder.publish(&event, &reference).await {
            tracing::warn!(error = %e, reason = note.reason, "could not publish an Event");
        }
    }
}

/// One status patch per reconcile, by server-side apply under the operator's manager.
async fn write_status(
    ctx: &Context,
    db: &ActiveActiveDatabase,
    status: ActiveActiveDatabaseStatus,
) -> Result<(), Error> {
    let ns = db.namespace().ok_or(Error::NoNamespace)?;
    let api: Api<ActiveActiveDatabase> = Api::namespaced(ctx.client.clone(), &ns);
    let patch = serde_json::json!({
        "apiVersion": "meridian.io/v1alpha1",
        "kind": "ActiveActiveDatabase",
        "status": status,
    });
    api.patch_status(&db.name_any(), &PatchParams::apply(apply::FIELD_MANAGER).force(), &Patch::Apply(&patch))
        .await
        .map_err(Error::Status)?;
    Ok(())
}
