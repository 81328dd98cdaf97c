//! What a syncer is told: its region, its region's shards (slot range and the replication
//! addresses of their nodes) and its peers. Parsed from flags; pure and tested.

use meridian_datanode::keyspace::slot::SlotRange;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalShard {
    pub range: SlotRange,
    /// Replication addresses (host:port) of the shard's nodes; the master is found by asking.
    pub nodes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerRegion {
    pub region: u8,
    /// The peer syncer's gRPC address (host:port).
    pub addr: String,
}

/// How the cross-region streams are compressed. Off by default: tonic compresses each
/// message on its own, and a quiet stream of one-delta messages gains little for the CPU it costs
/// the sending region; worth turning on for slow or paid-for links.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Compression {
    #[default]
    None,
    Gzip,
    Zstd,
}

impl Compression {
    pub fn encoding(self) -> Option<tonic::codec::CompressionEncoding> {
        match self {
            Compression::None => None,
            Compression::Gzip => Some(tonic::codec::CompressionEncoding::Gzip),
            Compression::Zstd => Some(tonic::codec::CompressionEncoding::Zstd),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("bad shard {0:?}: expected START-END=host:port[,host:port...]")]
    Shard(String),
    #[error("bad slot range {0:?}: expected START-END within 0-16383")]
    Range(String),
    #[error("bad peer {0:?}: expected REGION=host:port with REGION in 1-31")]
    Peer(String),
    #[error("the shards must cover slots 0-16383 exactly once; {0}")]
    Coverage(String),
    #[error("region {0} is this syncer's own region or listed twice")]
    DuplicatePeer(u8),
    #[error("bad shard map: {0}")]
    Map(String),
}

pub fn parse_range(text: &str) -> Result<SlotRange, ConfigError> {
    let bad = || ConfigError::Range(text.to_string());
    let (a, b) = text.split_once('-').ok_or_else(bad)?;
    let start: u16 = a.trim().parse().map_err(|_| bad())?;
    let end: u16 = b.trim().parse().map_err(|_| bad())?;
    if start > end || end > SlotRange::ALL.end {
        return Err(bad());
    }
    Ok(SlotRange { start, end })
}

pub fn parse_shard(text: &str) -> Result<LocalShard, ConfigError> {
    let (range, nodes) = text.split_once('=').ok_or_else(|| ConfigError::Shard(text.to_string()))?;
    let range = parse_range(range)?;
    let nodes: Vec<String> = nodes.split(',').map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).collect();
    if nodes.is_empty() || nodes.iter().any(|n| !n.contains(':')) {
        return Err(ConfigError::Shard(text.to_string()));
    }
    Ok(LocalShard { range, nodes })
}

pub fn parse_peer(text: &str) -> Result<PeerRegion, ConfigError> {
    let bad = || ConfigError::Peer(text.to_string());
    let (region, addr) = text.split_once('=').ok_or_else(bad)?;
    let region: u8 = region.trim().parse().map_err(|_| bad())?;
    if !(1..=31).contains(&region) || !addr.contains(':') {
        return Err(bad());
    }
    Ok(PeerRegion { region, addr: addr.trim().to_string() })
}

/// Sorts shards by slot and checks they cover every slot exactly once.
pub fn check_shards(mut shards: Vec<LocalShard>) -> Result<Vec<LocalShard>, ConfigError> {
    shards.sort_by_key(|s| s.range.start);
    let mut next = 0u32;
    for s in &shards {
        if u32::from(s.range.start) != next {
            return Err(ConfigError::Coverage(format!(
                "slot {next} is covered {}",
                if u32::from(s.range.start) > next { "by none" } else { "twice" }
            )));
        }
        next = u32::from(s.range.end) + 1;
    }
    if next != u32::from(SlotRange::ALL.end) + 1 {
        return Err(ConfigError::Coverage(format!("slots from {next} are covered by none")));
    }
    Ok(shards)
}

/// The shards of a region's shard map (the datanodes' syntax, RESP addresses, as the
/// operator and local mode write it): each shard's nodes as replication addresses, by the
/// convention that a datanode's replication port is its RESP port + 10000.
pub fn shards_from_map(text: &str) -> Result<Vec<LocalShard>, ConfigError> {
    use meridian_datanode::server::topology::{NodeAddr, Topology};
    let bad = |why: String| ConfigError::Map(why);
    // The map must name "this node"; any of its nodes will do for reading it.
    let first = text
        .split(';')
        .find_map(|e| e.split_once('=').and_then(|(_, nodes)| nodes.split(',').next()))
        .ok_or_else(|| bad("the shard map is empty".into()))?;
    let me = NodeAddr::parse(first).map_err(|e| bad(e.to_string()))?;
    let topology = Topology::parse(text, &me).map_err(|e| bad(e.to_string()))?;
    let shards = topology
        .shards()
        .iter()
        .map(|s| {
            let [range] = s.slots.as_slice() else {
                return Err(bad("a shard with several slot ranges: the syncer needs one range per shard".into()));
            };
            let nodes = s
                .nodes
                .iter()
                .map(|n| {
                    let port = n
                        .addr
                        .port
                        .checked_add(10000)
                        .ok_or_else(|| bad(format!("{}: port + 10000 is not a port", n.addr)))?;
                    Ok(format!("{}:{port}", n.addr.host))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(LocalShard { range: *range, nodes })
        })
        .collect::<Result<Vec<_>, _>>()?;
    check_shards(shards)
}

pub fn check_peers(own: u8, peers: &[PeerRegion]) -> Result<(), ConfigError> {
    let mut seen = vec![own];
    for p in peers {
        if seen.contains(&p.region) {
            return Err(ConfigError::DuplicatePeer(p.region));
        }
        seen.push(p.region);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_and_peers_parse_and_are_checked() {
        let a = parse_shard("0-8191=127.0.0.1:17000,127.0.0.1:17001").unwrap();
        assert_eq!(a.range, SlotRange { start: 0, end: 8191 });
        assert_eq!(a.nodes.len(), 2);
        let b = parse_shard("8192-16383=127.0.0.1:17002").unwrap();
        assert_eq!(check_shards(vec![b.clone(), a.clone()]).unwrap()[0], a);
        assert!(matches!(check_shards(vec![a.clone()]), Err(ConfigError::Coverage(_))));
        let overlap = parse_shard("8000-16383=h:1").unwrap();
        assert!(matches!(check_shards(vec![a, overlap]), Err(ConfigError::Coverage(_))));
        assert!(parse_shard("0-16384=h:1").is_err());
        assert!(parse_shard("5-1=h:1").is_err());
        assert!(parse_shard("0-16383=").is_err());
        assert_eq!(parse_peer("2=10.0.0.2:7700").unwrap(), PeerRegion { region: 2, addr: "10.0.0.2:7700".into() });
        assert!(parse_peer("32=h:1").is_err());
        assert!(parse_peer("x=h:1").is_err());
        assert_eq!(check_peers(1, &[parse_peer("1=h:1").unwrap()]), Err(ConfigError::DuplicatePeer(1)));
    }

    #[test]
    fn a_shard_map_gives_each_shards_replication_addresses() {
        let shards = shards_from_map("8192-16383=b:7002;\n0-8191=a:7000,a2:7001\n").unwrap();
        assert_eq!(
            shards[0],
            LocalShard { range: SlotRange { start: 0, end: 8191 }, nodes: vec!["a:17000".into(), "a2:17001".into()] }
        );
        assert_eq!(shards[1].nodes, vec!["b:17002".to_string()]);
        assert!(matches!(shards_from_map("0-100=a:7000"), Err(ConfigError::Map(m)) if m.contains("not assigned")));
        assert!(
            matches!(shards_from_map("0-1+5-16383=a:7000;2-4=b:7000"), Err(ConfigError::Map(m)) if m.contains("one range per shard"))
        );
        assert!(shards_from_map("").is_err());
    }
}
