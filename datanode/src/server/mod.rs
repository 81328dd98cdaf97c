//! The RESP server: accepts connections (bounded by `maxclients`), runs one session task per
//! client, expires keys in the background, and stops cleanly on shutdown.

pub mod clients;
pub mod cluster;
pub mod config;
pub mod info;
pub mod pubsub;
pub mod routing;
pub mod session;
pub mod shard_map_file;
pub mod topology;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Mutex, RwLock};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, broadcast, mpsc};
use tracing::{error, info, warn};

use crate::node::Node;
use crate::node::clock::now_ms;
use crate::node::replication::NodeSettings;
use crate::shard::Shard;
use clients::Clients;
use config::Config;
use pubsub::PubSub;
use topology::Topology;

/// Shared by every session: the node core (shard, replication state, wake-ups) and what only
/// RESP clients need (pub/sub, the client registry, configuration, the shard map).
pub struct Server {
    pub node: Arc<Node>,
    pub pubsub: Mutex<PubSub>,
    pub clients: Clients,
    pub config: RwLock<Config>,
    pub stats: ServerStats,
    pub started: Instant,
    /// The start, in Unix seconds (LASTSAVE's answer: no save ever happens).
    pub started_unix: u64,
    pub run_id: String,
    pub port: AtomicU64,
    /// The region's shard map; replaced whole through `set_topology`.
    topology: RwLock<Arc<Topology>>,
    /// Bumped by every `set_topology`: sessions keep their own `Arc` of the map and reload
    /// it only when this changes, so routing a command costs one atomic load, not a lock.
    pub topology_epoch: AtomicU64,
}

#[derive(Default)]
pub struct ServerStats {
    pub total_connections: AtomicU64,
    pub total_commands: AtomicU64,
    pub rejected_connections: AtomicU64,
    pub net_input_bytes: AtomicU64,
    pub net_output_bytes: AtomicU64,
}

impl ServerStats {
    pub fn reset(&self) {
        for c in [
            &self.total_connections,
            &self.total_commands,
            &self.rejected_connections,
            &self.net_input_bytes,
            &self.net_output_bytes,
        ] {
            c.store(0, Ordering::Relaxed);
        }
    }
}

impl Server {
    /// A server for `shard` that serves every slot itself until `set_topology` says otherwise.
    pub fn new(shard: Shard, config: Config) -> Arc<Server> {
        let settings = NodeSettings {
            database_id: String::new(),
            region: shard.region(),
            active_active: !shard.standalone(),
            backlog_size: 16 << 20,
            repl_addr: String::new(),
        };
        Server::with_settings(shard, config, settings)
    }

    pub fn with_settings(shard: Shard, config: Config, settings: NodeSettings) -> Arc<Server> {
        let host = config.get("bind").unwrap_or("127.0.0.1").to_string();
        let me = topology::NodeAddr { host, port: u16::try_from(config.usize("port")).unwrap_or(0) };
        let run_id: String = (0..40).map(|_| format!("{:x}", rand::random::<u8>() % 16)).collect();
        Arc::new(Server {
            node: Arc::new(Node::new(shard, settings)),
            pubsub: Mutex::new(PubSub::default()),
            clients: Clients::default(),
            config: RwLock::new(config),
            stats: ServerStats::default(),
            started: Instant::now(),
            started_unix: std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()),
            run_id,
            port: AtomicU64::new(0),
            topology: RwLock::new(Arc::new(Topology::single(me))),
            topology_epoch: AtomicU64::new(0),
        })
    }

    /// The region's map as this node serves it: the map it was given, except that a master
    /// appointed by a call (a failover) is its shard's master even before the map says so.
    /// Otherwise it would send its clients to the old master, itself redirecting back.
    pub fn topology(&self) -> Arc<Topology> {
        let map = self.topology.read().clone();
        if self.node.repl.appointed() && !map.i_am_master() {
            return Arc::new(Topology::clone(&map).with_me_as_master());
        }
        map
    }

    pub fn set_topology(&self, topology: Topology) {
        *self.topology.write() = Arc::new(topology);
        self.topology_epoch.fetch_add(1, Ordering::Release);
    }

    /// Changes whenever `topology()` may: a new map or a role change. (Both counters only
    /// grow, so their sum changes whenever either does.)
    pub fn topology_version(&self) -> u64 {
        self.topology_epoch.load(Ordering::Acquire).wrapping_add(self.node.repl.role_changes())
    }
}

/// Deletes expired keys this region owns, a bounded amount of work per tick as Redis does
/// (`hz` ticks a second, at most a quarter of each tick spent).
async fn expire_loop(server: Arc<Server>, mut stop: broadcast::Receiver<()>) {
    const PER_ROUND: usize = 200;
    loop {
        let hz = server.config.read().usize("hz").clamp(1, 500) as u64;
        let tick = Duration::from_millis(1000 / hz);
        tokio::select! {
            _ = tokio::time::sleep(tick) => {}
            _ = stop.recv() => return,
        }
        let budget = Instant::now() + tick / 4;
        loop {
            let node = &server.node;
            // While a script holds the shard, keys do not expire (as in Redis, whose
            // scripts see time stand still): this round is skipped, no thread waits.
            let Some(mut shard) = node.lock_shard() else { break };
            shard.set_now(now_ms());
            let deleted = shard.expire_due(PER_ROUND);
            let deltas = shard.take_delta().into_iter().collect();
            node.ship(&mut shard, deltas);
            drop(shard);
            if deleted < PER_ROUND || Instant::now() > budget {
                break;
            }
        }
    }
}

/// Serves clients from `listener` until `shutdown` resolves, then lets every session
/// finish the reply it is writing and returns.
pub async fn run(listener: TcpListener, server: Arc<Server>, shutdown: impl Future) {
    if let Ok(addr) = listener.local_addr() {
        server.port.store(u64::from(addr.port()), Ordering::Relaxed);
    }
    let maxclients = server.config.read().usize("maxclients").max(1);
    let limit = Arc::new(Semaphore::new(maxclients));
    let (stop_tx, _) = broadcast::channel::<()>(1);
    // Every session holds a clone; when all are dropped, every session has finished.
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
    tokio::spawn(expire_loop(server.clone(), stop_tx.subscribe()));

    let accept = async {
        let mut backoff = Duration::from_millis(1);
        loop {
            let (socket, addr) = match listener.accept().await {
                Ok(pair) => {
                    backoff = Duration::from_millis(1);
                    pair
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait and retry, never exit.
                    warn!(error = %e, "accept failed");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                    continue;
                }
            };
            server.stats.total_connections.fetch_add(1, Ordering::Relaxed);
            let Ok(permit) = limit.clone().try_acquire_owned() else {
                server.stats.rejected_connections.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(session::refuse(socket));
                continue;
            };
            let _ = socket.set_nodelay(true);
            let laddr = socket.local_addr().ok();
            let server = server.clone();
            let stop = stop_tx.subscribe();
            let done = done_tx.clone();
            tokio::spawn(async move {
                if let Err(e) = session::serve(server, socket, (addr, laddr), stop).await {
                    tracing::debug!(error = %e, %addr, "client connection ended with an error");
                }
                drop(permit);
                drop(done);
            });
        }
    };
    tokio::select! {
        _ = accept => {}
        _ = shutdown => info!("shutting down"),
    }
    let _ = stop_tx.send(());
    drop(done_tx);
    if tokio::time::timeout(Duration::from_secs(10), done_rx.recv()).await.is_err() {
        error!("some clients did not finish within 10s of shutdown");
    }
}
