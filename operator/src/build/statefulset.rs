//! A shard's datanodes: one StatefulSet per shard, so each shard's pods keep stable names
//! (`<db>-shard-<i>-<ordinal>`) and volumes. Roles are not in the template: the operator
//! assigns them at run time (`SetRole`, the `meridian.io/role` label), so a pod that comes
//! back is never a master by accident of its ordinal.

use k8s_openapi::api::apps::v1::{
    StatefulSet, StatefulSetPersistentVolumeClaimRetentionPolicy, StatefulSetSpec, StatefulSetUpdateStrategy,
};
use k8s_openapi::api::core::v1::{
    Affinity, ConfigMapVolumeSource, Container, EmptyDirVolumeSource, EnvVar, EnvVarSource, PersistentVolumeClaim,
    PersistentVolumeClaimSpec, PodAffinityTerm, PodAntiAffinity, PodSpec, PodTemplateSpec, SecretKeySelector, Volume,
    VolumeMount, VolumeResourceRequirements, WeightedPodAffinityTerm,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, OwnerReference};

use super::names::{self, DATA_DIR, REPL_PORT, RESP_PORT, SHARD_MAP_DIR, SHARD_MAP_KEY};
use super::pod;
use crate::crd::DeletionPolicy;
use crate::plan::{RegionPlan, ShardPlan};

/// How long a datanode has to finish in-flight replies after SIGTERM.
const TERMINATION_GRACE_SECONDS: i64 = 30;
/// The env var the datanode reads the client password from (never on its command line).
pub const PASSWORD_ENV: &str = "MERIDIAN_REQUIREPASS";

pub fn statefulset(plan: &RegionPlan, shard: &ShardPlan, owner: &OwnerReference) -> StatefulSet {
    let name = names::shard(plan, shard.index);
    let selector = names::shard_selector(plan, shard.index);
    let labels = names::labels(plan, selector.clone());
    StatefulSet {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: Some(plan.namespace.clone()),
            labels: Some(labels.clone()),
            owner_references: Some(vec![owner.clone()]),
            ..Default::default()
        },
        spec: Some(StatefulSetSpec {
            service_name: Some(name),
            replicas: Some(shard.members as i32),
            // Every member starts at once: roles come from the operator, not from start order.
            pod_management_policy: Some("Parallel".into()),
            // The operator replaces pods itself, replicas first and the master after a
            // switchover, so the shard stays writable through an upgrade.
            update_strategy: Some(StatefulSetUpdateStrategy { type_: Some("OnDelete".into()), ..Default::default() }),
            selector: LabelSelector { match_labels: Some(selector.clone()), ..Default::default() },
            persistent_volume_claim_retention_policy: plan.storage.as_ref().map(|_| {
                let policy = match plan.deletion_policy {
                    DeletionPolicy::Retain => "Retain",
                    DeletionPolicy::Delete => "Delete",
                };
                StatefulSetPersistentVolumeClaimRetentionPolicy {
                    when_deleted: Some(policy.into()),
                    when_scaled: Some("Delete".into()),
                }
            }),
            volume_claim_templates: plan.storage.as_ref().map(|s| {
                vec![PersistentVolumeClaim {
                    metadata: ObjectMeta {
                        name: Some("data".into()),
                        labels: Some(labels.clone()),
                        ..Default::default()
                    },
                    spec: Some(PersistentVolumeClaimSpec {
                        access_modes: Some(vec!["ReadWriteOnce".into()]),
                        storage_class_name: s.class.clone(),
                        resources: Some(VolumeResourceRequirements {
                            requests: Some([("storage".to_string(), Quantity(s.size.clone()))].into()),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    ..Default::default()
                }]
            }),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta { labels: Some(labels), ..Default::default() }),
                spec: Some(pod_spec(plan, shard, selector)),
            },
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn pod_spec(plan: &RegionPlan, shard: &ShardPlan, selector: std::collections::BTreeMap<String, String>) -> PodSpec {
    let mut volumes = vec![Volume {
        name: "shard-map".into(),
        config_map: Some(ConfigMapVolumeSource { name: names::shard_map(plan), ..Default::default() }),
        ..Default::default()
    }];
    if plan.storage.is_none() {
        volumes.push(Volume {
            name: "data".into(),
            empty_dir: Some(EmptyDirVolumeSource::default()),
            ..Default::default()
        });
    }
    PodSpec {
        containers: vec![datanode(plan, shard)],
        volumes: Some(volumes),
        security_context: Some(pod::pod_security()),
        termination_grace_period_seconds: Some(TERMINATION_GRACE_SECONDS),
        automount_service_account_token: Some(false),
        enable_service_links: Some(false),
        image_pull_secrets: pod::pull_secrets(plan),
        // Members of one shard on different nodes where the cluster has them: losing a node
        // then costs a shard one member, not all.
        affinity: Some(Affinity {
            pod_anti_affinity: Some(PodAntiAffinity {
                preferred_during_scheduling_ignored_during_execution: Some(vec![WeightedPodAffinityTerm {
                    weight: 100,
                    pod_affinity_term: PodAffinityTerm {
                        topology_key: "kubernetes.io/hostname".into(),
                        label_selector: Some(LabelSelector { match_labels: Some(selector), ..Default::default() }),
                        ..Default::default()
                    },
                }]),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A datanode's command-line arguments. Shared with local mode, which runs the same program
/// on loopback (or a region's own address) instead of in a pod.
pub fn args(
    plan: &RegionPlan,
    bind: &str,
    port: u16,
    repl_port: u16,
    announce: &str,
    shard_map_file: &str,
) -> Vec<String> {
    vec![
        format!("--port={port}"),
        format!("--bind={bind}"),
        format!("--repl-port={repl_port}"),
        format!("--region={}", plan.region.id),
        format!("--database-id={}", plan.database_id),
        "--active-active".into(),
        format!("--repl-backlog-size={}", plan.backlog_bytes),
        format!("--announce={announce}"),
        format!("--shard-map-file={shard_map_file}"),
    ]
}

fn datanode(plan: &RegionPlan, shard: &ShardPlan) -> Container {
    let headless = names::shard(plan, shard.index);
    let mut args = args(
        plan,
        "0.0.0.0",
        RESP_PORT as u16,
        REPL_PORT as u16,
        &format!("$(POD_NAME).{headless}.$(POD_NAMESPACE).svc:{RESP_PORT}"),
        &format!("{SHARD_MAP_DIR}/{SHARD_MAP_KEY}"),
    );
    args.push("--log-json".into());
    let mut env =
        vec![pod::field_env("POD_NAME", "metadata.name"), pod::field_env("POD_NAMESPACE", "metadata.namespace")];
    if let Some(secret) = &plan.password {
        env.push(EnvVar {
            name: PASSWORD_ENV.into(),
            value_from: Some(EnvVarSource {
                secret_key_ref: Some(SecretKeySelector {
                    name: secret.name.clone(),
                    key: secret.key.clone(),
                    optional: Some(false),
                }),
                ..Default::default()
            }),
            ..Default::default()
        });
    }
    Container {
        name: names::DATANODE.into(),
        image: Some(plan.images.datanode.clone()),
        image_pull_policy: Some(plan.images.pull_policy.as_str().into()),
        command: Some(vec!["meridian-datanode".into()]),
        args: Some(args),
        env: Some(env),
        ports: Some(vec![pod::port("resp", RESP_PORT), pod::port("repl", REPL_PORT)]),
        readiness_probe: Some(pod::tcp_probe("resp", 5, 2)),
        liveness_probe: Some(pod::tcp_probe("resp", 10, 6)),
        resources: plan.datanode_resources.clone(),
        security_context: Some(pod::container_security()),
        volume_mounts: Some(vec![
            VolumeMount {
                name: "shard-map".into(),
                mount_path: SHARD_MAP_DIR.into(),
                read_only: Some(true),
                ..Default::default()
            },
            VolumeMount { name: "data".into(), mount_path: DATA_DIR.into(), ..Default::default() },
        ]),
        ..Default::default()
    }
}
