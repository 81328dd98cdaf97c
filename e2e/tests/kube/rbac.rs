//! Identities other than the admin are authenticated and held to RBAC: a user with a
//! client certificate, and a ServiceAccount with a token from the TokenRequest API. What a
//! Role does not grant is refused with 403.

use meridian_e2e::kube::eventually;

use crate::{CONTROLLER_TIMEOUT, get_json, plane, text};

/// RBAC changes reach the authorizer through a watch: a grant works within a moment.
const RBAC_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

#[test]
fn a_restricted_user_gets_what_its_role_grants_and_403_for_the_rest() {
    let plane = plane();
    let ns = plane.create_namespace("rbac-user").unwrap();
    let user = format!("alice-{ns}");
    let alice = plane.user(&user, &["meridian-testers"]).unwrap();

    let whoami = plane.kubectl_as(&alice, &["auth", "whoami", "-o", "json"]).unwrap();
    let (out, err) = text(&whoami);
    assert!(whoami.status.success(), "{err}");
    let whoami: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(whoami["status"]["userInfo"]["username"], user.as_str());
    let groups = whoami["status"]["userInfo"]["groups"].as_array().unwrap();
    assert!(groups.iter().any(|g| g == "meridian-testers"), "{groups:?}");

    plane
        .apply_yaml(&format!(
            r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: configmap-reader, namespace: {ns}}}
rules:
  - apiGroups: [""]
    resources: [configmaps]
    verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: alice-reads-configmaps, namespace: {ns}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: configmap-reader}}
subjects:
  - {{apiGroup: rbac.authorization.k8s.io, kind: User, name: {user}}}
"#
        ))
        .unwrap();

    eventually("alice listing ConfigMaps", RBAC_TIMEOUT, || {
        let out = plane.kubectl_as(&alice, &["get", "configmaps", "-n", &ns]).map_err(|e| e.to_string())?;
        if out.status.success() { Ok(()) } else { Err(text(&out).1) }
    })
    .unwrap();

    // -v=6 logs each request with its HTTP status.
    let secrets = plane.kubectl_as(&alice, &["get", "secrets", "-n", &ns, "-v=6"]).unwrap();
    let (_, err) = text(&secrets);
    assert!(!secrets.status.success());
    assert!(err.contains("403 Forbidden"), "{err}");
    assert!(err.contains(&format!("User \"{user}\" cannot list resource \"secrets\"")), "{err}");

    // The grant is for one namespace only.
    let elsewhere = plane.kubectl_as(&alice, &["get", "configmaps", "-n", "default"]).unwrap();
    assert!(!elsewhere.status.success());
    assert!(text(&elsewhere).1.contains("forbidden"), "{}", text(&elsewhere).1);

    let can = plane.kubectl(&["auth", "can-i", "delete", "configmaps", "-n", &ns, "--as", &user]).unwrap();
    assert_eq!(text(&can).0.trim(), "no", "alice may not delete: {}", text(&can).1);
}

#[test]
fn a_service_account_token_is_authenticated_and_refused_until_bound() {
    let plane = plane();
    let ns = plane.create_namespace("rbac-sa").unwrap();
    let robot = plane.service_account(&ns, "robot").unwrap();
    assert_eq!(robot.name(), format!("system:serviceaccount:{ns}:robot"));

    let whoami = plane.kubectl_as(&robot, &["auth", "whoami", "-o", "json"]).unwrap();
    let (out, err) = text(&whoami);
    assert!(whoami.status.success(), "{err}");
    let whoami: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(whoami["status"]["userInfo"]["username"], robot.name());

    let pods = plane.kubectl_as(&robot, &["get", "pods", "-n", &ns, "-v=6"]).unwrap();
    assert!(!pods.status.success());
    assert!(text(&pods).1.contains("403 Forbidden"), "{}", text(&pods).1);

    plane.kubectl_ok(&["create", "rolebinding", "robot-view", "-n", &ns, "--clusterrole=view"]).unwrap();
    // A binding with no subject grants nothing: add the ServiceAccount.
    plane
        .kubectl_ok(&["set", "subject", "rolebinding/robot-view", "-n", &ns, &format!("--serviceaccount={ns}:robot")])
        .unwrap();
    eventually("robot listing Pods once bound to view", RBAC_TIMEOUT, || {
        let out = plane.kubectl_as(&robot, &["get", "pods", "-n", &ns]).map_err(|e| e.to_string())?;
        if out.status.success() { Ok(()) } else { Err(text(&out).1) }
    })
    .unwrap();

    // The issuer the tokens carry is the one the API server publishes for OIDC discovery.
    let discovery = plane.kubectl_ok(&["get", "--raw", "/.well-known/openid-configuration"]).unwrap();
    let discovery: serde_json::Value = serde_json::from_str(&discovery).unwrap();
    assert_eq!(discovery["issuer"], "https://kubernetes.default.svc.cluster.local");

    // The controllers run with per-controller ServiceAccounts (--use-service-account-credentials).
    let accounts = eventually("kube-system controller ServiceAccounts", CONTROLLER_TIMEOUT, || {
        let list = get_json(&plane, &["get", "serviceaccounts", "-n", "kube-system"])?;
        let names: Vec<String> =
            crate::items(&list).iter().filter_map(|sa| sa["metadata"]["name"].as_str().map(String::from)).collect();
        if names.iter().any(|n| n == "replicaset-controller") { Ok(names) } else { Err(format!("{names:?}")) }
    })
    .unwrap();
    assert!(accounts.iter().any(|n| n == "deployment-controller"), "{accounts:?}");
}
