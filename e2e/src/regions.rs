//! Several regions of one database on loopback: per region, shards of real datanodes
//! (a master and replicas each) and a syncer; every cross-region link goes through a
//! `FaultProxy` so tests can partition regions. Processes can be killed, restarted, stopped.

use std::time::{Duration, Instant};

use crate::process::{Process, answers_ping, free_port_pair, listening, workspace_binary};
use crate::proxy::FaultProxy;
use crate::region::{shard_map, slot_range};
use crate::{Error, Result, free_port};

pub struct Node {
    pub port: u16,
    pub process: Option<Process>,
}

pub struct RegionProcs {
    pub id: u8,
    /// shard → nodes (the first one started as master).
    pub shards: Vec<Vec<Node>>,
    pub syncer_port: u16,
    pub http_port: u16,
    pub syncer: Option<Process>,
    /// Proxies this region's syncer dials to reach each peer: (peer region, proxy).
    pub links: Vec<(u8, FaultProxy)>,
    /// Extra flags for this region's syncer, used from its next (re)start.
    pub syncer_args: Vec<String>,
}

pub struct Regions {
    pub database_id: String,
    pub regions: Vec<RegionProcs>,
}

fn slot_ranges(shards: usize) -> Vec<(u16, u16)> {
    (0..shards).map(|i| slot_range(i, shards)).collect()
}

impl Regions {
    /// Starts `regions` regions, each with `shards` shards of one master and `replicas`
    /// replicas, and a syncer peering with every other region through a proxy.
    pub fn start(regions: u8, shards: usize, replicas: usize) -> Result<Regions> {
        Regions::start_layout(&vec![shards; regions as usize], replicas)
    }

    /// Like `start`, with `layout[i]` shards in region `i + 1`: regions may split the slots
    /// differently, and the syncers route by slot.
    pub fn start_layout(layout: &[usize], replicas: usize) -> Result<Regions> {
        let database_id = format!("e2e-{}", std::process::id());
        let mut out = Regions { database_id, regions: Vec::new() };
        for (id, shards) in (1..).zip(layout.iter().copied()) {
            let mut region = RegionProcs {
                id,
                shards: Vec::new(),
                syncer_port: free_port()?,
                http_port: free_port()?,
                syncer: None,
                links: Vec::new(),
                syncer_args: Vec::new(),
            };
            for _ in 0..shards {
                let mut nodes = Vec::new();
                for _ in 0..=replicas {
                    nodes.push(Node { port: free_port_pair()?, process: None });
                }
                region.shards.push(nodes);
            }
            out.regions.push(region);
        }
        for r in 0..out.regions.len() {
            for s in 0..out.regions[r].shards.len() {
                out.start_node(r, s, 0, None)?;
                let master = out.regions[r].shards[s][0].port;
                for n in 1..=replicas {
                    out.start_node(r, s, n, Some(master))?;
                }
            }
        }
        let targets: Vec<(u8, u16)> = out.regions.iter().map(|r| (r.id, r.syncer_port)).collect();
        for region in &mut out.regions {
            for (peer, port) in &targets {
                if *peer != region.id {
                    region.links.push((*peer, FaultProxy::start(*port)?));
                }
            }
        }
        for r in 0..out.regions.len() {
            out.start_syncer(r)?;
        }
        Ok(out)
    }

    /// (Re)starts node `n` of shard `s` in region index `r`, as a replica of `master` if given.
    pub fn start_node(&mut self, r: usize, s: usize, n: usize, master: Option<u16>) -> Result<()> {
        let bin = workspace_binary("meridian-datanode")?;
        let id = self.regions[r].id;
        let node = &mut self.regions[r].shards[s][n];
        node.process = None;
        let port = node.port;
        let mut args: Vec<String> = [
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--region",
            &id.to_string(),
            "--active-active",
            "--database-id",
            &self.database_id,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if let Some(m) = master {
            args.push("--replicaof".into());
            args.push(format!("127.0.0.1 {m}"));
        }
        let shards = &self.regions[r].shards;
        if shards.len() > 1 {
            let ports: Vec<Vec<u16>> = shards.iter().map(|nodes| nodes.iter().map(|n| n.port).collect()).collect();
            args.push("--shard-map".into());
            args.push(shard_map(&ports));
        }
        let name = format!("datanode-r{id}-s{s}-n{n}");
        let process = Process::spawn_until(&name, &bin, args, port, || answers_ping(port))?;
        self.regions[r].shards[s][n].process = Some(process);
        Ok(())
    }

    /// (Re)starts the syncer of region index `r`.
    pub fn start_syncer(&mut self, r: usize) -> Result<()> {
        let bin = workspace_binary("meridian-syncer")?;
        let region = &mut self.regions[r];
        region.syncer = None;
        let ranges = slot_ranges(region.shards.len());
        let mut args = vec![
            "--region".to_string(),
            region.id.to_string(),
            "--database-id".into(),
            self.database_id.clone(),
            "--listen".into(),
            format!("127.0.0.1:{}", region.syncer_port),
            "--http".into(),
            format!("127.0.0.1:{}", region.http_port),
        ];
        for (nodes, (start, end)) in region.shards.iter().zip(ranges) {
            let addrs: Vec<String> = nodes.iter().map(|n| format!("127.0.0.1:{}", n.port + 10000)).collect();
            args.push("--shard".into());
            args.push(format!("{start}-{end}={}", addrs.join(",")));
        }
        for (peer, proxy) in &region.links {
            args.push("--peer".into());
            args.push(format!("{peer}=127.0.0.1:{}", proxy.port()));
        }
        args.extend(region.syncer_args.iter().cloned());
        let (listen, http) = (region.syncer_port, region.http_port);
        let name = format!("syncer-r{}", region.id);
        let p = Process::spawn_until(&name, &bin, args, listen, || listening(listen) && listening(http))?;
        region.syncer = Some(p);
        Ok(())
    }

    /// The RESP port of the master (as started) of the shard owning `slot` in region index `r`.
    pub fn owner(&self, r: usize, slot: u16) -> u16 {
        let n = self.regions[r].shards.len();
        let s = (0..n).find(|&i| slot <= slot_range(i, n).1).unwrap_or(0);
        self.port(r, s, 0)
    }

    /// The RESP port of the node that was started as master of shard `s` in region index `r`.
    pub fn port(&self, r: usize, s: usize, n: usize) -> u16 {
        self.regions[r].shards[s][n].port
    }

    /// Cuts (or restores) both directions between region indexes `a` and `b`.
    pub fn set_link(&self, a: usize, b: usize, up: bool) {
        for (x, y) in [(a, b), (b, a)] {
            let peer = self.regions[y].id;
            for (p, proxy) in &self.regions[x].links {
                if *p == peer {
                    if up { proxy.restore() } else { proxy.cut() }
                }
            }
        }
    }

    /// Cuts (or restores) every link between regions.
    pub fn set_all_links(&self, up: bool) {
        for a in 0..self.regions.len() {
            for b in a + 1..self.regions.len() {
                self.set_link(a, b, up);
            }
        }
    }

    /// Every running node's MERIDIAN.DIGEST, by (region, shard, node).
    pub fn digests(&self) -> Vec<((u8, usize, usize), Option<String>)> {
        let mut out = Vec::new();
        for region in &self.regions {
            for (s, nodes) in region.shards.iter().enumerate() {
                for (n, node) in nodes.iter().enumerate() {
                    if node.process.is_none() {
                        continue;
                    }
                    let d = crate::redis_cli(node.port, &["MERIDIAN.DIGEST"]).ok().map(|o| o.trim().to_string());
                    out.push(((region.id, s, n), d));
                }
            }
        }
        out
    }

    /// Waits until every running node of every region reports the same digest per shard.
    pub fn wait_converged(&self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            let digests = self.digests();
            let shards = self.regions.first().map_or(0, |r| r.shards.len());
            let converged = (0..shards).all(|s| {
                let mut of_shard = digests.iter().filter(|((_, sh, _), _)| *sh == s).map(|(_, d)| d);
                let first = of_shard.next().cloned().flatten();
                first.is_some() && of_shard.all(|d| *d == first)
            });
            if converged {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("not converged after {timeout:?}: {digests:?}"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The syncer's INFO text of region index `r`.
    pub fn syncer_info(&self, r: usize) -> String {
        http_get(self.regions[r].http_port, "/info").unwrap_or_default()
    }
}

/// A minimal HTTP GET on loopback, returning the body.
pub fn http_get(port: u16, path: &str) -> Result<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|source| Error::Connect { port, source })?;
    let _ = s.set_read_timeout(Some(crate::IO_TIMEOUT));
    let req = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).map_err(|e| Error::io(port, e))?;
    let mut body = String::new();
    s.read_to_string(&mut body).map_err(|e| Error::io(port, e))?;
    Ok(body.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or(body))
}
