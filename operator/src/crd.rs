//! The `ActiveActiveDatabase` custom resource: one manifest, applied unchanged in every
//! region's cluster, naming every region of the database. Each region's operator reconciles
//! the part that is its own (`--region`) and reaches the others through their peer endpoints.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "meridian.io",
    version = "v1alpha1",
    kind = "ActiveActiveDatabase",
    plural = "activeactivedatabases",
    shortname = "aadb",
    namespaced,
    status = "ActiveActiveDatabaseStatus",
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct ActiveActiveDatabaseSpec {
    /// Every region of the database, this one included.
    #[schemars(length(min = 1, max = 31))]
    pub regions: Vec<RegionSpec>,
    /// Shards per region (each owns a contiguous range of the 16384 hash slots).
    #[serde(default = "one")]
    #[schemars(range(min = 1, max = 1024))]
    pub shards: u32,
    /// Replicas per shard, besides its master.
    #[serde(default = "one")]
    #[schemars(range(min = 0, max = 8))]
    pub replicas: u32,
    /// Size of each datanode's replication backlog, in bytes.
    #[serde(default = "backlog")]
    pub backlog_bytes: u64,
    /// What happens to the data when the resource is deleted.
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,
}

fn one() -> u32 {
    1
}

fn backlog() -> u64 {
    16 << 20
}

#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegionSpec {
    /// The region's name, as the operator of that region is told with `--region`.
    #[schemars(length(min = 1, max = 63))]
    pub name: String,
    /// A small integer unique in the database and never reused (LWW tie-break, SEMANTICS.md).
    #[schemars(range(min = 1, max = 31))]
    pub id: u8,
    /// Where the other regions reach this region's syncer (host:port).
    pub peer_endpoint: String,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum DeletionPolicy {
    /// Keep the volumes when the database is deleted.
    #[default]
    Retain,
    Delete,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActiveActiveDatabaseStatus {
    pub observed_generation: Option<i64>,
    #[serde(default)]
    pub conditions: Vec<Condition>,
}

/// A status condition, with the fields of the Kubernetes convention.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    #[serde(rename = "type")]
    pub type_: String,
    pub status: String,
    pub reason: String,
    pub message: String,
    pub last_transition_time: Option<String>,
    pub observed_generation: Option<i64>,
}

/// The CRD as YAML, as `meridian-operator crd` prints it and `crds/` holds it.
pub fn crd_yaml() -> Result<String, serde_yaml::Error> {
    use kube::CustomResourceExt;
    serde_yaml::to_string(&ActiveActiveDatabase::crd())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_parses_with_its_defaults() {
        let yaml = r#"
regions:
  - {name: us-east, id: 1, peerEndpoint: "syncer.us-east.example:7700"}
  - {name: eu-west, id: 2, peerEndpoint: "syncer.eu-west.example:7700"}
"#;
        let spec: ActiveActiveDatabaseSpec = serde_yaml::from_str(yaml).unwrap();
        assert_eq!((spec.shards, spec.replicas, spec.backlog_bytes), (1, 1, 16 << 20));
        assert_eq!(spec.deletion_policy, DeletionPolicy::Retain);
        assert_eq!(spec.regions[1].peer_endpoint, "syncer.eu-west.example:7700");
    }
}
