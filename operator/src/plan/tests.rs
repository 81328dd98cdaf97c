use super::*;

fn db(yaml: &str) -> ActiveActiveDatabase {
    serde_yaml::from_str(yaml).unwrap()
}

const MANIFEST: &str = r#"
apiVersion: meridian.io/v1alpha1
kind: ActiveActiveDatabase
metadata: {name: cache, namespace: shop}
spec:
  shards: 2
  regions:
    - {name: us-east, id: 1, peerEndpoint: "syncer.us-east.example:7700"}
    - {name: eu-west, id: 2, peerEndpoint: "syncer.eu-west.example:7700", shards: 3, replicas: 2}
    - {name: ap-south, id: 3, peerEndpoint: "10.0.0.3:7700", shards: 1, replicas: 0}
"#;

#[test]
fn each_region_gets_its_own_layout_with_the_defaults_applied() {
    let d = db(MANIFEST);
    let us = plan(&d, "us-east", &OperatorDefaults::default()).unwrap();
    assert_eq!((us.database.as_str(), us.namespace.as_str(), us.database_id.as_str()), ("cache", "shop", "cache"));
    assert_eq!(
        us.region,
        Region { name: "us-east".into(), id: 1, peer_endpoint: "syncer.us-east.example:7700".into() }
    );
    assert_eq!(us.shards.len(), 2);
    assert_eq!(us.shards[1], ShardPlan { index: 1, slots: SlotRange { start: 8192, end: 16383 }, members: 2 });
    assert_eq!(us.peers.iter().map(|p| p.id).collect::<Vec<_>>(), vec![2, 3]);
    assert_eq!(us.failover_grace_seconds, 10);
    assert_eq!(us.backlog_bytes, 16 << 20);
    assert_eq!(us.deletion_policy, DeletionPolicy::Retain);
    assert!(!us.paused);
    assert_eq!(us.images.datanode, format!("meridian/meridian-datanode:{}", env!("CARGO_PKG_VERSION")));
    assert_eq!(us.images.pull_policy, PullPolicy::IfNotPresent);

    let eu = plan(&d, "eu-west", &OperatorDefaults::default()).unwrap();
    assert_eq!((eu.shards.len(), eu.replicas, eu.shards[0].members), (3, 2, 3));
    let ap = plan(&d, "ap-south", &OperatorDefaults::default()).unwrap();
    assert_eq!((ap.shards.len(), ap.replicas), (1, 0));
    assert_eq!(ap.shards[0].slots, SlotRange::ALL);
}

#[test]
fn a_region_the_manifest_does_not_list_is_refused_with_the_ones_it_does() {
    let err = plan(&db(MANIFEST), "mars", &OperatorDefaults::default()).unwrap_err();
    assert_eq!(err, PlanError::UnknownRegion { region: "mars".into(), known: "us-east, eu-west, ap-south".into() });
    assert!(err.to_string().contains("run this operator with --region set to one of them"));
}

#[test]
fn an_invalid_manifest_is_refused_with_the_crds_own_messages() {
    let mut d = db(MANIFEST);
    d.spec.regions[2].id = 1;
    d.spec.shards = Some(0);
    let PlanError::Invalid(messages) = plan(&d, "us-east", &OperatorDefaults::default()).unwrap_err() else {
        panic!("expected Invalid")
    };
    assert!(messages.iter().any(|m| m.contains("two regions have the same id")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("spec.shards must be from 1 to 1024")), "{messages:?}");
}

#[test]
fn manifest_settings_override_the_operators_defaults() {
    let mut d = db(MANIFEST);
    d.spec.version = Some("1.2.3".into());
    d.spec.image = Some(crate::crd::ImageSpec {
        repository: Some("registry.local/meridian".into()),
        pull_policy: Some(PullPolicy::Never),
        pull_secrets: None,
    });
    d.spec.database_id = Some("orders".into());
    d.spec.backlog_bytes = Some(64 << 20);
    d.spec.failover_grace_period_seconds = Some(30);
    d.spec.paused = Some(true);
    let p = plan(&d, "us-east", &OperatorDefaults::default()).unwrap();
    assert_eq!(p.images.datanode, "registry.local/meridian/meridian-datanode:1.2.3");
    assert_eq!(p.images.syncer, "registry.local/meridian/meridian-syncer:1.2.3");
    assert_eq!(p.images.pull_policy, PullPolicy::Never);
    assert_eq!(p.database_id, "orders");
    assert_eq!((p.backlog_bytes, p.failover_grace_seconds, p.paused), (64 << 20, 30, true));
}
