//! The simulated world: regions whose slots are split over shards differently (a seed picks
//! each region's layout), each shard a (master, replica) pair of real datanode `Node`s, and
//! each region's syncer a set of real `PeerLink`s. Faults act on it here; `net` moves the
//! messages. Everything is driven by one seeded RNG and a simulated clock: a seed replays
//! exactly.

use std::collections::{BTreeMap, VecDeque};

use meridian_datanode::crdt::ActorId;
use meridian_datanode::keyspace::slot::{SlotRange, slot_of};
use meridian_datanode::node::Node;
use meridian_datanode::node::replication::{NodeSettings, Role};
use meridian_datanode::repl::fullsync::Assembler;
use meridian_datanode::repl::stream::Cursor;
use meridian_datanode::shard::{Identity, Shard};
use meridian_proto::SyncEvent;
use meridian_syncer::forward::Forward;
use meridian_syncer::link::PeerLink;
use meridian_syncer::route::shard_of;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Small enough that bursts of writes overrun it and force full syncs.
pub const BACKLOG: usize = 6 * 1024;
pub const DATABASE: &str = "sim";

/// A replica's stream from its master: what is still to arrive of its opening, then the
/// master's backlog from the cursor on.
pub struct Session {
    pub opening: VecDeque<SyncEvent>,
    pub cursor: Cursor,
    pub assembler: Assembler,
    /// The master's incarnation when it started.
    pub master: u64,
}

pub struct SimNode {
    pub node: Node,
    /// Changed at every crash or role change, to a number no node ever had: streams made
    /// with another one are dead.
    pub incarnation: u64,
    /// A master cut off from everyone (split brain): it still takes writes.
    pub isolated: bool,
    /// For a replica: its stream from the master.
    pub session: Option<Session>,
}

/// One shard of a region: its slots and its two nodes.
pub struct Group {
    pub range: SlotRange,
    pub nodes: Vec<SimNode>,
    pub master: usize,
}

/// A stream of a peer master, relayed to a subscribing region.
pub struct Relayed {
    pub forward: Forward,
    /// The peer master's incarnation when it opened: a later one means the stream broke.
    pub master: u64,
    pub opening: VecDeque<SyncEvent>,
    pub cursor: Cursor,
    /// A heartbeat is due (the real feed sends one every 250 ms).
    pub beat: bool,
}

/// One subscription of a link, while it lasts.
pub struct Conn {
    pub streams: Vec<Relayed>,
    /// The local masters' incarnations when it started (the real syncer's generation).
    pub local: Vec<u64>,
}

pub struct Link {
    pub link: PeerLink,
    pub conn: Option<Conn>,
    /// Milliseconds not yet counted as link ticks.
    pub clock_ms: u64,
}

pub struct Region {
    pub id: u8,
    pub groups: Vec<Group>,
    pub syncer_up: bool,
    /// This region's syncer's links, by peer region index.
    pub links: BTreeMap<usize, Link>,
}

impl Region {
    pub fn ranges(&self) -> Vec<SlotRange> {
        self.groups.iter().map(|g| g.range).collect()
    }

    /// The shard owning `key`.
    pub fn group_of(&self, key: &[u8]) -> usize {
        shard_of(&self.ranges(), slot_of(key))
    }

    pub fn master(&self, g: usize) -> &SimNode {
        let group = &self.groups[g];
        &group.nodes[group.master]
    }
}

pub struct World {
    pub rng: StdRng,
    pub now_ms: u64,
    pub regions: Vec<Region>,
    /// links[a][b]: the network between regions a and b is up.
    pub links: Vec<Vec<bool>>,
    pub log: Vec<String>,
    next_actor: u64,
}

fn node(region: u8, actor: u64, incarnation: u64, now_ms: u64) -> SimNode {
    let settings = NodeSettings {
        database_id: DATABASE.into(),
        region,
        active_active: true,
        backlog_size: BACKLOG,
        repl_addr: String::new(),
    };
    let mut shard = Shard::replicated(Identity { region, actor: ActorId(actor) });
    shard.set_now(now_ms);
    let node = Node::new(shard, settings);
    node.repl.ensure_backlog(&node.shard.lock());
    SimNode { node, incarnation, isolated: false, session: None }
}

fn replica_role() -> Role {
    Role::Replica { master: String::new(), resp_host: String::new(), resp_port: 0 }
}

/// Splits the slots into `n` ranges at random points.
fn layout(rng: &mut StdRng, n: usize) -> Vec<SlotRange> {
    let mut cuts: Vec<u16> = (1..n).map(|_| rng.gen_range(1..SlotRange::ALL.end)).collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut ranges = Vec::new();
    let mut start = 0;
    for cut in cuts {
        ranges.push(SlotRange { start, end: cut - 1 });
        start = cut;
    }
    ranges.push(SlotRange { start, end: SlotRange::ALL.end });
    ranges
}

impl World {
    /// `regions` regions, the i-th (from 0) split into 1 + i shards at seeded points, so
    /// no two regions share a layout.
    pub fn new(seed: u64, regions: u8) -> World {
        let mut w = World {
            rng: StdRng::seed_from_u64(seed),
            now_ms: 1_000_000,
            regions: Vec::new(),
            links: vec![vec![true; regions as usize]; regions as usize],
            log: Vec::new(),
            next_actor: 1,
        };
        for id in 1..=regions {
            let shards = if std::env::var_os("SIM_EQUAL").is_some() { 1 } else { usize::from(id) };
            let ranges = layout(&mut w.rng, shards);
            let groups = ranges
                .into_iter()
                .map(|range| {
                    let (a, b) = (w.actor(), w.actor());
                    let master = node(id, a, a, w.now_ms);
                    let replica = node(id, b, b, w.now_ms);
                    replica.node.repl.demote(&mut replica.node.shard.lock(), replica_role());
                    Group { range, nodes: vec![master, replica], master: 0 }
                })
                .collect();
            w.regions.push(Region { id, groups, syncer_up: true, links: BTreeMap::new() });
        }
        for r in 0..w.regions.len() {
            w.fresh_links(r);
        }
        w
    }

    fn actor(&mut self) -> u64 {
        self.next_actor += 1;
        self.next_actor
    }

    /// Region `r`'s syncer (re)starts: new links, knowing nothing.
    pub fn fresh_links(&mut self, r: usize) {
        let region = &self.regions[r];
        let links = (0..self.regions.len())
            .filter(|p| *p != r)
            .map(|p| {
                let link = PeerLink::new(self.regions[p].id, DATABASE, region.id, region.ranges());
                (p, Link { link, conn: None, clock_ms: 0 })
            })
            .collect();
        self.regions[r].links = links;
    }

    pub fn tick(&mut self, ms: u64) {
        self.now_ms += ms;
        for r in &mut self.regions {
            for g in &mut r.groups {
                for n in &mut g.nodes {
                    n.node.shard.lock().set_now(self.now_ms);
                }
            }
            for l in r.links.values_mut() {
                l.clock_ms += ms;
            }
        }
    }

    /// A node crashes: its state is gone. A master's replica is promoted; the node comes
    /// back empty as a replica.
    pub fn crash(&mut self, r: usize, g: usize, which: usize) {
        let (actor, promoted_actor) = (self.actor(), self.actor());
        let now = self.now_ms;
        let region = &mut self.regions[r];
        let id = region.id;
        let group = &mut region.groups[g];
        let was_master = which == group.master;
        let fresh = node(id, actor, actor, now);
        fresh.node.repl.demote(&mut fresh.node.shard.lock(), replica_role());
        group.nodes[which] = fresh;
        if was_master {
            let other = 1 - which;
            // An isolated old master is the only copy left: it is the master again, reachable.
            group.nodes[other].isolated = false;
            promote(&mut group.nodes[other], promoted_actor);
            group.master = other;
        }
        group.nodes[1 - group.master].session = None;
        self.log.push(format!("crash region {id} shard {g} node {which} (master: {was_master})"));
    }

    /// Split brain: a master is cut off from everyone but keeps taking writes; its replica
    /// is promoted.
    pub fn isolate_master(&mut self, r: usize, g: usize) {
        let actor = self.actor();
        let region = &mut self.regions[r];
        let group = &mut region.groups[g];
        if group.nodes.iter().any(|n| n.isolated) {
            return;
        }
        let old = group.master;
        group.nodes[old].isolated = true;
        let new = 1 - old;
        promote(&mut group.nodes[new], actor);
        group.master = new;
        self.log.push(format!("region {} shard {g}: master isolated; replica promoted", region.id));
    }

    /// An isolated old master rejoins as a replica of the new one (its extra writes are
    /// handed over when its session starts).
    pub fn rejoin(&mut self, r: usize, g: usize) {
        let incarnation = self.actor();
        let region = &mut self.regions[r];
        for (i, n) in region.groups[g].nodes.iter_mut().enumerate() {
            if n.isolated {
                n.isolated = false;
                n.incarnation = incarnation;
                n.session = None;
                n.node.repl.demote(&mut n.node.shard.lock(), replica_role());
                self.log.push(format!("region {} shard {g} node {i} rejoins as replica", region.id));
            }
        }
    }

    /// Whether any node other than `except`, of a shard owning `key`, has seen every dot of
    /// `dots`. Only an owner counts: a shard that got a delta split by slot knows the dots of
    /// the other parts without holding their keys.
    pub fn survives_elsewhere(
        &self,
        except: Option<(usize, usize, usize)>,
        key: &str,
        dots: &[meridian_datanode::crdt::Dot],
    ) -> bool {
        self.regions.iter().enumerate().any(|(ri, region)| {
            let owner = region.group_of(key.as_bytes());
            region.groups.iter().enumerate().filter(|(gi, _)| *gi == owner).any(|(gi, group)| {
                group.nodes.iter().enumerate().any(|(ni, n)| {
                    Some((ri, gi, ni)) != except && {
                        let shard = n.node.shard.lock();
                        dots.iter().all(|d| shard.context().contains(d))
                    }
                })
            })
        })
    }

    pub fn layouts(&self) -> String {
        self.regions
            .iter()
            .map(|r| {
                let ranges: Vec<String> =
                    r.groups.iter().map(|g| format!("{}-{}", g.range.start, g.range.end)).collect();
                format!("region {}: {}", r.id, ranges.join(" "))
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

fn promote(n: &mut SimNode, actor: u64) {
    n.node.repl.promote(&mut n.node.shard.lock(), ActorId(actor));
    n.incarnation = actor;
    n.session = None;
}
