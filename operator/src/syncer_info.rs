//! The syncer's view of its peers, read from its HTTP `/info` (INFO-format text, one
//! `peer_<region>:k=v,...` line per peer; docs/replication.md). Parsing is pure and
//! tolerant: unknown fields are ignored, a malformed line is skipped.

use std::collections::BTreeMap;

use crate::Error;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PeerLink {
    pub region: u8,
    /// `connecting`, `full-sync`, `partial-sync` or `stale`.
    pub state: String,
    pub lag_ms: Option<i64>,
    pub full_syncs: Option<u64>,
    pub last_full_sync_unix_ms: Option<i64>,
    pub last_error: Option<String>,
}

impl PeerLink {
    /// Streaming live from the peer.
    pub fn synced(&self) -> bool {
        self.state == "partial-sync"
    }
}

/// The peers in `/info`, by region id.
pub fn parse(text: &str) -> BTreeMap<u8, PeerLink> {
    text.lines()
        .filter_map(|line| {
            let (name, fields) = line.trim().split_once(':')?;
            let region: u8 = name.strip_prefix("peer_")?.parse().ok()?;
            let fields: BTreeMap<&str, &str> = fields.split(',').filter_map(|kv| kv.split_once('=')).collect();
            let number = |k: &str| fields.get(k).and_then(|v| v.parse::<i64>().ok());
            Some((
                region,
                PeerLink {
                    region,
                    state: fields.get("state")?.to_string(),
                    lag_ms: number("lag_ms"),
                    full_syncs: number("full_syncs").and_then(|n| u64::try_from(n).ok()),
                    last_full_sync_unix_ms: number("last_full_sync_unix_ms").filter(|t| *t >= 0),
                    last_error: fields.get("last_error").map(|e| e.trim().to_string()).filter(|e| !e.is_empty()),
                },
            ))
        })
        .collect()
}

/// How long fetching `/info` may take.
pub const FETCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// The largest `/info` answer read: a line per peer, 31 peers at most.
const MAX_INFO_BYTES: usize = 64 << 10;

/// GET `http://<addr>/info`, bounded in time and size.
pub async fn fetch(addr: &str) -> Result<BTreeMap<u8, PeerLink>, Error> {
    use http_body_util::{BodyExt, Empty, Limited};
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    let failed =
        |source: Box<dyn std::error::Error + Send + Sync>| Error::SyncerInfo { addr: addr.to_string(), source };
    let uri: hyper::Uri = format!("http://{addr}/info").parse().map_err(|e| failed(Box::new(e)))?;
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<bytes::Bytes>>();
    let work = async {
        let response = client.get(uri).await.map_err(|e| failed(Box::new(e)))?;
        if !response.status().is_success() {
            return Err(Error::SyncerInfoStatus { addr: addr.to_string(), status: response.status() });
        }
        let body = Limited::new(response.into_body(), MAX_INFO_BYTES).collect().await.map_err(failed)?.to_bytes();
        Ok(parse(&String::from_utf8_lossy(&body)))
    };
    tokio::time::timeout(FETCH_TIMEOUT, work)
        .await
        .unwrap_or_else(|_| Err(Error::SyncerInfoTimeout { addr: addr.to_string() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_are_read_from_the_syncers_info() {
        let text = "# Peers\r\nregion:1\r\n\
            peer_2:addr=h:7700,state=partial-sync,lag_ms=3,lag_ops=0,bytes_received=10,deltas_received=1,deltas_applied=1,full_syncs=1,last_full_sync_unix_ms=1700000000000,last_error=\r\n\
            peer_3:addr=h:7701,state=stale,lag_ms=0,lag_ops=0,bytes_received=0,deltas_received=0,deltas_applied=0,full_syncs=0,last_full_sync_unix_ms=-1,last_error=connect refused\r\n\
            peer_x:garbage\r\n";
        let peers = parse(text);
        assert_eq!(peers.len(), 2);
        assert!(peers[&2].synced());
        assert_eq!((peers[&2].lag_ms, peers[&2].last_full_sync_unix_ms), (Some(3), Some(1_700_000_000_000)));
        assert_eq!(peers[&2].last_error, None);
        assert!(!peers[&3].synced());
        assert_eq!(peers[&3].last_full_sync_unix_ms, None);
        assert_eq!(peers[&3].last_error.as_deref(), Some("connect refused"));
    }
}
