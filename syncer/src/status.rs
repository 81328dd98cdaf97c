//! The sync state of every peer region, as INFO, the metrics endpoint and the Peer Status
//! call report it.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Connecting,
    FullSync,
    PartialSync,
    /// No word from the peer for too long, or no link at all.
    Stale,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Connecting => "connecting",
            State::FullSync => "full-sync",
            State::PartialSync => "partial-sync",
            State::Stale => "stale",
        }
    }
}

#[derive(Clone, Debug)]
pub struct PeerSync {
    pub addr: String,
    pub state: State,
    pub connected: bool,
    pub last_event: Option<Instant>,
    /// Age of the newest delta applied, when it was applied (ms, peer clock vs ours).
    pub lag_ms: u64,
    /// Records in the peer's backlogs not yet streamed to us, at its last heartbeat.
    pub lag_ops: u64,
    pub bytes_received: u64,
    pub deltas_received: u64,
    pub deltas_applied: u64,
    pub full_syncs: u64,
    pub last_full_sync_unix_ms: Option<u64>,
    pub last_error: Option<String>,
}

impl PeerSync {
    fn new(addr: String) -> Self {
        PeerSync {
            addr,
            state: State::Connecting,
            connected: false,
            last_event: None,
            lag_ms: 0,
            lag_ops: 0,
            bytes_received: 0,
            deltas_received: 0,
            deltas_applied: 0,
            full_syncs: 0,
            last_full_sync_unix_ms: None,
            last_error: None,
        }
    }
}

/// A peer that sent nothing (not even a heartbeat) for this long is stale.
pub const STALE_AFTER: Duration = Duration::from_secs(3);

#[derive(Default)]
pub struct Peers {
    peers: Mutex<BTreeMap<u8, PeerSync>>,
}

impl Peers {
    pub fn add(&self, region: u8, addr: String) {
        self.peers.lock().insert(region, PeerSync::new(addr));
    }

    pub fn update(&self, region: u8, f: impl FnOnce(&mut PeerSync)) {
        if let Some(p) = self.peers.lock().get_mut(&region) {
            f(p);
        }
    }

    /// Every peer, with `state` turned stale where the peer has been silent too long.
    pub fn snapshot(&self) -> BTreeMap<u8, PeerSync> {
        let mut peers = self.peers.lock().clone();
        for p in peers.values_mut() {
            let silent = p.last_event.is_none_or(|t| t.elapsed() > STALE_AFTER);
            if !p.connected || silent {
                p.state = State::Stale;
            }
        }
        peers
    }

    /// INFO-style text: one `peer_<region>` line per peer.
    pub fn info(&self, region: u8) -> String {
        let mut out = format!("# Peers\r\nregion:{region}\r\n");
        for (r, p) in self.snapshot() {
            let since_full = p.last_full_sync_unix_ms.map_or(-1, |t| t as i64);
            let error = p.last_error.as_deref().unwrap_or("").replace([',', '\r', '\n'], " ");
            let _ = write!(
                out,
                "peer_{r}:addr={},state={},lag_ms={},lag_ops={},bytes_received={},deltas_received={},deltas_applied={},full_syncs={},last_full_sync_unix_ms={since_full},last_error={error}\r\n",
                p.addr,
                p.state.name(),
                p.lag_ms,
                p.lag_ops,
                p.bytes_received,
                p.deltas_received,
                p.deltas_applied,
                p.full_syncs,
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_silent_or_unlinked_peer_reads_as_stale() {
        let peers = Peers::default();
        peers.add(2, "h:1".into());
        assert_eq!(peers.snapshot()[&2].state, State::Stale);
        peers.update(2, |p| {
            p.connected = true;
            p.state = State::PartialSync;
            p.last_event = Some(Instant::now());
        });
        assert_eq!(peers.snapshot()[&2].state, State::PartialSync);
        let info = peers.info(1);
        assert!(info.contains("peer_2:addr=h:1,state=partial-sync,lag_ms=0"), "{info}");
        peers.update(2, |p| p.last_event = Instant::now().checked_sub(STALE_AFTER * 2));
        assert_eq!(peers.snapshot()[&2].state, State::Stale);
    }
}
