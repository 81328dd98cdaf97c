//! The region's shard map from a file (the operator's mounted ConfigMap, or local mode's),
//! polled so that added or moved replicas are followed without a restart. A file that does not
//! parse is logged and ignored.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use meridian_datanode::server::shard_map_file::{POLL, read};

use crate::Syncer;
use crate::config::{LocalShard, shards_from_map};

/// The shards the file holds now.
pub fn load(path: &Path) -> anyhow::Result<(String, Vec<LocalShard>)> {
    let text = read(path)?;
    let shards = shards_from_map(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok((text, shards))
}

/// Polls `path`, handing each new map to the local shards.
pub async fn watch(syncer: Arc<Syncer>, path: PathBuf, mut last: String) {
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
        match shards_from_map(&text).map_err(crate::Error::from).and_then(|s| syncer.local.set_nodes(&s)) {
            Ok(()) => tracing::info!(path = %path.display(), "shard map changed"),
            Err(e) => tracing::warn!(error = %e, path = %path.display(), "ignoring the new shard map"),
        }
        last = text;
    }
}
