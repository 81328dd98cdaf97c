use super::*;
use kube::CustomResourceExt;

const TWO_REGIONS: &str = r#"
apiVersion: meridian.io/v1alpha1
kind: ActiveActiveDatabase
metadata: {name: cache}
spec:
  regions:
    - {name: us-east, id: 1, peerEndpoint: "syncer.us-east.example:7700"}
    - {name: eu-west, id: 2, peerEndpoint: "syncer.eu-west.example:7700", shards: 3, replicas: 2}
"#;

fn db(yaml: &str) -> ActiveActiveDatabase {
    serde_yaml::from_str(yaml).unwrap()
}

/// The CEL messages a manifest is refused with, none when it is accepted.
fn refusals(new: &ActiveActiveDatabase, old: Option<&ActiveActiveDatabase>) -> Vec<String> {
    let result = match old {
        None => new.validate_cel(),
        Some(old) => new.validate_cel_update(old),
    };
    match result {
        Ok(()) => vec![],
        Err(errors) => errors.as_slice().iter().map(|e| e.message.clone()).collect(),
    }
}

#[test]
fn a_manifest_parses_without_defaults() {
    let d = db(TWO_REGIONS);
    assert_eq!(d.spec.regions.len(), 2);
    assert_eq!((d.spec.shards, d.spec.replicas, d.spec.backlog_bytes), (None, None, None));
    assert_eq!(d.spec.regions[1].shards, Some(3));
    assert_eq!(d.spec.regions[1].peer_endpoint, "syncer.eu-west.example:7700");
    // Serialising writes back only what the user wrote: no drift for GitOps tools.
    let back = serde_json::to_value(&d.spec).unwrap();
    assert_eq!(back["regions"][0].as_object().unwrap().len(), 3);
    assert_eq!(back.as_object().unwrap().keys().collect::<Vec<_>>(), vec!["regions"]);
    assert!(refusals(&d, None).is_empty(), "{:?}", refusals(&d, None));
}

fn walk(value: &serde_json::Value, found: &mut Vec<(String, serde_json::Value)>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                found.push((k.clone(), v.clone()));
                walk(v, found);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, found)),
        _ => {}
    }
}

#[test]
fn the_schema_writes_no_defaults_and_uses_only_standard_formats() {
    let crd = serde_json::to_value(ActiveActiveDatabase::crd()).unwrap();
    let spec = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"];
    let mut spec_keys = vec![];
    walk(spec, &mut spec_keys);
    assert!(spec_keys.len() > 100, "the spec schema was not found");
    assert!(!spec_keys.iter().any(|(k, _)| k == "default"), "the API server must default nothing in spec");
    let mut keys = vec![];
    walk(&crd, &mut keys);
    // The formats kube-apiserver knows without a warning.
    let standard = ["int32", "int64", "float", "double", "byte", "date", "date-time", "password"];
    for (k, v) in &keys {
        if k == "format" {
            assert!(standard.contains(&v.as_str().unwrap_or("")), "non-standard format {v}");
        }
    }
    assert!(keys.iter().any(|(k, _)| k == "x-kubernetes-validations"));
}

#[test]
fn two_regions_with_one_name_or_one_id_are_refused() {
    let mut d = db(TWO_REGIONS);
    d.spec.regions[1].name = "us-east".into();
    let r = refusals(&d, None);
    assert!(r.iter().any(|m| m.contains("two regions have the same name")), "{r:?}");
    let mut d = db(TWO_REGIONS);
    d.spec.regions[1].id = 1;
    let r = refusals(&d, None);
    assert!(r.iter().any(|m| m.contains("two regions have the same id")), "{r:?}");
}

#[test]
fn numbers_out_of_range_are_refused_with_what_to_fix() {
    type Change = fn(&mut ActiveActiveDatabaseSpec);
    let cases: [(&str, Change); 6] = [
        ("spec.shards must be from 1 to 1024", |s| s.shards = Some(0)),
        ("a region's replicas must be from 0 to 8", |s| s.regions[0].replicas = Some(9)),
        ("a region id must be from 1 to 31", |s| s.regions[0].id = 32),
        ("spec.backlogBytes must be from 1048576", |s| s.backlog_bytes = Some(1000)),
        ("a peerEndpoint must be host:port", |s| s.regions[0].peer_endpoint = "no-port".into()),
        ("spec.regions must list 1 to 31 regions", |s| s.regions.clear()),
    ];
    for (message, change) in cases {
        let mut d = db(TWO_REGIONS);
        change(&mut d.spec);
        let r = refusals(&d, None);
        assert!(r.iter().any(|m| m.contains(message)), "expected {message:?}, got {r:?}");
    }
}

#[test]
fn a_region_id_cannot_change_nor_be_reused() {
    let old = db(TWO_REGIONS);
    let mut new = old.clone();
    new.spec.regions[1].id = 3;
    let r = refusals(&new, Some(&old));
    assert!(r.iter().any(|m| m.contains("id cannot change once set")), "{r:?}");
    // eu-west leaves and ap-south takes its id in the same change.
    let mut new = old.clone();
    new.spec.regions[1].name = "ap-south".into();
    let r = refusals(&new, Some(&old));
    assert!(r.iter().any(|m| m.contains("ids are never reused")), "{r:?}");
    // Adding a region with a fresh id is fine.
    let mut new = old.clone();
    new.spec.regions.push(RegionSpec {
        name: "ap-south".into(),
        id: 3,
        peer_endpoint: "syncer.ap-south.example:7700".into(),
        shards: None,
        replicas: None,
    });
    assert!(refusals(&new, Some(&old)).is_empty());
}

#[test]
fn the_database_id_is_fixed_at_creation() {
    let old = db(TWO_REGIONS);
    let mut new = old.clone();
    new.spec.database_id = Some("other".into());
    let r = refusals(&new, Some(&old));
    assert!(r.iter().any(|m| m.contains("spec.databaseId cannot be set, changed or removed")), "{r:?}");
}

#[test]
fn a_regions_shard_count_cannot_change() {
    let old = db(TWO_REGIONS);
    let mut new = old.clone();
    new.spec.regions[1].shards = Some(4);
    let r = refusals(&new, Some(&old));
    assert!(r.iter().any(|m| m.contains("shard count cannot change yet")), "{r:?}");
    // us-east takes spec.shards (default 1): setting it to 2 changes us-east's count.
    let mut new = old.clone();
    new.spec.shards = Some(2);
    let r = refusals(&new, Some(&old));
    assert!(r.iter().any(|m| m.contains("shard count cannot change yet")), "{r:?}");
    // Writing out the count a region already has is no change; nor is a replica change.
    let mut new = old.clone();
    new.spec.regions[0].shards = Some(1);
    new.spec.regions[0].replicas = Some(3);
    assert!(refusals(&new, Some(&old)).is_empty(), "{:?}", refusals(&new, Some(&old)));
}
