//! `meridian-datanode`: one shard replica, started like redis-server.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use meridian_datanode::crdt::ActorId;
use meridian_datanode::node::replication::NodeSettings;
use meridian_datanode::repl::role;
use meridian_datanode::repl::service::ReplicationService;
use meridian_datanode::server::topology::{NodeAddr, Topology};
use meridian_datanode::server::{self, config::Config, shard_map_file};
use meridian_datanode::shard::{Identity, Shard};
use meridian_proto::replication_server::ReplicationServer;
use tokio::net::TcpListener;
use tonic::codec::CompressionEncoding;

#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser, Debug)]
#[command(version, about = "Meridian datanode: a Redis-compatible CRDT shard replica")]
struct Cli {
    /// TCP port for RESP clients.
    #[arg(long, default_value_t = 6379)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    bind: String,
    /// This node's region id (1-31), from the database manifest.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=31))]
    region: u8,
    /// A config file of `name value` lines, as redis.conf (only known parameters).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Password clients must send with AUTH (Redis's requirepass). From the environment, it
    /// stays off the command line (the operator passes it so, from a Secret).
    #[arg(long, env = "MERIDIAN_REQUIREPASS", hide_env_values = true)]
    requirepass: Option<String>,
    /// Maximum number of connected clients.
    #[arg(long)]
    maxclients: Option<usize>,
    /// The region's shard map, `<slots>=<master>[,<replica>...];...`, e.g.
    /// `0-8191=10.0.0.1:6379,10.0.0.2:6379;8192-16383=10.0.0.3:6379` (default: this node
    /// alone serves every slot).
    #[arg(long, conflicts_with = "shard_map_file")]
    shard_map: Option<String>,
    /// A file holding the shard map (same syntax), re-read when it changes: the operator's
    /// mounted ConfigMap, or local mode's. The node starts as a replica of its shard's master
    /// when the map names another node first.
    #[arg(long)]
    shard_map_file: Option<PathBuf>,
    /// This node's `host:port` as clients reach it and as the shard map names it
    /// (default: `<bind>:<port>`).
    #[arg(long)]
    announce: Option<String>,
    /// Worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Port of the gRPC replication service (replicas, the region's syncer, the operator).
    /// Default: the RESP port + 10000, which is where REPLICAOF looks for it.
    #[arg(long)]
    repl_port: Option<u16>,
    /// The database this node belongs to; replication callers of another one are refused.
    #[arg(long, default_value = "meridian")]
    database_id: String,
    /// Part of a multi-region (active-active) database: keeps removal bookkeeping until every
    /// region can have seen it, and accepts the region syncer's deltas.
    #[arg(long)]
    active_active: bool,
    /// Size of the replication backlog in bytes.
    #[arg(long, default_value_t = 16 << 20)]
    repl_backlog_size: usize,
    /// Start as a replica of this master ("host port", as redis.conf's replicaof).
    #[arg(long)]
    replicaof: Option<String>,
    /// Log as JSON lines instead of human-readable text.
    #[arg(long)]
    log_json: bool,
}

fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    let mut config = Config::default();
    if let Some(path) = &cli.config {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (name, value) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let value = value.trim().trim_matches('"').to_string();
            config
                .init(&name.to_ascii_lowercase(), value)
                .map_err(|e| anyhow::anyhow!("{}:{}: {}", path.display(), n + 1, e.0))?;
        }
    }
    let mut set = |name: &str, value: String| config.init(name, value).map_err(|e| anyhow::anyhow!(e.0));
    set("port", cli.port.to_string())?;
    set("bind", cli.bind.clone())?;
    if let Some(p) = &cli.requirepass {
        set("requirepass", p.clone())?;
    }
    if let Some(m) = cli.maxclients {
        set("maxclients", m.to_string())?;
    }
    if let Some(map) = &cli.shard_map {
        set("shard-map", map.clone())?;
    }
    if let Some(a) = &cli.announce {
        set("announce", a.clone())?;
    }
    Ok(config)
}

/// This node as the shard map names it: its announced address, or else the one it listens on.
fn me(config: &Config, port: u16) -> anyhow::Result<NodeAddr> {
    Ok(match config.get("announce").filter(|a| !a.is_empty()) {
        Some(a) => NodeAddr::parse(a).context("invalid --announce")?,
        None => NodeAddr { host: config.get("bind").unwrap_or("127.0.0.1").to_string(), port },
    })
}

/// The region's shard map with this node in it. A map that does not name this node is
/// refused: the node would redirect every request away from itself.
fn topology(config: &Config, me: NodeAddr) -> anyhow::Result<Topology> {
    Topology::from_config(config.get("shard-map").unwrap_or(""), me).context("invalid --shard-map")
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    meridian_datanode::process::init_logging(cli.log_json);
    let config = load_config(&cli)?;
    // Each client is a socket: raise the open-file limit as far as allowed, as Redis does,
    // so `maxclients` is not silently capped by a default soft limit of 1024.
    let wanted = config.usize("maxclients") as u64 + 64;
    match rlimit::increase_nofile_limit(wanted) {
        Ok(got) if got < wanted => tracing::warn!(got, wanted, "open-file limit is below maxclients + 64"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "could not raise the open-file limit"),
    }
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = cli.threads {
        runtime.worker_threads(n.max(1));
    }
    let runtime = runtime.enable_all().build()?;
    runtime.block_on(async move {
        let addr = format!("{}:{}", cli.bind, cli.port);
        let listener = TcpListener::bind(&addr).await.with_context(|| format!("binding {addr}"))?;
        let me = me(&config, listener.local_addr()?.port())?;
        let (topology, map_file) = match &cli.shard_map_file {
            Some(path) => {
                let (text, topology) = shard_map_file::load(path, &me)?;
                (topology, Some((path.clone(), text)))
            }
            None => (topology(&config, me.clone())?, None),
        };
        // The map names each shard's master first: a node the map makes a replica starts
        // following that master, unless told otherwise on the command line.
        let map_master = (!topology.i_am_master()).then(|| topology.my_shard().master().addr.clone());
        let actor = ActorId(rand::random());
        let identity = Identity { region: cli.region, actor };
        let shard = if cli.active_active { Shard::replicated(identity) } else { Shard::new(identity) };
        let repl_port = match cli.repl_port {
            Some(p) => p,
            None => cli.port.checked_add(10000).context("--port + 10000 is not a port: give --repl-port")?,
        };
        let repl_addr = format!("{}:{repl_port}", cli.bind);
        let repl_listener =
            TcpListener::bind(&repl_addr).await.with_context(|| format!("binding replication port {repl_addr}"))?;
        let settings = NodeSettings {
            database_id: cli.database_id.clone(),
            region: cli.region,
            active_active: cli.active_active,
            backlog_size: cli.repl_backlog_size.max(1024),
            repl_addr: repl_addr.clone(),
        };
        let server = server::Server::with_settings(shard, config, settings);
        tracing::info!(shards = topology.shards().len(), me = %topology.me().addr, "region shard map");
        server.set_topology(topology);
        if let Some((path, text)) = map_file {
            tokio::spawn(shard_map_file::watch(server.clone(), path, me.clone(), text));
        }
        let replicaof = cli.replicaof.clone().or_else(|| map_master.map(|m| format!("{} {}", m.host, m.port)));
        if let Some(master) = &replicaof {
            let (host, port) = master.split_once(' ').context("--replicaof wants \"host port\"")?;
            let port: u16 = port.trim().parse().context("--replicaof: bad port")?;
            let repl = port.checked_add(10000).context("--replicaof: port + 10000 is not a port")?;
            let mut shard = server.node.shard.lock();
            role::become_replica(&server.node, &mut shard, format!("{host}:{repl}"), host.to_string(), port);
        }
        tracing::info!(%addr, %repl_addr, region = cli.region, %actor, "meridian-datanode ready to accept connections");
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let grpc = tokio::spawn(serve_replication(server.clone(), repl_listener, stop_rx));
        server::run(listener, server, meridian_datanode::process::shutdown_signal()).await;
        let _ = stop_tx.send(true);
        // Graceful shutdown waits for every open RPC, and a follower's or a syncer's stream
        // never ends on its own: after a short drain the process exits with them still open
        // (they reconnect elsewhere), rather than hang until SIGKILL.
        if tokio::time::timeout(GRPC_DRAIN, grpc).await.is_err() {
            tracing::info!("replication streams still open after {GRPC_DRAIN:?}; closing them");
        }
        Ok(())
    })
}

/// How long open replication streams may take to end once the node is stopping.
const GRPC_DRAIN: std::time::Duration = std::time::Duration::from_secs(2);

/// The gRPC replication service, until `stop` turns true.
async fn serve_replication(
    server: Arc<server::Server>,
    listener: TcpListener,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    // Deltas are small and latency is the point: no Nagle delay on replication links.
    let incoming = match tonic::transport::server::TcpIncoming::from_listener(listener, true, None) {
        Ok(i) => i,
        Err(e) => {
            tracing::error!(error = %e, "replication listener");
            return;
        }
    };
    let service = ReplicationServer::new(ReplicationService::new(server.node.clone()))
        .max_decoding_message_size(meridian_datanode::repl::MAX_MESSAGE)
        .accept_compressed(CompressionEncoding::Gzip)
        .accept_compressed(CompressionEncoding::Zstd)
        .send_compressed(CompressionEncoding::Gzip)
        .send_compressed(CompressionEncoding::Zstd);
    let result = tonic::transport::Server::builder()
        .layer(meridian_datanode::repl::version_header())
        .add_service(service)
        .serve_with_incoming_shutdown(incoming, async move {
            let _ = stop.wait_for(|s| *s).await;
        })
        .await;
    if let Err(e) = result {
        tracing::error!(error = %e, "replication service stopped");
    }
}
