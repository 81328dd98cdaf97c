//! `countproxy`: forwards a loopback port to a target and counts the bytes each way, for
//! `bench/replication.sh` to measure replication traffic at the TCP level (payload bytes of
//! the TCP streams: gRPC, HTTP/2 and compression included; IP and TCP headers not).
//!
//! `countproxy --listen 127.0.0.1:A --target 127.0.0.1:B --stats 127.0.0.1:C`: every
//! connection to C gets one line, `countproxy conns=<accepted> up=<bytes to target>
//! down=<bytes from target>`, and is closed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result};
use clap::Parser;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Parser, Debug)]
#[command(about = "TCP forwarder that counts the bytes each way (for the replication benchmark)")]
struct Cli {
    /// Address to accept connections on.
    #[arg(long)]
    listen: String,
    /// Address every accepted connection is forwarded to.
    #[arg(long)]
    target: String,
    /// Address that answers one line of counters per connection.
    #[arg(long)]
    stats: String,
}

#[derive(Default)]
struct Counters {
    conns: AtomicU64,
    up: AtomicU64,
    down: AtomicU64,
}

/// Copies `from` to `to`, adding to `count`, until either side closes.
async fn pipe(mut from: tokio::net::tcp::OwnedReadHalf, mut to: tokio::net::tcp::OwnedWriteHalf, count: &AtomicU64) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let Some(data) = buf.get(..n) else { break };
        if to.write_all(data).await.is_err() {
            break;
        }
        count.fetch_add(n as u64, Ordering::Relaxed);
    }
    let _ = to.shutdown().await;
}

async fn forward(client: TcpStream, target: String, counters: Arc<Counters>) {
    let Ok(server) = TcpStream::connect(&target).await else { return };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    counters.conns.fetch_add(1, Ordering::Relaxed);
    let (cr, cw) = client.into_split();
    let (sr, sw) = server.into_split();
    let up = counters.clone();
    let a = tokio::spawn(async move { pipe(cr, sw, &up.up).await });
    pipe(sr, cw, &counters.down).await;
    let _ = a.await;
}

async fn run(cli: Cli) -> Result<()> {
    let listener = TcpListener::bind(&cli.listen).await.with_context(|| format!("binding {}", cli.listen))?;
    let stats = TcpListener::bind(&cli.stats).await.with_context(|| format!("binding {}", cli.stats))?;
    let counters = Arc::new(Counters::default());
    let c = counters.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = stats.accept().await {
            let line = format!(
                "countproxy conns={} up={} down={}\n",
                c.conns.load(Ordering::Relaxed),
                c.up.load(Ordering::Relaxed),
                c.down.load(Ordering::Relaxed)
            );
            let _ = s.write_all(line.as_bytes()).await;
            let _ = s.shutdown().await;
        }
    });
    loop {
        let (client, _) = listener.accept().await.context("accepting")?;
        tokio::spawn(forward(client, cli.target.clone(), counters.clone()));
    }
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    runtime.block_on(run(cli))
}
