//! What a local database should run, from the manifest alone: the operator's plan of every
//! region (`plan::plan`, with the CRD's own CEL rules), each region's ports or address, and
//! each process's command line (`build::statefulset::args`, `build::syncer::args`, shared
//! with the Kubernetes objects). Pure; the supervisor carries it out.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use crate::build;
use crate::crd::ActiveActiveDatabase;
use crate::plan::{self, OperatorDefaults, PlanError, RegionPlan};

use super::layout::{LayoutError, Ports, RegionLayout};
use super::netns::Wan;
use super::state_dir::Paths;

/// The largest manifest read: a manifest is a few KiB.
const MAX_MANIFEST_BYTES: u64 = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} is larger than {MAX_MANIFEST_BYTES} bytes: is it a manifest?")]
    TooLarge { path: PathBuf },
    #[error("{path} is not an ActiveActiveDatabase manifest: {source}")]
    Parse { path: PathBuf, source: NotAManifest },
    #[error("{path}: {source}")]
    Plan { path: PathBuf, source: PlanError },
    #[error("{path}: {source}")]
    Layout { path: PathBuf, source: LayoutError },
}

/// Reads and parses a manifest: one YAML document of kind ActiveActiveDatabase, the file
/// `kubectl apply` takes.
pub fn read(path: &Path) -> Result<(String, ActiveActiveDatabase), ManifestError> {
    let read = |source| ManifestError::Read { path: path.to_path_buf(), source };
    let meta = std::fs::metadata(path).map_err(read)?;
    if meta.len() > MAX_MANIFEST_BYTES {
        return Err(ManifestError::TooLarge { path: path.to_path_buf() });
    }
    let text = std::fs::read_to_string(path).map_err(read)?;
    let db = parse(&text).map_err(|source| ManifestError::Parse { path: path.to_path_buf(), source })?;
    Ok((text, db))
}

/// Why a text is not a manifest.
#[derive(Debug, thiserror::Error)]
pub enum NotAManifest {
    #[error("{0}")]
    Yaml(#[from] serde_yaml::Error),
    #[error("it has apiVersion {api:?} and kind {kind:?}, not meridian.io/v1alpha1 ActiveActiveDatabase")]
    Kind { api: String, kind: String },
}

pub fn parse(text: &str) -> Result<ActiveActiveDatabase, NotAManifest> {
    let value: serde_yaml::Value = serde_yaml::from_str(text)?;
    let kind = value.get("kind").and_then(|k| k.as_str()).unwrap_or("");
    let api = value.get("apiVersion").and_then(|k| k.as_str()).unwrap_or("");
    if kind != "ActiveActiveDatabase" || api != "meridian.io/v1alpha1" {
        return Err(NotAManifest::Kind { api: api.to_string(), kind: kind.to_string() });
    }
    Ok(serde_yaml::from_value(value)?)
}

/// How regions are placed on this machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    pub ports: Ports,
    /// Each region in its own namespace (`--netns`); loopback otherwise.
    pub wan: Option<Wan>,
}

impl Placement {
    pub fn ip(&self, region: u8) -> Ipv4Addr {
        self.wan.as_ref().map_or(Ipv4Addr::LOCALHOST, |w| w.region_ip(region))
    }

    pub fn layout(&self, region: u8) -> RegionLayout {
        self.ports.region(region, self.ip(region))
    }
}

/// The binaries to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binaries {
    pub datanode: PathBuf,
    pub syncer: PathBuf,
}

/// The whole database as this machine should run it.
#[derive(Clone, Debug)]
pub struct Desired {
    pub manifest: ActiveActiveDatabase,
    pub database: String,
    pub database_id: String,
    /// Every region, by id.
    pub regions: Vec<RegionDesired>,
    /// What the manifest asks that local mode does not do, one line each.
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RegionDesired {
    /// The operator's plan, with the peers' endpoints replaced by their local addresses.
    pub plan: RegionPlan,
    pub layout: RegionLayout,
    pub syncer_args: Vec<String>,
    /// Per shard, per ordinal.
    pub datanode_args: Vec<Vec<Vec<String>>>,
}

impl RegionDesired {
    pub fn name(&self) -> &str {
        &self.plan.region.name
    }

    pub fn id(&self) -> u8 {
        self.plan.region.id
    }
}

/// Plans every region of `db` for this machine.
pub fn desired(
    path: &Path,
    db: &ActiveActiveDatabase,
    placement: &Placement,
    dir: Paths<'_>,
) -> Result<Desired, ManifestError> {
    let plan_err = |source| ManifestError::Plan { path: path.to_path_buf(), source };
    let defaults = OperatorDefaults::default();
    let mut plans = db
        .spec
        .regions
        .iter()
        .map(|r| plan::plan(db, &r.name, &defaults))
        .collect::<Result<Vec<RegionPlan>, PlanError>>()
        .map_err(plan_err)?;
    plans.sort_by_key(|p| p.region.id);
    for p in &plans {
        placement.ports.check(p).map_err(|source| ManifestError::Layout { path: path.to_path_buf(), source })?;
    }
    let regions = plans
        .into_iter()
        .map(|mut plan| {
            let layout = placement.layout(plan.region.id);
            for peer in &mut plan.peers {
                peer.peer_endpoint = placement.layout(peer.id).peer_addr();
            }
            plan.region.peer_endpoint = layout.peer_addr();
            let map = dir.shard_map(&plan.region.name).display().to_string();
            let syncer_args = build::syncer::args(&plan, &layout.peer_addr(), &layout.http_addr(), &map, None);
            let datanode_args = plan
                .shards
                .iter()
                .map(|s| {
                    (0..s.members)
                        .map(|o| {
                            let resp = layout.resp_addr(s.index, o);
                            let ip = layout.ip.to_string();
                            let (port, repl) = (layout.datanode(s.index, o), layout.repl(s.index, o));
                            build::statefulset::args(&plan, &ip, port, repl, &resp, &map)
                        })
                        .collect()
                })
                .collect();
            RegionDesired { plan, layout, syncer_args, datanode_args }
        })
        .collect::<Vec<_>>();
    let first = regions.first().map(|r| &r.plan);
    Ok(Desired {
        manifest: db.clone(),
        database: first.map(|p| p.database.clone()).unwrap_or_default(),
        database_id: first.map(|p| p.database_id.clone()).unwrap_or_default(),
        notes: notes(db),
        regions,
    })
}

/// The shard map a region's datanodes and syncer read: every member's RESP address, each
/// shard's master first.
pub fn shard_map(region: &RegionDesired, masters: &[Option<u32>]) -> String {
    plan::shard_map::render(&region.plan.shards, masters, |s, o| region.layout.resp_addr(s, o))
}

/// The parts of a valid manifest that have no meaning on one machine.
fn notes(db: &ActiveActiveDatabase) -> Vec<String> {
    let spec = &db.spec;
    let mut notes = vec![];
    if spec.tls.is_some() {
        notes.push("spec.tls: not used locally; the syncers talk in plain text on this machine".into());
    }
    if spec.auth.is_some() {
        notes.push(
            "spec.auth: local mode reads no Secrets; set MERIDIAN_REQUIREPASS in the environment to require a password"
                .into(),
        );
    }
    if spec.storage.is_some() {
        notes.push("spec.storage: no volumes locally (datanodes keep their data in memory)".into());
    }
    if spec.paused == Some(true) {
        notes.push("spec.paused: ignored locally; the processes run".into());
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    pub const THREE: &str = r#"
apiVersion: meridian.io/v1alpha1
kind: ActiveActiveDatabase
metadata: {name: cache}
spec:
  regions:
    - {name: us-east, id: 1, peerEndpoint: "cache-syncer.us-east.example.com:7700"}
    - {name: eu-west, id: 2, peerEndpoint: "cache-syncer.eu-west.example.com:7700"}
    - {name: ap-south, id: 3, peerEndpoint: "cache-syncer.ap-south.example.com:7700", shards: 2}
  replicas: 1
"#;

    fn placement() -> Placement {
        Placement { ports: Ports::default(), wan: None }
    }

    #[test]
    fn every_region_gets_the_operators_plan_on_local_addresses() {
        let db = parse(THREE).unwrap();
        let dir = Path::new("/run/m");
        let d = desired(Path::new("x.yaml"), &db, &placement(), Paths(dir)).unwrap();
        assert_eq!((d.database.as_str(), d.database_id.as_str()), ("cache", "cache"));
        let names: Vec<&str> = d.regions.iter().map(|r| r.name()).collect();
        assert_eq!(names, ["us-east", "eu-west", "ap-south"]);
        let ap = &d.regions[2];
        assert_eq!(ap.datanode_args.len(), 2);
        assert_eq!(
            ap.datanode_args[1][1],
            [
                "--port=9011",
                "--bind=127.0.0.1",
                "--repl-port=19011",
                "--region=3",
                "--database-id=cache",
                "--active-active",
                "--repl-backlog-size=16777216",
                "--announce=127.0.0.1:9011",
                "--shard-map-file=/run/m/regions/ap-south/shard-map",
            ]
        );
        assert_eq!(
            d.regions[0].syncer_args,
            [
                "--region=1",
                "--database-id=cache",
                "--listen=127.0.0.1:7998",
                "--http=127.0.0.1:7999",
                "--shard-map-file=/run/m/regions/us-east/shard-map",
                "--peer-compression=none",
                "--peer=2=127.0.0.1:8998",
                "--peer=3=127.0.0.1:9998",
            ]
        );
        assert_eq!(
            shard_map(ap, &[None, Some(1)]),
            "0-8191=127.0.0.1:9000,127.0.0.1:9001;\n8192-16383=127.0.0.1:9011,127.0.0.1:9010\n"
        );
        assert!(d.notes.is_empty());
    }

    #[test]
    fn a_manifest_the_crd_refuses_is_refused_with_the_crds_message() {
        let dup = THREE.replace("id: 2", "id: 1");
        let db = parse(&dup).unwrap();
        let err = desired(Path::new("x.yaml"), &db, &placement(), Paths(Path::new("/d"))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.yaml: the manifest is invalid: spec.regions: two regions have the same id; give each region its own id from 1 to 31"
        );
    }

    #[test]
    fn other_documents_are_refused_with_what_they_are() {
        let err = parse("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "it has apiVersion \"v1\" and kind \"ConfigMap\", not meridian.io/v1alpha1 ActiveActiveDatabase"
        );
        assert!(parse("spec: [").is_err());
    }
}
