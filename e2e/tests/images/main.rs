//! images/build.sh: the OCI archives of Meridian's images are reproducible (two builds from
//! the same binaries and commit are byte for byte the same), non-root, labelled with the
//! version, source and revision, and hold only the binary, the shared libraries it links and
//! the user's passwd and group entries. Needs the release binaries (`images/build.sh` once,
//! or `cargo build --release`); a missing one fails with the script's own message.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use meridian_e2e::cluster::{WORKSPACE_VERSION, run_bounded};
use serde_json::Value;

/// One run of the script with --no-build: umoci, strip and gzip over three binaries.
const BUILD_TIMEOUT: Duration = Duration::from_secs(600);
const TOOL_TIMEOUT: Duration = Duration::from_secs(60);

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs the script into `out`; its lines: (archive, reference, digest).
fn build(out: &Path) -> Vec<(PathBuf, String, String)> {
    let mut command = Command::new("bash");
    command.arg(repo().join("images/build.sh")).arg("--no-build").arg("--out").arg(out);
    let output = run_bounded(command, BUILD_TIMEOUT).unwrap_or_else(|e| panic!("images/build.sh: {e:?}"));
    assert!(
        output.status.success(),
        "images/build.sh failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            assert_eq!(fields.len(), 3, "unexpected line {line:?}");
            (PathBuf::from(fields[0]), fields[1].to_string(), fields[2].to_string())
        })
        .collect()
}

fn tool(program: &str, args: &[&str]) -> String {
    let mut command = Command::new(program);
    command.args(args);
    let output = run_bounded(command, TOOL_TIMEOUT).unwrap_or_else(|e| panic!("{program}: {e:?}"));
    assert!(output.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn blob(layout: &Path, digest: &str) -> PathBuf {
    layout.join("blobs/sha256").join(digest.trim_start_matches("sha256:"))
}

fn json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_images_are_reproducible_non_root_labelled_and_minimal() {
    let tmp = tempfile::tempdir().unwrap();
    let first = build(&tmp.path().join("a"));
    let second = build(&tmp.path().join("b"));

    let v = WORKSPACE_VERSION;
    let refs: Vec<&str> = first.iter().map(|(_, r, _)| r.as_str()).collect();
    assert_eq!(
        refs,
        [
            format!("docker.io/meridian/meridian-operator:{v}"),
            format!("docker.io/meridian/meridian-datanode:{v}"),
            format!("docker.io/meridian/meridian-syncer:{v}"),
            "registry.k8s.io/pause:3.6".to_string(),
        ]
    );
    // Same inputs, same digests, same archive bytes.
    for ((a, ref_a, digest_a), (b, ref_b, digest_b)) in first.iter().zip(&second) {
        assert_eq!((ref_a, digest_a), (ref_b, digest_b));
        assert!(std::fs::read(a).unwrap() == std::fs::read(b).unwrap(), "{} and {} differ", a.display(), b.display());
    }

    let (archive, _, digest) = &first[1];
    let layout = tmp.path().join("layout");
    std::fs::create_dir_all(&layout).unwrap();
    tool("tar", &["-xf", archive.to_str().unwrap(), "-C", layout.to_str().unwrap()]);
    let index = json(&layout.join("index.json"));
    assert_eq!(index["manifests"][0]["digest"], digest.as_str());
    assert_eq!(
        index["manifests"][0]["annotations"]["io.containerd.image.name"],
        format!("docker.io/meridian/meridian-datanode:{v}")
    );
    let manifest = json(&blob(&layout, digest));
    let config = json(&blob(&layout, manifest["config"]["digest"].as_str().unwrap()));
    assert_eq!(config["config"]["User"], "65532:65532");
    assert_eq!(config["config"]["Entrypoint"][0], "/usr/local/bin/meridian-datanode");
    assert_eq!(config["os"], "linux");
    let labels = &config["config"]["Labels"];
    let head = tool("git", &["-C", repo().to_str().unwrap(), "rev-parse", "HEAD"]);
    assert_eq!(labels["org.opencontainers.image.version"], v);
    assert_eq!(labels["org.opencontainers.image.revision"], head.trim());
    assert_eq!(labels["org.opencontainers.image.source"], "https://github.com/meridian-db/meridian");
    assert_eq!(labels["org.opencontainers.image.created"], config["created"]);
    let packages = labels["io.meridian.image.debian-packages"].as_str().unwrap();
    assert!(packages.split(' ').any(|p| p.starts_with("libc6=")), "{packages}");

    // One layer: the binary, what ldd lists, the user; every entry root-owned, one mtime.
    let layers = manifest["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 1);
    assert_eq!(layers[0]["mediaType"], "application/vnd.oci.image.layer.v1.tar+gzip");
    let layer = blob(&layout, layers[0]["digest"].as_str().unwrap());
    let listing = tool("tar", &["-tvzf", layer.to_str().unwrap(), "--numeric-owner", "--full-time"]);
    let names: Vec<&str> = listing.lines().filter_map(|l| l.split_whitespace().nth(5)).collect();
    for want in ["usr/local/bin/meridian-datanode", "etc/passwd", "etc/group", "lib64/ld-linux-x86-64.so.2"] {
        assert!(names.contains(&want), "{want} missing from the layer: {names:?}");
    }
    assert!(names.iter().any(|n| n.starts_with("lib/x86_64-linux-gnu/libc.so")), "{names:?}");
    for name in &names {
        let top = name.split('/').next().unwrap_or_default();
        assert!(["etc", "lib", "lib64", "usr"].contains(&top), "unexpected entry {name}");
    }
    let owners: Vec<&str> = listing.lines().filter_map(|l| l.split_whitespace().nth(1)).collect();
    assert!(owners.iter().all(|o| *o == "0/0"), "{owners:?}");
    let times: std::collections::BTreeSet<String> =
        listing.lines().map(|l| l.split_whitespace().skip(3).take(2).collect::<Vec<_>>().join(" ")).collect();
    assert_eq!(times.len(), 1, "several mtimes in the layer: {times:?}");
    let passwd = tool("tar", &["-xzOf", layer.to_str().unwrap(), "etc/passwd"]);
    assert!(passwd.lines().any(|l| l == "meridian:x:65532:65532:meridian:/nonexistent:/usr/sbin/nologin"), "{passwd}");
}
