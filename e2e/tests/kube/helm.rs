//! helm runs against the control plane: it reports its version, installs a chart made here
//! and uninstalls it, and as a restricted user it can do only what RBAC grants.

use std::path::Path;

use meridian_e2e::kube::eventually;

use crate::{get_json, plane, text};

/// A chart with one ConfigMap whose data comes from a value.
fn write_chart(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir.join("templates"))?;
    std::fs::write(dir.join("Chart.yaml"), "apiVersion: v2\nname: greeting\nversion: 0.1.0\n")?;
    std::fs::write(dir.join("values.yaml"), "greeting: hello\n")?;
    std::fs::write(
        dir.join("templates/configmap.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-greeting\n\
         data:\n  greeting: {{ .Values.greeting | quote }}\n",
    )
}

#[test]
fn helm_reports_its_version() {
    let plane = plane();
    let version = plane.helm_ok(&["version", "--short"]).unwrap();
    assert!(version.starts_with("v4."), "{version}");
}

#[test]
fn helm_installs_and_uninstalls_a_chart() {
    let plane = plane();
    let ns = plane.create_namespace("helm").unwrap();
    let chart = tempfile::tempdir().unwrap();
    write_chart(chart.path()).unwrap();
    let chart = chart.path().to_str().unwrap();

    plane
        .helm_ok(&["install", "hi", chart, "-n", &ns, "--set", "greeting=bonjour", "--wait", "--timeout", "60s"])
        .unwrap();
    let cm = get_json(&plane, &["get", "configmap", "hi-greeting", "-n", &ns]).unwrap();
    assert_eq!(cm["data"]["greeting"], "bonjour");
    assert_eq!(cm["metadata"]["annotations"]["meta.helm.sh/release-name"], "hi");

    let releases: serde_json::Value =
        serde_json::from_str(&plane.helm_ok(&["list", "-n", &ns, "-o", "json"]).unwrap()).unwrap();
    assert_eq!(releases[0]["name"], "hi");
    assert_eq!(releases[0]["status"], "deployed");

    plane.helm_ok(&["uninstall", "hi", "-n", &ns, "--wait", "--timeout", "60s"]).unwrap();
    eventually("the ConfigMap gone after uninstall", std::time::Duration::from_secs(30), || {
        let out = plane.kubectl(&["get", "configmap", "hi-greeting", "-n", &ns]).map_err(|e| e.to_string())?;
        let (_, err) = text(&out);
        if !out.status.success() && err.contains("NotFound") { Ok(()) } else { Err(err) }
    })
    .unwrap();
    let releases = plane.helm_ok(&["list", "-n", &ns, "-q"]).unwrap();
    assert_eq!(releases.trim(), "");
}

#[test]
fn helm_as_a_restricted_user_installs_only_once_granted() {
    let plane = plane();
    let ns = plane.create_namespace("helm-rbac").unwrap();
    let user = format!("deployer-{ns}");
    let deployer = plane.user(&user, &[]).unwrap();
    let chart = tempfile::tempdir().unwrap();
    write_chart(chart.path()).unwrap();
    let chart = chart.path().to_str().unwrap();

    let refused = plane.helm_as(&deployer, &["install", "hi", chart, "-n", &ns]).unwrap();
    let (out, err) = text(&refused);
    assert!(!refused.status.success(), "{out}");
    assert!(err.contains("forbidden"), "{err}");

    // Helm keeps its release records in Secrets: the chart's objects plus those.
    plane
        .apply_yaml(&format!(
            r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: deployer, namespace: {ns}}}
rules:
  - apiGroups: [""]
    resources: [configmaps, secrets]
    verbs: [get, list, watch, create, update, patch, delete]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: deployer, namespace: {ns}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}}
subjects:
  - {{apiGroup: rbac.authorization.k8s.io, kind: User, name: {user}}}
"#
        ))
        .unwrap();
    eventually("the deployer installing once granted", std::time::Duration::from_secs(60), || {
        let out =
            plane.helm_as(&deployer, &["upgrade", "--install", "hi", chart, "-n", &ns]).map_err(|e| e.to_string())?;
        if out.status.success() { Ok(()) } else { Err(text(&out).1) }
    })
    .unwrap();
    let cm = get_json(&plane, &["get", "configmap", "hi-greeting", "-n", &ns]).unwrap();
    assert_eq!(cm["data"]["greeting"], "hello");
}
