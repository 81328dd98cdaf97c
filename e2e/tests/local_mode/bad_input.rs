//! Bad input: refused before anything starts, with a message that says what to fix, and
//! nothing left running.

use std::net::TcpListener;

use meridian_e2e::local::{LocalDb, local, port_base, processes_using, state_dir};

use crate::{manifest, three_regions};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// Runs `local FILE` on a fresh directory with `env`; it must fail and leave nothing.
fn refused(name: &str, text: &str, extra: &[&str], env: &[(&str, &str)]) -> String {
    let dir = state_dir(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("input.yaml");
    std::fs::write(&file, text).unwrap();
    let (f, d) = (file.display().to_string(), dir.display().to_string());
    let mut args = vec![f.as_str(), "--dir", d.as_str(), "--ports-per-region", "100"];
    args.extend_from_slice(extra);
    let out = local(&args, env).unwrap();
    assert!(!out.status.success(), "accepted: {out:?}");
    assert!(processes_using(&dir).is_empty(), "left running: {:?}", processes_using(&dir));
    assert!(!dir.join("regions").exists(), "something was started");
    std::fs::remove_dir_all(&dir).unwrap();
    stderr(&out)
}

#[test]
fn a_manifest_the_crd_refuses_is_refused_with_the_same_message() {
    let message = "spec.regions: two regions have the same id; give each region its own id from 1 to 31";
    // The CRD that `kubectl apply` validates against carries this very message.
    let crd = std::process::Command::new(meridian_e2e::process::workspace_binary("meridian-operator").unwrap())
        .arg("crd")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&crd.stdout).contains(message));
    let err = refused("cel", &manifest("cel", 2, 1, 10).replace("id: 2", "id: 1"), &[], &[]);
    assert!(err.contains(&format!("the manifest is invalid: {message}")), "{err}");
    let err = refused("grace", &manifest("grace", 1, 1, 0), &[], &[]);
    assert!(err.contains("spec.failoverGracePeriodSeconds must be from 1 to 3600"), "{err}");
    let err = refused("kind", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", &[], &[]);
    assert!(err.contains("is not an ActiveActiveDatabase manifest"), "{err}");
}

#[test]
fn a_port_in_use_is_named_with_what_needed_it() {
    let base = port_base() + 17;
    let taken = TcpListener::bind(("127.0.0.1", base + 1)).unwrap();
    let b = base.to_string();
    let err = refused("port", &manifest("port", 2, 1, 10), &["--port-base", &b], &[]);
    assert!(
        err.contains(&format!("port {} (for r1 shard 0 member 1 (RESP)) is in use on 127.0.0.1", base + 1)),
        "{err}"
    );
    drop(taken);
}

#[test]
fn a_missing_binary_is_a_clear_error() {
    let err =
        refused("nobin", &manifest("nobin", 2, 1, 10), &[], &[("MERIDIAN_SYNCER_BIN", "/nonexistent/meridian-syncer")]);
    assert!(
        err.contains("meridian-syncer not found (looked at MERIDIAN_SYNCER_BIN=/nonexistent/meridian-syncer)"),
        "{err}"
    );
}

#[test]
fn a_directory_held_by_another_database_is_refused_and_the_runner_keeps_going() -> meridian_e2e::Result<()> {
    let db = LocalDb::start("owner", &three_regions(), &[])?;
    let before = processes_using(&db.dir).len();
    let other = db.dir.join("other.yaml");
    std::fs::write(&other, manifest("other", 1, 0, 10)).unwrap();
    let (f, d, b) = (other.display().to_string(), db.dir.display().to_string(), db.base.to_string());
    let out = local(&[&f, "--dir", &d, "--port-base", &b, "--ports-per-region", "100"], &[])?;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(&format!("{d} runs database \"cache\" and {f} is database \"other\"")),
        "{}",
        stderr(&out)
    );
    // Other options than the runner's are refused too.
    let input = db.manifest.display().to_string();
    let out = local(&[&input, "--dir", &d, "--port-base", "31000", "--ports-per-region", "100"], &[])?;
    assert!(stderr(&out).contains("the running instance was started with --port-base"), "{}", stderr(&out));
    assert_eq!(processes_using(&db.dir).len(), before);
    assert_eq!(db.status()?["ready"], true);
    Ok(())
}

#[test]
fn stop_leaves_nothing_behind() -> meridian_e2e::Result<()> {
    let mut db = LocalDb::start("stop", &manifest("stop", 2, 1, 10), &[])?;
    assert_eq!(processes_using(&db.dir).len(), 2 * 2 + 2 + 1, "datanodes, syncers, supervisor");
    let out = db.stop()?;
    assert!(String::from_utf8_lossy(&out.stdout).contains("meridian local: stopped stop"), "{out:?}");
    assert!(processes_using(&db.dir).is_empty(), "{:?}", processes_using(&db.dir));
    let again = local(&["status", &db.dir.display().to_string()], &[])?;
    assert_eq!(again.status.code(), Some(1));
    Ok(())
}
