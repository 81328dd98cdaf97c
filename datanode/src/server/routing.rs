//! Whether this node may serve a request, or where the client must go instead: Redis
//! Cluster's `getNodeByQuery`, as a pure function of the shard map and the request's keys.

use crate::cmd::ReplyError;
use crate::keyspace::slot_of;

use super::topology::{NodeAddr, Topology};

/// Why a request is not served here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redirect {
    /// The keys live in more than one slot of a sharded region.
    CrossSlot,
    /// Another node serves this slot: the client retries there.
    Moved { slot: u16, to: NodeAddr },
    /// No shard owns the slot (a map that covers every slot never says this).
    Unserved,
}

impl From<Redirect> for ReplyError {
    fn from(r: Redirect) -> ReplyError {
        match r {
            Redirect::CrossSlot => ReplyError::crossslot(),
            Redirect::Moved { slot, to } => ReplyError::new(format!("MOVED {slot} {to}")),
            Redirect::Unserved => ReplyError::new("CLUSTERDOWN Hash slot not served"),
        }
    }
}

/// What routing needs to know about a request (or about a whole queued transaction).
pub struct Request<I> {
    pub keys: I,
    /// Any of its commands writes: replicas never serve it.
    pub write: bool,
    /// The connection sent READONLY: a replica may serve its reads.
    pub readonly: bool,
}

/// Serves the request here (`Ok`) or names the redirect. Keyless requests are always
/// served here. In a region of one shard the keys may span slots, as with standalone Redis;
/// with more shards they must share one, checked before anything else as Redis does.
pub fn route<'k, I>(topology: &Topology, req: Request<I>) -> Result<(), Redirect>
where
    I: IntoIterator<Item = &'k [u8]>,
{
    if topology.serves_everything() {
        return Ok(());
    }
    let mut slot = None;
    for key in req.keys {
        let s = slot_of(key);
        match slot {
            None => slot = Some(s),
            Some(first) if first != s && topology.is_sharded() => return Err(Redirect::CrossSlot),
            Some(_) => {}
        }
    }
    let Some(slot) = slot else { return Ok(()) };
    let owner = topology.owner(slot).ok_or(Redirect::Unserved)?;
    if topology.is_mine(owner) && (topology.i_am_master() || (req.readonly && !req.write)) {
        return Ok(());
    }
    Err(Redirect::Moved { slot, to: owner.master().addr.clone() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::ReplyError;

    // Slots (Redis's CLUSTER KEYSLOT): b 3300, f 3168, foo 12182, a 15495.
    const MAP: &str = "0-5460=127.0.0.1:7000,127.0.0.1:7003;5461-10922=127.0.0.1:7001;10923-16383=127.0.0.1:7002";

    fn topology(me: &str) -> Topology {
        Topology::parse(MAP, &NodeAddr::parse(me).unwrap()).unwrap()
    }

    fn go(t: &Topology, keys: &[&str], write: bool, readonly: bool) -> Result<(), String> {
        let keys = keys.iter().map(|k| k.as_bytes());
        route(t, Request { keys, write, readonly }).map_err(|r| ReplyError::from(r).0)
    }

    #[test]
    fn master_serves_its_slots_and_redirects_the_others() {
        let t = topology("127.0.0.1:7000");
        assert_eq!(go(&t, &["b"], true, false), Ok(()));
        assert_eq!(go(&t, &["foo"], false, false), Err("MOVED 12182 127.0.0.1:7002".into()));
        assert_eq!(go(&t, &["{b}1", "{b}2"], true, false), Ok(()));
        assert_eq!(go(&t, &[], true, false), Ok(()), "keyless");
    }

    #[test]
    fn crossslot_comes_before_moved() {
        let t = topology("127.0.0.1:7000");
        let crossslot = Err("CROSSSLOT Keys in request don't hash to the same slot".to_string());
        assert_eq!(go(&t, &["b", "f"], false, false), crossslot, "both local, different slots");
        assert_eq!(go(&t, &["b", "a"], false, false), crossslot);
        assert_eq!(go(&t, &["a", "b"], false, false), crossslot);
    }

    #[test]
    fn replica_serves_reads_only_after_readonly() {
        let t = topology("127.0.0.1:7003");
        let to_master = Err("MOVED 3300 127.0.0.1:7000".to_string());
        assert_eq!(go(&t, &["b"], false, false), to_master);
        assert_eq!(go(&t, &["b"], false, true), Ok(()));
        assert_eq!(go(&t, &["b"], true, true), to_master, "writes always go to the master");
        assert_eq!(go(&t, &["a"], false, true), Err("MOVED 15495 127.0.0.1:7002".into()), "another shard's slot");
        assert_eq!(go(&t, &[], true, false), Ok(()), "keyless");
    }

    #[test]
    fn one_shard_region_is_standalone_redis() {
        let t = Topology::single(NodeAddr::parse("127.0.0.1:6379").unwrap());
        assert_eq!(go(&t, &["a", "b", "foo"], true, false), Ok(()));
        // A replica of a one-shard region still sends writes to its master, but keys may
        // span slots: the first key's slot names the redirect.
        let map = "0-16383=127.0.0.1:7000,127.0.0.1:7001";
        let replica = Topology::parse(map, &NodeAddr::parse("127.0.0.1:7001").unwrap()).unwrap();
        assert_eq!(go(&replica, &["a", "b"], false, true), Ok(()));
        assert_eq!(go(&replica, &["a", "b"], true, true), Err("MOVED 15495 127.0.0.1:7000".into()));
    }
}
