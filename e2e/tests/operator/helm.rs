//! The Helm chart: `helm install` in a namespace, and the operator running with exactly the
//! rights the chart grants its ServiceAccount (least privilege, tested by using it); the
//! CRD upgrade path (`helm upgrade` upgrades the CRD, `helm uninstall` keeps it).

use std::path::{Path, PathBuf};

use meridian_e2e::kube::{KubeControlPlane, eventually};
use meridian_e2e::operator::{OPERATOR_TIMEOUT, Operator, event_reasons, get_json, wait_condition};

use crate::{TestResult, kube, plane};

fn chart() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../charts/meridian")
}

#[test]
fn the_chart_lints_renders_and_asks_for_its_region() -> TestResult {
    let plane = plane();
    let chart = chart().display().to_string();
    let lint = kube(plane.helm_ok(&["lint", &chart]))?;
    assert!(lint.contains("1 chart(s) linted, 0 chart(s) failed"), "{lint}");
    let rendered = kube(plane.helm_ok(&["template", "meridian", &chart, "--set", "region=eu-west"]))?;
    for kind in ["ServiceAccount", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding", "Deployment"] {
        assert!(rendered.contains(&format!("kind: {kind}\n")), "no {kind} in:\n{rendered}");
    }
    assert!(rendered.contains("value: \"eu-west\""), "{rendered}");
    let missing = kube(plane.helm(&["template", "meridian", &chart]))?;
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(!missing.status.success() && stderr.contains("set the region this cluster is: --set region="), "{stderr}");
    let bad = kube(plane.helm(&["template", "meridian", &chart, "--set", "region=US East"]))?;
    assert!(
        !bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("/region"),
        "a region the schema refuses"
    );
    Ok(())
}

#[test]
fn the_operator_runs_with_only_the_rights_the_chart_grants() -> TestResult {
    let plane = plane();
    let ns = kube(plane.create_namespace("helm"))?;
    let chart = chart();
    kube(plane.helm_ok(&[
        "install",
        "meridian",
        &chart.display().to_string(),
        "-n",
        &ns,
        "--set",
        "region=us-east",
        "--set",
        &format!("watchNamespace={ns}"),
        "--set",
        "crds.install=false",
    ]))?;
    let deployment =
        get_json(&plane, &["get", "deployment", "meridian", "-n", &ns]).map_err(meridian_e2e::Error::Check)?;
    let env = deployment["spec"]["template"]["spec"]["containers"][0]["env"].to_string();
    assert!(env.contains("\"MERIDIAN_REGION\"") && env.contains("\"us-east\""), "{env}");
    assert_eq!(deployment["spec"]["replicas"], 2);
    let role = get_json(&plane, &["get", "role", "meridian", "-n", &ns]).map_err(meridian_e2e::Error::Check)?;
    assert_eq!(role["kind"], "Role", "watchNamespace makes the grant namespaced");

    // Run the operator as the chart's ServiceAccount: any right the chart forgot fails this.
    let account = kube(plane.service_account(&ns, "meridian"))?;
    let _operator = Operator::start(account.kubeconfig(), &ns, "us-east", &[])?;
    // The example manifest, as a newcomer applies it.
    let example = chart.join("../../examples/three-regions.yaml");
    kube(plane.kubectl_ok(&["apply", "-n", &ns, "-f", &example.display().to_string()]))?;
    let db = wait_condition(&plane, &ns, "cache", "Ready", "False", "Starting")?;
    assert_eq!(db["status"]["region"], "us-east");
    assert_eq!(db["status"]["readyShards"], "0/1");
    let peers: Vec<&str> = db["status"]["peers"]
        .as_array()
        .map(|p| p.iter().filter_map(|p| p["region"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(peers, ["eu-west", "ap-south"]);
    for (kind, name) in [
        ("statefulset", "cache-shard-0"),
        ("deployment", "cache-syncer"),
        ("pdb", "cache-shard-0"),
        ("lease", "meridian-operator-us-east"),
    ] {
        kube(eventually(format!("{kind} {name}"), OPERATOR_TIMEOUT, || {
            get_json(&plane, &["get", kind, name, "-n", &ns])
        }))?;
    }
    assert!(event_reasons(&plane, &ns, "cache").contains(&"Applied".to_string()), "the operator can write Events");
    // The finalizer (here: Retain, so it lists the volume claims) is within its rights too.
    kube(plane.kubectl_ok(&["delete", "aadb", "cache", "-n", &ns, "--timeout=90s"]))?;
    kube(plane.helm_ok(&["uninstall", "meridian", "-n", &ns]))?;
    Ok(())
}

/// Helm never upgrades a chart's `crds/`; ours lives in `templates/`, so `helm upgrade`
/// upgrades it, and it is annotated to survive `helm uninstall`. Its own control plane: the
/// CRD is cluster-wide, and the other tests install theirs with kubectl.
#[test]
fn helm_upgrade_upgrades_the_crd_and_uninstall_keeps_it() -> TestResult {
    let plane = kube(KubeControlPlane::start())?;
    let ns = kube(plane.create_namespace("crd"))?;
    let chart = chart();
    kube(plane.helm_ok(&["install", "meridian", &chart.display().to_string(), "-n", &ns, "--set", "region=us-east"]))?;
    let columns = |plane: &KubeControlPlane| -> Result<String, String> {
        let crd = get_json(plane, &["get", "crd", "activeactivedatabases.meridian.io"])?;
        Ok(crd["spec"]["versions"][0]["additionalPrinterColumns"].to_string())
    };
    assert!(!columns(&plane).map_err(meridian_e2e::Error::Check)?.contains("Upgraded"));

    // A newer chart whose CRD has one more printer column.
    let newer = tempfile::tempdir().map_err(|e| meridian_e2e::Error::Check(e.to_string()))?;
    let copy = newer.path().join("meridian");
    copy_dir(&chart, &copy).map_err(|e| meridian_e2e::Error::Check(e.to_string()))?;
    let crd_file = copy.join("files/activeactivedatabases.meridian.io.yaml");
    let text = std::fs::read_to_string(&crd_file).map_err(|e| meridian_e2e::Error::Check(e.to_string()))?;
    let text = text.replacen(
        "additionalPrinterColumns:\n",
        "additionalPrinterColumns:\n    - jsonPath: .metadata.generation\n      name: Upgraded\n      type: integer\n",
        1,
    );
    std::fs::write(&crd_file, text).map_err(|e| meridian_e2e::Error::Check(e.to_string()))?;
    kube(plane.helm_ok(&["upgrade", "meridian", &copy.display().to_string(), "-n", &ns, "--set", "region=us-east"]))?;
    let after = columns(&plane).map_err(meridian_e2e::Error::Check)?;
    assert!(after.contains("Upgraded"), "{after}");

    kube(plane.helm_ok(&["uninstall", "meridian", "-n", &ns]))?;
    kube(eventually("the Deployment gone", OPERATOR_TIMEOUT, || {
        match get_json(&plane, &["get", "deployment", "meridian", "-n", &ns]) {
            Ok(_) => Err("still there".to_string()),
            Err(_) => Ok(()),
        }
    }))?;
    assert!(columns(&plane).is_ok(), "the CRD (and every database) survives helm uninstall");
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}
