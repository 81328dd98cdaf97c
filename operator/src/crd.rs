//! The `ActiveActiveDatabase` custom resource: one manifest, applied unchanged in every
//! region's cluster, naming every region of the database. Each region's operator reconciles
//! the part that is its own (`--region`) and reaches the others through their peer endpoints.
//!
//! Two rules shape these types. Every field a user may leave out is an `Option` with no
//! schema default: defaults live in the operator (`plan::settings`), so the API server writes
//! nothing back and GitOps tools see no drift. And every check the API server makes is a CEL
//! rule (`x-kubernetes-validations`) with a message that says what to fix, so local mode can
//! run the very same rules on a manifest without an API server (`validate_manifest`).

pub mod status;

use k8s_openapi::api::core::v1::ResourceRequirements;
use kube::CustomResource;
use kube::KubeSchema;
#[allow(unused_imports)] // used inside the `x_kube` attributes
use kube::core::{Reason, Rule};
use serde::{Deserialize, Serialize};

pub use status::{ActiveActiveDatabaseStatus, PeerStatus, ReplicaStatus, ShardStatus};

/// The most regions a database may have: region ids are 1-31 (a 5-bit field of the clock
/// tie-break, SEMANTICS.md).
pub const MAX_REGIONS: usize = 31;

#[derive(CustomResource, KubeSchema, Deserialize, Serialize, Clone, Debug, PartialEq)]
#[kube(
    group = "meridian.io",
    version = "v1alpha1",
    kind = "ActiveActiveDatabase",
    plural = "activeactivedatabases",
    shortname = "aadb",
    category = "meridian",
    namespaced,
    cel,
    status = "ActiveActiveDatabaseStatus",
    doc = "A Redis-compatible database writable in several regions at once. Apply the same manifest in every region's cluster.",
    printcolumn(name = "Region", type_ = "string", json_path = ".status.region"),
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status"),
    printcolumn(name = "Shards", type_ = "string", json_path = ".status.readyShards", description = "Shards with a ready master, of all"),
    printcolumn(name = "Peers", type_ = "string", json_path = ".status.syncedPeers", description = "Peer regions in sync, of all"),
    printcolumn(name = "Reason", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].reason"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp"),
    validation = Rule::new("size(self.metadata.name) <= 40").message("metadata.name must be at most 40 characters: object names such as <name>-shard-1023 and their pods must fit in 63"),
)]
#[x_kube(
    // No `reason` on the duplicate rules: the API server prints a FieldValueDuplicate
    // without its message.
    validation = Rule::new("self.regions.all(r, self.regions.exists_one(s, s.name == r.name))")
        .message("spec.regions: two regions have the same name; every region needs its own name"),
    validation = Rule::new("self.regions.all(r, self.regions.exists_one(s, s.id == r.id))")
        .message("spec.regions: two regions have the same id; give each region its own id from 1 to 31"),
    validation = Rule::new("self.regions.all(r, oldSelf.regions.all(o, o.name != r.name || o.id == r.id))")
        .message("spec.regions: a region's id cannot change once set (it is part of every write's identity); restore the old id")
        .reason(Reason::FieldValueForbidden),
    validation = Rule::new("self.regions.all(r, oldSelf.regions.all(o, o.id != r.id || o.name == r.name))")
        .message("spec.regions: this id belonged to another region; region ids are never reused, pick an unused one")
        .reason(Reason::FieldValueForbidden),
    validation = Rule::new("self.regions.all(r, oldSelf.regions.all(o, o.name != r.name || (has(r.shards) ? r.shards : (has(self.shards) ? self.shards : 1)) == (has(o.shards) ? o.shards : (has(oldSelf.shards) ? oldSelf.shards : 1))))")
        .message("spec.regions: a region's shard count cannot change yet (that moves slots between shards, which Meridian does not do yet); restore it, or add a new region with the new count")
        .reason(Reason::FieldValueForbidden),
    validation = Rule::new("(has(self.databaseId) ? self.databaseId : '') == (has(oldSelf.databaseId) ? oldSelf.databaseId : '')")
        .message("spec.databaseId cannot be set, changed or removed after creation: the regions would stop recognising each other")
        .reason(Reason::FieldValueForbidden),
)]
#[serde(rename_all = "camelCase")]
pub struct ActiveActiveDatabaseSpec {
    /// Every region of the database, this one included (1 to 31).
    #[x_kube(validation = Rule::new("size(self) >= 1 && size(self) <= 31").message("spec.regions must list 1 to 31 regions"))]
    #[schemars(length(max = 31))]
    pub regions: Vec<RegionSpec>,
    /// Shards per region, for regions that do not set their own (default 1).
    #[x_kube(validation = Rule::new("self >= 1 && self <= 1024").message("spec.shards must be from 1 to 1024"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shards: Option<i32>,
    /// Replicas per shard besides its master, for regions that do not set their own (default 1).
    #[x_kube(validation = Rule::new("self >= 0 && self <= 8").message("spec.replicas must be from 0 to 8"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// The id every node and syncer of the database shares, the same in every region
    /// (default: metadata.name). Cannot change.
    #[x_kube(validation = Rule::new("self.matches('^[a-zA-Z0-9][-a-zA-Z0-9_.]{0,62}$')").message("spec.databaseId must be 1 to 63 letters, digits, '-', '_' or '.'"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_id: Option<String>,
    /// The Meridian version to run: the tag of the datanode and syncer images (default: the
    /// operator's own version). Changing it rolls the datanodes one at a time.
    #[x_kube(validation = Rule::new("self.matches('^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$')").message("spec.version must be an image tag of at most 63 letters, digits, '_', '.' or '-', starting and ending with a letter or digit"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Where the images come from (default: the operator's `--image-repository`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageSpec>,
    /// The datanodes' container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datanode: Option<DatanodeSpec>,
    /// The region's syncer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub syncer: Option<SyncerSpec>,
    /// A volume per datanode (default: none, an emptyDir).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<StorageSpec>,
    /// The password clients must send with AUTH, from a Secret in the database's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<AuthSpec>,
    /// Mutual TLS between regions' syncers, from a Secret in the database's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsSpec>,
    /// How long a shard's master may be gone or unready before a replica takes over (default 10).
    #[x_kube(validation = Rule::new("self >= 1 && self <= 3600").message("spec.failoverGracePeriodSeconds must be from 1 to 3600"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failover_grace_period_seconds: Option<i32>,
    /// Size of each datanode's replication backlog in bytes (default 16 MiB): how far a
    /// replica or a peer region may fall behind and still resume without a full sync.
    #[x_kube(validation = Rule::new("self >= 1048576 && self <= 4294967296").message("spec.backlogBytes must be from 1048576 (1 MiB) to 4294967296 (4 GiB)"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backlog_bytes: Option<i64>,
    /// What happens to the volumes when the database is deleted (default Retain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_policy: Option<DeletionPolicy>,
    /// While true, the operator changes nothing in this region (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<bool>,
}

#[derive(KubeSchema, Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RegionSpec {
    /// The region's name, as its operator is told with `--region`.
    #[x_kube(validation = Rule::new("self.matches('^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$')").message("a region name must be 1 to 40 lowercase letters, digits or '-', starting and ending with a letter or digit"))]
    #[schemars(length(max = 40))]
    pub name: String,
    /// A small integer, unique in the database and never reused (the clock's tie-break).
    #[x_kube(validation = Rule::new("self >= 1 && self <= 31").message("a region id must be from 1 to 31"))]
    pub id: i32,
    /// Where the other regions reach this region's syncer, `host:port`.
    #[x_kube(validation = Rule::new("self.matches('^([A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?|\\\\[[0-9A-Fa-f:.]+\\\\]):[0-9]{1,5}$')").message("a peerEndpoint must be host:port, e.g. syncer.us-east.example.com:7700"))]
    #[schemars(length(max = 253))]
    pub peer_endpoint: String,
    /// Shards in this region (default: spec.shards). Regions may differ.
    #[x_kube(validation = Rule::new("self >= 1 && self <= 1024").message("a region's shards must be from 1 to 1024"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shards: Option<i32>,
    /// Replicas per shard in this region (default: spec.replicas).
    #[x_kube(validation = Rule::new("self >= 0 && self <= 8").message("a region's replicas must be from 0 to 8"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
}

#[derive(KubeSchema, Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ImageSpec {
    /// Registry and path the images are named under: `<repository>/meridian-datanode:<version>`.
    #[x_kube(validation = Rule::new("self.matches('^[a-z0-9]([-a-z0-9._:/]*[a-z0-9])?$')").message("spec.image.repository must be a registry path such as ghcr.io/meridian-db"))]
    #[schemars(length(max = 200))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// The pods' imagePullPolicy (default IfNotPresent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_policy: Option<PullPolicy>,
    /// Secrets to pull the images with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 8))]
    pub pull_secrets: Option<Vec<String>>,
}

#[derive(Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq, schemars::JsonSchema)]
pub enum PullPolicy {
    Always,
    IfNotPresent,
    Never,
}

impl PullPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            PullPolicy::Always => "Always",
            PullPolicy::IfNotPresent => "IfNotPresent",
            PullPolicy::Never => "Never",
        }
    }
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DatanodeSpec {
    /// CPU and memory for each datanode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
}

#[derive(KubeSchema, Deserialize, Serialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SyncerSpec {
    /// CPU and memory for the syncer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    /// Compression this region asks its peers for (default none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression: Option<Compression>,
    /// How the peer Service is exposed to the other regions (default ClusterIP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_type: Option<ServiceType>,
    /// Annotations for the peer Service (e.g. for a cloud load balancer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_annotations: Option<std::collections::BTreeMap<String, String>>,
}

#[derive(Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

#[derive(Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq, schemars::JsonSchema)]
pub enum ServiceType {
    ClusterIP,
    NodePort,
    LoadBalancer,
}

impl ServiceType {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceType::ClusterIP => "ClusterIP",
            ServiceType::NodePort => "NodePort",
            ServiceType::LoadBalancer => "LoadBalancer",
        }
    }
}

#[derive(KubeSchema, Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct StorageSpec {
    /// Size of each datanode's volume, e.g. `10Gi`.
    #[x_kube(validation = Rule::new("self.matches('^[0-9]+(\\\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$')").message("spec.storage.size must be a quantity such as 10Gi"))]
    #[schemars(length(max = 32))]
    pub size: String,
    /// The StorageClass of the volumes (default: the cluster's default class).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 253))]
    pub storage_class_name: Option<String>,
}

#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthSpec {
    /// The Secret key holding the password (Redis's requirepass).
    pub password_secret: SecretKeyRef,
}

#[derive(KubeSchema, Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SecretKeyRef {
    #[x_kube(validation = Rule::new("self.matches('^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$')").message("a Secret name must be a DNS subdomain name"))]
    #[schemars(length(max = 253))]
    pub name: String,
    /// The key in the Secret (default `password`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 253))]
    pub key: Option<String>,
}

#[derive(KubeSchema, Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TlsSpec {
    /// A Secret with `tls.crt`, `tls.key` and `ca.crt`: this region's syncer certificate and
    /// the CA that signs every region's. Peers must present a certificate from that CA.
    #[x_kube(validation = Rule::new("self.matches('^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$')").message("spec.tls.secretName must be a DNS subdomain name"))]
    #[schemars(length(max = 253))]
    pub secret_name: String,
}

#[derive(Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq, schemars::JsonSchema)]
pub enum DeletionPolicy {
    /// Keep the datanodes' volumes when the database is deleted.
    #[default]
    Retain,
    /// Delete the volumes with the database.
    Delete,
}

/// The CRD as YAML, as `meridian-operator crd` prints it and `crds/` holds it.
pub fn crd_yaml() -> Result<String, serde_yaml::Error> {
    use kube::CustomResourceExt;
    serde_yaml::to_string(&ActiveActiveDatabase::crd())
}

/// The CRD as the Helm chart installs it (`charts/meridian/files/`): annotated so that
/// `helm uninstall` keeps it, since deleting a CRD deletes every resource of its kind.
pub fn crd_yaml_for_helm() -> Result<String, serde_yaml::Error> {
    use kube::CustomResourceExt;
    let mut crd = ActiveActiveDatabase::crd();
    crd.metadata.annotations = Some([("helm.sh/resource-policy".to_string(), "keep".to_string())].into());
    serde_yaml::to_string(&crd)
}

#[cfg(test)]
mod tests;
