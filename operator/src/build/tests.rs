use super::*;
use crate::crd::ActiveActiveDatabase;
use crate::plan::{OperatorDefaults, plan};

fn owner() -> OwnerReference {
    OwnerReference {
        api_version: "meridian.io/v1alpha1".into(),
        kind: "ActiveActiveDatabase".into(),
        name: "cache".into(),
        uid: "0b6a3a57-0000-4000-8000-000000000001".into(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

fn region(yaml: &str, region: &str) -> RegionPlan {
    let db: ActiveActiveDatabase = serde_yaml::from_str(yaml).unwrap();
    let defaults = OperatorDefaults { image_repository: "registry.local/meridian".into(), version: "0.1.0".into() };
    plan(&db, region, &defaults).unwrap()
}

/// Every object as one multi-document YAML, in apply order.
fn render(objects: &Objects) -> String {
    let Objects { shard_map, shard_services, client_service, peer_service, pdbs, statefulsets, syncer } = objects;
    let mut docs = vec![serde_yaml::to_string(shard_map).unwrap()];
    docs.extend(shard_services.iter().map(|o| serde_yaml::to_string(o).unwrap()));
    docs.push(serde_yaml::to_string(client_service).unwrap());
    docs.push(serde_yaml::to_string(peer_service).unwrap());
    docs.extend(pdbs.iter().map(|o| serde_yaml::to_string(o).unwrap()));
    docs.extend(statefulsets.iter().map(|o| serde_yaml::to_string(o).unwrap()));
    docs.push(serde_yaml::to_string(syncer).unwrap());
    docs.join("---\n")
}

/// Compares with `operator/tests/golden/<name>.yaml`; `UPDATE_GOLDEN=1` rewrites it.
fn golden(name: &str, text: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(format!("{name}.yaml"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, text).unwrap();
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == text,
        "{} differs from what the builders produce; if the change is intended, run \
         UPDATE_GOLDEN=1 cargo test -p meridian-operator build::tests and review the diff",
        path.display()
    );
}

const FULL: &str = r#"
apiVersion: meridian.io/v1alpha1
kind: ActiveActiveDatabase
metadata: {name: cache, namespace: shop}
spec:
  regions:
    - {name: us-east, id: 1, peerEndpoint: "syncer.us-east.example:7700", shards: 2}
    - {name: eu-west, id: 2, peerEndpoint: "syncer.eu-west.example:7700"}
  replicas: 1
  backlogBytes: 33554432
  storage: {size: 10Gi, storageClassName: fast}
  auth: {passwordSecret: {name: cache-auth}}
  tls: {secretName: cache-peer-tls}
  deletionPolicy: Delete
  syncer:
    compression: zstd
    serviceType: LoadBalancer
    serviceAnnotations: {example.com/lb: internal}
  datanode:
    resources:
      requests: {cpu: 500m, memory: 1Gi}
      limits: {memory: 1Gi}
"#;

const MINIMAL: &str = r#"
apiVersion: meridian.io/v1alpha1
kind: ActiveActiveDatabase
metadata: {name: cache, namespace: default}
spec:
  regions:
    - {name: us-east, id: 1, peerEndpoint: "syncer.us-east.example:7700"}
"#;

#[test]
fn golden_full_region() {
    let plan = region(FULL, "us-east");
    golden("full-us-east", &render(&build(&plan, &[None, Some(1)], &owner())));
}

#[test]
fn golden_minimal_region() {
    let plan = region(MINIMAL, "us-east");
    golden("minimal-us-east", &render(&build(&plan, &[None], &owner())));
}

#[test]
fn every_object_is_owned_by_the_database_and_labelled_with_it() {
    let plan = region(FULL, "us-east");
    let objects = build(&plan, &[None, None], &owner());
    let yaml = render(&objects);
    for doc in yaml.split("---\n") {
        let value: serde_yaml::Value = serde_yaml::from_str(doc).unwrap();
        let meta = &value["metadata"];
        assert_eq!(meta["ownerReferences"][0]["uid"].as_str(), Some(owner().uid.as_str()), "{doc}");
        assert_eq!(meta["labels"]["app.kubernetes.io/instance"].as_str(), Some("cache"), "{doc}");
        assert_eq!(meta["labels"]["meridian.io/region"].as_str(), Some("us-east"), "{doc}");
        assert_eq!(meta["namespace"].as_str(), Some("shop"), "{doc}");
    }
}

#[test]
fn the_client_service_reaches_masters_only_and_the_syncer_names_every_peer() {
    let plan = region(FULL, "us-east");
    let objects = build(&plan, &[None, None], &owner());
    let selector = objects.client_service.spec.as_ref().unwrap().selector.as_ref().unwrap();
    assert_eq!(selector.get("meridian.io/role").map(String::as_str), Some("master"));
    let container = &objects.syncer.spec.as_ref().unwrap().template.spec.as_ref().unwrap().containers[0];
    let args = container.args.as_ref().unwrap();
    assert!(args.contains(&"--peer=2=syncer.eu-west.example:7700".to_string()), "{args:?}");
    assert!(args.contains(&"--peer-compression=zstd".to_string()), "{args:?}");
    assert!(args.contains(&"--tls-ca=/etc/meridian/tls/ca.crt".to_string()), "{args:?}");
}

#[test]
fn a_shard_has_one_statefulset_with_its_members_and_the_map_names_the_chosen_master_first() {
    let plan = region(FULL, "us-east");
    let objects = build(&plan, &[None, Some(1)], &owner());
    assert_eq!(objects.statefulsets.len(), 2);
    let spec = objects.statefulsets[1].spec.as_ref().unwrap();
    assert_eq!(spec.replicas, Some(2));
    assert_eq!(spec.service_name.as_deref(), Some("cache-shard-1"));
    let claim = &spec.volume_claim_templates.as_ref().unwrap()[0];
    assert_eq!(claim.spec.as_ref().unwrap().storage_class_name.as_deref(), Some("fast"));
    let map = &objects.shard_map.data.as_ref().unwrap()["shard-map"];
    assert!(map.contains("8192-16383=cache-shard-1-1.cache-shard-1.shop.svc:6379,cache-shard-1-0."), "{map}");
}
