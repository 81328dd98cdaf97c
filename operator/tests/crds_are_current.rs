//! `crds/` holds the CRD generated from the Rust types; this fails when it is stale.
//! Regenerate with `UPDATE_CRDS=1 cargo test -p meridian-operator --test crds_are_current`.

#[test]
fn crds_yaml_matches_the_rust_types() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../crds/activeactivedatabases.meridian.io.yaml");
    let generated = meridian_operator::crd::crd_yaml().expect("the CRD serialises");
    if std::env::var_os("UPDATE_CRDS").is_some() {
        std::fs::write(&path, &generated).expect("writing crds/");
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "crds/ is stale: run UPDATE_CRDS=1 cargo test -p meridian-operator --test crds_are_current"
    );
}
