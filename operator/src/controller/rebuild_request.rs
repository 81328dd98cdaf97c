//! The `meridian.io/rebuild-shard` annotation: claim it (take it off the resource, only if the
//! resource is still the one this pass read), then read it into the plan (a new rebuild token
//! for each shard it names, which the pod templates then carry and the status records), so a
//! request is carried out once even when a second pass starts from a copy of the resource that
//! still shows it. A request the operator cannot read is refused with an Event and taken off
//! too: it would not read better on the next pass.

use k8s_openapi::jiff::Timestamp;
use kube::api::{Patch, PatchParams};
use kube::{Api, ResourceExt};

use super::{Context, Error, Note};
use crate::crd::ActiveActiveDatabase;
use crate::plan::RegionPlan;
use crate::rebuild::{self, ANNOTATION};

/// Whether `db` carries a request, and the Event that answers it. The shards it names get a
/// new token in `plan`.
pub fn take(db: &ActiveActiveDatabase, plan: &mut RegionPlan, now: Timestamp) -> Option<Note> {
    let value = db.annotations().get(ANNOTATION)?;
    let count = u32::try_from(plan.shards.len()).unwrap_or(u32::MAX);
    Some(match rebuild::parse(value, count) {
        Ok(shards) => {
            let token = rebuild::token(now);
            for shard in plan.shards.iter_mut().filter(|s| shards.contains(&s.index)) {
                shard.rebuild = Some(token.clone());
            }
            let list: Vec<String> = shards.iter().map(u32::to_string).collect();
            Note::normal(
                "RebuildStarted",
                format!(
                    "rebuilding shard(s) {} of region {}: each member is replaced in turn (replicas first, then the master's role moves to a rebuilt replica) and refilled by a full sync",
                    list.join(", "),
                    plan.region.name
                ),
            )
        }
        Err(e) => Note::warning("RebuildRefused", e.to_string()),
    })
}

/// Whether `db` carries a request at all.
pub fn requested(db: &ActiveActiveDatabase) -> bool {
    db.annotations().contains_key(ANNOTATION)
}

/// Takes the annotation off `db`, on the condition that the resource is still at the version
/// this pass read (a merge patch that names `resourceVersion` is refused with 409 Conflict
/// otherwise). `Ok(true)`: this pass owns the request. `Ok(false)`: the resource changed since
/// it was read — another pass may have taken the request — so this pass leaves it alone and
/// the next one, reading the resource as it is now, decides again.
pub async fn claim(ctx: &Context, db: &ActiveActiveDatabase) -> Result<bool, Error> {
    let ns = db.namespace().ok_or(Error::NoNamespace)?;
    let api: Api<ActiveActiveDatabase> = Api::namespaced(ctx.client.clone(), &ns);
    let patch = serde_json::json!({
        "metadata": { "resourceVersion": db.resource_version(), "annotations": { ANNOTATION: null } }
    });
    match api.patch(&db.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(e)) if e.code == 409 => Ok(false),
        Err(source) => Err(Error::Apply { kind: "ActiveActiveDatabase".into(), name: db.name_any(), source }),
    }
}
