//! Role changes: REPLICAOF and the operator's SetRole both come here. The caller holds the
//! shard lock, so a role change and the writes around it are ordered.

use std::sync::Arc;

use super::follow;
use crate::node::Node;
use crate::node::replication::{Link, Role};
use crate::shard::Shard;

/// Follows the master whose replication service is at `master` (host:port). The node stops
/// taking writes and expiring keys at once; its data stays until the master's stream
/// replaces it, and whatever it holds that the master lacks is handed to the master first.
pub fn become_replica(node: &Arc<Node>, shard: &mut Shard, master: String, resp_host: String, resp_port: u16) {
    let role = Role::Replica { master: master.clone(), resp_host, resp_port };
    if node.repl.role() == role {
        return;
    }
    if let Some(task) = node.repl.follow_task.lock().take() {
        task.abort();
    }
    node.repl.demote(shard, role);
    *node.repl.link.lock() = Link::default();
    let task = tokio::spawn(follow::run(node.clone(), master));
    *node.repl.follow_task.lock() = Some(task);
}

/// Stops following and takes writes, as a new incarnation with a new replication id. A node
/// that already was master (as every node starts) keeps its incarnation but is now appointed.
pub fn become_master(node: &Arc<Node>, shard: &mut Shard) {
    if !node.repl.is_replica() {
        node.repl.appoint();
        return;
    }
    if let Some(task) = node.repl.follow_task.lock().take() {
        task.abort();
    }
    node.repl.promote(shard, crate::crdt::ActorId(rand::random()));
    node.repl.appoint();
    *node.repl.link.lock() = Link::default();
}
