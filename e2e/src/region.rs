//! A region of datanodes on loopback, all told the same shard map: several shards, each a
//! master and any number of replicas, as Redis Cluster clients see them.

use crate::process::{Process, free_port, start_datanode_at};
use crate::{Error, Result};

/// Attempts at starting a whole region: another process may take one of its ports between
/// `free_port` and the node's bind, and the map must name every port before any node starts.
const START_ATTEMPTS: usize = 3;

/// The running nodes of one region. Dropping it stops them all.
#[derive(Debug)]
pub struct Region {
    /// Per shard, its nodes, master first.
    shards: Vec<Vec<Process>>,
    map: String,
}

impl Region {
    /// Starts a region whose shard `i` has `nodes_per_shard[i]` nodes (the first one its
    /// master); the slots are split into contiguous ranges as `redis-cli --cluster create` does.
    pub fn start(nodes_per_shard: &[usize]) -> Result<Region> {
        let mut last = None;
        for _ in 0..START_ATTEMPTS {
            match Region::try_start(nodes_per_shard) {
                Ok(region) => return Ok(region),
                Err(e @ Error::Exited { .. }) => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or(Error::NoFreePort { source: std::io::Error::other("no attempt made") }))
    }

    fn try_start(nodes_per_shard: &[usize]) -> Result<Region> {
        let ports = nodes_per_shard
            .iter()
            .map(|n| (0..*n).map(|_| free_port()).collect::<Result<Vec<u16>>>())
            .collect::<Result<Vec<_>>>()?;
        let map = shard_map(&ports);
        let args = ["--shard-map".to_string(), map.clone()];
        let shards = ports
            .iter()
            .map(|shard| shard.iter().map(|port| start_datanode_at(*port, &args)).collect::<Result<Vec<_>>>())
            .collect::<Result<Vec<_>>>()?;
        Ok(Region { shards, map })
    }

    /// The `--shard-map` every node was started with.
    pub fn map(&self) -> &str {
        &self.map
    }

    /// Port of the master of shard `shard`.
    pub fn master(&self, shard: usize) -> u16 {
        self.shards[shard][0].port()
    }

    /// Port of replica `i` (from 0) of shard `shard`.
    pub fn replica(&self, shard: usize, i: usize) -> u16 {
        self.shards[shard][i + 1].port()
    }

    /// Ports of every node, shard by shard, master first.
    pub fn ports(&self) -> Vec<u16> {
        self.shards.iter().flatten().map(Process::port).collect()
    }

    /// Ports of every shard's master.
    pub fn masters(&self) -> Vec<u16> {
        (0..self.shards.len()).map(|s| self.master(s)).collect()
    }
}

/// First and last slot of shard `i` of `n`, split as `redis-cli --cluster create` splits
/// them (3 shards: 0-5460, 5461-10922, 10923-16383).
pub fn slot_range(i: usize, n: usize) -> (u16, u16) {
    let per = 16384.0 / n as f64;
    let last = |i: usize| if i + 1 == n { 16383 } else { ((i + 1) as f64 * per - 1.0).round() as u16 };
    let first = if i == 0 { 0 } else { last(i - 1) + 1 };
    (first, last(i))
}

/// The `--shard-map` text for shards of nodes on loopback `ports` (master first).
pub fn shard_map(ports: &[Vec<u16>]) -> String {
    let n = ports.len();
    ports
        .iter()
        .enumerate()
        .map(|(i, nodes)| {
            let (first, last) = slot_range(i, n);
            let nodes: Vec<String> = nodes.iter().map(|p| format!("127.0.0.1:{p}")).collect();
            format!("{first}-{last}={}", nodes.join(","))
        })
        .collect::<Vec<_>>()
        .join(";")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_split_like_redis_cli() {
        assert_eq!([slot_range(0, 3), slot_range(1, 3), slot_range(2, 3)], [(0, 5460), (5461, 10922), (10923, 16383)]);
        assert_eq!(slot_range(0, 1), (0, 16383));
        assert_eq!(
            shard_map(&[vec![7000, 7003], vec![7001]]),
            "0-8191=127.0.0.1:7000,127.0.0.1:7003;8192-16383=127.0.0.1:7001"
        );
    }
}
