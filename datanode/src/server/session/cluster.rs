//! The Redis Cluster side of a connection: every request is routed by the region's shard
//! map before it runs or is queued (MOVED, CROSSSLOT), READONLY/READWRITE, and the CLUSTER
//! subcommands.

use std::sync::Arc;

use bytes::Bytes;

use super::Session;
use crate::cmd::movable::key_positions;
use crate::cmd::{self, Args, CommandSpec, ReplyError};
use crate::keyspace::{SLOTS, slot_of};
use crate::resp::Reply;
use crate::server::routing::{self, Redirect, Request};
use crate::server::topology::Topology;
use crate::server::{Server, cluster};
use crate::shard::Shard;

/// Per-connection cluster state.
pub(super) struct ClusterConn {
    /// The client sent READONLY: a replica serves it reads of its own shard's slots.
    pub(super) readonly: bool,
    /// The server's map as of `epoch`: read without taking the server's lock.
    topology: Arc<Topology>,
    epoch: u64,
}

impl ClusterConn {
    pub(super) fn new(server: &Server) -> ClusterConn {
        let epoch = server.topology_version();
        ClusterConn { readonly: false, topology: server.topology(), epoch }
    }
}

impl Session {
    /// Reloads the map if the server's has been replaced since this connection last looked.
    pub(super) fn refresh_topology(&mut self) -> &Topology {
        let epoch = self.server.topology_version();
        if epoch != self.cluster.epoch {
            self.cluster.topology = self.server.topology();
            self.cluster.epoch = epoch;
        }
        &self.cluster.topology
    }

    /// Refuses a request this node must not serve, as Redis Cluster does before running or
    /// queueing a command: replies the redirect and returns true. Inside MULTI the refusal
    /// also dooms the transaction; a refused EXEC discards it.
    pub(super) fn redirected(&mut self, spec: &CommandSpec, req: &[Bytes], shard: &mut Shard) -> bool {
        let Err(redirect) = self.route(spec, req) else { return false };
        if spec.name == "exec" {
            let _ = self.discard(shard);
        } else {
            self.fail_in_multi();
        }
        self.reply(ReplyError::from(redirect).into());
        true
    }

    /// EXEC is routed with the keys of every queued command, so a transaction never spans slots.
    fn route(&mut self, spec: &CommandSpec, req: &[Bytes]) -> Result<(), Redirect> {
        if self.refresh_topology().serves_everything() {
            return Ok(());
        }
        let (topology, readonly) = (&self.cluster.topology, self.cluster.readonly);
        if !matches!(spec.handler, cmd::Handler::Session(cmd::SessionCmd::Exec)) {
            return routing::route(topology, Request { keys: keys_of(spec, req), write: spec.is_write(), readonly });
        }
        let Some(queue) = &self.multi else { return Ok(()) };
        let mut write = false;
        let mut keys = Vec::new();
        for call in queue {
            write |= call.spec.is_write();
            keys.extend(keys_of(call.spec, &call.args));
        }
        routing::route(topology, Request { keys, write, readonly })
    }

    pub(super) fn set_readonly(&mut self, readonly: bool) {
        self.cluster.readonly = readonly;
    }

    /// Whether the region has more than one shard (HELLO and INFO then say "cluster" mode).
    pub(super) fn sharded(&mut self) -> bool {
        self.refresh_topology().is_sharded()
    }

    /// CLUSTER <subcommand>.
    pub(super) fn cluster(&mut self, args: &mut Args, shard: &mut Shard) -> Result<Reply, ReplyError> {
        let sub = args.bytes()?;
        let name = String::from_utf8_lossy(&sub).to_ascii_lowercase();
        let arity = match name.as_str() {
            "slots" | "shards" | "nodes" | "myid" | "info" => 0,
            "keyslot" | "countkeysinslot" => 1,
            "getkeysinslot" => 2,
            _ => return Err(super::commands::subcommand_error(&sub, "cluster")),
        };
        if args.remaining() != arity {
            return Err(ReplyError::wrong_arity(&format!("cluster|{name}")));
        }
        let topology = self.refresh_topology();
        Ok(match name.as_str() {
            "slots" => cluster::slots(topology),
            "shards" => cluster::shards(topology),
            "nodes" => Reply::Verbatim(cluster::nodes(topology)),
            "info" => Reply::Verbatim(cluster::info(topology)),
            "myid" => Reply::text(&topology.me().id),
            "keyslot" => Reply::Int(i64::from(slot_of(&args.bytes()?))),
            "countkeysinslot" => {
                let slot = args.int()?;
                let slot = u16::try_from(slot)
                    .ok()
                    .filter(|s| usize::from(*s) < SLOTS)
                    .ok_or_else(|| ReplyError::new("ERR Invalid slot"))?;
                Reply::Int(keys_in_slot(shard, slot).count() as i64)
            }
            _ => {
                let (slot, count) = (args.int()?, args.int()?);
                let bad = || ReplyError::new("ERR Invalid slot or number of keys");
                let slot = u16::try_from(slot).ok().filter(|s| usize::from(*s) < SLOTS).ok_or_else(bad)?;
                let count = usize::try_from(count).map_err(|_| bad())?;
                Reply::Array(
                    keys_in_slot(shard, slot).take(count).map(|k| Reply::Bulk(Bytes::copy_from_slice(k))).collect(),
                )
            }
        })
    }
}

/// The key arguments of a request.
pub(super) fn keys_of<'a>(spec: &CommandSpec, req: &'a [Bytes]) -> impl Iterator<Item = &'a [u8]> + use<'a> {
    key_positions(spec, req).into_iter().flatten().filter_map(|i| req.get(i)).map(|k| &k[..])
}

/// The live keys of `slot`, as KEYS would list them.
fn keys_in_slot(shard: &Shard, slot: u16) -> impl Iterator<Item = &[u8]> {
    let now = shard.now();
    shard
        .keyspace()
        .slot(slot)
        .filter(move |(_, e)| e.is_visible() && e.ttl.deadline().is_none_or(|(d, _)| d > now))
        .map(|(k, _)| k)
}
