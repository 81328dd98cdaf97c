//! `crds/` and the Helm chart hold the CRD generated from the Rust types; this fails when
//! either is stale. Regenerate with
//! `UPDATE_CRDS=1 cargo test -p meridian-operator --test crds_are_current`.

use std::path::Path;

fn check(relative: &str, generated: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    if std::env::var_os("UPDATE_CRDS").is_some() {
        std::fs::write(&path, generated).expect("writing the CRD");
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "{} is stale: run UPDATE_CRDS=1 cargo test -p meridian-operator --test crds_are_current",
        path.display()
    );
}

#[test]
fn crds_yaml_matches_the_rust_types() {
    check(
        "../crds/activeactivedatabases.meridian.io.yaml",
        &meridian_operator::crd::crd_yaml().expect("the CRD serialises"),
    );
}

#[test]
fn the_charts_crd_matches_the_rust_types_and_is_kept_on_uninstall() {
    let generated = meridian_operator::crd::crd_yaml_for_helm().expect("the CRD serialises");
    assert!(generated.contains("helm.sh/resource-policy: keep"));
    check("../charts/meridian/files/activeactivedatabases.meridian.io.yaml", &generated);
}
