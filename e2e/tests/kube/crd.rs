//! What the operator relies on from the API server for its own resource: CRDs with CEL
//! validation rules (`x-kubernetes-validations`, transition rules too) are enforced, and
//! server-side apply tracks field managers and reports conflicts.

use meridian_e2e::kube::KubeControlPlane;

use crate::{get_json, plane, text};

const CRD: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.e2e.meridian.io
spec:
  group: e2e.meridian.io
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
    - name: v1
      served: true
      storage: true
      subresources: {status: {}}
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [replicas, region]
              properties:
                replicas: {type: integer}
                region: {type: string}
              x-kubernetes-validations:
                - rule: "self.replicas <= 5"
                  message: "replicas must be at most 5"
                - rule: "self.region == oldSelf.region"
                  message: "region is immutable"
"#;

fn widget(ns: &str, replicas: u32, region: &str) -> String {
    format!(
        "apiVersion: e2e.meridian.io/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: {ns}\n\
         spec:\n  replicas: {replicas}\n  region: {region}\n"
    )
}

/// Installs the Widget CRD and waits until it is served. Both tests here install it on the
/// shared control plane: one at a time, or two client-side applies may both try to create it.
fn install_crd(plane: &KubeControlPlane) -> meridian_e2e::kube::Result<()> {
    static INSTALLING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = INSTALLING.lock().unwrap_or_else(|e| e.into_inner());
    plane.apply_yaml(CRD)?;
    plane.kubectl_ok(&["wait", "--for=condition=Established", "crd/widgets.e2e.meridian.io", "--timeout=60s"])?;
    Ok(())
}

#[test]
fn cel_validation_rules_in_a_crd_are_enforced() {
    let plane = plane();
    install_crd(&plane).unwrap();
    let ns = plane.create_namespace("cel").unwrap();

    let refused = plane.apply_yaml(&widget(&ns, 6, "us-east")).unwrap_err().to_string();
    assert!(refused.contains("replicas must be at most 5"), "{refused}");
    assert!(refused.contains("Invalid value"), "{refused}");

    plane.apply_yaml(&widget(&ns, 3, "us-east")).unwrap();
    let refused = plane.apply_yaml(&widget(&ns, 3, "eu-west")).unwrap_err().to_string();
    assert!(refused.contains("region is immutable"), "{refused}");

    let stored = get_json(&plane, &["get", "widget", "w", "-n", &ns]).unwrap();
    assert_eq!(stored["spec"]["region"], "us-east");
}

#[test]
fn server_side_apply_tracks_managers_and_reports_conflicts() {
    let plane = plane();
    install_crd(&plane).unwrap();
    let ns = plane.create_namespace("ssa").unwrap();
    let apply = |manager: &str, replicas: u32, force: bool| {
        let mut args = vec!["apply", "--server-side", "--field-manager", manager, "-f", "-"];
        if force {
            args.push("--force-conflicts");
        }
        plane.kubectl_with_input(&args, &widget(&ns, replicas, "us-east")).unwrap()
    };

    let first = apply("meridian-operator", 2, false);
    assert!(first.status.success(), "{}", text(&first).1);
    let stored = get_json(&plane, &["get", "widget", "w", "-n", &ns, "--show-managed-fields"]).unwrap();
    let managers = stored["metadata"]["managedFields"].as_array().unwrap();
    assert!(managers.iter().any(|m| m["manager"] == "meridian-operator" && m["operation"] == "Apply"), "{managers:?}");

    let conflict = apply("someone-else", 4, false);
    assert!(!conflict.status.success());
    let (_, err) = text(&conflict);
    assert!(err.contains("conflict"), "{err}");
    assert!(err.contains("meridian-operator"), "the conflict names the owner: {err}");

    let forced = apply("someone-else", 4, true);
    assert!(forced.status.success(), "{}", text(&forced).1);
    let stored = get_json(&plane, &["get", "widget", "w", "-n", &ns]).unwrap();
    assert_eq!(stored["spec"]["replicas"], 4);

    // CEL rules hold for server-side apply too.
    let refused = apply("meridian-operator", 9, true);
    assert!(!refused.status.success());
    assert!(text(&refused).1.contains("replicas must be at most 5"), "{}", text(&refused).1);
}
