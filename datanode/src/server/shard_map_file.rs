//! The shard map from a file the operator (a mounted ConfigMap) or local mode writes:
//! read at start, then polled, so a changed map (a failover moved a master, replicas were
//! added) takes effect without a restart. A file that does not parse, or that no longer names
//! this node, is logged and ignored: the node keeps the last good map.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::Server;
use super::topology::{NodeAddr, Topology, TopologyError};

/// How often the file is looked at. Kubernetes itself takes up to a minute to update a
/// mounted ConfigMap; local mode rewrites the file in place.
pub const POLL: Duration = Duration::from_secs(1);

/// The largest map read: 16384 one-slot shards of a few long names stay far below it.
const MAX_BYTES: u64 = 16 << 20;

#[derive(Debug, thiserror::Error)]
pub enum MapFileError {
    #[error("cannot read the shard map file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("the shard map file {path} is larger than {MAX_BYTES} bytes")]
    TooLarge { path: PathBuf },
    #[error("the shard map file {path}: {source}")]
    Parse { path: PathBuf, source: TopologyError },
}

/// Reads the file's text, bounded.
pub fn read(path: &Path) -> Result<String, MapFileError> {
    let meta = std::fs::metadata(path).map_err(|source| MapFileError::Read { path: path.into(), source })?;
    if meta.len() > MAX_BYTES {
        return Err(MapFileError::TooLarge { path: path.into() });
    }
    std::fs::read_to_string(path).map_err(|source| MapFileError::Read { path: path.into(), source })
}

/// The map in `path` with `me` in it.
pub fn load(path: &Path, me: &NodeAddr) -> Result<(String, Topology), MapFileError> {
    let text = read(path)?;
    let topology =
        Topology::from_config(&text, me.clone()).map_err(|source| MapFileError::Parse { path: path.into(), source })?;
    Ok((text, topology))
}

/// Polls `path` until the server stops, installing each new map that parses. `last` is the
/// text installed at start.
pub async fn watch(server: Arc<Server>, path: PathBuf, me: NodeAddr, mut last: String) {
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let text = match read(&path) {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(error = %e, "keeping the current shard map");
                continue;
            }
        };
        if text == last {
            continue;
        }
        match Topology::from_config(&text, me.clone()) {
            Ok(topology) => {
                tracing::info!(shards = topology.shards().len(), path = %path.display(), "shard map changed");
                server.set_topology(topology);
            }
            Err(e) => tracing::warn!(error = %e, path = %path.display(), "ignoring a shard map that does not parse"),
        }
        last = text;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_map_file_is_read_and_a_bad_one_says_where() {
        let dir = std::env::temp_dir().join(format!("meridian-map-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("shard-map");
        let me = NodeAddr::parse("127.0.0.1:7001").unwrap();
        std::fs::write(&path, "0-16383=127.0.0.1:7000,127.0.0.1:7001\n").unwrap();
        let (_, topology) = load(&path, &me).unwrap();
        assert_eq!(topology.my_shard().master().addr.port, 7000);
        assert!(!topology.i_am_master());
        std::fs::write(&path, "0-100=127.0.0.1:7000\n").unwrap();
        let err = load(&path, &me).unwrap_err().to_string();
        assert!(err.contains("shard-map") && err.contains("not assigned"), "{err}");
        let missing = load(&dir.join("none"), &me).unwrap_err().to_string();
        assert!(missing.starts_with("cannot read the shard map file"), "{missing}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
