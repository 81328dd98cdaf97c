//! The region's shard map as this node sees it: which shard owns each hash slot, which
//! nodes serve each shard (master first), and which of them is this node. Pure: parsed from
//! configuration now, pushed by the operator later, and replaced whole either way.
//!
//! Map syntax, one shard per `;`-separated entry:
//! `0-8191+9000-9100=127.0.0.1:7000,127.0.0.1:7001;8192-8999+9101-16383=127.0.0.1:7002`.
//! Slot ranges are joined by `+` (a single slot may stand alone), nodes by `,`, and the
//! first node of a shard is its master. The map must assign every slot exactly once.

use std::fmt;

use crate::keyspace::{SLOTS, SlotRange};

/// The highest slot number.
const LAST_SLOT: u16 = (SLOTS - 1) as u16;

/// A node's address as clients must dial it, `host:port`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NodeAddr {
    pub host: String,
    pub port: u16,
}

impl NodeAddr {
    /// Parses `host:port`. The port follows the last `:`, so an unbracketed IPv6 host
    /// (`::1:7000`, as CLUSTER NODES prints it) works; `[::1]:7000` does too.
    pub fn parse(text: &str) -> Result<NodeAddr, TopologyError> {
        let bad = || TopologyError::BadAddress(text.to_string());
        let (host, port) = text.trim().rsplit_once(':').ok_or_else(bad)?;
        let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
        let port: u16 = port.parse().map_err(|_| bad())?;
        if host.is_empty() || port == 0 || host.chars().any(|c| c.is_whitespace() || matches!(c, ',' | ';' | '=')) {
            return Err(bad());
        }
        Ok(NodeAddr { host: host.to_string(), port })
    }
}

impl fmt::Display for NodeAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// One node of the map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub addr: NodeAddr,
    /// 40 hex characters, as Redis Cluster node ids.
    pub id: String,
}

impl Node {
    pub fn new(addr: NodeAddr) -> Node {
        let id = node_id(&addr);
        Node { addr, id }
    }
}

/// The id of the node at `addr`: the first 20 bytes of the BLAKE3 hash of `host:port`, in
/// hex. Derived rather than minted so that every node of the region, given the same map,
/// names every other node the same way without talking to it.
pub fn node_id(addr: &NodeAddr) -> String {
    let hash = blake3::hash(addr.to_string().as_bytes());
    hash.as_bytes()[..20].iter().map(|b| format!("{b:02x}")).collect()
}

/// One shard of the region: the slots it owns and the nodes that serve them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionShard {
    /// Sorted by start, disjoint.
    pub slots: Vec<SlotRange>,
    /// Never empty: the master, then its replicas.
    pub nodes: Vec<Node>,
}

impl RegionShard {
    pub fn master(&self) -> &Node {
        // A shard is only ever built with at least one node (`parse` and `single`).
        &self.nodes[0]
    }

    pub fn replicas(&self) -> &[Node] {
        &self.nodes[1..]
    }
}

/// Where this node sits in the map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Position {
    shard: usize,
    node: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topology {
    shards: Vec<RegionShard>,
    /// Every range with the index of its shard, sorted by start, covering every slot:
    /// `owner` is a binary search.
    ranges: Vec<(SlotRange, usize)>,
    me: Position,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopologyError {
    #[error("the shard map is empty")]
    Empty,
    #[error("shard {shard} (`{text}`): expected `<slots>=<host:port>[,<host:port>...]`")]
    Syntax { shard: usize, text: String },
    #[error("invalid slot range `{0}`: expected `<slot>` or `<first>-<last>` with 0 <= first <= last <= 16383")]
    BadRange(String),
    #[error("invalid node address `{0}`: expected `<host>:<port>`")]
    BadAddress(String),
    #[error("slot {slot} is assigned to shard {first} and to shard {second}")]
    Overlap { slot: u16, first: usize, second: usize },
    #[error("slots {start}-{end} are not assigned to any shard")]
    Unassigned { start: u16, end: u16 },
    #[error("node {0} is listed more than once")]
    DuplicateNode(NodeAddr),
    #[error("this node's address {0} (--announce) does not appear in the shard map")]
    NotInMap(NodeAddr),
}

impl Topology {
    /// A region of one shard that is this node alone: every slot is served here, which is
    /// what a node started without a map must do.
    pub fn single(me: NodeAddr) -> Topology {
        Topology {
            shards: vec![RegionShard { slots: vec![SlotRange::ALL], nodes: vec![Node::new(me)] }],
            ranges: vec![(SlotRange::ALL, 0)],
            me: Position { shard: 0, node: 0 },
        }
    }

    /// Parses a shard map (see the module doc) in which `me` must appear.
    pub fn parse(map: &str, me: &NodeAddr) -> Result<Topology, TopologyError> {
        let entries: Vec<&str> = map.split(';').map(str::trim).filter(|e| !e.is_empty()).collect();
        if entries.is_empty() {
            return Err(TopologyError::Empty);
        }
        let mut shards = Vec::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            let syntax = || TopologyError::Syntax { shard: i, text: (*entry).to_string() };
            let (slots, nodes) = entry.split_once('=').ok_or_else(syntax)?;
            let mut slots = slots.split('+').map(parse_range).collect::<Result<Vec<_>, _>>()?;
            slots.sort_by_key(|r| r.start);
            let nodes = nodes
                .split(',')
                .map(|n| if n.trim().is_empty() { Err(syntax()) } else { NodeAddr::parse(n).map(Node::new) })
                .collect::<Result<Vec<_>, _>>()?;
            shards.push(RegionShard { slots, nodes });
        }
        let ranges = cover(&shards)?;
        let mut me_at = None;
        let mut seen = std::collections::HashSet::new();
        for (s, shard) in shards.iter().enumerate() {
            for (n, node) in shard.nodes.iter().enumerate() {
                if !seen.insert(&node.addr) {
                    return Err(TopologyError::DuplicateNode(node.addr.clone()));
                }
                if node.addr == *me {
                    me_at = Some(Position { shard: s, node: n });
                }
            }
        }
        let me = me_at.ok_or_else(|| TopologyError::NotInMap(me.clone()))?;
        Ok(Topology { shards, ranges, me })
    }

    /// `parse(map)` for a non-empty map, else `single(me)`: what a node is configured with.
    pub fn from_config(map: &str, me: NodeAddr) -> Result<Topology, TopologyError> {
        if map.trim().is_empty() { Ok(Topology::single(me)) } else { Topology::parse(map, &me) }
    }

    pub fn shards(&self) -> &[RegionShard] {
        &self.shards
    }

    /// Every node, shard by shard, master first.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.shards.iter().flat_map(|s| s.nodes.iter())
    }

    /// Every range with its shard, sorted by first slot.
    pub fn ranges(&self) -> impl Iterator<Item = (SlotRange, &RegionShard)> {
        self.ranges.iter().map(|(r, s)| (*r, &self.shards[*s]))
    }

    /// The shard that owns `slot` (always one for a slot below 16384).
    pub fn owner(&self, slot: u16) -> Option<&RegionShard> {
        let i = self.ranges.partition_point(|(r, _)| r.end < slot);
        self.ranges.get(i).filter(|(r, _)| r.contains(slot)).map(|(_, s)| &self.shards[*s])
    }

    pub fn me(&self) -> &Node {
        &self.shards[self.me.shard].nodes[self.me.node]
    }

    pub fn my_shard(&self) -> &RegionShard {
        &self.shards[self.me.shard]
    }

    /// Index of this node's shard in the map: its config epoch is this plus one.
    pub fn my_shard_index(&self) -> usize {
        self.me.shard
    }

    pub fn i_am_master(&self) -> bool {
        self.me.node == 0
    }

    /// The same map with this node as its shard's master and the old master its first
    /// replica: what the region looks like once a failover made this node master and before
    /// the map says so.
    pub fn with_me_as_master(mut self) -> Topology {
        if let Some(shard) = self.shards.get_mut(self.me.shard) {
            shard.nodes[..=self.me.node].rotate_right(1);
            self.me.node = 0;
        }
        self
    }

    /// Whether `shard` is the one this node serves.
    pub fn is_mine(&self, shard: &RegionShard) -> bool {
        std::ptr::eq(shard, self.my_shard())
    }

    /// More than one shard: keys of one request must then share a slot, as in Redis Cluster.
    pub fn is_sharded(&self) -> bool {
        self.shards.len() > 1
    }

    /// This node is the master of every slot, so no request is ever redirected.
    pub fn serves_everything(&self) -> bool {
        !self.is_sharded() && self.i_am_master()
    }
}

/// `<slot>` or `<first>-<last>`.
fn parse_range(text: &str) -> Result<SlotRange, TopologyError> {
    let bad = || TopologyError::BadRange(text.trim().to_string());
    let slot = |s: &str| s.trim().parse::<u16>().ok().filter(|n| *n <= LAST_SLOT).ok_or_else(bad);
    let (start, end) = match text.split_once('-') {
        Some((a, b)) => (slot(a)?, slot(b)?),
        None => (slot(text)?, slot(text)?),
    };
    if start > end {
        return Err(bad());
    }
    Ok(SlotRange { start, end })
}

/// Every range with its shard, sorted, after checking that each slot is assigned once.
fn cover(shards: &[RegionShard]) -> Result<Vec<(SlotRange, usize)>, TopologyError> {
    let mut ranges: Vec<(SlotRange, usize)> =
        shards.iter().enumerate().flat_map(|(i, s)| s.slots.iter().map(move |r| (*r, i))).collect();
    ranges.sort_by_key(|(r, _)| r.start);
    let mut next: u32 = 0;
    let mut prev: Option<(SlotRange, usize)> = None;
    for &(r, shard) in &ranges {
        if u32::from(r.start) < next {
            let first = prev.map_or(shard, |(_, s)| s);
            return Err(TopologyError::Overlap { slot: r.start, first, second: shard });
        }
        if u32::from(r.start) > next {
            return Err(TopologyError::Unassigned { start: next as u16, end: r.start - 1 });
        }
        next = u32::from(r.end) + 1;
        prev = Some((r, shard));
    }
    if next < SLOTS as u32 {
        return Err(TopologyError::Unassigned { start: next as u16, end: LAST_SLOT });
    }
    Ok(ranges)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> NodeAddr {
        NodeAddr::parse(s).unwrap()
    }

    const TWO: &str = "0-8191=127.0.0.1:7000,127.0.0.1:7001;8192-16383=127.0.0.1:7002";

    #[test]
    fn parses_shards_nodes_and_me() {
        let t = Topology::parse(TWO, &addr("127.0.0.1:7001")).unwrap();
        assert_eq!(t.shards().len(), 2);
        assert_eq!(t.shards()[0].slots, vec![SlotRange { start: 0, end: 8191 }]);
        assert_eq!(t.shards()[0].master().addr, addr("127.0.0.1:7000"));
        assert_eq!(t.shards()[0].replicas().len(), 1);
        assert_eq!(t.me().addr, addr("127.0.0.1:7001"));
        assert!(!t.i_am_master());
        assert!(t.is_sharded());
        assert!(!t.serves_everything());
        assert_eq!(t.nodes().count(), 3);
    }

    #[test]
    fn a_promoted_replica_is_its_shards_master_and_the_rest_keep_their_order() {
        let map = "0-8191=127.0.0.1:7000,127.0.0.1:7003,127.0.0.1:7004;8192-16383=127.0.0.1:7001";
        let t = Topology::parse(map, &addr("127.0.0.1:7004")).unwrap().with_me_as_master();
        assert!(t.i_am_master());
        assert_eq!(t.me().addr, addr("127.0.0.1:7004"));
        let ports: Vec<u16> = t.my_shard().nodes.iter().map(|n| n.addr.port).collect();
        assert_eq!(ports, [7004, 7000, 7003]);
        assert_eq!(t.owner(9000).unwrap().master().addr.port, 7001, "the other shard is as it was");
        let master = Topology::parse(map, &addr("127.0.0.1:7000")).unwrap();
        assert_eq!(master.clone().with_me_as_master(), master);
    }

    #[test]
    fn owner_finds_the_shard_of_every_slot() {
        let map = "0-99+200-16383=127.0.0.1:7000 ; 100-199=127.0.0.1:7001";
        let t = Topology::parse(map, &addr("127.0.0.1:7000")).unwrap();
        let port = |slot| t.owner(slot).unwrap().master().addr.port;
        assert_eq!(
            [port(0), port(99), port(100), port(199), port(200), port(16383)],
            [7000, 7000, 7001, 7001, 7000, 7000]
        );
        assert!(t.owner(16384).is_none());
        assert!(t.is_mine(t.owner(5).unwrap()));
        assert!(!t.is_mine(t.owner(150).unwrap()));
        let starts: Vec<u16> = t.ranges().map(|(r, _)| r.start).collect();
        assert_eq!(starts, [0, 100, 200]);
    }

    #[test]
    fn single_slots_and_whitespace_are_accepted() {
        let map = " 0-5460 = 127.0.0.1:7000 ;5461=127.0.0.1:7001; 5462-16383=127.0.0.1:7002;";
        let t = Topology::parse(map, &addr("127.0.0.1:7001")).unwrap();
        assert_eq!(t.my_shard().slots, vec![SlotRange { start: 5461, end: 5461 }]);
        assert_eq!(t.my_shard_index(), 1);
        assert!(t.i_am_master());
    }

    #[test]
    fn single_serves_everything() {
        let t = Topology::single(addr("127.0.0.1:6379"));
        assert!(t.serves_everything());
        assert_eq!(t.owner(0), t.owner(16383));
        assert_eq!(Topology::from_config("  ", addr("127.0.0.1:6379")).unwrap(), t);
    }

    #[test]
    fn node_ids_are_40_hex_and_deterministic() {
        let a = node_id(&addr("127.0.0.1:7000"));
        assert_eq!(a.len(), 40);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_eq!(a, node_id(&addr("127.0.0.1:7000")));
        assert_ne!(a, node_id(&addr("127.0.0.1:7001")));
        // Pinned: every node of a region must compute the same id for a given address.
        assert_eq!(a, blake3::hash(b"127.0.0.1:7000").to_hex()[..40]);
    }

    #[test]
    fn addresses() {
        assert_eq!(addr("[::1]:7000"), NodeAddr { host: "::1".into(), port: 7000 });
        assert_eq!(addr("::1:7000").to_string(), "::1:7000");
        for bad in ["127.0.0.1", "127.0.0.1:", ":7000", "h:0", "h:70000", "h:x", "a b:1"] {
            assert_eq!(NodeAddr::parse(bad), Err(TopologyError::BadAddress(bad.into())), "{bad}");
        }
    }

    #[test]
    fn errors_name_what_is_wrong() {
        let me = addr("127.0.0.1:7000");
        let err = |map: &str| Topology::parse(map, &me).unwrap_err().to_string();
        assert_eq!(err(" ; "), "the shard map is empty");
        assert_eq!(err("0-16383"), "shard 0 (`0-16383`): expected `<slots>=<host:port>[,<host:port>...]`");
        assert_eq!(
            err("0-16383=127.0.0.1:7000,"),
            "shard 0 (`0-16383=127.0.0.1:7000,`): expected `<slots>=<host:port>[,<host:port>...]`"
        );
        assert!(err("0-16384=127.0.0.1:7000").starts_with("invalid slot range `0-16384`"));
        assert!(err("9-3=127.0.0.1:7000").starts_with("invalid slot range `9-3`"));
        assert!(err("x=127.0.0.1:7000").starts_with("invalid slot range `x`"));
        assert!(err("0-10,20-30=127.0.0.1:7000").starts_with("invalid slot range `0-10,20-30`"));
        assert_eq!(
            err("0-100=127.0.0.1:7000;100-16383=127.0.0.1:7001"),
            "slot 100 is assigned to shard 0 and to shard 1"
        );
        assert_eq!(err("0-100=127.0.0.1:7000;102-16383=127.0.0.1:7001"), "slots 101-101 are not assigned to any shard");
        assert_eq!(err("1-16383=127.0.0.1:7000"), "slots 0-0 are not assigned to any shard");
        assert_eq!(err("0-16000=127.0.0.1:7000"), "slots 16001-16383 are not assigned to any shard");
        assert_eq!(
            err("0-100=127.0.0.1:7000;101-16383=127.0.0.1:7000"),
            "node 127.0.0.1:7000 is listed more than once"
        );
        assert_eq!(
            err("0-16383=127.0.0.1:7001"),
            "this node's address 127.0.0.1:7000 (--announce) does not appear in the shard map"
        );
    }
}
