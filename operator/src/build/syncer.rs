//! The region's syncer: one pod (a Deployment that replaces rather than doubles it, so two
//! syncers of one region never stream at once), peering with every other region's syncer.

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, DeploymentStrategy};
use k8s_openapi::api::core::v1::{
    ConfigMapVolumeSource, Container, PodSpec, PodTemplateSpec, SecretVolumeSource, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, OwnerReference};

use super::names::{self, PEER_PORT, SHARD_MAP_DIR, SHARD_MAP_KEY, SYNCER_HTTP_PORT, TLS_DIR};
use super::pod;
use crate::plan::RegionPlan;

/// The syncer's command-line arguments. Shared with local mode, which runs the same
/// program with loopback addresses.
pub fn args(plan: &RegionPlan, listen: &str, http: &str, shard_map_file: &str, tls_dir: Option<&str>) -> Vec<String> {
    let mut args = vec![
        format!("--region={}", plan.region.id),
        format!("--database-id={}", plan.database_id),
        format!("--listen={listen}"),
        format!("--http={http}"),
        format!("--shard-map-file={shard_map_file}"),
        format!("--peer-compression={}", plan.compression.as_str()),
    ];
    args.extend(plan.peers.iter().map(|p| format!("--peer={}={}", p.id, p.peer_endpoint)));
    if let Some(dir) = tls_dir {
        args.push(format!("--tls-cert={dir}/tls.crt"));
        args.push(format!("--tls-key={dir}/tls.key"));
        args.push(format!("--tls-ca={dir}/ca.crt"));
    }
    args
}

pub fn deployment(plan: &RegionPlan, owner: &OwnerReference) -> Deployment {
    let selector = names::component_selector(plan, names::SYNCER);
    let labels = names::labels(plan, selector.clone());
    let mut volumes = vec![Volume {
        name: "shard-map".into(),
        config_map: Some(ConfigMapVolumeSource { name: names::shard_map(plan), ..Default::default() }),
        ..Default::default()
    }];
    let mut mounts = vec![VolumeMount {
        name: "shard-map".into(),
        mount_path: SHARD_MAP_DIR.into(),
        read_only: Some(true),
        ..Default::default()
    }];
    if let Some(secret) = &plan.tls_secret {
        volumes.push(Volume {
            name: "tls".into(),
            secret: Some(SecretVolumeSource { secret_name: Some(secret.clone()), ..Default::default() }),
            ..Default::default()
        });
        mounts.push(VolumeMount {
            name: "tls".into(),
            mount_path: TLS_DIR.into(),
            read_only: Some(true),
            ..Default::default()
        });
    }
    let container = Container {
        name: names::SYNCER.into(),
        image: Some(plan.images.syncer.clone()),
        image_pull_policy: Some(plan.images.pull_policy.as_str().into()),
        command: Some(vec!["meridian-syncer".into()]),
        args: Some(
            args(
                plan,
                &format!("0.0.0.0:{PEER_PORT}"),
                &format!("0.0.0.0:{SYNCER_HTTP_PORT}"),
                &format!("{SHARD_MAP_DIR}/{SHARD_MAP_KEY}"),
                plan.tls_secret.as_ref().map(|_| TLS_DIR),
            )
            .into_iter()
            .chain(["--log-json".to_string()])
            .collect(),
        ),
        ports: Some(vec![pod::port("peer", PEER_PORT), pod::port("http", SYNCER_HTTP_PORT)]),
        readiness_probe: Some(pod::http_probe("/healthz", "http", 5, 2)),
        liveness_probe: Some(pod::http_probe("/healthz", "http", 10, 6)),
        resources: plan.syncer_resources.clone(),
        security_context: Some(pod::container_security()),
        volume_mounts: Some(mounts),
        ..Default::default()
    };
    Deployment {
        metadata: ObjectMeta {
            name: Some(names::syncer(plan)),
            namespace: Some(plan.namespace.clone()),
            labels: Some(labels.clone()),
            owner_references: Some(vec![owner.clone()]),
            ..Default::default()
        },
        spec: Some(DeploymentSpec {
            replicas: Some(1),
            strategy: Some(DeploymentStrategy { type_: Some("Recreate".into()), ..Default::default() }),
            selector: LabelSelector { match_labels: Some(selector), ..Default::default() },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta { labels: Some(labels), ..Default::default() }),
                spec: Some(PodSpec {
                    containers: vec![container],
                    volumes: Some(volumes),
                    security_context: Some(pod::pod_security()),
                    automount_service_account_token: Some(false),
                    enable_service_links: Some(false),
                    image_pull_secrets: pod::pull_secrets(plan),
                    ..Default::default()
                }),
            },
            ..Default::default()
        }),
        ..Default::default()
    }
}
