//! This region's shards as the syncer sees them: which node of each is the master now,
//! found by asking the nodes, and a gRPC client to it. A master that changes (failover)
//! bumps `generation`, which makes every peer subscription start over with fresh contexts.

use std::collections::HashMap;

use meridian_datanode::keyspace::slot::SlotRange;
use meridian_datanode::repl::stream::wire_ranges;
use meridian_proto::replication_client::ReplicationClient;
use meridian_proto::{Hello, Role, StatusRequest};
use parking_lot::Mutex;
use tonic::transport::{Channel, Endpoint};

use crate::config::LocalShard;
use crate::error::{Error, Result};

/// The master of one shard, as last found.
#[derive(Clone, Debug)]
pub struct Master {
    pub addr: String,
    pub client: ReplicationClient<Channel>,
    /// The node's address and incarnation (actor): changes when another node becomes master,
    /// or the same node restarts or is promoted. Not the replication id, which a master mints
    /// again on its own (e.g. when its first replica attaches) without anything to resync.
    pub identity: String,
}

pub struct Local {
    /// The shards' slot ranges (fixed for the syncer's life) and their nodes at start.
    pub shards: Vec<LocalShard>,
    /// Each shard's nodes now: replaced when the shard map changes (replicas added or moved).
    nodes: Mutex<Vec<Vec<String>>>,
    pub database_id: String,
    pub region: u8,
    masters: Mutex<Vec<Option<Master>>>,
    channels: Mutex<HashMap<String, ReplicationClient<Channel>>>,
    generation: tokio::sync::watch::Sender<u64>,
}

impl Local {
    pub fn new(shards: Vec<LocalShard>, database_id: String, region: u8) -> Self {
        let n = shards.len();
        let nodes = shards.iter().map(|s| s.nodes.clone()).collect();
        Local {
            shards,
            nodes: Mutex::new(nodes),
            database_id,
            region,
            masters: Mutex::new(vec![None; n]),
            channels: Mutex::new(HashMap::new()),
            generation: tokio::sync::watch::channel(0).0,
        }
    }

    pub fn ranges(&self) -> Vec<SlotRange> {
        self.shards.iter().map(|s| s.range).collect()
    }

    pub fn hello(&self) -> Hello {
        Hello::new(&self.database_id, self.region)
    }

    /// A `Status` call to a local node; the keyspace digest only when `digest`, and the
    /// digests of `digest_ranges` (each walks keys under the node's lock).
    pub fn status_request(&self, digest: bool, digest_ranges: &[SlotRange]) -> StatusRequest {
        StatusRequest { hello: Some(self.hello()), digest, digest_ranges: wire_ranges(digest_ranges) }
    }

    pub fn generation(&self) -> tokio::sync::watch::Receiver<u64> {
        self.generation.subscribe()
    }

    /// A client to the node at `addr` (connections are made lazily and reused).
    pub fn client(&self, addr: &str) -> Result<ReplicationClient<Channel>> {
        let mut channels = self.channels.lock();
        if let Some(c) = channels.get(addr) {
            return Ok(c.clone());
        }
        let endpoint = Endpoint::from_shared(format!("http://{addr}"))
            .map_err(|e| Error::NodeAddress { addr: addr.to_string(), reason: e.to_string() })?
            .connect_timeout(std::time::Duration::from_secs(2))
            .tcp_nodelay(true);
        // In-region links are short and busy: compression would cost the master CPU per delta
        // for bandwidth nobody is short of.
        let client = ReplicationClient::new(endpoint.connect_lazy()).max_decoding_message_size(64 << 20);
        channels.insert(addr.to_string(), client.clone());
        Ok(client)
    }

    /// The current master of shard `i`, asking the nodes if it is not known.
    pub async fn master(&self, i: usize) -> Result<Master> {
        if let Some(m) = self.masters.lock().get(i).cloned().flatten() {
            return Ok(m);
        }
        let found = self.discover(i).await?;
        if let Some(slot) = self.masters.lock().get_mut(i) {
            *slot = Some(found.clone());
        }
        Ok(found)
    }

    /// Takes a new shard map: the same slot ranges, other nodes. A known master that is no
    /// longer listed is forgotten (its subscriptions restart on the master found next).
    pub fn set_nodes(&self, shards: &[LocalShard]) -> Result<()> {
        let same_ranges =
            shards.len() == self.shards.len() && shards.iter().zip(&self.shards).all(|(a, b)| a.range == b.range);
        if !same_ranges {
            return Err(Error::LayoutChanged);
        }
        let gone: Vec<usize> = {
            let mut nodes = self.nodes.lock();
            *nodes = shards.iter().map(|s| s.nodes.clone()).collect();
            let masters = self.masters.lock();
            masters
                .iter()
                .enumerate()
                .filter(|(i, m)| m.as_ref().is_some_and(|m| !nodes.get(*i).is_some_and(|n| n.contains(&m.addr))))
                .map(|(i, _)| i)
                .collect()
        };
        for i in gone {
            self.forget(i);
        }
        Ok(())
    }

    /// Asks every node of shard `i` for its role; the first master answers.
    async fn discover(&self, i: usize) -> Result<Master> {
        let Some(shard) = self.shards.get(i) else {
            return Err(Error::NoMaster { range: SlotRange::ALL, reasons: format!("no local shard {i}") });
        };
        let nodes = self.nodes.lock().get(i).cloned().unwrap_or_default();
        let mut errors = Vec::new();
        for addr in &nodes {
            let mut client = self.client(addr)?;
            match client.status(self.status_request(false, &[])).await {
                Ok(s) => {
                    let s = s.into_inner();
                    if s.role == Role::Master as i32 {
                        let identity = format!("{addr}/{}", s.actor);
                        return Ok(Master { addr: addr.clone(), client, identity });
                    }
                }
                Err(e) => errors.push(format!("{addr}: {}", e.message())),
            }
        }
        Err(Error::NoMaster { range: shard.range, reasons: errors.join("; ") })
    }

    /// Forgets what is known of shard `i`'s master (after an error talking to it).
    pub fn forget(&self, i: usize) {
        if let Some(slot) = self.masters.lock().get_mut(i) {
            if slot.take().is_some() {
                self.generation.send_modify(|g| *g += 1);
            }
        }
    }

    /// Looks for master changes; bumps the generation when one happened. A node that does not
    /// answer is no change by itself: subscriptions to it fail and `forget` it on their own,
    /// and a slow answer must not restart every healthy peer stream.
    pub async fn refresh(&self) {
        for i in 0..self.shards.len() {
            let Ok(now) = self.discover(i).await else { continue };
            let known = self.masters.lock().get(i).cloned().flatten();
            if known.as_ref().map(|m| &m.identity) == Some(&now.identity) {
                continue;
            }
            if let Some(slot) = self.masters.lock().get_mut(i) {
                *slot = Some(now);
            }
            // The first discovery is no change: subscriptions made with it are current.
            if known.is_some() {
                tracing::info!(shard = i, "local master changed");
                self.generation.send_modify(|g| *g += 1);
            }
        }
    }
}
