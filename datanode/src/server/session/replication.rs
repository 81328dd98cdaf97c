//! REPLICAOF / SLAVEOF and ROLE.

use bytes::Bytes;

use super::Session;
use crate::cmd::{Args, ReplyError, args::is};
use crate::node::replication::Role;
use crate::repl::role;
use crate::resp::Reply;
use crate::shard::Shard;

impl Session {
    pub(super) fn replicaof(&mut self, args: &mut Args, shard: &mut Shard) -> Result<Reply, ReplyError> {
        let host = args.bytes()?;
        let port = args.bytes()?;
        args.finish()?;
        if is(&host, "no") && is(&port, "one") {
            role::become_master(&self.server.node, shard);
            // A promotion by hand takes the node out of the operator's fencing.
            self.server.node.repl.lease.clear();
            return Ok(Reply::Ok);
        }
        let port: u16 = std::str::from_utf8(&port)
            .ok()
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| ReplyError::new("ERR Invalid master port"))?;
        // The replication service listens 10000 above the RESP port, like a cluster bus.
        let repl_port = port.checked_add(10000).ok_or_else(|| ReplyError::new("ERR Invalid master port"))?;
        let host = String::from_utf8_lossy(&host).into_owned();
        if let Role::Replica { resp_host, resp_port, .. } = self.server.node.repl.role() {
            if resp_host == host && resp_port == port {
                return Ok(Reply::status("OK Already connected to specified master"));
            }
        }
        role::become_replica(&self.server.node, shard, format!("{host}:{repl_port}"), host, port);
        Ok(Reply::Ok)
    }

    pub(super) fn role(&mut self, args: &mut Args) -> Result<Reply, ReplyError> {
        args.finish()?;
        let repl = &self.server.node.repl;
        let (_, _, offset, _) = repl.ids();
        Ok(match repl.role() {
            Role::Master => {
                let replicas = repl
                    .followers
                    .lock()
                    .values()
                    .filter(|f| f.kind == "replica")
                    .map(|f| {
                        let (ip, port) = f.addr.rsplit_once(':').unwrap_or((&f.addr, "0"));
                        let resp_port = port.parse::<u16>().map_or(0, |p| p.saturating_sub(10000));
                        Reply::Array(vec![
                            Reply::Bulk(Bytes::from(ip.to_string())),
                            Reply::Bulk(Bytes::from(resp_port.to_string())),
                            Reply::Bulk(Bytes::from(f.offset.to_string())),
                        ])
                    })
                    .collect();
                Reply::Array(vec![Reply::text("master"), Reply::Int(offset as i64), Reply::Array(replicas)])
            }
            Role::Replica { resp_host, resp_port, .. } => {
                let link = repl.link.lock().clone();
                let state = if link.syncing {
                    "sync"
                } else if link.up {
                    "connected"
                } else {
                    "connect"
                };
                Reply::Array(vec![
                    Reply::text("slave"),
                    Reply::Bulk(Bytes::from(resp_host)),
                    Reply::Int(i64::from(resp_port)),
                    Reply::text(state),
                    Reply::Int(offset as i64),
                ])
            }
        })
    }
}
