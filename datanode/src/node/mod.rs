//! The node core, below both the RESP server (`server`) and replication over the network
//! (`repl`): one shard behind its lock, the node's replication state (role, backlog,
//! followers, master link), and the wake-up of clients blocked on keys.
//!
//! A write leaves the shard the front way: a command's execution returns its reply and the
//! delta it made (`cmd::Outcome`), and whoever ran it hands the deltas to `ship`, which puts
//! them in the backlog (encoding each once for every follower) and wakes blocked clients.

pub mod backlog;
pub mod clock;
pub mod codec;
pub mod lease;
pub mod replication;

use parking_lot::Mutex;
use tokio::sync::Notify;

use crate::keyspace::delta::Delta;
use crate::shard::Shard;
use replication::{NodeSettings, ReplState};

pub struct Node {
    /// A `parking_lot` mutex, not a tokio one: nothing awaits while it is held, and a session
    /// takes it once per batch of pipelined requests, so each batch runs atomically.
    pub shard: Mutex<Shard>,
    pub repl: ReplState,
    /// Woken whenever a key some blocked client waits on was written.
    pub wake: Notify,
    /// The Lua VM, the script cache and the gate that tells clients a script runs.
    pub scripts: crate::script::Scripts,
}

/// How long a client session blocks on the shard lock before it looks at the script gate
/// again: short, so a session never sits on a thread behind a running script.
const LOCK_SLICE: std::time::Duration = std::time::Duration::from_millis(1);

impl Node {
    pub fn new(shard: Shard, settings: NodeSettings) -> Node {
        Node {
            shard: Mutex::new(shard),
            repl: ReplState::new(settings),
            wake: Notify::new(),
            scripts: crate::script::Scripts::new(),
        }
    }

    /// The shard for a client's batch, or None while a script holds it: the client then
    /// waits without a thread (or gets `-BUSY`) instead of blocking behind the script. See
    /// `script::gate`.
    pub fn lock_shard(&self) -> Option<parking_lot::MutexGuard<'_, Shard>> {
        loop {
            if let Some(guard) = self.shard.try_lock_for(LOCK_SLICE) {
                return Some(guard);
            }
            if self.scripts.gate.running() {
                return None;
            }
        }
    }

    /// Hands the deltas committed under one hold of the shard lock to the backlog, as this
    /// shard's own writes, and wakes the clients blocked on keys they wrote. Takes the locked
    /// shard: the backlog then holds deltas in the order the shard committed them, and a
    /// snapshot taken under the lock agrees with the backlog offset it starts at.
    pub fn ship(&self, shard: &mut Shard, deltas: Vec<Delta>) {
        if !deltas.is_empty() {
            // A replica commits nothing of its own (its master's stream is its backlog); a
            // delta here would put the two streams out of step, so it is dropped.
            if self.repl.is_replica() {
                tracing::error!(deltas = deltas.len(), "a replica committed a write of its own; not shipped");
            } else {
                self.repl.stream.append_own(deltas);
            }
        }
        self.wake_blocked(shard);
    }

    /// Wakes blocked clients if a key one of them waits on was written since the last call.
    pub fn wake_blocked(&self, shard: &mut Shard) {
        if !shard.take_woken().is_empty() {
            self.wake.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Node;
    use super::replication::{NodeSettings, Role};
    use crate::cmd::testing::execute;
    use crate::crdt::ActorId;
    use crate::shard::{Identity, Shard};

    fn node() -> Node {
        let settings = NodeSettings {
            database_id: "t".into(),
            region: 1,
            active_active: true,
            backlog_size: 1 << 20,
            repl_addr: String::new(),
        };
        Node::new(Shard::replicated(Identity { region: 1, actor: ActorId(1) }), settings)
    }

    fn backlog_len(node: &Node) -> Option<u64> {
        node.repl.stream.backlog.lock().as_ref().map(|b| b.seq())
    }

    /// Shipped deltas land in the backlog in order, once a follower made one exist; a
    /// replica ships nothing of its own.
    #[test]
    fn shipped_deltas_reach_the_backlog_in_order() {
        let node = node();
        let mut shard = node.shard.lock();
        let first = execute(&mut shard, &["SET", "a", "1"]).delta;
        node.ship(&mut shard, first.into_iter().collect());
        assert_eq!(backlog_len(&node), None, "no follower yet: nothing kept");
        node.repl.ensure_backlog(&shard);
        let deltas: Vec<_> =
            [&["SET", "b", "2"][..], &["SADD", "s", "x"]].iter().filter_map(|w| execute(&mut shard, w).delta).collect();
        let minted: Vec<_> = deltas.iter().map(|d| d.minted).collect();
        node.ship(&mut shard, deltas);
        let records = node.repl.stream.backlog.lock().as_ref().and_then(|b| b.read(0, 10)).unwrap();
        assert_eq!(records.iter().map(|r| r.minted).collect::<Vec<_>>(), minted);
        assert_eq!(*node.repl.stream.offset.borrow(), records[1].end());
        node.repl.demote(&mut shard, Role::Replica { master: String::new(), resp_host: String::new(), resp_port: 0 });
        let stray = execute(&mut shard, &["SET", "c", "3"]).delta;
        node.ship(&mut shard, stray.into_iter().collect());
        assert_eq!(backlog_len(&node), Some(2));
    }
}
