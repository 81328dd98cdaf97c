//! INFO: Redis's sections and field names, filled from this node's state.

use std::fmt::Write;
use std::sync::atomic::Ordering;

use super::Server;
use crate::shard::Shard;

/// The Redis version Meridian answers as: clients gate features on it.
pub use crate::resp::REDIS_VERSION;

const SECTIONS: &[&str] =
    &["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "cluster", "keyspace"];

/// Resident set size from /proc, 0 where unavailable.
pub fn rss_bytes() -> u64 {
    let page = 4096;
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()))
        .map_or(0, |pages| pages * page)
}

fn human(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1024.0 * 1024.0 * 1024.0 {
        format!("{:.2}G", b / (1024.0 * 1024.0 * 1024.0))
    } else if b >= 1024.0 * 1024.0 {
        format!("{:.2}M", b / (1024.0 * 1024.0))
    } else if b >= 1024.0 {
        format!("{:.2}K", b / 1024.0)
    } else {
        format!("{bytes}B")
    }
}

/// The INFO text for the requested sections (`default`/`all`/`everything` or names).
pub fn render(server: &Server, shard: &Shard, requested: &[String]) -> String {
    let wanted = |name: &str| {
        requested.is_empty() || requested.iter().any(|r| r == name || r == "all" || r == "everything" || r == "default")
    };
    let mut out = String::new();
    let uptime = server.started.elapsed().as_secs();
    let port = server.port.load(Ordering::Relaxed);
    let id = shard.identity();
    for section in SECTIONS.iter().filter(|s| wanted(s)) {
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        let _ = writeln!(out, "# {}{}\r", section[..1].to_uppercase(), &section[1..]);
        let mut field = |k: &str, v: String| {
            let _ = write!(out, "{k}:{v}\r\n");
        };
        match *section {
            "server" => {
                field("redis_version", REDIS_VERSION.into());
                field("meridian_version", env!("CARGO_PKG_VERSION").into());
                let sharded = server.topology().is_sharded();
                field("redis_mode", if sharded { "cluster" } else { "standalone" }.into());
                field("os", std::env::consts::OS.into());
                field("arch_bits", "64".into());
                field("process_id", std::process::id().to_string());
                field("run_id", server.run_id.clone());
                field("tcp_port", port.to_string());
                field("uptime_in_seconds", uptime.to_string());
                field("uptime_in_days", (uptime / 86400).to_string());
                field("hz", server.config.read().get("hz").unwrap_or("10").into());
                field("executable", std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default());
                field("meridian_region", id.region.to_string());
                field("meridian_actor", id.actor.to_string());
            }
            "clients" => {
                field("connected_clients", server.clients.len().to_string());
                field("maxclients", server.config.read().get("maxclients").unwrap_or("0").into());
                field("blocked_clients", server.clients.blocked().to_string());
            }
            "memory" => {
                let rss = rss_bytes();
                field("used_memory", rss.to_string());
                field("used_memory_human", human(rss));
                field("used_memory_rss", rss.to_string());
                field("used_memory_rss_human", human(rss));
                let maxmemory = server.config.read().get("maxmemory").unwrap_or("0").to_string();
                field("maxmemory", maxmemory);
                field("maxmemory_policy", server.config.read().get("maxmemory-policy").unwrap_or("noeviction").into());
            }
            "persistence" => {
                field("loading", "0".into());
                field("rdb_changes_since_last_save", "0".into());
                field("aof_enabled", "0".into());
            }
            "stats" => {
                let s = &server.stats;
                field("total_connections_received", s.total_connections.load(Ordering::Relaxed).to_string());
                field("total_commands_processed", s.total_commands.load(Ordering::Relaxed).to_string());
                field("total_net_input_bytes", s.net_input_bytes.load(Ordering::Relaxed).to_string());
                field("total_net_output_bytes", s.net_output_bytes.load(Ordering::Relaxed).to_string());
                field("rejected_connections", s.rejected_connections.load(Ordering::Relaxed).to_string());
                field("expired_keys", shard.stats.expired_keys.to_string());
                field("evicted_keys", "0".into());
                field("keyspace_hits", shard.stats.keyspace_hits.to_string());
                field("keyspace_misses", shard.stats.keyspace_misses.to_string());
                let ps = server.pubsub.lock();
                field("pubsub_channels", ps.channel_count().to_string());
                field("pubsub_patterns", ps.pattern_count().to_string());
                field("meridian_deltas_committed", shard.stats.deltas_committed.to_string());
                field("meridian_deltas_applied", shard.stats.deltas_applied.to_string());
            }
            "replication" => {
                for (k, v) in crate::repl::info::fields(&server.node) {
                    field(&k, v);
                }
            }
            "cpu" => {
                let (user, sys) = cpu_times();
                field("used_cpu_sys", format!("{sys:.6}"));
                field("used_cpu_user", format!("{user:.6}"));
            }
            // Every node speaks the Cluster API (a one-shard region serves every slot itself).
            "cluster" => field("cluster_enabled", "1".into()),
            "keyspace" => {
                let keys = shard.dbsize();
                if keys > 0 {
                    field("db0", format!("keys={keys},expires={},avg_ttl=0", shard.keyspace().expires_len()));
                }
            }
            _ => {}
        }
    }
    out
}

/// User and system CPU seconds of this process, from /proc.
fn cpu_times() -> (f64, f64) {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return (0.0, 0.0) };
    // Fields after the ")" that ends the command name: utime is the 12th, stime the 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / 100.0;
    (ticks(11), ticks(12))
}
