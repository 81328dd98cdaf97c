//! The plan: what one region of a database should look like, decided from the manifest
//! alone, with no I/O. `plan(db, region, defaults)` checks the manifest (the CRD's own CEL
//! rules, run here too, then what CEL cannot say) and applies every default, so the result
//! is the only input the builders take. Kubernetes objects (`build/`) and local mode's
//! processes (`local/`) are two renderings of the same `RegionPlan`.

pub mod shard_map;
pub mod slots;

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ResourceRequirements;
use meridian_datanode::keyspace::SlotRange;

use crate::crd::{
    ActiveActiveDatabase, ActiveActiveDatabaseSpec, Compression, DeletionPolicy, PullPolicy, RegionSpec, ServiceType,
};

/// Defaults that come from the operator's flags rather than from the manifest.
#[derive(Clone, Debug, PartialEq)]
pub struct OperatorDefaults {
    /// Where images are named when the manifest does not say: `<repository>/meridian-datanode`.
    pub image_repository: String,
    /// The image tag when the manifest names no version: the operator's own.
    pub version: String,
}

impl Default for OperatorDefaults {
    fn default() -> Self {
        OperatorDefaults { image_repository: "meridian".into(), version: env!("CARGO_PKG_VERSION").into() }
    }
}

pub const DEFAULT_SHARDS: i32 = 1;
pub const DEFAULT_REPLICAS: i32 = 1;
pub const DEFAULT_GRACE_SECONDS: i32 = 10;
pub const DEFAULT_BACKLOG_BYTES: i64 = 16 << 20;
pub const DEFAULT_PASSWORD_KEY: &str = "password";

/// One region of the database, as every other region names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    pub name: String,
    pub id: u8,
    pub peer_endpoint: String,
}

/// One shard of this region: its slots and how many datanodes serve it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardPlan {
    pub index: u32,
    pub slots: SlotRange,
    /// The master and its replicas.
    pub members: u32,
}

/// Everything this region should run, defaults applied.
#[derive(Clone, Debug, PartialEq)]
pub struct RegionPlan {
    /// The resource's name; every object of the database is named after it.
    pub database: String,
    pub namespace: String,
    /// The id every node and syncer of the database shares, in every region.
    pub database_id: String,
    pub region: Region,
    /// The other regions, by id.
    pub peers: Vec<Region>,
    pub shards: Vec<ShardPlan>,
    pub replicas: u32,
    pub images: Images,
    pub datanode_resources: Option<ResourceRequirements>,
    pub syncer_resources: Option<ResourceRequirements>,
    pub storage: Option<Storage>,
    pub password: Option<SecretKey>,
    /// The Secret with the syncer's certificate, key and CA.
    pub tls_secret: Option<String>,
    pub compression: Compression,
    pub peer_service_type: ServiceType,
    pub peer_service_annotations: BTreeMap<String, String>,
    pub failover_grace_seconds: u32,
    pub backlog_bytes: u64,
    pub deletion_policy: DeletionPolicy,
    pub paused: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Images {
    pub datanode: String,
    pub syncer: String,
    pub version: String,
    pub pull_policy: PullPolicy,
    pub pull_secrets: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Storage {
    pub size: String,
    pub class: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretKey {
    pub name: String,
    pub key: String,
}

/// Why a manifest cannot be planned: each says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("the manifest is invalid: {}", .0.join("; "))]
    Invalid(Vec<String>),
    #[error(
        "region {region:?} is not in spec.regions ({known}): add it to the manifest, or run this operator with --region set to one of them"
    )]
    UnknownRegion { region: String, known: String },
    #[error("the resource has no {0}")]
    MissingMetadata(&'static str),
}

/// Plans `region` of `db`: the manifest's CEL rules, then the defaults.
pub fn plan(db: &ActiveActiveDatabase, region: &str, defaults: &OperatorDefaults) -> Result<RegionPlan, PlanError> {
    check(db)?;
    let database = db.metadata.name.clone().ok_or(PlanError::MissingMetadata("metadata.name"))?;
    let namespace = db.metadata.namespace.clone().unwrap_or_else(|| "default".into());
    let spec = &db.spec;
    let me = spec.regions.iter().find(|r| r.name == region).ok_or_else(|| PlanError::UnknownRegion {
        region: region.to_string(),
        known: spec.regions.iter().map(|r| r.name.as_str()).collect::<Vec<_>>().join(", "),
    })?;
    let shard_count = count(me.shards.or(spec.shards), DEFAULT_SHARDS);
    let replicas = count(me.replicas.or(spec.replicas), DEFAULT_REPLICAS);
    let shards = slots::split(shard_count)
        .into_iter()
        .enumerate()
        .map(|(i, slots)| ShardPlan { index: i as u32, slots, members: replicas + 1 })
        .collect();
    let mut peers: Vec<Region> = spec.regions.iter().filter(|r| r.name != region).map(region_of).collect();
    peers.sort_by_key(|r| r.id);
    let syncer = spec.syncer.clone().unwrap_or_default();
    Ok(RegionPlan {
        database_id: spec.database_id.clone().unwrap_or_else(|| database.clone()),
        database,
        namespace,
        region: region_of(me),
        peers,
        shards,
        replicas,
        images: images(spec, defaults),
        datanode_resources: spec.datanode.as_ref().and_then(|d| d.resources.clone()),
        syncer_resources: syncer.resources.clone(),
        storage: spec.storage.as_ref().map(|s| Storage { size: s.size.clone(), class: s.storage_class_name.clone() }),
        password: spec.auth.as_ref().map(|a| SecretKey {
            name: a.password_secret.name.clone(),
            key: a.password_secret.key.clone().unwrap_or_else(|| DEFAULT_PASSWORD_KEY.into()),
        }),
        tls_secret: spec.tls.as_ref().map(|t| t.secret_name.clone()),
        compression: syncer.compression.unwrap_or(Compression::None),
        peer_service_type: syncer.service_type.unwrap_or(ServiceType::ClusterIP),
        peer_service_annotations: syncer.service_annotations.clone().unwrap_or_default(),
        failover_grace_seconds: count(spec.failover_grace_period_seconds, DEFAULT_GRACE_SECONDS),
        backlog_bytes: u64::try_from(spec.backlog_bytes.unwrap_or(DEFAULT_BACKLOG_BYTES)).unwrap_or(1 << 20),
        deletion_policy: spec.deletion_policy.unwrap_or_default(),
        paused: spec.paused.unwrap_or(false),
    })
}

/// The manifest's CEL rules, evaluated here as the API server would, so a manifest that
/// reached us some other way (an old CRD, local mode) is refused with the same messages.
pub fn check(db: &ActiveActiveDatabase) -> Result<(), PlanError> {
    refused(db.validate_cel())
}

/// `check`, plus the CRD's transition rules (`oldSelf`) against the manifest `db` replaces, as
/// the API server runs them on an update: local mode's reload refuses what `kubectl apply`
/// would.
pub fn check_update(db: &ActiveActiveDatabase, old: &ActiveActiveDatabase) -> Result<(), PlanError> {
    refused(db.validate_cel_update(old))
}

fn refused(result: Result<(), kube::core::cel::ValidationErrors>) -> Result<(), PlanError> {
    result.map_err(|e| PlanError::Invalid(e.as_slice().iter().map(|e| e.message.clone()).collect()))
}

/// A count the CEL rules bounded; the default when absent. Never negative.
fn count(value: Option<i32>, default: i32) -> u32 {
    u32::try_from(value.unwrap_or(default)).unwrap_or(0)
}

fn region_of(r: &RegionSpec) -> Region {
    Region { name: r.name.clone(), id: u8::try_from(r.id).unwrap_or(0), peer_endpoint: r.peer_endpoint.clone() }
}

fn images(spec: &ActiveActiveDatabaseSpec, defaults: &OperatorDefaults) -> Images {
    let image = spec.image.clone();
    let repository = image.as_ref().and_then(|i| i.repository.clone()).unwrap_or(defaults.image_repository.clone());
    let version = spec.version.clone().unwrap_or(defaults.version.clone());
    Images {
        datanode: format!("{repository}/meridian-datanode:{version}"),
        syncer: format!("{repository}/meridian-syncer:{version}"),
        version,
        pull_policy: image.as_ref().and_then(|i| i.pull_policy).unwrap_or(PullPolicy::IfNotPresent),
        pull_secrets: image.and_then(|i| i.pull_secrets).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests;
