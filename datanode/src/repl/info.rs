//! INFO replication, with Redis's field names so tools that parse it keep working.

use std::time::Instant;

use crate::node::Node;
use crate::node::replication::Role;

pub fn fields(node: &Node) -> Vec<(String, String)> {
    let repl = &node.repl;
    let (replid, replid2, offset, second) = repl.ids();
    let mut out: Vec<(String, String)> = Vec::new();
    let mut push = |k: &str, v: String| out.push((k.to_string(), v));
    let followers = repl.followers.lock().clone();
    let replicas: Vec<_> = followers.values().filter(|f| f.kind == "replica").collect();
    match repl.role() {
        Role::Master => push("role", "master".into()),
        Role::Replica { resp_host, resp_port, .. } => {
            let link = repl.link.lock().clone();
            push("role", "slave".into());
            push("master_host", resp_host);
            push("master_port", resp_port.to_string());
            push("master_link_status", if link.up { "up" } else { "down" }.into());
            let ago = link.last_io.map_or(-1, |t| Instant::now().duration_since(t).as_secs() as i64);
            push("master_last_io_seconds_ago", ago.to_string());
            push("master_sync_in_progress", u8::from(link.syncing).to_string());
            push("slave_read_repl_offset", offset.to_string());
            push("slave_repl_offset", offset.to_string());
            push("slave_priority", "100".into());
            push("slave_read_only", "1".into());
            push("replica_announced", "1".into());
            push("meridian_master_offset", link.master_offset.to_string());
            push("meridian_lag_bytes", link.master_offset.saturating_sub(offset).to_string());
            push("meridian_full_syncs", link.full_syncs.to_string());
            push("meridian_partial_syncs", link.partial_syncs.to_string());
            if let Some(e) = link.last_error {
                push("meridian_last_error", e.replace(['\r', '\n'], " "));
            }
        }
    }
    push("connected_slaves", replicas.len().to_string());
    for (i, f) in replicas.iter().enumerate() {
        let (ip, port) = f.addr.rsplit_once(':').unwrap_or((&f.addr, "0"));
        let resp_port = port.parse::<u16>().map_or(0, |p| p.saturating_sub(10000));
        let lag = Instant::now().duration_since(f.last_send).as_secs();
        push(&format!("slave{i}"), format!("ip={ip},port={resp_port},state=online,offset={},lag={lag}", f.offset));
    }
    let syncers = followers.values().filter(|f| f.kind == "syncer").count();
    push("meridian_connected_syncers", syncers.to_string());
    push("master_failover_state", "no-failover".into());
    push("master_replid", replid);
    push("master_replid2", replid2);
    push("master_repl_offset", offset.to_string());
    push("second_repl_offset", second.map_or("-1".into(), |s| (s + 1).to_string()));
    let backlog = repl.stream.backlog.lock();
    push("repl_backlog_active", u8::from(backlog.is_some()).to_string());
    push("repl_backlog_size", repl.settings.backlog_size.to_string());
    if let Some(b) = backlog.as_ref() {
        push("repl_backlog_first_byte_offset", (b.first_offset() + 1).to_string());
        push("repl_backlog_histlen", b.len_bytes().to_string());
    }
    out
}
