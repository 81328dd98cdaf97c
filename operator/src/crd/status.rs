//! What a region's operator reports about its region: written only by the operator, from
//! what it applied and observed (`reconcile::status`), never read back as input.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::KubeSchema;
#[allow(unused_imports)] // used inside the `x_kube` attributes
use kube::core::ListMerge;
use serde::{Deserialize, Serialize};

#[derive(KubeSchema, Deserialize, Serialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ActiveActiveDatabaseStatus {
    /// The generation of the spec this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The region this cluster's operator runs (its `--region`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// `Ready`, `ShardsReady`, `PeersSynced`, `Progressing`, `Degraded`.
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    #[serde(default)]
    pub conditions: Vec<Condition>,
    /// Shards with a ready master, of all: `2/2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_shards: Option<String>,
    /// Peer regions streaming to this one, of all: `2/2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synced_peers: Option<String>,
    /// This region's shards, in slot order.
    #[serde(default)]
    pub shards: Vec<ShardStatus>,
    /// The other regions as this region's syncer sees them.
    #[serde(default)]
    pub peers: Vec<PeerStatus>,
    /// When the shards' digests were last computed (RFC 3339): a digest walks every key, so
    /// it is taken once a minute at most.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digests_at: Option<String>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShardStatus {
    pub index: i32,
    /// The slots the shard owns, `first-last`.
    pub slots: String,
    /// The pod that is the shard's master, when one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master: Option<String>,
    /// The master's incarnation when the operator last saw or made it master: a master that
    /// comes back as another incarnation restarted empty and is replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master_actor: Option<String>,
    /// The master's replication id and offset (bytes of its replication stream).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
    #[serde(default)]
    pub replicas: Vec<ReplicaStatus>,
    /// The master is ready and answers.
    pub ready: bool,
    /// The master's keyspace digest (`MERIDIAN.DIGEST`, hex) at `digestsAt`: equal digests of
    /// the same slots in two regions mean the same data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReplicaStatus {
    pub pod: String,
    pub ready: bool,
    /// Whether its link to the master is up.
    pub link_up: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PeerStatus {
    pub region: String,
    pub id: i32,
    /// `connecting`, `full-sync`, `partial-sync` or `stale` (the syncer's link state), or
    /// `unknown` when the syncer does not answer.
    pub state: String,
    /// Age of the newest delta applied from the peer, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lag_ms: Option<i64>,
    /// When the last full sync from the peer ended (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_full_sync: Option<String>,
    /// Whether the peer's data equals this region's at `digestsAt`: compared shard by shard
    /// when both regions split the slots alike, unset otherwise. Writes in flight make
    /// digests differ for a moment; a mismatch that lasts is what matters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest_match: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}
