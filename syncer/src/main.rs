//! `meridian-syncer`: one per region; peers with the other regions' syncers.

use anyhow::Context;
use clap::Parser;
use meridian_proto::peer_server::PeerServer;
use meridian_syncer::config::{Compression, check_peers, check_shards, parse_peer, parse_shard};
use meridian_syncer::local::Local;
use meridian_syncer::serve::PeerService;
use meridian_syncer::tls::{PeerTls, TlsFiles};
use meridian_syncer::{Syncer, http, shard_map_file};
use tonic::codec::CompressionEncoding;

#[derive(Parser, Debug)]
#[command(version, about = "Meridian syncer: keeps this region converging with its peer regions")]
struct Cli {
    /// This region's id (1-31), from the database manifest.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=31))]
    region: u8,
    /// The database id every node and syncer of the database shares.
    #[arg(long, default_value = "meridian")]
    database_id: String,
    /// Address of the Peer gRPC service other regions' syncers connect to.
    #[arg(long, default_value = "127.0.0.1:7700")]
    listen: String,
    /// Address of the HTTP endpoint (/metrics, /info, /lag, /healthz).
    #[arg(long, default_value = "127.0.0.1:9700")]
    http: String,
    /// A local shard: START-END=host:port[,host:port...] (replication addresses of its nodes).
    #[arg(long = "shard", required_unless_present = "shard_map_file", conflicts_with = "shard_map_file")]
    shards: Vec<String>,
    /// The region's shard map file (datanode syntax, RESP addresses), re-read when it changes.
    #[arg(long)]
    shard_map_file: Option<std::path::PathBuf>,
    /// A peer region: REGION=host:port (its syncer's Peer address).
    #[arg(long = "peer")]
    peers: Vec<String>,
    /// Compression this syncer asks its peers for on the streams they send it (they accept all).
    #[arg(long, value_enum, default_value_t = Compression::None)]
    peer_compression: Compression,
    /// This region's certificate (PEM) for mutual TLS with its peers; with --tls-key and
    /// --tls-ca. Peers must present a certificate signed by the same CA.
    #[arg(long, requires_all = ["tls_key", "tls_ca"])]
    tls_cert: Option<std::path::PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, requires_all = ["tls_cert", "tls_ca"])]
    tls_key: Option<std::path::PathBuf>,
    /// The CA that signs every region's certificate (PEM).
    #[arg(long, requires_all = ["tls_cert", "tls_key"])]
    tls_ca: Option<std::path::PathBuf>,
    /// Log as JSON lines instead of human-readable text.
    #[arg(long)]
    log_json: bool,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    meridian_datanode::process::init_logging(cli.log_json);
    let (shards, map_file) = match &cli.shard_map_file {
        Some(path) => {
            let (text, shards) = shard_map_file::load(path)?;
            (shards, Some((path.clone(), text)))
        }
        None => (check_shards(cli.shards.iter().map(|s| parse_shard(s)).collect::<Result<Vec<_>, _>>()?)?, None),
    };
    let peers = cli.peers.iter().map(|p| parse_peer(p)).collect::<Result<Vec<_>, _>>()?;
    check_peers(cli.region, &peers)?;
    let tls = match (&cli.tls_cert, &cli.tls_key, &cli.tls_ca) {
        (Some(cert), Some(key), Some(ca)) => {
            Some(PeerTls::load(&TlsFiles { cert: cert.clone(), key: key.clone(), ca: ca.clone() })?)
        }
        _ => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let local = Local::new(shards, cli.database_id.clone(), cli.region);
        let syncer = Syncer::new(local, &peers, cli.peer_compression);
        if let Some(tls) = &tls {
            let _ = syncer.tls.set(tls.clone());
        }
        let listener =
            tokio::net::TcpListener::bind(&cli.listen).await.with_context(|| format!("binding {}", cli.listen))?;
        let http_listener =
            tokio::net::TcpListener::bind(&cli.http).await.with_context(|| format!("binding {}", cli.http))?;
        let mut tasks = syncer.start(peers);
        if let Some((path, text)) = map_file {
            tasks.push(tokio::spawn(shard_map_file::watch(syncer.clone(), path, text)));
        }
        let service = PeerServer::new(PeerService::new(syncer.clone()))
            .max_decoding_message_size(64 << 20)
            .send_compressed(CompressionEncoding::Gzip)
            .send_compressed(CompressionEncoding::Zstd)
            .accept_compressed(CompressionEncoding::Gzip)
            .accept_compressed(CompressionEncoding::Zstd);
        let router = http::router(syncer.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(http_listener, router).await {
                tracing::error!(error = %e, "http endpoint stopped");
            }
        });
        tracing::info!(region = cli.region, listen = %cli.listen, http = %cli.http, "meridian-syncer ready");
        // Deltas are small and latency is the point: no Nagle delay on peer links.
        let incoming = tonic::transport::server::TcpIncoming::from_listener(listener, true, None)
            .map_err(|e| anyhow::anyhow!("peer listener: {e}"))?;
        let mut server = tonic::transport::Server::builder();
        if let Some(tls) = &tls {
            server = server.tls_config(tls.server()).map_err(|e| anyhow::anyhow!("TLS: {e}"))?;
        }
        server
            .layer(meridian_datanode::repl::version_header())
            .add_service(service)
            .serve_with_incoming_shutdown(incoming, meridian_datanode::process::shutdown_signal())
            .await?;
        for t in tasks {
            t.abort();
        }
        Ok(())
    })
}
