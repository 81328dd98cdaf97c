//! Where each process of a local database listens: a pure function of the region ids, the
//! shard and member counts, and the chosen port range. Ports are keyed by region *id*,
//! shard index and ordinal, never by position in the manifest, so adding a region or a
//! replica never moves a running process.
//!
//! Region `r` owns the block `base + (r - 1) * stride .. + stride`: datanode `(s, o)` at
//! `block + 10 s + o` (its replication port is that + 10000, the convention the syncer and
//! `REPLICAOF` rely on), the syncer's peer port and HTTP port the block's last two.

use std::net::{Ipv4Addr, TcpListener};

use crate::plan::RegionPlan;

/// Ports a shard reserves: one per member, a master and at most 8 replicas (the CRD's bound).
pub const PORTS_PER_SHARD: u16 = 10;
/// What a datanode's replication port adds to its RESP port.
pub const REPL_OFFSET: u16 = 10000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ports {
    /// Region id 1's first port.
    pub base: u16,
    /// Ports per region.
    pub stride: u16,
}

impl Default for Ports {
    fn default() -> Self {
        Ports { base: 7000, stride: 1000 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    #[error(
        "region {region} has {shards} shards but --ports-per-region {stride} leaves room for {room}: raise --ports-per-region"
    )]
    TooManyShards { region: String, shards: usize, stride: u16, room: u16 },
    #[error(
        "region {region} (id {id}) would need ports up to {last} (replication ports are RESP + {REPL_OFFSET}): lower --port-base or --ports-per-region"
    )]
    OutOfRange { region: String, id: u8, last: u32 },
    #[error("--ports-per-region must be at least {min}")]
    StrideTooSmall { min: u16 },
}

/// The address every process of one region binds: loopback, or the region's own address in
/// its network namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegionLayout {
    pub ip: Ipv4Addr,
    pub first: u16,
    pub stride: u16,
}

impl RegionLayout {
    pub fn datanode(&self, shard: u32, ordinal: u32) -> u16 {
        // `check` proved every used port fits.
        self.first + (shard as u16) * PORTS_PER_SHARD + ordinal as u16
    }

    pub fn repl(&self, shard: u32, ordinal: u32) -> u16 {
        self.datanode(shard, ordinal) + REPL_OFFSET
    }

    pub fn peer_port(&self) -> u16 {
        self.first + self.stride - 2
    }

    pub fn http_port(&self) -> u16 {
        self.first + self.stride - 1
    }

    pub fn resp_addr(&self, shard: u32, ordinal: u32) -> String {
        format!("{}:{}", self.ip, self.datanode(shard, ordinal))
    }

    pub fn repl_addr(&self, shard: u32, ordinal: u32) -> String {
        format!("{}:{}", self.ip, self.repl(shard, ordinal))
    }

    pub fn peer_addr(&self) -> String {
        format!("{}:{}", self.ip, self.peer_port())
    }

    pub fn http_addr(&self) -> String {
        format!("{}:{}", self.ip, self.http_port())
    }
}

impl Ports {
    /// Region `plan`'s layout, once `check` accepted it.
    pub fn region(&self, id: u8, ip: Ipv4Addr) -> RegionLayout {
        let first = u32::from(self.base) + u32::from(id.saturating_sub(1)) * u32::from(self.stride);
        RegionLayout { ip, first: u16::try_from(first).unwrap_or(u16::MAX), stride: self.stride }
    }

    /// Whether every port `plan` needs fits its block and below 65536.
    pub fn check(&self, plan: &RegionPlan) -> Result<(), LayoutError> {
        let min = PORTS_PER_SHARD + 2;
        if self.stride < min {
            return Err(LayoutError::StrideTooSmall { min });
        }
        let room = (self.stride - 2) / PORTS_PER_SHARD;
        if plan.shards.len() > usize::from(room) {
            return Err(LayoutError::TooManyShards {
                region: plan.region.name.clone(),
                shards: plan.shards.len(),
                stride: self.stride,
                room,
            });
        }
        let first = u32::from(self.base) + u32::from(plan.region.id.saturating_sub(1)) * u32::from(self.stride);
        let last_datanode = first + plan.shards.len() as u32 * u32::from(PORTS_PER_SHARD);
        let last = (last_datanode + u32::from(REPL_OFFSET)).max(first + u32::from(self.stride) - 1);
        if last > u32::from(u16::MAX) || self.base == 0 {
            return Err(LayoutError::OutOfRange { region: plan.region.name.clone(), id: plan.region.id, last });
        }
        Ok(())
    }

    /// Every port `plan` uses, with what uses it, for the "port in use" check.
    pub fn ports(&self, plan: &RegionPlan, ip: Ipv4Addr) -> Vec<(u16, String)> {
        let l = self.region(plan.region.id, ip);
        let name = &plan.region.name;
        let mut out = vec![];
        for s in &plan.shards {
            for o in 0..s.members {
                out.push((l.datanode(s.index, o), format!("{name} shard {} member {o} (RESP)", s.index)));
                out.push((l.repl(s.index, o), format!("{name} shard {} member {o} (replication)", s.index)));
            }
        }
        out.push((l.peer_port(), format!("{name} syncer (peers)")));
        out.push((l.http_port(), format!("{name} syncer (HTTP)")));
        out
    }
}

/// The first of `ports` that something already listens on, with what wanted it.
pub fn first_in_use(ip: Ipv4Addr, ports: &[(u16, String)]) -> Option<(u16, String)> {
    ports.iter().find(|(p, _)| TcpListener::bind((ip, *p)).is_err()).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Region, ShardPlan, slots};

    fn plan(id: u8, shards: u32, members: u32) -> RegionPlan {
        let yaml = format!(
            "apiVersion: meridian.io/v1alpha1\nkind: ActiveActiveDatabase\nmetadata: {{name: t}}\nspec:\n  regions:\n  - {{name: r{id}, id: {id}, peerEndpoint: 'x:1'}}\n"
        );
        let db = serde_yaml::from_str(&yaml).unwrap();
        let mut p = crate::plan::plan(&db, &format!("r{id}"), &Default::default()).unwrap();
        p.region = Region { name: format!("r{id}"), id, peer_endpoint: String::new() };
        p.shards = slots::split(shards)
            .into_iter()
            .enumerate()
            .map(|(i, slots)| ShardPlan { index: i as u32, slots, members })
            .collect();
        p
    }

    #[test]
    fn regions_keep_their_blocks_whatever_else_the_manifest_holds() {
        let ports = Ports::default();
        let l = ports.region(3, Ipv4Addr::LOCALHOST);
        assert_eq!((l.datanode(0, 0), l.datanode(0, 1), l.datanode(1, 0)), (9000, 9001, 9010));
        assert_eq!((l.repl(1, 2), l.peer_port(), l.http_port()), (19012, 9998, 9999));
        assert_eq!(l.resp_addr(0, 1), "127.0.0.1:9001");
        assert_eq!(ports.region(1, Ipv4Addr::LOCALHOST).datanode(0, 0), 7000);
    }

    #[test]
    fn plans_that_do_not_fit_say_what_to_change() {
        let small = Ports { base: 20000, stride: 100 };
        assert_eq!(small.check(&plan(2, 9, 9)), Ok(()));
        assert_eq!(
            small.check(&plan(2, 10, 2)).unwrap_err().to_string(),
            "region r2 has 10 shards but --ports-per-region 100 leaves room for 9: raise --ports-per-region"
        );
        let high = Ports { base: 56000, stride: 1000 };
        assert_eq!(
            high.check(&plan(1, 1, 2)).unwrap_err().to_string(),
            "region r1 (id 1) would need ports up to 66010 (replication ports are RESP + 10000): lower --port-base or --ports-per-region"
        );
        assert!(Ports { base: 7000, stride: 1000 }.check(&plan(31, 99, 9)).is_ok());
        assert!(matches!(
            Ports { base: 7000, stride: 5 }.check(&plan(1, 1, 1)),
            Err(LayoutError::StrideTooSmall { .. })
        ));
    }

    #[test]
    fn every_port_is_listed_once_with_its_user() {
        let ports = Ports { base: 20000, stride: 100 }.ports(&plan(1, 2, 2), Ipv4Addr::LOCALHOST);
        let numbers: std::collections::BTreeSet<u16> = ports.iter().map(|(p, _)| *p).collect();
        assert_eq!(numbers.len(), ports.len());
        assert_eq!(ports.len(), 2 * 2 * 2 + 2);
        assert!(ports.contains(&(30011, "r1 shard 1 member 1 (replication)".to_string())));
        assert!(ports.contains(&(20098, "r1 syncer (peers)".to_string())));
    }
}
