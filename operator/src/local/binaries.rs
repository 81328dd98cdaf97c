//! Finding the programs local mode runs: `MERIDIAN_DATANODE_BIN` / `MERIDIAN_SYNCER_BIN`,
//! else `--bin-dir`, else beside this executable (a Cargo target directory holds all three),
//! else `PATH`. Under `cargo run` (Cargo sets `CARGO` for the program it runs) missing
//! siblings are built first with the same profile, so the README's one command works on a
//! fresh clone.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::child::find_on_path;
use super::desired::Binaries;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BinaryError {
    #[error(
        "{name} not found (looked at {looked}): build it with `cargo build --release --bins`, or set {var} to its path"
    )]
    Missing { name: &'static str, looked: String, var: &'static str },
    #[error("building {names} with cargo failed ({status}); see the output above")]
    Build { names: String, status: String },
}

const PROGRAMS: [(&str, &str); 2] =
    [("meridian-datanode", "MERIDIAN_DATANODE_BIN"), ("meridian-syncer", "MERIDIAN_SYNCER_BIN")];

/// Both binaries, building them first when run by `cargo run` and they are missing.
pub fn find(bin_dir: Option<&Path>) -> Result<Binaries, BinaryError> {
    let beside = std::env::current_exe().ok().and_then(|e| e.parent().map(Path::to_path_buf));
    // A variable naming a missing file is a mistake a build cannot fix.
    let missing: Vec<&str> = PROGRAMS
        .iter()
        .filter(|(n, v)| std::env::var_os(v).is_none() && locate(n, v, bin_dir, beside.as_deref()).is_err())
        .map(|(n, _)| *n)
        .collect();
    if let (false, Some(cargo), Some(dir)) = (missing.is_empty(), std::env::var_os("CARGO"), beside.as_deref()) {
        build(Path::new(&cargo), dir, &missing)?;
    }
    let [(dn, dv), (sn, sv)] = PROGRAMS;
    Ok(Binaries {
        datanode: locate(dn, dv, bin_dir, beside.as_deref())?,
        syncer: locate(sn, sv, bin_dir, beside.as_deref())?,
    })
}

fn locate(
    name: &'static str,
    var: &'static str,
    bin_dir: Option<&Path>,
    beside: Option<&Path>,
) -> Result<PathBuf, BinaryError> {
    let mut looked = vec![];
    if let Some(path) = std::env::var_os(var).map(PathBuf::from) {
        if path.is_file() {
            return Ok(path);
        }
        return Err(BinaryError::Missing { name, looked: format!("{var}={}", path.display()), var });
    }
    for dir in [bin_dir, beside].into_iter().flatten() {
        let path = dir.join(name);
        if path.is_file() {
            return Ok(path);
        }
        looked.push(path.display().to_string());
    }
    if let Some(path) = find_on_path(name) {
        return Ok(path);
    }
    looked.push("PATH".into());
    Err(BinaryError::Missing { name, looked: looked.join(", "), var })
}

/// `cargo build` of the missing programs into the target directory this executable is in,
/// with its profile (`target/<profile>/`).
fn build(cargo: &Path, exe_dir: &Path, names: &[&str]) -> Result<(), BinaryError> {
    let profile = exe_dir.file_name().and_then(|p| p.to_str()).unwrap_or("debug");
    let mut command = Command::new(cargo);
    command.arg("build");
    match profile {
        "debug" => {}
        "release" => {
            command.arg("--release");
        }
        other => {
            command.args(["--profile", other]);
        }
    }
    for n in names {
        command.args(["-p", n]);
    }
    if let Some(target) = exe_dir.parent() {
        command.arg("--target-dir").arg(target);
    }
    eprintln!("meridian local: building {} first (cargo build, profile {profile})", names.join(" and "));
    let status = command.status().map_err(|e| BinaryError::Build { names: names.join(", "), status: e.to_string() })?;
    if !status.success() {
        return Err(BinaryError::Build { names: names.join(", "), status: status.to_string() });
    }
    Ok(())
}
